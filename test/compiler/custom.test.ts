/**
 * Custom derivatives (`@pullback` / `@pushforward`) and stopGradient: every mode against central
 * differences with Richardson extrapolation at seeded random points (fixtures/programs/custom.ts,
 * a function from a library adjoint cannot differentiate, functions with only one of the two
 * rules), each rule against finite differences of its function with checkGradient, and every
 * wrong usage as one diagnostic at its place.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, it, expect, beforeAll } from "vitest";
import { load, compileText, expectAllModes, expectAllModesTree, randomPoints, clone, ROOT, type Mod } from "../helpers.ts";
import { checkGradient, directionalDerivative, numericGradient, maxRelativeError, relativeError, mulberry32, randomArray, type Args } from "../../runtime/gradcheck.ts";
import { pushforwardGradient, stopGradient } from "../../runtime/custom.ts";

const fixture = fs.readFileSync(path.join(ROOT, "fixtures/programs/custom.ts"), "utf8")
  .replaceAll("/** @differentiable */", "/** @differentiable @modes grad jvp hvp */");

describe("fixtures/programs/custom.ts in every mode", () => {
  let src: Mod, grad: Mod;
  beforeAll(async () => {
    ({ src, grad } = await load(fixture, "custom"));
  }, 60_000);

  it("mixtureLoss: logAddExp in a loop (its pullback and pushforward)", () => {
    for (const args of randomPoints(11, 4, [[6, -2, 2], [-1, 1], [-1, 1], [-1, 1]])) {
      expectAllModes(src, grad, "mixtureLoss", args, ["xs", "mu1", "mu2", "a"]);
    }
  });

  it("liftedDistance: Newton's square root, differentiated by the implicit function theorem", () => {
    for (const args of randomPoints(12, 4, [[-2, 2], [-2, 2]])) expectAllModes(src, grad, "liftedDistance", args, ["x", "y"]);
  });

  it("medianLoss: a median computed by sorting with a closure", () => {
    for (const args of randomPoints(13, 4, [[5, -2, 2], [-1, 1]])) expectAllModes(src, grad, "medianLoss", args, ["xs", "c"]);
  });
  it("Jacobian and Hessian, assembled from the Jvp, Grad and Hvp through the rules", async () => {
    const { src: s2, grad: g2 } = await load(fixture.replaceAll("@modes grad jvp hvp", "@modes jacobian hessian"), "dense");
    for (const [x, y] of randomPoints(14, 3, [[-2, 2], [-2, 2]]) as [number, number][]) {
      const j = g2.liftedDistanceJacobian(x, y);
      const numeric = numericGradient(s2.liftedDistance, [x, y]);
      expect(maxRelativeError(j.jacobian, Float64Array.from(numeric as number[]))).toBeLessThan(1e-6);
      const h = g2.liftedDistanceHessian(x, y).hessian;
      const gradAt = (k: number) => (a: number, b: number) => g2.liftedDistanceGrad(a, b).grad[k === 0 ? "x" : "y"];
      const want = [0, 1].flatMap((k) => Array.from(numericGradient(gradAt(k), [x, y]) as number[]));
      expect(maxRelativeError(h, Float64Array.from(want))).toBeLessThan(1e-6);
    }
  });
});

describe("each custom rule against finite differences of its function (checkGradient)", () => {
  let src: Mod;
  beforeAll(async () => {
    ({ src } = await load(fixture, "rules"));
  }, 60_000);

  const points = (seed: number, spec: ([number, number] | [number, number, number])[]) => randomPoints(seed, 5, spec);
  const rules: [string, string[], ([number, number] | [number, number, number])[]][] = [
    ["logAddExp", ["a", "b"], [[-30, 30], [-30, 30]]],
    ["newtonSqrt", ["a"], [[0.01, 50]]],
    ["median", ["xs"], [[7, -3, 3]]],
  ];

  it.each(rules)("%s: the pullback of the cotangent 1 is the gradient, the pushforward gives it column by column", (name, names, spec) => {
    for (const args of points(name.length, spec)) {
      const fromPullback = src[`${name}Pullback`](...clone(args), 1);
      const r1 = checkGradient(src[name], clone(args), fromPullback, { names });
      expect(r1.ok, r1.report).toBe(true);
      const fromPushforward = pushforwardGradient(src[`${name}Pushforward`], clone(args), names);
      const r2 = checkGradient(src[name], clone(args), fromPushforward, { names });
      expect(r2.ok, r2.report).toBe(true);
      // the pushforward's value is the function's, bit for bit (forward mode uses it)
      const zero = Object.fromEntries(names.map((n, i) => [n, typeof args[i] === "number" ? 0 : new Float64Array((args[i] as Float64Array).length)]));
      expect(src[`${name}Pushforward`](...clone(args), zero).value).toBe(src[name](...clone(args)));
    }
  });

  it("logAddExp stays finite where exp overflows, and so do its rules", () => {
    expect(src.logAddExp(1000, 999)).toBeCloseTo(1000 + Math.log1p(Math.exp(-1)), 12);
    const g = src.logAddExpPullback(1000, 999, 1);
    expect(g.a + g.b).toBeCloseTo(1, 12); // z ≈ 1000 is known to an ulp, 1e-13
    const r = checkGradient(src.logAddExp, [1000, 999], g, { names: ["a", "b"] });
    expect(r.ok, r.report).toBe(true);
  });
});

