/**
 * The statements of fixtures/programs/language.ts (switch, for-of, labels, increments and
 * assignments as values, logical assignments, commas, guards, console calls, constant
 * expressions, an endless loop left by a return, numbers as conditions), in every mode, against
 * finite differences at random points; and their JavaScript meaning: the generated code computes
 * what the source does.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, it, expect, beforeAll, vi } from "vitest";
import { load, expectAllModes, randomPoints, ROOT, type Mod } from "../helpers.ts";
import { compileSource } from "../../compiler/index.ts";

const CASES: [string, string[], ([number, number] | [number, number, number])[], string[]?][] = [
  ["piecewise", ["x", "k"], [[-2, 2], [0, 0]], ["x"]],
  ["clauses", ["x", "mode"], [[-2, 2], [0, 0]], ["x"]],
  ["fallThrough", ["x", "from"], [[-2, 2], [0, 0]], ["x"]],
  ["sumUntil", ["xs", "limit"], [[9, -1, 1], [0.5, 3]], ["xs"]],
  ["norm", ["xs"], [[7, -1, 1]]],
  ["labelled", ["x", "t"], [[6, -1, 1], [0.2, 2]]],
  ["increments", ["x", "a"], [[8, -1, 1], [0.5, 2]]],
  ["guarded", ["x", "y"], [[-2, 2], [0.2, 3]]],
  ["wave", ["t", "f"], [[-1, 1], [0.5, 2]]],
  ["firstAbove", ["x", "level"], [[8, -1, 1], [0.5, 3]]],
  ["truthy", ["x", "flag"], [[-2, 2], [0, 1]], ["x"]],
  ["nestedJumps", ["x", "t"], [[9, -1, 1], [0.2, 2]]],
  ["bits", ["xs", "a"], [[6, -1, 1], [0.31, 0.39]]],
  ["extremes", ["xs", "a"], [[6, -1, 1], [0.3, 2]]],
  ["swaps", ["xs", "a", "b"], [[5, -1, 1], [-1, 1], [-1, 1]]],
  ["built", ["xs", "a"], [[5, -1, 1], [0.5, 2]]],
  ["searched", ["xs", "a"], [[6, -1, 1], [0.3, 2]]],
  ["predicates", ["xs", "w", "a"], [[6, -1, 1], [6, 0.2, 1], [0.3, 2]]],
  ["filtered", ["xs", "a"], [[7, -1, 1], [0.5, 2]]],
  ["hoisted", ["xs", "a"], [[5, -1, 1], [0.5, 2]]],
  ["walks", ["xs", "w"], [[5, -1, 1], [5, -1, 1]]],
  ["ends", ["xs", "a"], [[5, -1, 1], [0.1, 3.2]]],
  ["tested", ["x", "k"], [[-2, 2], [0, 3]], ["x"]],
  ["tabled", ["x", "xs"], [[-2, 2], [4, -1, 1]]],
  ["pushed", ["xs", "a"], [[6, -1, 1], [0.3, 2]]],
  ["pushedWhile", ["xs", "a"], [[6, -1, 1], [0.3, 2]]],
  ["normed", ["xs", "a"], [[5, -1, 1], [0.3, 2]]],
  ["sorted", ["xs", "a"], [[7, -1, 1], [0.3, 2]]],
  ["joined", ["xs", "a"], [[5, -1, 1], [0.3, 1.5]]],
  ["readInPlace", ["xs", "a"], [[5, -1, 1], [0.3, 1.5]]],
  ["untypedArrays", ["xs", "a"], [[5, -1, 1], [0.3, 1.5]]],
  ["destructuredLength", ["xs", "a"], [[5, -1, 1], [0.3, 1.5]]],
  ["eitherArray", ["xs", "a"], [[5, -1, 1], [0.3, 1.5]]],
  ["readInPlaceLoop", ["xs", "a"], [[5, -1, 1], [0.3, 1.5]]],
  ["converted", ["xs", "a"], [[6, -1, 1], [-0.5, 0.5]]],
  ["matrices", ["xs", "a"], [[4, -1, 1], [0.2, 1.5]]],
  ["matrixArgs", ["xs", "a"], [[4, -1, 1], [0.2, 1.5]]],
  ["rewindowed", ["xs", "a"], [[5, -1, 1], [0.2, 1.5]]],
  ["bounded", ["xs", "a"], [[6, -1, 1], [0.2, 1.5]]],
  ["defaults", ["xs", "a", "rate", "offset", "scale"], [[5, -1, 1], [0.2, 1.5], [0.2, 1.5], [-1, 1], [0.3, 2]]],
  ["arrowed", ["x", "a"], [[-2, 2], [0.3, 2]]],
  ["expressed", ["xs", "a"], [[5, -1, 1], [0.3, 2]]],
  ["logicalAssigned", ["xs", "a"], [[5, -1, 1], [0.3, 2]]],
  ["destructuredDefaults", ["xs", "a"], [[5, -1, 1], [0.3, 2]]],
];

let m: { src: Mod; grad: Mod };
beforeAll(async () => {
  const text = fs.readFileSync(path.join(ROOT, "fixtures/programs/language.ts"), "utf8").replaceAll("/** @differentiable */", "/** @differentiable @modes grad jvp hvp */");
  m = await load(text, "language");
}, 60_000);

