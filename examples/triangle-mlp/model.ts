import { gemm, gemv, addRowVector } from "adjoint/runtime";

/** out[i] = tanh(a[i]) for n values. */
function tanhInto(n: number, a: Float64Array, out: Float64Array): void {
  for (let i = 0; i < n; i++) out[i] = Math.tanh(a[i]);
}

/**
 * A one-hidden-layer MLP (2 → h → 1, tanh) for points X (batch×2) with labels y ∈ {+1, −1}:
 * the mean logistic loss log(1 + e^{−y·f(x)}) of the lecture notes' triangle problem.
 * @differentiable @wrt W1 b1 W2 b2
 */
export function loss(W1: Float64Array, b1: Float64Array, W2: Float64Array, b2: number, X: Float64Array, y: Float64Array): number {
  const batch = y.length;
  const h = b1.length;
  const Z = new Float64Array(batch * h);
  gemm(false, false, batch, h, 2, 1, X, W1, 0, Z);
  addRowVector(batch, h, Z, b1);
  const A = new Float64Array(batch * h);
  tanhInto(batch * h, Z, A);
  const f = new Float64Array(batch);
  gemv(false, batch, h, 1, A, W2, 0, f);
  let total = 0;
  for (let i = 0; i < batch; i++) {
    const m = y[i] * (f[i] + b2);
    total += m > 0 ? Math.log1p(Math.exp(-m)) : Math.log1p(Math.exp(m)) - m;
  }
  return total / batch;
}