/** Line and column (1-based) of the `nth` occurrence of `snippet` in `text`. */
function at(text: string, snippet: string, nth = 0): { line: number; col: number } {
  let i = -1;
  for (let k = 0; k <= nth; k++) {
    i = text.indexOf(snippet, i + 1);
    if (i < 0) throw new Error(`'${snippet}' not in the source`);
  }
  const before = text.slice(0, i).split("\n");
  return { line: before.length, col: before[before.length - 1]!.length + 1 };
}

/** Compiles `source`; its only diagnostic, which must be `code` at `snippet`, mentioning each of `words`. */
async function expectDiagnostic(source: string, code: string, snippet: string, words: string[], extra: Record<string, string> = {}, file?: string, nth = 0): Promise<void> {
  const { result, dir } = await compileText(source, "input", extra);
  expect(result.output).toBeUndefined();
  expect(result.diagnostics.map((d) => `${d.code} ${d.message}`)).toHaveLength(1);
  const d = result.diagnostics[0]!;
  expect(d.code, d.message).toBe(code);
  const where = file ? extra[file]! : source;
  expect({ file: path.basename(d.file), line: d.line, col: d.col }).toEqual({ file: file ?? "input.ts", ...at(where, snippet, nth) });
  expect(path.dirname(d.file)).toBe(dir);
  for (const w of words) expect(d.message).toContain(w);
}

/** Newton's cube root with only a pullback (from the implicit function theorem: y³ = a, dy/da = 1/(3y²)). */
const CUBE = `
/** @pullback cubeRootPullback */
export function cubeRoot(a: number): number {
  let y = a > 1 ? a : 1;
  for (let k = 0; k < 80; k++) y = y - (y * y * y - a) / (3 * y * y);
  return y;
}

export function cubeRootPullback(a: number, g: number): { a: number } {
  const y = cubeRoot(a);
  return { a: g / (3 * y * y) };
}
`;

describe("a function with only @pullback", () => {
  it("works in Grad and in Hvp (its tangent from the pullback, second order from the pullback's body)", async () => {
    const { src, grad, output } = await load(`${CUBE}
/** @differentiable @modes grad hvp */
export function f(x: number, w: number): number {
  const r = cubeRoot(x * x + 2);
  return w * r * r + x * r;
}
`, "cube");
    expect(output).toMatch(/cubeRootPullback\(t\d+, 1\)/); // the tangent of the call: the gradient, from the pullback
    for (const args of randomPoints(21, 5, [[-2, 2], [-2, 2]])) expectAllModes(src, grad, "f", args, ["x", "w"]);
  });

  it("a Jvp through it names the missing pushforward, at the call", async () => {
    const source = `${CUBE}
/** @differentiable @modes jvp */
export function f(x: number): number {
  return cubeRoot(x * x + 2) * x;
}
`;
    await expectDiagnostic(source, "AD1011", "return cubeRoot(x * x + 2) * x;", ["Jvp", "'cubeRoot'", "needs its pushforward", "@pushforward cubeRootPushforward", "only @pullback cubeRootPullback"]);
  });

  it("a call whose arguments do not vary needs no rule at all", async () => {
    const { src, grad } = await load(`${CUBE}
/** @differentiable @modes grad jvp hvp @wrt x */
export function f(x: number, c: number): number {
  return cubeRoot(c) * x * x;
}
`, "cubeConst");
    for (const args of randomPoints(22, 3, [[-2, 2], [0.5, 4]])) expectAllModes(src, grad, "f", args, ["x", "c"], ["x"]);
  });
});