describe("natural statements, in every mode", () => {
  for (const [name, params, spec, wrt] of CASES) {
    it(`${name}: Grad, Jvp and Hvp match finite differences`, () => {
      for (const [k, args] of randomPoints(name.length * 104729, 4, spec).entries()) {
        // integer selectors (switch discriminants, flags) take each value in turn
        const point = args.map((a, i) => (spec[i]![0] === 0 && spec[i]![1] <= 1 && params[i] !== "x" ? (name === "truthy" ? k % 2 : k % 4) : a));
        expectAllModes(m.src, m.grad, name, point, params, wrt ?? params, k + 1);
      }
    });
  }

  it("defaults: parameters left out take their defaults (or are undefined), in every mode against finite differences", () => {
    // which of rate, offset, scale each case passes; the others are left out (undefined)
    const passes: [boolean, boolean, boolean][] = [[false, false, false], [true, false, false], [false, false, true], [true, true, false], [false, true, true]];
    for (const [k, pass] of passes.entries()) {
      const names = ["xs", "a", ...["rate", "offset", "scale"].filter((_, i) => pass[i])];
      const full = (args: unknown[]) => {
        const out: unknown[] = args.slice(0, 2);
        let j = 2;
        for (const given of pass) out.push(given ? args[j++] : undefined);
        return out;
      };
      const src: Mod = { defaults: (...args: unknown[]) => m.src.defaults(...full(args)) };
      const grad: Mod = {
        defaultsGrad: (...args: unknown[]) => m.grad.defaultsGrad(...full(args)),
        defaultsJvp: (...args: unknown[]) => m.grad.defaultsJvp(...full(args.slice(0, -1)), args.at(-1)),
        defaultsHvp: (...args: unknown[]) => m.grad.defaultsHvp(...full(args.slice(0, -1)), args.at(-1)),
      };
      const spec: [number, number][] = [[0.2, 1.5], [-1, 1], [0.3, 2]];
      for (const [p, point] of randomPoints(7919 * (k + 1), 3, [[5, -1, 1], [0.2, 1.5], ...spec.filter((_, i) => pass[i])]).entries()) {
        expectAllModes(src, grad, "defaults", point, names, names, p + 1);
        const g = m.grad.defaultsGrad(...full(point));
        expect(Object.keys(g.grad), `case ${k}`).toEqual(names);
        expect(g.value).toBe(m.src.defaults(...full(point)));
      }
    }
  });

  it("destructuredDefaults: arrays shorter than the pattern take the defaults, in every mode against finite differences", () => {
    for (const n of [0, 1, 2, 3]) {
      for (const [k, [xs, a]] of randomPoints(31 * (n + 1), 3, [[n, -1, 1], [0.3, 2]]).entries()) {
        expectAllModes(m.src, m.grad, "destructuredDefaults", [xs, a], ["xs", "a"], ["xs", "a"], k + 1);
        expect(m.grad.destructuredDefaultsGrad(xs, a).value).toBe(m.src.destructuredDefaults(xs, a));
      }
    }
    // with no elements, first = a and second = 2a: s = (2a² + sin a)·a + 2a
    const a = 0.7;
    expect(m.grad.destructuredDefaultsGrad(new Float64Array(0), a).grad.a).toBeCloseTo(6 * a * a + Math.sin(a) + a * Math.cos(a) + 2, 12);
  });

  it("a switch takes each clause, falling through where the source does", () => {
    for (const from of [0, 1, 2, 3]) expect(m.grad.fallThroughGrad(0.7, from).value).toBe(m.src.fallThrough(0.7, from));
    expect(m.grad.piecewiseGrad(0.7, 2).grad.x).toBeCloseTo(2 * Math.cos(0.7) + 1, 12);
  });

  it("a jump from inside a nested statement skips the rest of its clause and the clauses after it", () => {
    // points taking every exit of nestedJumps: the value is the source's, bit for bit
    const rng = (k: number) => Math.sin(k * 12.9898) * 0.5 + Math.sin(k * 4.1414) * 0.6;
    for (let k = 0; k < 400; k++) {
      const n = 3 + (k % 9);
      const x = Float64Array.from({ length: n }, (_, i) => rng(k * 31 + i));
      const t = 0.2 + (k % 17) * 0.15;
      const want = m.src.nestedJumps(x, t);
      expect(m.grad.nestedJumpsGrad(x, t).value).toBe(want);
      expect(m.grad.nestedJumpsJvp(x, t, { x: new Float64Array(n), t: 1 }).value).toBe(want);
    }
  });

  it("a guard throws the source's error, in every generated function", () => {
    for (const f of ["guardedGrad", "guardedJvp", "guardedHvp"]) {
      expect(() => m.grad[f](1, -1, ...(f === "guardedGrad" ? [] : [{}]))).toThrow(new RangeError("y must be positive, got -1"));
    }
  });

  it("a console call runs once per call, with the forward values", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    m.grad.guardedGrad(2e6, 1);
    m.grad.guardedGrad(1, 1);
    expect(warn.mock.calls).toEqual([["large x", 2e6]]);
    warn.mockRestore();
  });

  it("spread Math.max and Math.min (empty arrays too), bitwise operators, destructuring assignments and Array.from keep their JavaScript meaning", () => {
    for (const x of [new Float64Array([0.3, -0.2, 0.9, 0.4]), new Float64Array(0), new Float64Array([NaN, 1])]) {
      expect(m.grad.extremesGrad(x, 0.7).value).toBe(m.src.extremes(x, 0.7));
    }
    const bits = new Float64Array([0.3, -0.2, 0.9, 0.4, 0.1]);
    expect(m.grad.swapsGrad(bits, 0.35, -0.6).value).toBe(m.src.swaps(bits, 0.35, -0.6));
    expect(m.grad.builtGrad(bits, 0.35).value).toBe(m.src.built(bits, 0.35));
    expect(m.grad.bitsGrad(bits, 0.35).value).toBe(m.src.bits(bits, 0.35));
  });

  it("searches stop where JavaScript's do, and find the same elements (NaN too); filter keeps the same ones, sorts put them in the same order", () => {
    const points = [
      [0.3, -0.2, 0.9, 0.4, -0.7, 0.1], [0.3, -0.2, 0.9, 0.3, -0.7, 0.3], [NaN, 0.2, -0.4, NaN, 0.5, -0.9],
      [-0.1, -0.2, -0.3, -0.4, -0.5, -0.6], [1.5, 1.2, 0.9, 0.95, 2, 3],
    ];
    for (const x of points) {
      for (const a of [0.3, 0.8, 1.7]) {
        const xs = Float64Array.from(x);
        expect(m.grad.searchedGrad(xs, a).value).toBe(m.src.searched(xs, a));
        expect(m.grad.searchedJvp(xs, a, { xs: new Float64Array(6), a: 1 }).value).toBe(m.src.searched(xs, a));
        const w = Float64Array.from(x, (v) => Math.abs(v) + 0.1);
        w[4] = w[2]!;
        expect(m.grad.predicatesGrad(x, w, a).value).toBe(m.src.predicates(x, w, a));
        expect(m.grad.filteredGrad(xs, a).value).toBe(m.src.filtered(xs, a));
        expect(m.grad.hoistedGrad(xs, a).value).toBe(m.src.hoisted(xs, a));
        expect(m.grad.walksGrad(xs, x).value).toBe(m.src.walks(xs, x));
        for (const t of [0.2, 1.1, 2.9, NaN]) expect(m.grad.endsGrad(xs, t).value).toBe(m.src.ends(xs, t));
        expect(m.grad.tabledGrad(a, xs).value).toBe(m.src.tabled(a, xs));
        expect(m.grad.pushedGrad(xs, a).value).toBe(m.src.pushed(xs, a));
        expect(m.grad.pushedWhileGrad(xs, a).value).toBe(m.src.pushedWhile(xs, a));
        expect(m.grad.normedGrad(xs, a).value).toBe(m.src.normed(xs, a));
        expect(m.grad.sortedGrad(xs, a).value).toBe(m.src.sorted(xs, a));
        expect(m.grad.joinedGrad(xs, a).value).toBe(m.src.joined(xs, a));
        expect(m.grad.convertedGrad(xs, a).value).toBe(m.src.converted(xs, a));
        expect(m.grad.matricesGrad(xs, a).value).toBe(m.src.matrices(xs, a));
        expect(m.grad.boundedGrad(xs, a).value).toBe(m.src.bounded(xs, a));
        for (const k of [2, 3, 4]) expect(m.grad.boundedGrad(xs.subarray(0, k), a).value).toBe(m.src.bounded(xs.subarray(0, k), a));
      }
    }
  });

  it("the norm Math.hypot(...xs) has derivative 0 at the origin, in every mode", () => {
    const zero = new Float64Array(5);
    expect(Array.from(m.grad.normedGrad(zero, 0.5).grad.xs)).toEqual([0, 0, 0, 0, 0]);
    expect(m.grad.normedJvp(zero, 0.5, { xs: Float64Array.of(1, 2, 3, 4, 5), a: 0 }).tangent).toBe(0);
    expect(Array.from(m.grad.normedHvp(zero, 0.5, { xs: Float64Array.of(1, 2, 3, 4, 5), a: 0 }).hvp.xs).every(Number.isFinite)).toBe(true);
  });

  it("the tests of a number keep their JavaScript meaning (NaN, infinities, integers)", () => {
    for (const k of [0, 1, 2, 2.5, NaN, Infinity, 1e10]) expect(m.grad.testedGrad(0.7, k).value).toBe(m.src.tested(0.7, k));
    expect(() => m.grad.testedGrad(Infinity, 1)).toThrow(new RangeError("x must be finite, got Infinity"));
  });

  it("reduceRight with no initial value throws the TypeError of an empty array, and folds from the last element", async () => {
    const f = await load("/** @differentiable */\nexport function f(xs: Float64Array): number {\n  return xs.reduceRight((acc, v, i) => acc * 2 + v * i);\n}\n", "fold-right");
    expect(() => f.src.f(new Float64Array(0))).toThrow(TypeError);
    expect(() => f.grad.fGrad(new Float64Array(0))).toThrow(new TypeError("Reduce of empty array with no initial value"));
    const xs = Float64Array.of(0.5, -1, 2);
    // ((2 · 2 + (−1) · 1) · 2 + 0.5 · 0): the last element starts the fold
    expect(f.grad.fGrad(xs).value).toBe(6);
    expect(Array.from(f.grad.fGrad(xs).grad.xs)).toEqual([0, 2, 4]);
  });

  it("increments and assignments as values keep their JavaScript meaning", () => {
    const x = new Float64Array([0.3, -0.2, 0.9, 0.4]);
    expect(m.grad.incrementsGrad(x, 1.5).value).toBe(m.src.increments(x, 1.5));
  });
});

