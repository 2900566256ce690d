/**
 * Functions as values (fixtures/programs/closures.ts): arrow and function-expression helpers at
 * module level and imported, local closures reading the variables around them (at the call, as
 * JavaScript does), and forEach, map and reduce lowered to loops, in every mode against finite
 * differences: Grad, Jvp, Hvp, Hessian and Jacobian for scalar functions, Vjp, Jvp and Jacobian
 * for a vector function.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, it, expect, beforeAll } from "vitest";
import { load, expectAllModes, expectAllModesTree, randomPoints, clone, compileText, ROOT, type Mod } from "../helpers.ts";
import { directionalDerivative, relativeError, mulberry32, randomArray, type Args } from "../../runtime/gradcheck.ts";

type Spec = ([number, number] | [number, number, number])[];
const CASES: [string, string[], Spec, string[]?][] = [
  ["mlp", ["W1", "b1", "w2", "b2", "x", "y"], [[12, -1, 1], [4, -1, 1], [4, -1, 1], [-0.5, 0.5], [3, -1, 1], [0, 1]]],
  ["scaled", ["a", "xs"], [[-2, 2], [2, -1, 1]]],
  ["nested", ["x", "ws"], [[-1, 1], [4, -1, 1]]],
  ["weighted", ["xs", "w"], [[5, -1, 1], [5, -1, 1]]],
  ["mapped", ["xs", "k"], [[5, -1, 1], [0.5, 1.5]]],
  ["reduced", ["xs", "c"], [[5, -1, 1], [-0.5, 0.5]]],
  ["chain", ["u", "k"], [[6, -1, 1], [0.5, 2]]],
];

let m: { src: Mod; grad: Mod; output: string };
beforeAll(async () => {
  const text = fs.readFileSync(path.join(ROOT, "fixtures/programs/closures.ts"), "utf8")
    .replace(/\/\*\* @differentiable \*\//g, "/** @differentiable @modes grad jvp hvp hessian jacobian */");
  m = await load(text, "closures");
}, 60_000);

/** number[] parameters are passed as number[] (the fixture's `w` and `xs` of mapped). */
const LISTS: Record<string, string[]> = { weighted: ["w"], mapped: ["xs"] };
function asCalled(name: string, params: string[], args: Args): Args {
  return args.map((a, i) => (LISTS[name]?.includes(params[i]!) && typeof a !== "number" ? Array.from(a) : a)) as Args;
}