describe("a function with only @pushforward", () => {
  const source = `
/** @pushforward softplusPushforward */
export function softplus(x: number): number {
  return x > 30 ? x : Math.log1p(Math.exp(x));
}

export function softplusPushforward(x: number, t: { x: number }): { value: number; tangent: number } {
  return { value: softplus(x), tangent: t.x / (1 + Math.exp(-x)) };
}
`;
  it("works in Jvp", async () => {
    const { src, grad } = await load(`${source}
/** @differentiable @modes jvp */
export function f(x: number, y: number): number {
  return softplus(x * y) * y;
}
`, "softplus");
    for (const args of randomPoints(31, 5, [[-3, 3], [-3, 3]])) {
      const dir: Args = [Math.sin(args[0] as number), 0.5];
      const got = grad.fJvp(...args, { x: dir[0], y: dir[1] });
      expect(got.value).toBe(src.f(...args));
      expect(relativeError(got.tangent, directionalDerivative(src.f, args, dir))).toBeLessThan(1e-6);
    }
  });

  it("Grad through it names the missing pullback, at the call", async () => {
    await expectDiagnostic(`${source}
/** @differentiable */
export function f(x: number): number {
  const s = softplus(2 * x);
  return s * s;
}
`, "AD1011", "const s = softplus(2 * x);", ["Reverse mode", "'softplus'", "needs its pullback", "@pullback softplusPullback", "only @pushforward softplusPushforward"]);
  });
});

/** A small linear-algebra module built on a library (ml-matrix): nothing in it is differentiable code. */
const LINALG = `import { Matrix, determinant, inverse } from "ml-matrix";

/**
 * log |det A| of the n×n row-major matrix A (n² = A.length), by the library's LU decomposition.
 * @pullback logAbsDetPullback
 * @pushforward logAbsDetPushforward
 */
export function logAbsDet(A: Float64Array): number {
  const n = Math.round(Math.sqrt(A.length));
  return Math.log(Math.abs(determinant(Matrix.from1DArray(n, n, Array.from(A)))));
}

/** d log|det A| / dA = A⁻ᵀ. */
function inverseTranspose(A: Float64Array): number[] {
  const n = Math.round(Math.sqrt(A.length));
  return inverse(Matrix.from1DArray(n, n, Array.from(A))).transpose().to1DArray();
}

export function logAbsDetPullback(A: Float64Array, g: number): { A: Float64Array } {
  return { A: Float64Array.from(inverseTranspose(A), (v) => g * v) };
}

export function logAbsDetPushforward(A: Float64Array, t: { A: Float64Array }): { value: number; tangent: number } {
  const G = inverseTranspose(A);
  let tangent = 0;
  for (let i = 0; i < G.length; i++) tangent += G[i]! * t.A[i]!;
  return { value: logAbsDet(A), tangent };
}
`;

describe("a call into a library function adjoint cannot differentiate", () => {
  const model = `import { logAbsDet } from "./linalg.ts";
export { logAbsDet, logAbsDetPullback, logAbsDetPushforward } from "./linalg.ts";

/**
 * A log-determinant barrier on W + λI, plus a quadratic term: the matrix is built in
 * differentiable code, its log-determinant comes from the library.
 * @differentiable @modes grad jvp
 */
export function barrier(W: Float64Array, lambda: number): number {
  const n = 3;
  const M = new Float64Array(n * n);
  let q = 0;
  for (let i = 0; i < n * n; i++) {
    M[i] = W[i] + (i % (n + 1) === 0 ? lambda : 0);
    q += W[i] * W[i];
  }
  return 0.5 * q - logAbsDet(M);
}
`;
  let src: Mod, grad: Mod, output: string;
  beforeAll(async () => {
    ({ src, grad, output } = await load(model, "barrier", { "linalg.ts": LINALG }));
  }, 60_000);

  it("imports it from the module the source imports it from", () => {
    expect(output).toContain(`import { logAbsDet, logAbsDetPullback, logAbsDetPushforward } from "./linalg.ts";`);
  });

  it("is differentiated in Grad (array cotangents accumulated) and Jvp", () => {
    for (const args of randomPoints(41, 4, [[9, -1, 1], [2, 3]])) {
      const names = ["W", "lambda"];
      const g = grad.barrierGrad(...clone(args));
      expect(g.value).toBe(src.barrier(...clone(args)));
      const numeric = numericGradient(src.barrier, clone(args));
      expect(maxRelativeError(g.grad.W, numeric[0] as Float64Array)).toBeLessThan(1e-6);
      expect(relativeError(g.grad.lambda, numeric[1] as number)).toBeLessThan(1e-6);
      const dir: Args = [Float64Array.from({ length: 9 }, (_, i) => Math.cos(i + 1)), -0.7];
      const j = grad.barrierJvp(...clone(args), Object.fromEntries(names.map((n, i) => [n, dir[i]])));
      expect(j.value).toBe(g.value);
      expect(relativeError(j.tangent, directionalDerivative(src.barrier, clone(args), dir))).toBeLessThan(1e-6);
    }
  });

  it("Hvp through it names the pullback and what in it cannot be differentiated", async () => {
    const source = model.replace("@modes grad jvp", "@modes hvp");
    await expectDiagnostic(source, "AD1011", "return 0.5 * q - logAbsDet(M);", [
      "Hvp through 'logAbsDet'", "'logAbsDetPullback'", "cannot differentiate", "linalg.ts:", "leave hvp out",
    ], { "linalg.ts": LINALG });
  });

  it("its rules agree with finite differences of it (checkGradient)", () => {
    const lib = src; // the model re-exports the library module's functions
    const rng = mulberry32(42);
    for (let k = 0; k < 4; k++) {
      const A = randomArray(rng, 9, -1, 1);
      for (let i = 0; i < 3; i++) A[4 * i] += 2;
      const r = checkGradient(lib.logAbsDet, [A], lib.logAbsDetPullback(A, 1), { names: ["A"] });
      expect(r.ok, r.report).toBe(true);
      const r2 = checkGradient(lib.logAbsDet, [A], pushforwardGradient(lib.logAbsDetPushforward, [A], ["A"]), { names: ["A"] });
      expect(r2.ok, r2.report).toBe(true);
    }
  });
});