describe("parameters that may be left out: located errors", () => {
  const cases: [string, string, string, RegExp][] = [
    ["an optional object", "x: number, w?: { a: number }", "return x;", /Parameter 'w' of 'f' is an object that may be left out: give it the default \{\} with every field optional/],
    ["an optional integer array", "x: number, w?: Int32Array", "return x;", /Parameter 'w' of 'f' is optional and has type 'Int32Array.*': optional parameters are numbers, booleans, Float64Arrays and number\[\]/],
    ["an array default", "x: number, w = new Float64Array(2)", "return x;", /Parameter 'w' of 'f' is given a default and has type 'Float64Array.*': default values are numbers and booleans. Make it optional \(w\?: …\) and test it/],
    ["a read of an optional array that may be undefined", "x: number, w?: Float64Array", "return x * w[0];", /'w' is an optional parameter and may be undefined here: test it first \(if \(w\) …/],
    ["a read that may be undefined", "x: number, k?: number", "return x * k;", /'k' is an optional parameter and may be undefined here: give a fallback \(k \?\? 1\) or a default \(k = 1\)/],
    ["a write", "x: number, k?: number", "k = 2; return x * k;", /'k' is an optional parameter, which differentiable code reads but does not write/],
    ["a default that is neither a number nor a boolean", "x: number, k = \"fast\"", "return x;", /Parameter 'k' of 'f' is given a default and has type 'string': default values are numbers and booleans/],
  ];
  for (const [what, params, body, want] of cases) {
    it(`rejects ${what}`, () => {
      const r = compileSource(`/** @differentiable */\nexport function f(${params}): number {\n  ${body}\n}\n`, "param-error.ts");
      expect(r.diagnostics.map((d) => d.message).join("\n")).toMatch(want);
      expect(r.diagnostics.every((d) => d.line > 0)).toBe(true);
    });
  }
});

describe("differentiable arrow functions, and what a function may build: located errors", () => {
  const cases: [string, string, RegExp][] = [
    ["one bound to a let", "/** @differentiable */\nexport let f = (x: number): number => x * x;\n", /@differentiable on this declaration is not supported: .*bind one arrow function or function expression to a module-level const/],
    ["one declared inside a function", "export function outer(): number {\n  /** @differentiable */\n  const f = (x: number): number => x * x;\n  return f(1);\n}\n", /@differentiable on this declaration is not supported/],
    ["two declarators", "/** @differentiable */\nexport const f = (x: number): number => x * x, g = (x: number): number => x;\n", /@differentiable on this declaration is not supported/],
    ["a generic one", "/** @differentiable */\nexport const f = <T>(x: number): number => x * x;\n", /@differentiable on this declaration is not supported/],
    ["an async one", "/** @differentiable */\nexport const f = async (x: number): Promise<number> => x * x;\n", /'f' is async: a differentiable function computes its value synchronously\. Remove 'async'/],
    ["a Map built in the function, naming what it may build", "/** @differentiable */\nexport function f(x: number): number {\n  const m = new Map<number, number>();\n  return x;\n}\n", /'new Map\(…\)' is not supported in a differentiable function, which creates only arrays of numbers \(new Float64Array\(n\), new Array\(n\)\.fill\(0\), new Int32Array\(n\)\)/],
    ["@out with an expression body", "/** @differentiable @out y */\nexport const f = (x: Float64Array, y: Float64Array): void => void (y[0] = x[0]! * 2);\n", /'f' writes its results into @out parameters with an expression body: give it a block body/],
  ];
  for (const [what, text, want] of cases) {
    it(`rejects ${what}`, () => {
      const r = compileSource(text, "arrow-error.ts");
      expect(r.diagnostics.map((d) => d.message).join("\n")).toMatch(want);
      expect(r.diagnostics.every((d) => d.line > 0)).toBe(true);
    });
  }
});

describe("logical assignments and other arrays: located errors", () => {
  const cases: [string, string, string, RegExp][] = [
    ["??=, which changes nothing", "x: number", "let y = x;\n  y ??= 2;\n  return y;", /The assignment operator '\?\?=' is not supported: values in differentiable code are never null or undefined, so it changes nothing\. Remove it/],
    ["||= of an element", "x: number, w: Float64Array", "w[0] ||= x;\n  return w[0]!;", /'\|\|=' assigns variables and fields here: write the element's assignment out \(w\[0\] = w\[0\] \|\| …\)/],
    ["a Float32Array", "x: number, w: Float32Array", "return x * w[0]!;", /Parameter 'w' of 'f' has type 'Float32Array.*': Float32Array is not supported \(its elements round to single precision, and derivatives are computed in double\): pass a Float64Array \(Float64Array\.from\(xs\)\) or a number\[\]/],
    ["a function called where it is written", "x: number", "return ((v: number) => v * v)(x);", /A function called where it is written is not supported: bind it to a const \(const f = \(v: number\) => …\) and call f\(…\), which is inlined/],
    ["?? on a destructured element", "xs: Float64Array", "const [a] = xs;\n  return a ?? 0;", /The operator '\?\?' is not supported in a differentiable function: .*a default where it is destructured, const \[a = 0\] = xs/],
    ["an ArrayLike", "x: number, w: ArrayLike<number>", "return x * w[0]!;", /Parameter 'w' of 'f' has type 'ArrayLike<number>': ArrayLike<number> is not supported: take a Float64Array or a number\[\]/],
  ];
  for (const [what, params, body, want] of cases) {
    it(`rejects ${what}`, () => {
      const r = compileSource(`/** @differentiable */\nexport function f(${params}): number {\n  ${body}\n}\n`, "assign-error.ts");
      expect(r.diagnostics.map((d) => d.message).join("\n")).toMatch(want);
      expect(r.diagnostics.every((d) => d.line > 0)).toBe(true);
    });
  }
});