describe("functions as values, in every mode", () => {
  for (const [name, params, spec, wrt] of CASES) {
    it(`${name}: Grad, Jvp and Hvp match finite differences`, () => {
      for (const [k, args] of randomPoints(name.length * 4241, 4, spec).entries()) {
        expectAllModes(m.src, m.grad, name, args, params, wrt ?? params, k + 1);
        // number[] arguments give the same value and gradient as Float64Arrays
        const listed = asCalled(name, params, args);
        const g = m.grad[name + "Grad"](...listed);
        expect(g.value).toBe(m.src[name](...asCalled(name, params, args)));
        const ref = m.grad[name + "Grad"](...clone(args));
        for (const p of wrt ?? params) {
          const got = g.grad[p];
          if (typeof got === "number") expect(got).toBe(ref.grad[p]);
          else expect(Float64Array.from(got)).toEqual(Float64Array.from(ref.grad[p]));
        }
      }
    });
  }

  it("Hessians are symmetric and their first column is the derivative of the gradient", () => {
    for (const [name, params, spec] of CASES.filter(([n]) => ["scaled", "nested", "reduced", "mapped"].includes(n))) {
      const [args] = randomPoints(77, 1, spec);
      const { hessian, size } = m.grad[name + "Hessian"](...clone(args!));
      for (let i = 0; i < size; i++) for (let j = 0; j < i; j++) {
        expect(Math.abs(hessian[i * size + j] - hessian[j * size + i]), `${name} H[${i},${j}]`).toBeLessThan(1e-9 * Math.max(1, Math.abs(hessian[i * size + j])));
      }
      const dir = args!.map((a) => (typeof a === "number" ? 0 : new Float64Array(a.length))) as Args;
      if (typeof dir[0] === "number") dir[0] = 1; else (dir[0] as Float64Array)[0] = 1;
      let row = 0;
      for (const p of params) {
        const g0 = m.grad[name + "Grad"](...clone(args!)).grad[p];
        const count = typeof g0 === "number" ? 1 : g0.length;
        for (let c = 0; c < count; c++, row++) {
          const comp = (...a: Args) => { const r = m.grad[name + "Grad"](...a).grad[p]; return typeof r === "number" ? r : r[c]; };
          expect(relativeError(hessian[row * size], directionalDerivative(comp, clone(args!), dir)), `${name} H[${row},0]`).toBeLessThan(1e-6);
        }
      }
    }
  });

  it("the Jacobian of a scalar function is its gradient as one row", () => {
    for (const [name, params, spec] of CASES) {
      const [args] = randomPoints(31, 1, spec);
      const { jacobian, rows, cols } = m.grad[name + "Jacobian"](...clone(args!));
      const g = m.grad[name + "Grad"](...clone(args!)).grad;
      const flat = params.flatMap((p) => (typeof g[p] === "number" ? [g[p]] : Array.from(g[p] as ArrayLike<number>)));
      expect([rows, cols]).toEqual([1, flat.length]);
      for (let j = 0; j < cols; j++) expect(relativeError(jacobian[j], flat[j]!), `${name} J[0,${j}]`).toBeLessThan(1e-12);
    }
  });

  it("a closure reads its variables when it is called: a change between two calls is seen", () => {
    const xs = new Float64Array([0.3, -0.7]);
    const a = 0.9;
    // by hand: first = xs0 * 2a + a, second = xs1 * sin(a) + a
    expect(m.src.scaled(a, xs)).toBe(xs[0]! * (a * 2) + a + (xs[1]! * Math.sin(a) + a));
    const g = m.grad.scaledGrad(a, xs);
    expect(g.grad.a).toBeCloseTo(2 * xs[0]! + 1 + xs[1]! * Math.cos(a) + 1, 12);
    expect(Array.from(g.grad.xs)).toEqual([2 * a, Math.sin(a)]);
  });

  it("reduce without an initial value throws a TypeError on an empty array, as JavaScript does", () => {
    const empty = new Float64Array(0);
    expect(() => m.src.reduced(empty, 0.2)).toThrow(TypeError);
    expect(() => m.grad.reducedGrad(empty, 0.2)).toThrow(new TypeError("Reduce of empty array with no initial value"));
    expect(() => m.grad.reducedJvp(empty, 0.2, {})).toThrow(TypeError);
    // one element: no step of the callback runs
    const one = new Float64Array([0.4]);
    expectAllModes(m.src, m.grad, "reduced", [one, 0.3], ["xs", "c"]);
  });

  it("forEach, map and reduce are loops: no helper call or callback is left in the generated code", () => {
    const code = m.output.split("\n").filter((l) => !/^\s*(\/\/|\*|\/\*\*)/.test(l)).join("\n");
    expect(code).not.toMatch(/\.(forEach|map|reduce)\(/);
    expect(code).not.toMatch(/\b(relu|sq|softplus|affine|scale|bump|clip|both|term|spring|energy)\(/);
  });
});

describe("arrow helpers imported from another module", () => {
  it("a const arrow helper and a function expression helper from a relative import, in Grad, Jvp and Hvp", async () => {
    const lib = [
      "export const gelu = (z: number) => 0.5 * z * (1 + Math.tanh(0.7978845608 * (z + 0.044715 * z * z * z)));",
      "export const norm2 = function (xs: Float64Array): number { return xs.reduce((a, v) => a + v * v, 0); };",
    ].join("\n");
    const src = [
      'import { gelu, norm2 } from "./lib.ts";',
      "/** @differentiable @modes grad jvp hvp */",
      "export function f(x: Float64Array, k: number): number {",
      "  const h = x.map((v) => gelu(v * k));",
      "  return norm2(h) + h.map(gelu).reduce((a, v) => a + v);",
      "}",
    ].join("\n");
    const mod = await load(src, "imported", { "lib.ts": lib });
    for (const [k, args] of randomPoints(5, 4, [[4, -1.5, 1.5], [0.5, 1.5]]).entries()) expectAllModes(mod.src, mod.grad, "f", args, ["x", "k"], ["x", "k"], k + 1);
  });
});

describe("a vector function written with map, reduce and forEach", () => {
  const SOURCE = [
    "/** @differentiable @out p @modes vjp jvp jacobian */",
    "export function softmax(z: Float64Array, p: Float64Array): void {",
    "  const m = z.reduce((a, v) => Math.max(a, v));",
    "  const e = z.map((v) => Math.exp(v - m));",
    "  const total = e.reduce((a, v) => a + v, 0);",
    "  e.forEach((v, i) => { p[i] = v / total; });",
    "}",
  ].join("\n");

  it("Vjp and Jvp agree with each other and with finite differences, and the Jacobian is p_i(δ_ij − p_j)", async () => {
    const { src, grad } = await load(SOURCE, "softmax");
    const rng = mulberry32(9);
    for (let trial = 0; trial < 4; trial++) {
      const n = 5;
      const z = randomArray(rng, n, -2, 2), u = randomArray(rng, n), v = randomArray(rng, n);
      const pRef = new Float64Array(n);
      src.softmax(z, pRef);
      const p1 = new Float64Array(n), p2 = new Float64Array(n);
      const jv = grad.softmaxJvp(z, p1, { z: v }).tangent.p as Float64Array;
      const jtu = grad.softmaxVjp(z, p2, { p: u }).grad.z as Float64Array;
      expect(p1).toEqual(pRef);
      expect(p2).toEqual(pRef);
      const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);
      expect(relativeError(dot(u, jv), dot(jtu, v))).toBeLessThan(1e-12);
      const fd = directionalDerivative((zz: Float64Array) => { const y = new Float64Array(n); src.softmax(zz, y); return dot(u, y); }, [z], [v]);
      expect(relativeError(dot(u, jv), fd)).toBeLessThan(1e-6);
      const { jacobian, rows, cols } = grad.softmaxJacobian(z, new Float64Array(n));
      expect([rows, cols]).toEqual([n, n]);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
        expect(jacobian[i * n + j]).toBeCloseTo(pRef[i]! * ((i === j ? 1 : 0) - pRef[j]!), 12);
      }
    }
  });
});