describe("wrong usage: one diagnostic, at its place, with the fix", () => {
  const body = (tags: string, rules: string, call = "return sq(x) * x;") => `
/**
 * The square, with its own derivatives.
 ${tags}
 */
export function sq(x: number): number {
  return x * x;
}
${rules}
/** @differentiable @modes grad jvp */
export function f(x: number): number {
  ${call}
}
`;
  const PULLBACK = `export function sqPullback(x: number, g: number): { x: number } {\n  return { x: 2 * x * g };\n}\n`;

  it("a tag without a name", async () => {
    const s = body("@pullback", PULLBACK);
    await expectDiagnostic(s, "AD1008", "@pullback", ["@pullback needs the name", "@pullback sqPullback"]);
  });

  it("a name that is neither declared nor imported", async () => {
    const s = body("@pullback sqGrad", PULLBACK);
    await expectDiagnostic(s, "AD1007", "@pullback sqGrad", ["'sqGrad'", "neither declared nor imported in input.ts", "export function sqGrad(x: number, dResult: number): { x: number }"]);
  });

  it("a name that is not a function", async () => {
    const s = body("@pullback sqRule", `export const sqRule = 2;\n`);
    await expectDiagnostic(s, "AD1008", "@pullback sqRule", ["'sqRule'", "not a function"]);
  });

  it("a rule that is not exported", async () => {
    const s = body("@pullback sqPullback", PULLBACK.replace("export ", ""));
    await expectDiagnostic(s, "AD1011", "sqPullback(x: number, g", ["'sqPullback'", "not exported", "export function sqPullback"]);
  });

  it("a function with its own derivatives that is not exported", async () => {
    const s = body("@pullback sqPullback", PULLBACK).replace("export function sq(", "function sq(");
    await expectDiagnostic(s, "AD1011", "sq(x) * x", ["'sq'", "must import it", "export it"]);
  });

  it("two pullbacks", async () => {
    const s = body("@pullback sqPullback\n * @pullback sqPullback", PULLBACK);
    await expectDiagnostic(s, "AD1008", "@pullback sqPullback", ["more than one @pullback", "keep one"], {}, undefined, 1);
  });

  it("a pullback with the wrong number of parameters", async () => {
    const s = body("@pullback sqPullback", `export function sqPullback(x: number): { x: number } {\n  return { x: 2 * x };\n}\n`);
    await expectDiagnostic(s, "AD1011", "sqPullback(x: number)", ["'sqPullback' takes 1 parameter(s)", "takes 2", "export function sqPullback(x: number, dResult: number): { x: number }"]);
  });

  it("a pullback parameter of the wrong type", async () => {
    const s = body("@pullback sqPullback", `export function sqPullback(x: Float64Array, g: number): { x: number } {\n  return { x: 2 * g };\n}\n`);
    await expectDiagnostic(s, "AD1011", "Float64Array, g", ["Parameter 1 of 'sqPullback'", "'Float64Array", "passes its parameter 'x' there, a number"]);
  });

  it("a pullback whose cotangent is not a number", async () => {
    const s = body("@pullback sqPullback", `export function sqPullback(x: number, g: boolean): { x: number } {\n  return { x: g ? 2 * x : 0 };\n}\n`);
    await expectDiagnostic(s, "AD1011", "boolean)", ["last parameter of 'sqPullback'", "cotangent", "'boolean'"]);
  });

  it("a pullback result without a field for a parameter", async () => {
    const s = body("@pullback sqPullback", `export function sqPullback(x: number, g: number): { dx: number } {\n  return { dx: 2 * x * g };\n}\n`);
    await expectDiagnostic(s, "AD1011", "{ dx: number }", ["'sqPullback' returns", "no field 'x'"]);
  });

  it("a pullback result with a field that is no parameter", async () => {
    const s = body("@pullback sqPullback", `export function sqPullback(x: number, g: number): { x: number; y: number } {\n  return { x: 2 * x * g, y: 0 };\n}\n`);
    await expectDiagnostic(s, "AD1011", "{ x: number; y: number }", ["field 'y' is not a parameter", "remove it"]);
  });

  it("a pullback result with an optional field", async () => {
    const s = body("@pullback sqPullback", `export function sqPullback(x: number, g: number): { x?: number } {\n  return { x: 2 * x * g };\n}\n`);
    await expectDiagnostic(s, "AD1011", "{ x?: number }", ["field 'x' is optional", "make it required"]);
  });

  it("a pullback returning a number", async () => {
    const s = body("@pullback sqPullback", `export function sqPullback(x: number, g: number): number {\n  return 2 * x * g;\n}\n`);
    await expectDiagnostic(s, "AD1011", "number {\n  return 2 * x * g", ["'sqPullback' returns type 'number'", "an object with one field per parameter"]);
  });

  it("an array cotangent of the wrong type", async () => {
    const s = `
/** @pullback sumSqPullback */
export function sumSq(xs: Float64Array): number {
  let s = 0;
  for (const x of xs) s += x * x;
  return s;
}

export function sumSqPullback(xs: Float64Array, g: number): { xs: number } {
  return { xs: g };
}

/** @differentiable */
export function f(xs: Float64Array): number {
  return sumSq(xs);
}
`;
    await expectDiagnostic(s, "AD1011", "{ xs: number }", ["field 'xs' is 'number'", "Float64Array or number[]"]);
  });

  it("a pushforward without a tangent for a parameter", async () => {
    const s = body("@pushforward sqPushforward", `export function sqPushforward(x: number, t: { y: number }): { value: number; tangent: number } {\n  return { value: x * x, tangent: 2 * x * t.y };\n}\n`, "return sq(x);");
    await expectDiagnostic(s, "AD1011", "{ y: number })", ["tangents parameter of 'sqPushforward'", "no field 'x'"]);
  });

  it("a pushforward with the wrong result", async () => {
    const s = body("@pushforward sqPushforward", `export function sqPushforward(x: number, t: { x: number }): { value: number; slope: number } {\n  return { value: x * x, slope: 2 * x * t.x };\n}\n`, "return sq(x);");
    await expectDiagnostic(s, "AD1011", "{ value: number; slope: number }", ["must return { value: number; tangent: number }"]);
  });

  it("a function with its own derivatives that does not return a number", async () => {
    const s = `
/** @pullback pairPullback */
export function pair(x: number): boolean {
  return x > 0;
}
export function pairPullback(x: number, g: number): { x: number } {
  return { x: 0 * x * g };
}
/** @differentiable */
export function f(x: number): number {
  return pair(x) ? x : -x;
}
`;
    await expectDiagnostic(s, "AD1004", "boolean {", ["'pair' returns 'boolean'", "must return a number"]);
  });

  it("a number[] parameter", async () => {
    const s = `
/** @pullback totalPullback */
export function total(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}
export function totalPullback(xs: number[], g: number): { xs: number[] } {
  return { xs: xs.map(() => g) };
}
/** @differentiable */
export function f(xs: number[]): number {
  return total(xs);
}
`;
    await expectDiagnostic(s, "AD1003", "number[]): number {\n  return xs.reduce", ["Parameter 'xs' of 'total'", "number and Float64Array parameters"]);
  });

  it("a call with the wrong number of arguments, and one whose result is unused", async () => {
    const rules = PULLBACK;
    await expectDiagnostic(body("@pullback sqPullback", rules, "// @ts-expect-error: one argument too many\n  return sq(x, x);"), "AD1001", "sq(x, x)", ["'sq' takes 1 argument(s), but is called with 2"]);
    await expectDiagnostic(body("@pullback sqPullback", rules, "sq(x);\n  return x;"), "AD1001", "sq(x);", ["The result of 'sq(...)' is unused"]);
  });

  it("a rule in another module, wrong there: located in that module", async () => {
    const lib = `/** @pullback cubePullback */
export function cube(x: number): number {
  return x * x * x;
}

export function cubePullback(x: number): { x: number } {
  return { x: 3 * x * x };
}
`;
    const s = `import { cube } from "./lib.ts";

/** @differentiable */
export function f(x: number): number {
  return cube(x) + x;
}
`;
    await expectDiagnostic(s, "AD1011", "cubePullback(x: number)", ["'cubePullback' takes 1 parameter(s)"], { "lib.ts": lib }, "lib.ts");
  });
});

