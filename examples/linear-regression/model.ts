import { gemv } from "adjoint/runtime";

/**
 * Mean squared error of a linear model ŷ = X·w + b on n samples of d features (X row-major n×d).
 * @differentiable @wrt w b
 */
export function mse(w: Float64Array, b: number, X: Float64Array, y: Float64Array): number {
  const n = y.length;
  const d = w.length;
  const pred = new Float64Array(n);
  gemv(false, n, d, 1, X, w, 0, pred);
  let s = 0;
  for (let i = 0; i < n; i++) {
    const r = pred[i] + b - y[i];
    s += r * r;
  }
  return s / n;
}
