/**
 * Forward mode and second order, on every control-flow fixture: the JVP agrees with ⟨grad, v⟩
 * and with finite differences; the Hvp agrees with finite differences of the gradient; Hessians
 * are symmetric; Rosenbrock's Hessian equals its closed form.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, it, expect, beforeAll } from "vitest";
import { load, randomPoints, clone, ROOT, type Mod } from "../helpers.ts";
import { CONTROL_CASES } from "./control.cases.ts";
import { directionalDerivative, mulberry32, randomArray, relativeError, maxRelativeError, type Args } from "../../runtime/gradcheck.ts";

let m: { src: Mod; grad: Mod };
const ALL = "/** @differentiable @modes grad jvp hvp hessian */";

beforeAll(async () => {
  const text = fs.readFileSync(path.join(ROOT, "fixtures/programs/control.ts"), "utf8").replaceAll("/** @differentiable */", ALL);
  m = await load(text, "control-all-modes");
}, 60_000);

function direction(args: Args, names: string[], wrt: string[], seed: number): Record<string, number | Float64Array> {
  const rng = mulberry32(seed);
  const v: Record<string, number | Float64Array> = {};
  names.forEach((n, i) => {
    if (!wrt.includes(n)) return;
    const a = args[i];
    v[n] = typeof a === "number" ? rng() - 0.5 : randomArray(rng, a.length, -0.5, 0.5);
  });
  return v;
}

function inner(g: Record<string, number | Float64Array>, v: Record<string, number | Float64Array>): number {
  let s = 0;
  for (const k of Object.keys(v)) {
    const a = g[k], b = v[k];
    if (typeof a === "number") s += a * (b as number);
    else for (let i = 0; i < a.length; i++) s += a[i] * (b as Float64Array)[i];
  }
  return s;
}

function asArgs(names: string[], v: Record<string, number | Float64Array>, like: Args): Args {
  return names.map((n, i) => v[n] ?? (typeof like[i] === "number" ? 0 : new Float64Array((like[i] as Float64Array).length)));
}

describe("forward mode (Jvp)", () => {
  for (const [name, params, spec, wrt = params] of CONTROL_CASES) {
    it(`${name}: tangent = ⟨grad, v⟩ = finite differences`, () => {
      for (const [k, args] of randomPoints(name.length * 31, 4, spec).entries()) {
        const v = direction(args, params, wrt, k + 1);
        const j = m.grad[name + "Jvp"](...clone(args), v);
        const g = m.grad[name + "Grad"](...clone(args));
        expect(j.value).toBe(m.src[name](...clone(args)));
        expect(relativeError(j.tangent, inner(g.grad, v))).toBeLessThan(1e-10);
        const fd = directionalDerivative(m.src[name], clone(args), asArgs(params, v, args));
        expect(relativeError(j.tangent, fd)).toBeLessThan(1e-6);
      }
    });
  }
});

describe("Hessian-vector products (forward over reverse)", () => {
  for (const [name, params, spec, wrt = params] of CONTROL_CASES) {
    it(`${name}: hvp = d/dt grad(x + t v)`, () => {
      for (const [k, args] of randomPoints(name.length * 37, 3, spec).entries()) {
        const v = direction(args, params, wrt, k + 7);
        const h = m.grad[name + "Hvp"](...clone(args), v);
        const g = m.grad[name + "Grad"](...clone(args));
        expect(h.value).toBe(g.value);
        for (const p of wrt) expect(maxRelativeError(h.grad[p], g.grad[p])).toBe(0);
        const dir = asArgs(params, v, args);
        for (const p of wrt) {
          const gi = g.grad[p];
          const count = typeof gi === "number" ? 1 : gi.length;
          for (let c = 0; c < count; c++) {
            const comp = (...a: Args) => { const r = m.grad[name + "Grad"](...a).grad[p]; return typeof r === "number" ? r : r[c]; };
            const fd = directionalDerivative(comp, clone(args), dir);
            const got = typeof h.hvp[p] === "number" ? h.hvp[p] : h.hvp[p][c];
            expect(relativeError(got, fd), `${name} hvp.${p}[${c}] = ${got}, fd ${fd}`).toBeLessThan(1e-6);
          }
        }
      }
    });
  }
});