describe("custom calls where the language puts them", () => {
  it("in an @out function (Vjp and Jvp), on windows of arrays, in a while loop, from a helper", async () => {
    const { src, grad } = await load(`
/**
 * Σ xs[i]³ / 3, with its own rules.
 * @pullback cubesPullback
 * @pushforward cubesPushforward
 */
export function cubes(xs: Float64Array, s: number): number {
  return xs.reduce((acc, x) => acc + (s * x * x * x) / 3, 0);
}

export function cubesPullback(xs: Float64Array, s: number, g: number): { xs: number[]; s: number } {
  return { xs: Array.from(xs, (x) => g * s * x * x), s: g * xs.reduce((acc, x) => acc + (x * x * x) / 3, 0) };
}

export function cubesPushforward(xs: Float64Array, s: number, t: { xs: Float64Array; s: number }): { value: number; tangent: number } {
  let tangent = 0;
  for (let i = 0; i < xs.length; i++) tangent += s * xs[i]! * xs[i]! * t.xs[i]! + (xs[i]! ** 3 / 3) * t.s;
  return { value: cubes(xs, s), tangent };
}

function window(xs: Float64Array, k: number, s: number): number {
  return cubes(xs.subarray(k, k + 2), s);
}

/** @differentiable @out y @modes vjp jvp */
export function sliding(xs: Float64Array, s: number, y: Float64Array): void {
  for (let k = 0; k < y.length; k++) y[k] = window(xs, k, s) * xs[k];
}

/** @differentiable @modes grad jvp */
export function untilSmall(xs: Float64Array, s: number): number {
  let v = 1;
  let n = 0;
  while (v > 0.01 && n < 6) {
    v = v * 0.5 + 0.1 * cubes(xs, s) * v;
    n++;
  }
  return v;
}
`, "places");
    for (const args of randomPoints(51, 4, [[5, -1, 1], [0.5, 1.5], [4, 0, 0]])) {
      const u = randomArray(mulberry32(7), 4, -1, 1);
      const weighted = (xs: Float64Array, s: number) => {
        const y = new Float64Array(4);
        src.sliding(xs, s, y);
        return y.reduce((acc: number, v: number, i: number) => acc + v * u[i]!, 0);
      };
      const v = grad.slidingVjp(...clone(args), { y: u });
      const numeric = numericGradient(weighted, clone(args).slice(0, 2));
      expect(maxRelativeError(v.grad.xs, numeric[0] as Float64Array)).toBeLessThan(1e-6);
      expect(relativeError(v.grad.s, numeric[1] as number)).toBeLessThan(1e-6);
      const dir: Args = [Float64Array.from({ length: 5 }, (_, i) => Math.sin(3 * i + 1)), 0.3];
      const j = grad.slidingJvp(...clone(args), { xs: dir[0], s: dir[1] });
      const y = new Float64Array(4);
      for (let i = 0; i < 4; i++) {
        const yi = (xs: Float64Array, s: number) => { src.sliding(xs, s, y); return y[i]!; };
        expect(relativeError(j.tangent.y[i], directionalDerivative(yi, clone(args).slice(0, 2), dir))).toBeLessThan(1e-6);
      }
    }
    for (const args of randomPoints(52, 4, [[3, -1, 1], [0.5, 1.5]])) {
      const g = grad.untilSmallGrad(...clone(args));
      expect(g.value).toBe(src.untilSmall(...clone(args)));
      const numeric = numericGradient(src.untilSmall, clone(args));
      expect(maxRelativeError(g.grad.xs, numeric[0] as Float64Array)).toBeLessThan(1e-6);
      expect(relativeError(g.grad.s, numeric[1] as number)).toBeLessThan(1e-6);
      const dir: Args = [Float64Array.from([0.3, -0.2, 0.5]), -0.4];
      expect(relativeError(grad.untilSmallJvp(...clone(args), { xs: dir[0], s: dir[1] }).tangent, directionalDerivative(src.untilSmall, clone(args), dir))).toBeLessThan(1e-6);
    }
  });

  it("on the fields of a record parameter, destructured or read, in Grad, Jvp and Hvp", async () => {
    const { src, grad } = await load(`
/**
 * @pullback lsePullback
 * @pushforward lsePushforward
 */
export function lse(a: number, b: number): number {
  const m = Math.max(a, b);
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
}
export function lsePullback(a: number, b: number, g: number): { a: number; b: number } {
  const z = lse(a, b);
  return { a: g * Math.exp(a - z), b: g * Math.exp(b - z) };
}
export function lsePushforward(a: number, b: number, t: { a: number; b: number }): { value: number; tangent: number } {
  const z = lse(a, b);
  return { value: z, tangent: Math.exp(a - z) * t.a + Math.exp(b - z) * t.b };
}
export interface Params { a: number; b: number; w: Float64Array }

/** @differentiable @modes grad jvp hvp */
export function f(p: Params, x: number): number {
  const { a } = p;
  return lse(a * x, p.b) + p.w[0] * lse(p.w[1], x);
}
`, "records");
    for (const [a, b, w, x] of randomPoints(63, 4, [[-2, 2], [-2, 2], [2, -2, 2], [-2, 2]]) as [number, number, Float64Array, number][]) {
      expectAllModesTree(src, grad, "f", [{ a, b, w }, x], ["p", "x"]);
    }
  });

  it("an Hvp through a pullback with loops, branches and reassigned parameters", async () => {
    const { src, grad, output } = await load(`
/**
 * Σ w·log(1 + eˣ) over the array, by a loop nobody differentiates.
 * @pullback softplusSumPullback
 * @pushforward softplusSumPushforward
 */
export function softplusSum(xs: Float64Array, w: number): number {
  let s = 0;
  xs.forEach((x) => { s += w * Math.log1p(Math.exp(x)); });
  return s;
}

export function softplusSumPullback(xs: Float64Array, w: number, g: number): { xs: Float64Array; w: number } {
  const d = new Float64Array(xs.length);
  let dw = 0;
  g = g * 1;
  for (let i = 0; i < xs.length; i++) {
    const p = xs[i] > 0 ? 1 / (1 + Math.exp(-xs[i])) : Math.exp(xs[i]) / (1 + Math.exp(xs[i]));
    d[i] = g * w * p;
    dw += g * Math.log1p(Math.exp(xs[i]));
  }
  w = 0;
  return { xs: d, w: dw + w };
}

export function softplusSumPushforward(xs: Float64Array, w: number, t: { xs: Float64Array; w: number }): { value: number; tangent: number } {
  const g = softplusSumPullback(xs, w, 1);
  let tangent = g.w * t.w;
  for (let i = 0; i < xs.length; i++) tangent += g.xs[i]! * t.xs[i]!;
  return { value: softplusSum(xs, w), tangent };
}

/** @differentiable @modes grad jvp hvp */
export function f(xs: Float64Array, w: number): number {
  const z = new Float64Array(xs.length);
  for (let i = 0; i < xs.length; i++) z[i] = xs[i] * w - 0.5;
  const s = softplusSum(z, w * w);
  return s * s + w;
}
`, "loops");
    expect(output).toContain("softplusSumPullback(z, t");
    for (const args of randomPoints(53, 4, [[4, -2, 2], [-1.5, 1.5]])) expectAllModes(src, grad, "f", args, ["xs", "w"]);
  });

  it("the generated module imports under another name what its own names would hide", async () => {
    const { src, grad, output } = await load(`
/** @pullback gPullback @pushforward gPushforward */
export function g(x: number): number {
  return Math.sin(x) * 2;
}
export function gPullback(x: number, d: number): { x: number } {
  return { x: 2 * Math.cos(x) * d };
}
export function gPushforward(x: number, t: { x: number }): { value: number; tangent: number } {
  return { value: g(x), tangent: 2 * Math.cos(x) * t.x };
}

/** @differentiable @modes grad jvp hvp @wrt gPullback */
export function f(gPullback: number, zeros: number): number {
  return g(gPullback * zeros) + gPullback;
}
`, "alias");
    expect(output).toMatch(/import \{ g, gPullback as gPullback_1, gPushforward \} from "\.\/alias\.js";/);
    for (const args of randomPoints(54, 3, [[-2, 2], [-2, 2]])) expectAllModes(src, grad, "f", args, ["gPullback", "zeros"], ["gPullback"]);
  });
});

