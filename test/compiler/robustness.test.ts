/**
 * Bad input gets one located, readable message and no output; odd but valid input compiles to
 * correct code. Each case is a regression test of a failure a robustness harness found.
 */
import { describe, it, expect } from "vitest";
import { compileSource } from "../../compiler/index.ts";
import { load, expectGradient, expectAllModes, RUNTIME } from "../helpers.ts";
import { directionalDerivative, relativeError } from "../../runtime/gradcheck.ts";

const compile = (text: string) => compileSource(text, "/virtual/robust.ts", { runtime: RUNTIME });

describe("syntax errors are TypeScript's own, at their place, before anything else", () => {
  const cases: [string, string, number, number][] = [
    ["an incomplete expression", `/** @differentiable */\nexport function f(x: number): number {\n  return x + ;\n}\n`, 3, 14],
    ["an unclosed brace", `/** @differentiable */\nexport function f(x: number): number {\n  if (x > 0) {\n    return x;\n}\n`, 6, 1],
    ["a stray @", `/** @differentiable */\nexport function f(x: number): number {\n  return x @ 2;\n}\n`, 3, 12],
  ];
  for (const [what, text, line, col] of cases) {
    it(what, async () => {
      const r = await compile(text);
      expect(r.output).toBeUndefined();
      expect(r.diagnostics.length).toBeGreaterThan(0);
      const d = r.diagnostics[0];
      expect(d.code).toMatch(/^TS1\d{3}$/);
      expect({ line: d.line, col: d.col }).toEqual({ line, col });
      expect(d.frame).toContain(`> ${line} |`);
    });
  }

  it("a with statement is named as such, not reported as a missing return (AD1009)", async () => {
    const r = await compile(`/** @differentiable */\nexport function f(x: number): number {\n  with (Math) { return sin(x); }\n}\n`);
    expect(r.diagnostics.map((d) => [d.code, d.line, d.col])).toEqual([["AD1001", 3, 3]]);
    expect(r.diagnostics[0].message).toMatch(/with statement/);
  });

  it("type errors inside a differentiable function are reported, with their TypeScript code", async () => {
    const r = await compile(`/** @differentiable */\nexport function f(x: number): number {\n  const y: number = x;\n  return y * undefinedThing;\n}\n`);
    expect(r.output).toBeUndefined();
    expect(r.diagnostics.map((d) => [d.code, d.line])).toEqual([["AD1001", 4]]);
  });
});

describe("constructs that crashed or produced broken code", () => {
  const SRC = `
/** @differentiable @modes grad jvp hvp */
export function selfAssign(a: number): number {
  let s = a * a;
  for (let i = 0; i < 3; i++) s = s;
  if (a > 0) s = s;
  return s;
}

/** @differentiable @modes grad jvp hvp */
export function unusedCopy(a: number): number {
  const y = new Float64Array(1);
  y[0] = a;
  for (let k = 0; k < 3; k++) {
    const p = y[0];
    const unused = p;
    y[0] = p * a;
  }
  return y[0];
}

function keep(p: number, a: number): number {
  const v = p;
  return p * a;
}

/** @differentiable */
export function unusedCopyInHelper(a: number): number {
  const y = new Float64Array(1);
  y[0] = a;
  for (let k = 0; k < 3; k++) y[0] = keep(y[0], a);
  return y[0];
}

/** @differentiable */
export function atan2AtOrigin(x: Float64Array): number {
  return Math.atan2(x[0], x[1]);
}

/** @differentiable @modes grad jvp hvp */
export function collisions(zeros: Float64Array, Tape: number, out: number): number {
  let Infinity = 2;
  let s = Tape * Infinity + out;
  for (let i = 0; i < zeros.length; i++) s += zeros[i] * zeros[i] * Tape;
  return s;
}

/** @differentiable @modes grad jvp */
export function booleans(x: number, y: number): number {
  const p = x > 0;
  const q = y > 0;
  return p === q ? x * y : x - y;
}
`;
  let m: Awaited<ReturnType<typeof load>>;
  it("compiles, and every generated module type-checks (see property.test.ts for the strict check)", async () => {
    m = await load(SRC, "robust");
    expect(m.output).toContain("selfAssignGrad");
  });
  it("a self-assignment s = s, in a loop and in a branch: d/da a² = 2a in every mode", () => {
    expectGradient(m.src.selfAssign, m.grad.selfAssignGrad, [1.5], ["a"]);
    expect(m.grad.selfAssignJvp(1.5, { a: 1 }).tangent).toBe(3);
    expect(m.grad.selfAssignHvp(1.5, { a: 1 }).hvp.a).toBe(2);
  });
  it("an unused copy inside a loop (and inside a helper called in a loop) no longer breaks the reverse loop", () => {
    expectGradient(m.src.unusedCopy, m.grad.unusedCopyGrad, [1.2], ["a"]);
    expectGradient(m.src.unusedCopyInHelper, m.grad.unusedCopyInHelperGrad, [1.2], ["a"]);
    expect(m.output).not.toMatch(/const \w+ = unused;/);
    const j = m.grad.unusedCopyJvp(1.2, { a: 1 }).tangent;
    expect(relativeError(j, directionalDerivative(m.src.unusedCopy, [1.2], [1]))).toBeLessThan(1e-8);
  });
  it("Math.atan2 at the origin: the gradient is 0, not NaN (as for hypot)", () => {
    expect(m.grad.atan2AtOriginGrad(new Float64Array([0, 0])).grad.x).toEqual(new Float64Array([0, 0]));
    expectGradient(m.src.atan2AtOrigin, m.grad.atan2AtOriginGrad, [new Float64Array([0.3, -0.8])], ["x"]);
  });
  it("parameters and locals named like what generated code uses (zeros, Tape, out, Infinity)", () => {
    const x = new Float64Array([0.3, -0.7, 1.1]);
    expectAllModes(m.src, m.grad, "collisions", [x, 1.3, 0.4], ["zeros", "Tape", "out"]);
    expect(m.grad.collisionsGrad(x, 1.3, 0.4).grad.Tape).toBeCloseTo(2 + (0.09 + 0.49 + 1.21), 12);
  });
  it("booleans compared with ===", () => {
    expectGradient(m.src.booleans, m.grad.booleansGrad, [0.7, 1.3], ["x", "y"]);
    expectGradient(m.src.booleans, m.grad.booleansGrad, [0.7, -1.3], ["x", "y"]);
  });
});