describe("Hessians", () => {
  it("Rosenbrock's Hessian equals its closed form", async () => {
    const { grad } = await load(`
/** @differentiable @modes grad hessian */
export function rosenbrock(x: number, y: number): number {
  return (1 - x) ** 2 + 100 * (y - x * x) ** 2;
}`, "rosenbrock");
    for (const [x, y] of [[-1.2, 1], [0.3, -0.7], [1, 1]]) {
      const { value, hessian, size } = grad.rosenbrockHessian(x, y);
      expect(size).toBe(2);
      expect(value).toBe((1 - x) ** 2 + 100 * (y - x * x) ** 2);
      const want = [2 - 400 * (y - x * x) + 800 * x * x, -400 * x, -400 * x, 200];
      for (let i = 0; i < 4; i++) expect(hessian[i]).toBeCloseTo(want[i], 9);
    }
  });

  it("is symmetric and matches finite differences of the gradient", async () => {
    for (const [name, params, spec, wrt = params] of CONTROL_CASES.filter((c) => ["helpers", "nested", "localArray", "branch"].includes(c[0]))) {
      const [args] = randomPoints(99, 1, spec);
      const { hessian, size } = m.grad[name + "Hessian"](...clone(args));
      for (let i = 0; i < size; i++) for (let j = 0; j < i; j++) {
        expect(Math.abs(hessian[i * size + j] - hessian[j * size + i]), `${name} H[${i},${j}]`).toBeLessThan(1e-9 * Math.max(1, Math.abs(hessian[i * size + j])));
      }
      // column 0 against finite differences of the gradient along e_0
      const dir = asArgs(params, {}, args);
      const first = params.indexOf(wrt[0]);
      if (typeof dir[first] === "number") dir[first] = 1; else (dir[first] as Float64Array)[0] = 1;
      let row = 0;
      for (const p of wrt) {
        const g0 = m.grad[name + "Grad"](...clone(args)).grad[p];
        const count = typeof g0 === "number" ? 1 : g0.length;
        for (let c = 0; c < count; c++, row++) {
          const comp = (...a: Args) => { const r = m.grad[name + "Grad"](...a).grad[p]; return typeof r === "number" ? r : r[c]; };
          expect(relativeError(hessian[row * size], directionalDerivative(comp, clone(args), dir))).toBeLessThan(1e-6);
        }
      }
    }
  });
});

describe("forward mode and Hvp on the lecture-notes fixtures", () => {
  const SEEDS: [file: string, fn: string, params: string[], wrt: string[], spec: ([number, number])[]][] = [
    ["table", "f", ["x1", "x2"], ["x1", "x2"], [[0.5, 3], [0.3, 2]]],
    ["chain", "composite", ["x1", "x2"], ["x1", "x2"], [[-1, 1], [-1, 1]]],
    ["neuron", "neuronLoss", ["alpha", "beta", "x1", "x2", "y"], ["alpha", "beta"], [[-2, 2], [-2, 2], [-2, 2], [-2, 2], [0, 1]]],
    ["logistic", "logisticLoss", ["w0", "w1", "w2", "x1", "x2", "y"], ["w0", "w1", "w2"], [[-2, 2], [-2, 2], [-2, 2], [-3, 3], [-3, 3], [1, 1]]],
  ];
  for (const [file, fn, params, wrt, spec] of SEEDS) {
    it(`${file}: tangent = ⟨grad, v⟩ = finite differences, and hvp = d/dt grad(x + t v)`, async () => {
      const text = fs.readFileSync(path.join(ROOT, `fixtures/seeds/${file}.ts`), "utf8").replace(/@differentiable/, "@differentiable @modes grad jvp hvp");
      const mm = await load(text, `seed-${file}-modes`);
      for (const [k, args] of randomPoints(file.length * 13, 4, spec).entries()) {
        const v = direction(args, params, wrt, k + 3);
        const j = mm.grad[fn + "Jvp"](...clone(args), v);
        const g = mm.grad[fn + "Grad"](...clone(args));
        expect(relativeError(j.tangent, inner(g.grad, v))).toBeLessThan(1e-10);
        const dir = asArgs(params, v, args);
        expect(relativeError(j.tangent, directionalDerivative(mm.src[fn], clone(args), dir))).toBeLessThan(1e-6);
        const h = mm.grad[fn + "Hvp"](...clone(args), v);
        for (const p of wrt) {
          const comp = (...a: Args) => mm.grad[fn + "Grad"](...a).grad[p] as number;
          expect(relativeError(h.hvp[p], directionalDerivative(comp, clone(args), dir)), `${fn} hvp.${p}`).toBeLessThan(1e-6);
        }
      }
    });
  }
});
