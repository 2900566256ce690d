/** @differentiable @wrt w b */
export function loss(w: Float64Array, b: number, x: Float64Array, y: number): number {
  let z = b;
  for (let i = 0; i < w.length; i++) z += w[i] * x[i];
  const p = 1 / (1 + Math.exp(-z));
  return -(y * Math.log(p) + (1 - y) * Math.log(1 - p));
}
