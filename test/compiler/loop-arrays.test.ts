/**
 * Arrays allocated inside a loop whose values the reverse sweep reads
 * (fixtures/programs/loops-alloc.ts): the tape keeps each iteration's array by reference, and the
 * reverse of the iteration reads that array. Every mode matches finite differences, with and
 * without `@checkpoint` on the loop; the tape holds one array per iteration, not its elements.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Tape } from "../../runtime/tape.ts";
import { ROOT, expectAllModes, load, randomPoints } from "../helpers.ts";

const FIXTURE = fs.readFileSync(path.join(ROOT, "fixtures/programs/loops-alloc.ts"), "utf8");
const ALL = FIXTURE.replaceAll("/** @differentiable */", "/** @differentiable @modes grad jvp hvp */").replace("@wrt W U */", "@wrt W U @modes grad jvp hvp */");
const CHECKPOINTED = ALL.replace("  for (let i = 0; i < points; i++) {", "  /** @checkpoint */\n  for (let i = 0; i < points; i++) {").replace("  for (let t = 0; t < xs.length; t++) {", "  /** @checkpoint */\n  for (let t = 0; t < xs.length; t++) {");

describe("arrays allocated in a loop", () => {
  it("are kept by reference, and read by the reverse of their own iteration", async () => {
    const { output } = await load(ALL, "loopsAlloc");
    expect(output).toMatch(/tape\.pushA\(t\);/);
    expect(output).toMatch(/const t = tape\.popA\(\);/);
    expect(output).toMatch(/tape\.pushA\(next\);/);
  });

  for (const [label, text] of [["", ALL], [" (@checkpoint)", CHECKPOINTED]] as const) {
    it(`agree with finite differences in every mode${label}`, async () => {
      const { src, grad, output } = await load(text, "loopsAlloc");
      if (label) expect(output).toContain("checkpointSchedule");
      for (const [x, a, b] of randomPoints(41, 3, [[4, -1, 1], [-0.5, 0.5], [0.5, 1.5]])) expectAllModes(src, grad, "pairs", [x!, a!, b!, 3], ["x", "a", "b", "points"], ["x", "a", "b"]);
      for (const [W, U, xs] of randomPoints(42, 3, [[9, -0.7, 0.7], [3, -1, 1], [6, -1, 1]])) expectAllModes(src, grad, "rnn", [W!, U!, xs!, 3], ["W", "U", "xs", "n"], ["W", "U"]);
    });
  }

  it("the tape holds one reference per iteration and the values the steps need, not every element read", async () => {
    const { grad } = await load(ALL, "loopsAlloc");
    const x = Float64Array.from({ length: 50 }, (_, i) => Math.sin(i));
    // pairs reads d²/2 products per point from its array: kept by reference, the tape holds the
    // arrays (d doubles each) and nothing per product
    const peak = (points: number) => Tape.measure(() => grad.pairsGrad(x, 0.3, 1.1, points)).peakBytes;
    expect(peak(20)).toBe(20 * 50 * 8);
    expect(peak(40)).toBe(40 * 50 * 8);
  });

  it("an array allocated in a loop whose length alone the reverse sweep reads: the length is kept, not the array", async () => {
    const text = `/** @differentiable @modes grad jvp hvp */
export function lengths(x: Float64Array, n: number): number {
  let s = 0;
  for (let t = 0; t < n; t++) {
    const a = x.map((v) => 2 * v + t);
    for (let i = 0; i < a.length; i++) s += a[i] * t;
  }
  return s;
}
`;
    const { src, grad, output } = await load(text, "lengths");
    expect(output).not.toContain("pushA");
    for (const [x] of randomPoints(44, 3, [[4, -1, 1]])) expectAllModes(src, grad, "lengths", [x!, 3], ["x", "n"], ["x"]);
  });

  it("an integer array allocated in a loop is kept by reference too, with its type", async () => {
    const text = `/** @differentiable @modes grad jvp hvp */
export function gather(x: Float64Array, steps: number): number {
  let s = 0;
  for (let i = 0; i < steps; i++) {
    const idx = new Int32Array(2);
    idx[0] = i % x.length;
    idx[1] = (i + 1) % x.length;
    s += Math.sin(x[idx[0]] * x[idx[1]]) + x[idx[1]] * i;
  }
  return s;
}
`;
    const { src, grad, output } = await load(text, "gather");
    expect(output).toContain("const idx = tape.popA<Int32Array>();");
    for (const [x] of randomPoints(43, 3, [[4, -1, 1]])) expectAllModes(src, grad, "gather", [x!, 6], ["x", "steps"], ["x"]);
  });
});
