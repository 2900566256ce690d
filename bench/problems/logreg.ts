// Logistic-regression loss: n samples of d features (row-major X), labels y in {0, 1}.

/** @differentiable @wrt w b */
export function logregLoss(w: Float64Array, b: number, X: Float64Array, y: Float64Array): number {
  const d = w.length;
  const n = y.length;
  let loss = 0;
  for (let i = 0; i < n; i++) {
    let z = b;
    for (let j = 0; j < d; j++) z += w[j] * X[i * d + j];
    // log(1 + e^z) − y·z, computed stably
    const softplus = z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
    loss += softplus - y[i] * z;
  }
  return loss / n;
}
