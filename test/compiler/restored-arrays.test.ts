/**
 * Restored scratch arrays (compiler/passes/5-reverse/plan.ts, case 6): a local array that later
 * iterations rewrite, read in a loop deeper than every store into it, has each store save the
 * element it overwrites and its reverse put it back, so the reverse sweep reads the array itself
 * instead of a tape of every read. Every mode still matches finite differences, and the tape
 * grows with the stores, not with the reads.
 */
import { describe, expect, it } from "vitest";
import { Tape } from "../../runtime/tape.ts";
import { expectAllModes, load, randomPoints } from "../helpers.ts";

// GradBench's gmm in miniature: per point and component, the centred point goes into a scratch
// array the next component rewrites, and a triangular matrix–vector product reads it
const MIXTURE = `
/** @differentiable @wrt mu L */
export function mixture(x: Float64Array, mu: Float64Array, L: Float64Array, d: number, k: number): number {
  const n = x.length / d;
  const xc = new Float64Array(d);
  const beta = new Float64Array(k);
  let total = 0;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      for (let j = 0; j < d; j++) xc[j] = x[i * d + j] - mu[c * d + j];
      let sq = 0;
      for (let r = 0; r < d; r++) {
        let v = xc[r];
        for (let s = 0; s < r; s++) v += L[(c * d + r) * d + s] * xc[s];
        sq += v * v;
      }
      beta[c] = -0.5 * sq;
    }
    let m = beta[0];
    for (let c = 1; c < k; c++) m = Math.max(m, beta[c]);
    let e = 0;
    for (let c = 0; c < k; c++) e += Math.exp(beta[c] - m);
    total += Math.log(e) + m;
  }
  return total;
}
`;

// a recurrent cell: the state is rewritten every step and read by the next step's matrix–vector
// product, one loop deeper than the stores
const RECURRENT = `
/** @differentiable @wrt W b */
export function recurrent(W: Float64Array, b: Float64Array, xs: Float64Array, h: number): number {
  const state = new Float64Array(h);
  const pre = new Float64Array(h);
  const steps = xs.length;
  for (let t = 0; t < steps; t++) {
    for (let i = 0; i < h; i++) {
      let s = b[i] + xs[t];
      for (let j = 0; j < h; j++) s += W[i * h + j] * state[j];
      pre[i] = s;
    }
    for (let i = 0; i < h; i++) state[i] = Math.tanh(pre[i]);
  }
  let out = 0;
  for (let i = 0; i < h; i++) out += state[i] * state[i];
  return out;
}
`;

const peak = (f: () => unknown) => Tape.measure(f).peakBytes;

describe("restored scratch arrays", () => {
  it("read a scratch array rewritten per component from the array itself, and agree with finite differences in every mode", async () => {
    const { src, grad, output } = await load(MIXTURE, "mixture");
    // the store saves what it overwrites and its reverse puts it back
    expect(output).toMatch(/tapeValues\[tapeTop\+\+\] = xc\[j\]!;\n\s*xc\[j\] = /);
    expect(output).toMatch(/xc\[j\] = tapeValues\[--tapeTop\]!;/);
    const d = 3, k = 2;
    for (const [x, mu, L] of randomPoints(11, 4, [[4 * d, -1, 1], [k * d, -1, 1], [k * d * d, -0.5, 0.5]])) {
      expectAllModes(src, grad, "mixture", [x!, mu!, L!, d, k], ["x", "mu", "L", "d", "k"], ["mu", "L"]);
    }
    // the loop over the points is still reversed point by point: the tape holds one point
    const [p] = randomPoints(12, 1, [[k * d, -1, 1], [k * d * d, -0.5, 0.5]]);
    const xs = (n: number) => new Float64Array(n * d).map((_, i) => Math.sin(i));
    const small = peak(() => grad.mixtureGrad(xs(10), p![0], p![1], d, k));
    const large = peak(() => grad.mixtureGrad(xs(1000), p![0], p![1], d, k));
    expect(large).toBe(small);
    // per component, d saved elements and d row values (taping every read of xc would add d(d−1)/2)
    expect(small).toBeLessThanOrEqual(8 * (k * 2 * d + 4 * k));
  });

  it("read a recurrent state from the state, taping what each step overwrites, not every read", async () => {
    const { src, grad } = await load(RECURRENT, "recurrent");
    const h = 6, steps = 5;
    for (const [W, b, xs] of randomPoints(13, 4, [[h * h, -0.6, 0.6], [h, -0.5, 0.5], [steps, -1, 1]])) {
      expectAllModes(src, grad, "recurrent", [W!, b!, xs!, h], ["W", "b", "xs", "h"], ["W", "b"]);
    }
    const [q] = randomPoints(14, 1, [[h * h, -0.6, 0.6], [h, -0.5, 0.5], [50, -1, 1]]);
    const bytes = peak(() => grad.recurrentGrad(q![0], q![1], q![2], h));
    // per step: h old states and h activations, not the h² reads of the product
    expect(bytes).toBeLessThanOrEqual(8 * 50 * 3 * h);
  });
});
