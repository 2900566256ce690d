/**
 * The IR interpreter (compiler/ir/interpret.ts) against the generated code: for every function of
 * the fixtures, at seeded random points, the interpreter's value equals the function's, its
 * adjoints equal the generated Grad (or Vjp) and its tangent the generated Jvp, to 1e-12.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, it, expect, beforeAll } from "vitest";
import { createProgram } from "../../compiler/index.ts";
import { lowerFunction } from "../../compiler/graph/source.ts";
import { interpret, type Value, type Numeric } from "../../compiler/ir/interpret.ts";
import type { IRFunction } from "../../compiler/ir/types.ts";
import { mulberry32 } from "../../runtime/gradcheck.ts";
import { CASES, draw } from "./fixture.cases.ts";
import { ROOT, type Mod } from "../helpers.ts";

function direction(rng: () => number, v: Value): Numeric {
  return v instanceof Float64Array ? Float64Array.from(v, () => 2 * rng() - 1) : 2 * rng() - 1;
}

/** |a − b| ≤ 1e-12 · max(1, |b|), elementwise. */
function expectClose(got: Numeric | undefined, want: Numeric, what: string): void {
  expect(got, what).toBeDefined();
  const g = typeof got === "number" ? [got] : Array.from(got!);
  const w = typeof want === "number" ? [want] : Array.from(want);
  expect(g.length, what).toBe(w.length);
  for (let i = 0; i < w.length; i++) {
    if (Object.is(g[i], w[i])) continue;
    expect(Math.abs(g[i] - w[i]), `${what}[${i}]: ${g[i]} vs ${w[i]}`).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(w[i])));
  }
}

const POINTS = 3;

for (const [rel, cases] of Object.entries(CASES)) {
  describe(`interpreter on ${rel}`, () => {
    const file = path.join(ROOT, rel);
    const irs = new Map<string, IRFunction>();
    let src: Mod, rev: Mod, fwd: Mod;
    beforeAll(async () => {
      const program = createProgram([file]);
      const sf = program.getSourceFile(file)!;
      for (const name of Object.keys(cases)) {
        const l = lowerFunction(program, sf, name);
        if (!l.ok) throw new Error(`${name}: ${JSON.stringify(l)}`);
        irs.set(name, l.ir);
      }
      src = await import(file);
      rev = await import(file.replace(/\.ts$/, ".grad.ts"));
      fwd = await import(file.replace(/\.ts$/, ".forward.grad.ts"));
    }, 60_000);

    it("covers every annotated function of the file", () => {
      const text = fs.readFileSync(file, "utf8");
      const annotated = [...text.matchAll(/@differentiable[\s\S]*?\*\/\s*export function (\w+)/g)].map((m) => m[1]);
      expect(Object.keys(cases).sort()).toEqual([...new Set(annotated)].sort());
    });

    for (const [name, spec] of Object.entries(cases)) {
      it(`${name}: value, adjoints and tangent agree with the generated code`, () => {
        const ir = irs.get(name)!;
        const rng = mulberry32(name.length * 131 + name.charCodeAt(0));
        for (let k = 0; k < POINTS; k++) {
          const args = spec.map((d) => draw(rng, d));
          const inputs = Object.fromEntries(ir.params.map((p, i) => [p.name, args[i]]));
          const tangents = Object.fromEntries(ir.wrt.map((w) => [w, direction(rng, inputs[w])]));
          const clone = () => args.map((a) => (a instanceof Float64Array ? new Float64Array(a) : a));
          if (ir.outputs.length === 0) {
            const run = interpret(ir, inputs, { tangents });
            expect(run.value).toBe(src[name](...clone()));
            const g = rev[`${name}Grad`](...clone());
            expect(run.value).toBe(g.value);
            for (const w of ir.wrt) expectClose(run.grad[w], g.grad[w], `${name} grad.${w}`);
            const j = fwd[`${name}Jvp`](...clone(), tangents);
            expectClose(run.tangent, j.tangent, `${name} tangent`);
          } else {
            const cotangents = Object.fromEntries(ir.outputs.map((o) => [o, direction(rng, inputs[o]) as Float64Array]));
            const run = interpret(ir, inputs, { tangents, cotangents });
            const a = clone();
            src[name](...a);
            for (const o of ir.outputs) expect(Array.from(run.outputs[o])).toEqual(Array.from(a[ir.params.findIndex((p) => p.name === o)] as Float64Array));
            const v = rev[`${name}Vjp`](...clone(), cotangents);
            for (const w of ir.wrt) expectClose(run.grad[w], v.grad[w], `${name} vjp.${w}`);
            const j = fwd[`${name}Jvp`](...clone(), tangents);
            for (const o of ir.outputs) expectClose(run.outputTangents[o], j.tangent[o], `${name} tangent.${o}`);
          }
        }
      });
    }
  });
}

describe("interpreter: the trace", () => {
  it("records one execution per step for straight-line code, with partials and adjoints", async () => {
    const file = path.join(ROOT, "fixtures/seeds/table.ts");
    const program = createProgram([file]);
    const l = lowerFunction(program, program.getSourceFile(file)!, "f");
    if (!l.ok) throw new Error("no IR");
    const run = interpret(l.ir, { x1: 1.5, x2: 0.5 }, { tangents: { x1: 1 } });
    expect(run.trace).toHaveLength(6);
    const v1 = run.trace[0];
    expect(v1.value).toBe(3);
    expect(v1.partials).toEqual([2, -6]); // ∂(x1/x2)/∂x1 = 1/x2, ∂/∂x2 = −x1/x2²
    expect(run.trace[5].adjoint).toBe(1);
    expect(run.grad.x1).toBeCloseTo(3.0118433, 6);
  });

  it("counts loop trips and branch decisions", async () => {
    const file = path.join(ROOT, "fixtures/programs/models.ts");
    const program = createProgram([file]);
    const l = lowerFunction(program, program.getSourceFile(file)!, "newtonSqrt");
    if (!l.ok) throw new Error("no IR");
    const run = interpret(l.ir, { a: 2, x0: 1 });
    expect(run.value).toBeCloseTo(Math.SQRT2, 12);
    const trips = [...run.trips.values()].flat();
    expect(trips).toHaveLength(1);
    expect(trips[0]).toBeGreaterThan(2);
    expect(trips[0]).toBeLessThan(10);
  });

  it("says which parameter is missing or mistyped", async () => {
    const file = path.join(ROOT, "fixtures/seeds/table.ts");
    const program = createProgram([file]);
    const l = lowerFunction(program, program.getSourceFile(file)!, "f");
    if (!l.ok) throw new Error("no IR");
    expect(() => interpret(l.ir, { x1: 1 })).toThrow(/no value for parameter 'x2'/);
    expect(() => interpret(l.ir, { x1: 1, x2: new Float64Array(2) })).toThrow(/'x2' of f is a number/);
    expect(() => interpret(l.ir, { x1: 1, x2: 2, x3: 1 })).toThrow(/no parameter 'x3'/);
  });
});