describe("callbacks on record fields, windows and array literals", () => {
  it("a closure reading a record parameter, map on its field, forEach on a window, reduce on a literal", async () => {
    const source = [
      "interface P { w: Float64Array; b: number }",
      "/** @differentiable @modes grad jvp hvp */",
      "export function rec(p: P, x: Float64Array): number {",
      "  const lin = (i: number) => p.w[i] * x[i] + p.b;",
      "  return p.w.map((v, i) => lin(i) * v).reduce((a, v) => a + v, 0);",
      "}",
      "/** @differentiable @modes grad jvp hvp */",
      "export function windows(x: Float64Array, c: number): number {",
      "  let s = 0;",
      "  x.subarray(1, 3).forEach((v) => {",
      "    const g = (t: number) => t * c;",
      "    s += g(v);",
      "  });",
      "  return s + [x[0], c].reduce((a, v) => a * v);",
      "}",
    ].join("\n");
    const mod = await load(source, "fields");
    const rng = mulberry32(3);
    for (let k = 0; k < 3; k++) {
      const p = { w: randomArray(rng, 4), b: rng() - 0.5 }, x = randomArray(rng, 4);
      expectAllModesTree(mod.src, mod.grad, "rec", [p, x], ["p", "x"], ["p", "x"], k + 1);
      expectAllModes(mod.src, mod.grad, "windows", [randomArray(rng, 4), rng() + 0.5], ["x", "c"], ["x", "c"], k + 1);
    }
  });
});

describe("what the fence accepts and rejects around function values", () => {
  it("a recursive arrow helper is reported as recursion", async () => {
    const { result } = await compileText([
      "const down = (n: number): number => (n > 0 ? down(n - 1) : 0);",
      "/** @differentiable */",
      "export function f(x: number): number {",
      "  return down(x);",
      "}",
    ].join("\n"), "rec");
    expect(result.diagnostics.map((d) => d.code)).toEqual(["AD1005"]);
    expect(result.diagnostics[0]!.message).toMatch(/'down' is recursive \(f -> down -> down\)/);
  });

  it("a forEach callback may update the variables around it; a callback with too many parameters is an error", async () => {
    const { result } = await compileText([
      "/** @differentiable */",
      "export function f(xs: Float64Array): number {",
      "  return xs.reduce((a, v, i, arr, extra) => a + v, 0);",
      "}",
    ].join("\n"), "params");
    expect(result.diagnostics).toHaveLength(1);
    expect(result.diagnostics[0]!.message).toMatch(/takes 5 parameters, but 'reduce' passes 4 \(accumulator, element, index, array\): remove the others/);
  });
});
