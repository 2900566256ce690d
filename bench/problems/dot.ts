// Dot product: the simplest reduction loop; its gradient needs no tape.

/** @differentiable */
export function dot(w: Float64Array, x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < w.length; i++) s += w[i] * x[i];
  return s;
}
