/**
 * Running selections (compiler/passes/5-reverse/selection.ts): `a = Math.max(a, e(i))` over a loop
 * records the counter of the last change instead of taping `a`, and reverses that iteration only.
 */
import { describe, expect, it } from "vitest";
import { Tape } from "../../runtime/tape.ts";
import { expectAllModes, load, randomPoints } from "../helpers.ts";

const SOURCE = `
/** @differentiable @modes grad jvp hvp */
export function lse(x: Float64Array): number {
  let a = x[0];
  for (let i = 1; i < x.length; i++) a = Math.max(a, x[i]);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.exp(x[i] - a);
  return Math.log(s) + a;
}

/** @differentiable */
export function largest(x: Float64Array): number {
  let a = x[0];
  for (let i = 1; i < x.length; i++) a = Math.max(a, x[i]);
  return a;
}

/** @differentiable */
export function smallestSquare(x: Float64Array, c: number): number {
  let a = c * x[0];
  const before = a * a;
  for (let i = 0; i < x.length; i++) a = Math.min(a, Math.sin(x[i]) * c);
  return a * before + Math.cos(a);
}

/** @differentiable @wrt c @modes grad hvp */
export function nearest(p: Float64Array, c: Float64Array, d: number): number {
  let cost = 0;
  for (let i = 0; i < p.length / d; i++) {
    let best = Infinity;
    for (let j = 0; j < c.length / d; j++) {
      let s = 0;
      for (let e = 0; e < d; e++) {
        const diff = p[i * d + e] - c[j * d + e];
        s += Math.log1p(diff * diff);
      }
      best = Math.min(best, s);
    }
    cost += Math.sqrt(best);
  }
  return cost;
}
`;

describe("running selections", () => {
  it("record the last change instead of taping, and agree with finite differences in every mode", async () => {
    const { src, grad, output } = await load(SOURCE, "selections");
    expect(output).toMatch(/if \(t\d+ !== a\) \{\n\s+win = i;/);
    // what the winning iteration's reverse needs (sin x[i], not cheap) is kept for it alone, where the change is recorded
    expect(output).toMatch(/if \(t\d+ !== a\) \{\n\s+win = i;\n\s+t\d+_win = t\d+;/);
    expect(output).not.toContain("if (win === i)");
    for (const [x] of randomPoints(11, 4, [[7, -2, 2]])) expectAllModes(src, grad, "lse", [x!], ["x"]);
    for (const [x, c] of randomPoints(12, 4, [[5, -2, 2], [0.5, 2]])) expectAllModes(src, grad, "smallestSquare", [x!, c!], ["x", "c"]);
    // nothing is kept for the running maximum: the tape holds the exponentials only
    const x = new Float64Array(1000).map((_, i) => Math.sin(i));
    expect(Tape.measure(() => grad.lseGrad(x)).peakBytes).toBeLessThanOrEqual(8 * 1000 + 64);
    expect(Tape.measure(() => grad.largestGrad(x)).peakBytes).toBe(0);
  });

  it("inside a loop reversed per iteration, reverse the winning iteration's nested loop alone, with no tape", async () => {
    const { src, grad, output } = await load(SOURCE, "selections");
    const body = output.slice(output.indexOf("export function nearestGrad("), output.indexOf("export function nearestHvp("));
    expect(body).toMatch(/if \(win >= 0\) \{\n\s+const j = win;/);
    for (const [p, c] of randomPoints(13, 3, [[12, -1, 1], [9, -1, 1]])) expectAllModes(src, grad, "nearest", [p!, c!, 3], ["p", "c", "d"], ["c"]);
    const p = new Float64Array(300).map((_, i) => Math.sin(i)), c = new Float64Array(30).map((_, i) => Math.cos(i));
    expect(Tape.measure(() => grad.nearestGrad(p, c, 3)).peakBytes).toBe(0);
  });

  it("give the whole derivative to the first element attaining the result, as Math.max's rule does", async () => {
    const { grad } = await load(SOURCE, "selections");
    const g = (xs: number[]) => Array.from(grad.largestGrad(new Float64Array(xs)).grad.x as Float64Array);
    expect(g([1, 3, 3, 2])).toEqual([0, 1, 0, 0]);
    expect(g([5, 3, 5, 2])).toEqual([1, 0, 0, 0]);
    expect(g([1, 2, 3, 4])).toEqual([0, 0, 0, 1]);
    expect(g([7])).toEqual([1]);
  });
});
