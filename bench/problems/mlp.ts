// One training step of a two-hidden-layer tanh MLP with softmax cross-entropy on a mini-batch,
// written with the runtime's gemm (lecture notes 002/003). X is batch×d; Y holds one-hot rows.
import { gemm, addRowVector } from "../../runtime/index.ts";

function tanhInto(n: number, a: Float64Array, out: Float64Array): void {
  for (let i = 0; i < n; i++) out[i] = Math.tanh(a[i]);
}

/** @differentiable @wrt W1 b1 W2 b2 W3 b3 */
export function mlpLoss(
  W1: Float64Array, b1: Float64Array, W2: Float64Array, b2: Float64Array, W3: Float64Array, b3: Float64Array,
  X: Float64Array, Y: Float64Array,
): number {
  const h1 = b1.length;
  const h2 = b2.length;
  const c = b3.length;
  const batch = Y.length / c;
  const d = X.length / batch;
  const Z1 = new Float64Array(batch * h1);
  gemm(false, false, batch, h1, d, 1, X, W1, 0, Z1);
  addRowVector(batch, h1, Z1, b1);
  const A1 = new Float64Array(batch * h1);
  tanhInto(batch * h1, Z1, A1);
  const Z2 = new Float64Array(batch * h2);
  gemm(false, false, batch, h2, h1, 1, A1, W2, 0, Z2);
  addRowVector(batch, h2, Z2, b2);
  const A2 = new Float64Array(batch * h2);
  tanhInto(batch * h2, Z2, A2);
  const logits = new Float64Array(batch * c);
  gemm(false, false, batch, c, h2, 1, A2, W3, 0, logits);
  addRowVector(batch, c, logits, b3);
  let loss = 0;
  for (let r = 0; r < batch; r++) {
    let m = logits[r * c];
    for (let j = 1; j < c; j++) m = Math.max(m, logits[r * c + j]);
    let s = 0;
    for (let j = 0; j < c; j++) s += Math.exp(logits[r * c + j] - m);
    const lse = m + Math.log(s);
    for (let j = 0; j < c; j++) loss += Y[r * c + j] * (lse - logits[r * c + j]);
  }
  return loss / batch;
}
