/**
 * Helpers that return an array they create (fixtures/programs/returns.ts): inlined like any
 * helper, with the caller's name bound to the helper's array. Every mode matches finite
 * differences; a helper returning one of its parameters, or returning anywhere but at its end,
 * is a located diagnostic.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { mulberry32 } from "../../runtime/gradcheck.ts";
import { ROOT, compileText, expectAllModes, load, randomPoints } from "../helpers.ts";

const SOURCE = fs.readFileSync(path.join(ROOT, "fixtures/programs/returns.ts"), "utf8");

describe("helpers returning arrays", () => {
  it("inline, with the caller's name bound to the helper's own array", async () => {
    const { output } = await load(SOURCE, "returns");
    // the helper's array is the caller's value: no copy between them
    expect(output).toMatch(/const y = new Float64Array\(4\);/);
    expect(output).toMatch(/const mapped = new Float64Array\(t\d+\);/);
    expect(output).not.toMatch(/\bh\b = /);
  });

  it("agree with finite differences in every mode", async () => {
    const { src, grad } = await load(SOURCE, "returns");
    for (const [W1, W2, x] of randomPoints(31, 3, [[12, -1, 1], [12, -1, 1], [3, -1, 1]])) {
      for (const label of [0, 2]) expectAllModes(src, grad, "twoLayer", [W1!, W2!, x!, label], ["W1", "W2", "x", "label"], ["W1", "W2"]);
    }
    for (const [x, c] of randomPoints(32, 3, [[4, -1, 1], [-0.5, 0.5]])) expectAllModes(src, grad, "copied", [x!, c!], ["x", "c"]);
    for (const [x, c] of randomPoints(33, 3, [[4, -1, 1], [0.5, 1.5]])) expectAllModes(src, grad, "pipeline", [x!, c!], ["x", "c"]);
  });

  it("an array name rebound in straight-line code names the new array, as in JavaScript", async () => {
    const { src, grad } = await load(SOURCE, "returns");
    const x = Float64Array.from([0.3, -0.5, 0.9, 0.2]);
    const before = x.slice();
    // the caller's x is read, never written: the function rebinds its own name to a copy
    expect(grad.pipelineGrad(x, 1.3).value).toBe(src.pipeline(before.slice(), 1.3));
    expect(x).toEqual(before);
  });

  it("a caller's writes go to the helper's new array, not to the argument", async () => {
    const { src, grad } = await load(SOURCE, "returns");
    const rng = mulberry32(5);
    const x = Float64Array.from({ length: 4 }, () => rng());
    const before = x.slice();
    expect(grad.copiedGrad(x, 0.3).value).toBe(src.copied(x, 0.3));
    expect(x).toEqual(before);
  });

  it("returning a parameter, or returning before the end, is a located diagnostic", async () => {
    const param = `function same(x: Float64Array): Float64Array {
  return x;
}
/** @differentiable */
export function f(x: Float64Array): number {
  const y = same(x);
  return y[0];
}
`;
    const a = await compileText(param, "param");
    expect(a.result.output).toBeUndefined();
    expect(a.result.diagnostics).toHaveLength(1);
    expect({ line: a.result.diagnostics[0]!.line, col: a.result.diagnostics[0]!.col }).toEqual({ line: 2, col: 10 });
    expect(a.result.diagnostics[0]!.message).toContain("'same' returns 'x', which is not an array it creates: return a new array (a copy: x.slice()), or write into an array passed in.");

    const early = `function pick(x: Float64Array, c: number): Float64Array {
  if (c > 0) return x.slice();
  const y = new Float64Array(x.length);
  return y;
}
/** @differentiable */
export function f(x: Float64Array, c: number): number {
  const y = pick(x, c);
  return y[0];
}
`;
    const b = await compileText(early, "early");
    expect(b.result.output).toBeUndefined();
    expect(b.result.diagnostics.map((d) => d.message)).toContain("'pick' returns an array, which it must do once, as its last statement: build the array, then return it at the end.");
    expect(b.result.diagnostics.find((d) => d.message.startsWith("'pick' returns an array"))!.line).toBe(1);
  });
});
