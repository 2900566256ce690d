/**
 * Every matrix-level rule (runtime BLAS routines as primitives), compiled end to end: gradients
 * against central differences, Jvp against ⟨grad, v⟩, Hvp against differences of the gradient,
 * for every transpose combination. Outputs are reduced with a fixed nonlinear weighting so that
 * every output element matters.
 */
import { describe, it, expect, beforeAll } from "vitest";
import { load, expectGradient, clone, type Mod } from "../helpers.ts";
import { mulberry32, randomArray, directionalDerivative, relativeError, type Args } from "../../runtime/gradcheck.ts";

const HEAD = `import { gemm, gemv, ger, dot, axpy, scal, copy, fill, sum, hypotOf, mul, add, addRowVector, sumRows, mulAdd, accumulateRows } from "adjoint/runtime";

/** Σ sin(i + 1)·v_i + ½Σ v_i²: every element counts, nonlinearly. */
function reduce(v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += Math.sin(i + 1) * v[i] + 0.5 * v[i] * v[i];
  return s;
}
`;
const MODES = "/** @differentiable @modes grad jvp hvp */";

// [name, params, body]
const FNS: [string, string, string][] = [];
for (const tA of [false, true]) for (const tB of [false, true]) {
  FNS.push([`gemm_${+tA}${+tB}`, "A: Float64Array, B: Float64Array, C0: Float64Array", `
  const C = new Float64Array(12);
  for (let i = 0; i < 12; i++) C[i] = C0[i];
  gemm(${tA}, ${tB}, 3, 4, 5, 0.7, A, B, 0.3, C);
  return reduce(C);`]);
}
FNS.push(["gemm_beta0", "A: Float64Array, B: Float64Array", `
  const C = new Float64Array(12);
  gemm(false, true, 3, 4, 5, 1, A, B, 0, C);
  return reduce(C);`]);
for (const t of [false, true]) {
  FNS.push([`gemv_${+t}`, "A: Float64Array, x: Float64Array, y0: Float64Array", `
  const y = new Float64Array(${t ? 4 : 3});
  for (let i = 0; i < y.length; i++) y[i] = y0[i];
  gemv(${t}, 3, 4, 1.5, A, x, 0.5, y);
  return reduce(y);`]);
}
FNS.push(["ger_", "x: Float64Array, y: Float64Array, A0: Float64Array", `
  const A = new Float64Array(12);
  copy(12, A0, A);
  ger(3, 4, 0.8, x, y, A);
  return reduce(A);`]);
FNS.push(["hypotOf_", "x: Float64Array, y: Float64Array", `
  const h = hypotOf(5, x) * hypotOf(3, y);
  return h * h + hypotOf(4, x);`]);
FNS.push(["dot_", "x: Float64Array, y: Float64Array", `
  const d = dot(5, x, y);
  return d * d + Math.sin(d);`]);
FNS.push(["sum_", "x: Float64Array", `
  const s = sum(5, x);
  return Math.exp(s / 5) + reduce(x);`]);
FNS.push(["axpy_scal", "x: Float64Array, y0: Float64Array", `
  const y = new Float64Array(5);
  copy(5, y0, y);
  axpy(5, 2.5, x, y);
  scal(5, -0.5, y);
  return reduce(y);`]);
FNS.push(["fill_", "x: Float64Array", `
  const y = new Float64Array(5);
  copy(5, x, y);
  fill(2, 3, y);
  return reduce(y);`]);
FNS.push(["elementwise", "x: Float64Array, y: Float64Array", `
  const p = new Float64Array(5);
  const q = new Float64Array(5);
  mul(5, x, y, p);
  add(5, p, x, q);
  mulAdd(5, x, x, q);
  return reduce(q);`]);
FNS.push(["rows", "A0: Float64Array, b: Float64Array", `
  const A = new Float64Array(12);
  copy(12, A0, A);
  addRowVector(3, 4, A, b);
  const s = new Float64Array(4);
  sumRows(3, 4, A, s);
  accumulateRows(3, 4, A, s);
  return reduce(s) + reduce(A);`]);

const SIZES: Record<string, number> = { A: 15, B: 20, C0: 12, x: 5, y: 5, y0: 5, A0: 12, b: 4 };
function sizesFor(name: string, params: string): number[] {
  return params.split(", ").map((p) => {
    const v = p.split(":")[0];
    if (name.startsWith("gemv") && v === "A") return 12;
    if (name.startsWith("gemv") && v === "x") return name.endsWith("1") ? 3 : 4;
    if (name.startsWith("gemv") && v === "y0") return name.endsWith("1") ? 4 : 3;
    if (name === "ger_" && v === "x") return 3;
    if (name === "ger_" && v === "y") return 4;
    return SIZES[v];
  });
}

let m: { src: Mod; grad: Mod; output: string };
beforeAll(async () => {
  const text = HEAD + FNS.map(([name, params, body]) => `${MODES}\nexport function ${name}(${params}): number {${body}\n}`).join("\n\n");
  m = await load(text, "blas-rules");
}, 60_000);

describe("BLAS rules", () => {
  for (const [name, params] of FNS) {
    const names = params.split(", ").map((p) => p.split(":")[0]);
    it(`${name}: gradient, Jvp and Hvp`, () => {
      const rng = mulberry32(name.length * 101);
      for (let trial = 0; trial < 3; trial++) {
        const args: Args = sizesFor(name, params).map((n) => randomArray(rng, n));
        const g = expectGradient(m.src[name], m.grad[name + "Grad"], args, names);
        const v: Record<string, Float64Array> = {};
        names.forEach((p, i) => (v[p] = randomArray(rng, (args[i] as Float64Array).length)));
        const j = m.grad[name + "Jvp"](...clone(args), v);
        let inner = 0;
        names.forEach((p) => { const a = g.grad[p] as Float64Array; for (let k = 0; k < a.length; k++) inner += a[k] * v[p][k]; });
        expect(relativeError(j.tangent, inner)).toBeLessThan(1e-10);
        const h = m.grad[name + "Hvp"](...clone(args), v);
        const dir = names.map((p) => v[p]);
        for (const p of names) {
          const hp = h.hvp[p] as Float64Array;
          for (let c = 0; c < hp.length; c++) {
            const comp = (...a: Args) => (m.grad[name + "Grad"](...a).grad[p] as Float64Array)[c];
            expect(relativeError(hp[c], directionalDerivative(comp, clone(args), dir)), `${name} hvp.${p}[${c}]`).toBeLessThan(1e-6);
          }
        }
      }
    });
  }

  it("adjoints are BLAS calls, not scalarised loops", () => {
    const grad = m.output.slice(m.output.indexOf("export function gemm_00Grad"), m.output.indexOf("export function gemm_00Hvp"));
    expect(grad).toMatch(/gemm\(false, true, 3, 5, 4, 0\.7, d_C, B, 1, d_A\)/);
    expect(grad).toMatch(/gemm\(true, false, 5, 4, 3, 0\.7, A, d_C, 1, d_B\)/);
    expect(grad).toMatch(/scal\(3 \* 4, 0\.3, d_C\)|scal\(12, 0\.3, d_C\)/);
  });
});
