/**
 * Arrays as numeric code uses them (fixtures/programs/arrays.ts): number[] parameters, array
 * literals and destructuring, windows, copies, set and fill, and in-place algorithms, in every
 * mode against finite differences; in-place functions change the caller's arrays exactly as the
 * source does, and their gradient is with respect to the values on entry.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, it, expect, beforeAll } from "vitest";
import { load, expectAllModes, randomPoints, clone, ROOT, type Mod } from "../helpers.ts";

type Spec = ([number, number] | [number, number, number])[];
const CASES: [string, string[], Spec, string[]?][] = [
  ["rows", ["X", "w", "n"], [[12, -1, 1], [4, -1, 1], [4, 4]], ["X", "w"]],
  ["copies", ["x", "a"], [[5, -1, 1], [-2, 2]]],
  ["prefixSum", ["x", "a"], [[6, -1, 1], [0.5, 1.5]]],
  ["sortedWeights", ["x"], [[6, -1, 1]]],
  ["gaussSeidel", ["u", "f", "d"], [[5, -1, 1], [5, -1, 1], [3, 4]], ["f", "d"]],
  ["recurrence", ["x", "a"], [[6, -1, 1], [0.5, 1.5]]],
];

let m: { src: Mod; grad: Mod; output: string };
beforeAll(async () => {
  const text = fs.readFileSync(path.join(ROOT, "fixtures/programs/arrays.ts"), "utf8").replace(/\/\*\* @differentiable( @wrt [^*]*)? \*\//g, (_, wrt) => `/** @differentiable${wrt ?? ""} @modes grad jvp hvp */`);
  m = await load(text, "arrays");
}, 60_000);

describe("arrays, in every mode", () => {
  for (const [name, params, spec, wrt] of CASES) {
    it(`${name}: Grad, Jvp and Hvp match finite differences`, () => {
      for (const [k, args] of randomPoints(name.length * 7717, 4, spec).entries()) {
        expectAllModes(m.src, m.grad, name, args, params, wrt ?? params, k + 1);
      }
    });
  }

  it("polar: number[] parameters get number[] gradients", () => {
    const p = [0.6, -0.8];
    const g = m.grad.polarGrad(p, 1.5);
    expect(Array.isArray(g.grad.p)).toBe(true);
    expectAllModes(m.src, m.grad, "polar", [Float64Array.from(p), 1.5], ["p", "scale"]);
    expect(g.value).toBe(m.src.polar(p, 1.5));
    for (let i = 0; i < 2; i++) expect(g.grad.p[i]).toBeCloseTo(m.grad.polarGrad(Float64Array.from(p), 1.5).grad.p[i], 14);
  });

  it("in-place functions leave the caller's arrays as the source does, in every generated function", () => {
    for (const [name, params, spec] of CASES.filter(([n]) => ["prefixSum", "sortedWeights", "gaussSeidel"].includes(n))) {
      const [args] = randomPoints(99, 1, spec);
      const want = clone(args!);
      m.src[name](...want);
      for (const [suffix, extra] of [["Grad", []], ["Jvp", [{}]], ["Hvp", [{}]]] as const) {
        const got = clone(args!);
        m.grad[name + suffix](...got, ...extra);
        got.forEach((a, i) => expect(a, `${name}${suffix} ${params[i]}`).toEqual(want[i]));
      }
    }
  });

  it("a direction passed to the Jvp of an in-place function is left alone", () => {
    const x = new Float64Array([0.1, 0.2, 0.3]);
    const v = new Float64Array([1, 0, 0]);
    m.grad.prefixSumJvp(x, 1.1, { x: v });
    expect(Array.from(v)).toEqual([1, 0, 0]);
  });

  it("copies leave their source untouched; the gradient is the source's", () => {
    const x = new Float64Array([0.5, -0.25, 1, 2]);
    const before = Float64Array.from(x);
    const g = m.grad.copiesGrad(x, 0.75);
    expect(x).toEqual(before);
    expect(g.value).toBe(m.src.copies(Float64Array.from(x), 0.75));
  });
});
