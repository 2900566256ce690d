// Hand-written gradient of the quick start's logistic loss (examples/quickstart/model.ts):
// with p = σ(b + w·x), ∂/∂w = (p − y)·x and ∂/∂b = p − y.

export function logisticGradManual(w: Float64Array, b: number, x: Float64Array, y: number, gw: Float64Array): { value: number; grad: { w: Float64Array; b: number } } {
  let z = b;
  for (let i = 0; i < w.length; i++) z += w[i] * x[i];
  const p = 1 / (1 + Math.exp(-z));
  const r = p - y;
  for (let i = 0; i < w.length; i++) gw[i] = r * x[i];
  return { value: -(y * Math.log(p) + (1 - y) * Math.log(1 - p)), grad: { w: gw, b: r } };
}
