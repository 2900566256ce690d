/**
 * Loops reversed per iteration (compiler/passes/5-reverse/per-iteration.ts): a loop whose
 * iterations meet only through one sum runs each iteration's reverse sweep right after it, so the
 * tape holds one iteration, whatever the trip count; every mode still matches finite differences.
 */
import { describe, expect, it } from "vitest";
import { Tape } from "../../runtime/tape.ts";
import { expectAllModes, load, randomPoints } from "../helpers.ts";

// a mixture-like objective: per point, a scratch array of component scores, then their log-sum-exp
const MIXTURE = `
/** @differentiable @wrt mu w */
export function mixture(x: Float64Array, mu: Float64Array, w: Float64Array, k: number): number {
  const n = x.length;
  const score = new Float64Array(k);
  let total = 0;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      const d = x[i] - mu[c];
      score[c] = w[c] - d * d;
    }
    let m = score[0];
    for (let c = 1; c < k; c++) m = Math.max(m, score[c]);
    let s = 0;
    for (let c = 0; c < k; c++) s += Math.exp(score[c] - m);
    total += Math.log(s) + m;
  }
  return Math.sqrt(total * total + 1);
}
`;

// the same shape, but the scratch array carries values from one iteration to the next
const CARRIED = `
/** @differentiable @wrt mu */
export function carried(x: Float64Array, mu: Float64Array, k: number): number {
  const prev = new Float64Array(k);
  let total = 0;
  for (let i = 0; i < x.length; i++) {
    let s = 0;
    for (let c = 0; c < k; c++) s += Math.exp(prev[c] - x[i] * mu[c]);
    for (let c = 0; c < k; c++) prev[c] = Math.sin(prev[c] + mu[c] * x[i]);
    total += Math.log(s);
  }
  return total;
}
`;

const peak = (f: () => unknown) => Tape.measure(f).peakBytes;

describe("loops reversed per iteration", () => {
  it("keep one iteration on the tape, and agree with finite differences in every mode", async () => {
    const { src, grad, output } = await load(MIXTURE, "mixture");
    expect(output).toMatch(/const g_mu = new Float64Array\(mu\.length\)/);
    expect(output).toMatch(/axpy\(mu\.length, [^,]+, g_mu, d_mu\)/);
    for (const [x, mu, w] of randomPoints(7, 4, [[6, -2, 2], [3, -1, 1], [3, -0.5, 0.5]])) {
      expectAllModes(src, grad, "mixture", [x!, mu!, w!, 3], ["x", "mu", "w", "k"], ["mu", "w"]);
    }
    const [p] = randomPoints(8, 1, [[3, -1, 1], [3, -0.5, 0.5]]);
    const x10 = new Float64Array(10).map((_, i) => Math.sin(i)), x1000 = new Float64Array(1000).map((_, i) => Math.sin(i));
    const small = peak(() => grad.mixtureGrad(x10, p![0], p![1], 3));
    const large = peak(() => grad.mixtureGrad(x1000, p![0], p![1], 3));
    expect(large).toBe(small);
    expect(large).toBeLessThanOrEqual(8 * 3 * 4);
  });

  it("are not used when a scratch array carries values across iterations", async () => {
    const { src, grad, output } = await load(CARRIED, "carried");
    expect(output).not.toMatch(/\bg_/);
    for (const [x, mu] of randomPoints(9, 3, [[5, -1, 1], [3, -1, 1]])) {
      expectAllModes(src, grad, "carried", [x!, mu!, 3], ["x", "mu", "k"], ["mu"]);
    }
    const mu = new Float64Array([0.1, 0.2, 0.3]);
    const a = peak(() => grad.carriedGrad(new Float64Array(10).fill(0.5), mu, 3));
    const b = peak(() => grad.carriedGrad(new Float64Array(100).fill(0.5), mu, 3));
    expect(b).toBeGreaterThan(5 * a);
  });
});