describe("where the generated module imports the user's functions from", () => {
  const lib = `/** @pullback twicePullback */
export function twice(x: number): number {
  return 2 * x;
}
export function twicePullback(x: number, g: number): { x: number } {
  return { x: 2 * g + 0 * x };
}
`;
  const model = (spec: string) => `import { twice } from "${spec}";

/** @differentiable */
export function f(x: number): number {
  return twice(x) * x;
}
`;
  it("by the specifier the source uses for another module, rebased for --out-dir", async () => {
    const { compileFiles } = await import("../../compiler/index.ts");
    const { dir, file } = await compileText(model("./lib/twice.js"), "model");
    fs.mkdirSync(path.join(dir, "lib"));
    fs.writeFileSync(path.join(dir, "lib/twice.ts"), lib);
    const [beside] = compileFiles([file]);
    expect(beside.diagnostics).toEqual([]);
    expect(beside.output).toContain(`import { twice, twicePullback } from "./lib/twice.js";`);
    const [elsewhere] = compileFiles([file], { outDir: path.join(dir, "gen/deep") });
    expect(elsewhere.output).toContain(`import { twice, twicePullback } from "../../lib/twice.js";`);
  });

  it("the source module itself in the style of its own relative imports (.ts, .js, or .js when it has none)", async () => {
    const own = (imports: string) => `${imports}
/** @pullback hPullback */
export function h(x: number): number {
  return x * x;
}
export function hPullback(x: number, g: number): { x: number } {
  return { x: 2 * x * g };
}
/** @differentiable */
export function f(x: number): number {
  return h(x) + 1;
}
`;
    const helper = { "other.ts": "export const unused = 1;\n" };
    for (const [imports, spec] of [["", "./m.js"], [`import { unused } from "./other.ts";\nvoid unused;`, "./m.ts"], [`import { unused } from "./other.js";\nvoid unused;`, "./m.js"]] as const) {
      const { result } = await compileText(own(imports), "m", helper);
      expect(result.diagnostics).toEqual([]);
      expect(result.output).toContain(`import { h, hPullback } from "${spec}";`);
    }
  });
});

