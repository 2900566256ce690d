/**
 * Helpers returning several values (fixtures/programs/results.ts): a tuple of numbers, and an
 * object of numbers whose fields the caller destructures or reads; and helpers with default
 * values. Every mode matches finite differences; a helper that returns an object some other way,
 * or a call that leaves out a parameter without a default, is a located diagnostic; so is an
 * `Array.from({ length })` callback reading the element it is not given, and a destructuring
 * assignment that would swap two arrays.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, compileText, expectAllModes, load, randomPoints } from "../helpers.ts";

const FIXTURE = fs.readFileSync(path.join(ROOT, "fixtures/programs/results.ts"), "utf8").replaceAll("/** @differentiable */", "/** @differentiable @modes grad jvp hvp */");

describe("helpers returning several values", () => {
  it("agree with finite differences in every mode, and compute what JavaScript computes", async () => {
    const { src, grad } = await load(FIXTURE, "results");
    for (const [x, a] of randomPoints(71, 4, [[5, -1, 1], [0.5, 1.5]])) {
      expectAllModes(src, grad, "results", [x!, a!], ["x", "a"], ["x", "a"]);
      expect(grad.resultsGrad(x!, a!).value).toBe(src.results(x!, a!));
    }
  });

  const rejected: [string, string, string, [number, number]][] = [
    ["an object that is not a literal", `function pair(x: number): { a: number; b: number } {
  const o = { a: x, b: 2 * x };
  return o;
}`, "'pair' returns an object: return an object literal of its fields (return { a, b }), so that each field is a value of its own.", [3, 10]],
    ["an object before its end", `function pair(x: number): { a: number; b: number } {
  if (x > 0) return { a: x, b: x };
  return { a: -x, b: x };
}`, "'pair' returns an object, which it must do once, as its last statement: build its fields, then return it at the end.", [1, 10]],
    ["an object with a field of another type", `function pair(x: number): { a: number; b: number[] } {
  return { a: x, b: [x] };
}`, "Helper 'pair' returns '{ a: number; b: number[]; }': helpers return a number, a boolean, an array they create, an object of numbers ({ r: number; th: number }), or nothing.", [6, 13]],
  ];
  it("a call leaving out an argument without a default, or passing undefined, is a located diagnostic", async () => {
    const text = `function scaled(x: number, k = 2): number {\n  return k * x;\n}\n/** @differentiable */\nexport function f(a: number): number {\n  return scaled() + scaled(a, undefined) + scaled(a, 1, 2);\n}\n`;
    const { result } = await compileText(text, "f");
    expect(result.diagnostics.map((d) => [d.line, d.col, d.message])).toEqual([
      [6, 10, "'scaled' takes 1 to 2 argument(s), but is called with 0: pass every argument without a default value."],
      [6, 31, "Passing undefined to 'scaled' is not supported: leave trailing arguments out to take their default values, or pass the value."],
      [6, 44, "'scaled' takes 1 to 2 argument(s), but is called with 3: pass at most 2."],
    ]);
  });

  it("Array.from a length whose callback reads the element (undefined there) is a located diagnostic", async () => {
    const text = `/** @differentiable */\nexport function f(xs: Float64Array): number {\n  const w = Array.from({ length: 3 }, (v: number, i: number) => v * i);\n  return w[0] + xs[0];\n}\n`;
    const { result } = await compileText(text, "f");
    expect(result.diagnostics.map((d) => [d.line, d.col, d.message])).toEqual([
      [3, 40, "'v' is undefined here: from a length ({ length: n }) the callback gets no element, only the index (write (_, i) => …)."],
    ]);
  });

  it("a destructuring assignment that swaps two arrays is one located diagnostic", async () => {
    const text = `/** @differentiable */\nexport function f(x: Float64Array): number {\n  let a = x.slice();\n  let b = x.map((v) => v * 2);\n  [a, b] = [b, a];\n  return a[0] + b[0];\n}\n`;
    const { result } = await compileText(text, "f");
    expect(result.diagnostics.map((d) => [d.line, d.col, d.message])).toEqual([
      [5, 4, "Destructuring assignment to the array 'a' is not supported: it would change which array a name refers to. Copy elements instead (a.set(…)), or use new names (const [p, q] = …)."],
    ]);
  });

  for (const [what, helper, message, [line, col]] of rejected) {
    it(`a helper returning ${what} is a located diagnostic`, async () => {
      const text = `${helper}\n/** @differentiable */\nexport function f(x: number): number {\n  const p = pair(x);\n  return p.a;\n}\n`;
      const { result } = await compileText(text, "f");
      expect(result.diagnostics).toHaveLength(1);
      const d = result.diagnostics[0]!;
      expect(d.message).toBe(message);
      expect({ line: d.line, col: d.col }).toEqual({ line, col });
    });
  }
});
