/**
 * Logistic regression: the mean cross-entropy of a linear classifier over a data set.
 * `xs` holds the samples row by row (`ys.length` rows of `w.length` features).
 *
 * @differentiable @wrt w b
 */
export function loss(w: Float64Array, b: number, xs: Float64Array, ys: Float64Array): number {
  const d = w.length;
  const n = ys.length;
  let total = 0;
  for (let i = 0; i < n; i++) {
    let z = b;
    for (let j = 0; j < d; j++) z += w[j] * xs[i * d + j];
    const p = 1 / (1 + Math.exp(-z));
    total -= ys[i] * Math.log(p) + (1 - ys[i]) * Math.log(1 - p);
  }
  return total / n;
}