describe("stopGradient", () => {
  it("the runtime's: a number itself, an array copied (so that writing the copy never changes it)", () => {
    expect(stopGradient(2.5)).toBe(2.5);
    const xs = new Float64Array([1, 2, 3]);
    const ys = stopGradient(xs);
    expect(ys).toBeInstanceOf(Float64Array);
    expect(ys).not.toBe(xs);
    expect(Array.from(ys)).toEqual([1, 2, 3]);
    const list = [4, 5];
    const copy = stopGradient(list);
    expect(Array.isArray(copy) && copy !== list && copy[1] === 5).toBe(true);
  });

  it("has derivative zero in Grad, Jvp and Hvp: the function differentiated as if the stopped values were constants", async () => {
    // normalizedDrift stops a number (1 / |xs|) and an array (a copy of xs); driftWith takes both as constants
    const { src, grad } = await load(`${fixture}
/** @differentiable @modes grad jvp hvp @wrt xs w */
export function driftWith(xs: Float64Array, w: number, scale: number, ref: Float64Array): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += (w * xs[i] * scale - ref[i]) ** 2;
  return s;
}
`, "stopped");
    for (const [xs, w] of randomPoints(61, 4, [[5, -2, 2], [-2, 2]]) as [Float64Array, number][]) {
      const scale = 1 / Math.sqrt(xs.reduce((a, x) => a + x * x, 0));
      const ref = new Float64Array(xs);
      // driftWith itself, against finite differences in every mode, with the stopped values held fixed
      expectAllModes(src, grad, "driftWith", [xs, w, scale, ref], ["xs", "w", "scale", "ref"], ["xs", "w"]);
      const frozen = (a: Float64Array, b: number) => src.driftWith(a, b, scale, ref);
      const g = grad.normalizedDriftGrad(new Float64Array(xs), w);
      expect(g.value).toBe(src.normalizedDrift(new Float64Array(xs), w));
      const numeric = numericGradient(frozen, [new Float64Array(xs), w]);
      expect(maxRelativeError(g.grad.xs, numeric[0] as Float64Array)).toBeLessThan(1e-6);
      expect(relativeError(g.grad.w, numeric[1] as number)).toBeLessThan(1e-6);
      const dir = { xs: Float64Array.from(xs, (_, i) => Math.cos(i)), w: 0.4 };
      const j = grad.normalizedDriftJvp(new Float64Array(xs), w, dir);
      expect(relativeError(j.tangent, directionalDerivative(frozen, [new Float64Array(xs), w], [dir.xs, dir.w]))).toBeLessThan(1e-6);
      const h = grad.normalizedDriftHvp(new Float64Array(xs), w, dir);
      const hw = grad.driftWithHvp(new Float64Array(xs), w, scale, ref, dir);
      expect(maxRelativeError(h.hvp.xs, hw.hvp.xs)).toBeLessThan(1e-12);
      expect(relativeError(h.hvp.w, hw.hvp.w)).toBeLessThan(1e-12);
    }
  });

  it("a straight-through rounding: the value of Math.round, the derivative of the identity", async () => {
    const { src, grad, output } = await load(`import { stopGradient } from "adjoint-runtime";

/** @differentiable @modes grad jvp hvp */
export function quantize(x: number, s: number): number {
  const q = x + stopGradient(Math.round(x) - x);
  return s * q * q;
}
`, "quantize");
    expect(output).toContain("stopGradient(");
    for (const [x, s] of randomPoints(62, 5, [[-3, 3], [0.5, 2]]) as [number, number][]) {
      const q = Math.round(x);
      const g = grad.quantizeGrad(x, s);
      expect(g.value).toBe(src.quantize(x, s));
      expect(g.grad).toEqual({ x: 2 * s * q, s: q * q });
      expect(grad.quantizeJvp(x, s, { x: 1 }).tangent).toBe(2 * s * q);
      const h = grad.quantizeHvp(x, s, { x: 1, s: 0 }).hvp;
      expect(h).toEqual({ x: 2 * s, s: 2 * q });
    }
  });
});
