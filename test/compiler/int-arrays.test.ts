/**
 * Integer arrays (`Int32Array`, `Uint32Array`, `Uint8Array`, …) as parameters and locals: index
 * data such as a sparse matrix's columns and row pointers, a permutation, counts. They are never
 * active (their elements have no derivative), keep their own type in every generated signature
 * and allocation, convert stored values as JavaScript does, and every mode still matches finite
 * differences. `@wrt` naming one, and copies that would not keep its type, are located
 * diagnostics.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { checkGradient, mulberry32 } from "../../runtime/gradcheck.ts";
import { ROOT, compileText, expectAllModes, load } from "../helpers.ts";

const SOURCE = fs.readFileSync(path.join(ROOT, "fixtures/programs/ints.ts"), "utf8");

/** A random sparse matrix (rows × cols, about half the entries) in CSR form, and a vector. */
function csrPoint(seed: number, rows: number, cols: number): [Float64Array, Int32Array, Int32Array, Float64Array] {
  const rng = mulberry32(seed);
  const values: number[] = [], columns: number[] = [], ptr = [0];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      if (rng() < 0.5) {
        values.push(rng() * 2 - 1);
        columns.push(c);
      }
    }
    ptr.push(values.length);
  }
  return [Float64Array.from(values), Int32Array.from(columns), Int32Array.from(ptr), Float64Array.from({ length: cols }, () => rng() * 2 - 1)];
}

describe("integer arrays", () => {
  it("keep their types in the generated signatures and allocations, and are never active", async () => {
    const { output } = await load(SOURCE, "ints");
    expect(output).toMatch(/export function csrNormGrad\(\n\s+vals: Float64Array,\n\s+cols: Int32Array,\n\s+rowPtr: Int32Array,/);
    expect(output).toMatch(/export function permutedJvp\(\n\s+x: Float64Array,\n\s+perm: Uint32Array,/);
    expect(output).toContain("const where = new Int32Array(n);");
    expect(output).toContain("const count = new Uint8Array(bins);");
    expect(output).toContain("const k = new Int16Array(2);");
    // no adjoint or tangent of an integer array, and no gradient entry for one
    expect(output).not.toMatch(/\b(d|dot)_(cols|rowPtr|perm|where|count|k)\b/);
    expect(output).toMatch(/grad: \{ vals: d_vals, x: d_x \}/);
  });

  it("agree with finite differences in every mode", async () => {
    const { src, grad } = await load(SOURCE, "ints");
    for (const seed of [1, 2, 3]) {
      const [vals, cols, rowPtr, x] = csrPoint(seed, 4, 5);
      expectAllModes(src, grad, "csrNorm", [vals, cols as unknown as Float64Array, rowPtr as unknown as Float64Array, x], ["vals", "cols", "rowPtr", "x"], ["vals", "x"], seed);
      const rng = mulberry32(10 + seed);
      const n = 6;
      const perm = Uint32Array.from({ length: n }, (_, i) => i);
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(rng() * (i + 1));
        [perm[i], perm[j]] = [perm[j]!, perm[i]!];
      }
      const xs = Float64Array.from({ length: n }, () => rng() * 4 - 2);
      expectAllModes(src, grad, "permuted", [xs, perm as unknown as Float64Array], ["x", "perm"], ["x"], seed);
      // points away from the bins' edges, where the counts are constant nearby
      const ys = Float64Array.from({ length: 7 }, () => (Math.floor(rng() * 3) + 0.3 + 0.4 * rng()) / 3 * (rng() < 0.5 ? -1 : 1));
      expectAllModes(src, grad, "counted", [ys, 3], ["x", "bins"], ["x"], seed);
      expectAllModes(src, grad, "truncated", [0.4 + rng(), 2.1 + rng() * 0.8], ["x", "y"], ["x", "y"], seed);
    }
  });

  it("checkGradient holds integer arrays fixed and checks the other arguments", async () => {
    const { src, grad } = await load(SOURCE, "ints");
    const [vals, cols, rowPtr, x] = csrPoint(7, 5, 4);
    const names = ["vals", "cols", "rowPtr", "x"];
    const r = checkGradient(src.csrNorm, [vals, cols, rowPtr, x] as unknown as Float64Array[], grad.csrNormGrad(vals, cols, rowPtr, x).grad, { names });
    expect(r.ok, r.report).toBe(true);
    expect(r.report).toContain(`over ${vals.length + x.length} entries`);
    // a wrong entry is still caught
    const wrong = grad.csrNormGrad(vals, cols, rowPtr, x).grad;
    wrong.x[1] += 1;
    expect(checkGradient(src.csrNorm, [vals, cols, rowPtr, x] as unknown as Float64Array[], wrong, { names }).ok).toBe(false);
    expect(() => checkGradient(src.csrNorm, [vals, cols, rowPtr, x] as unknown as Float64Array[], wrong, { names, which: [1] })).toThrow(/cols is an integer array/);
  });

  it("a vector-valued function of a sparse matrix: its Jacobian matches finite differences", async () => {
    const SPMV = `/** y = A x for A in CSR form. @differentiable @out y @wrt vals x @modes vjp jvp jacobian */
export function spmv(vals: Float64Array, cols: Int32Array, rowPtr: Int32Array, x: Float64Array, y: Float64Array): void {
  for (let r = 0; r + 1 < rowPtr.length; r++) {
    let s = 0;
    for (let p = rowPtr[r]; p < rowPtr[r + 1]; p++) s += vals[p] * Math.tanh(x[cols[p]]);
    y[r] = s;
  }
}
`;
    const { src, grad } = await load(SPMV, "spmv");
    for (const seed of [4, 5]) {
      const [vals, cols, rowPtr, x] = csrPoint(seed, 3, 4);
      const rows = rowPtr.length - 1, inputs = vals.length + x.length;
      const J = grad.spmvJacobian(vals, cols, rowPtr, x, new Float64Array(rows));
      expect([J.rows, J.cols]).toEqual([rows, inputs]);
      const at = (v: Float64Array, xs: Float64Array) => {
        const y = new Float64Array(rows);
        src.spmv(v, cols, rowPtr, xs, y);
        return y;
      };
      const h = 1e-5;
      for (let k = 0; k < inputs; k++) {
        const [vp, vm, xp, xm] = [vals.slice(), vals.slice(), x.slice(), x.slice()];
        if (k < vals.length) { vp[k]! += h; vm[k]! -= h; } else { xp[k - vals.length]! += h; xm[k - vals.length]! -= h; }
        const yp = at(vp, xp), ym = at(vm, xm);
        for (let r = 0; r < rows; r++) expect(J.jacobian[r * inputs + k]).toBeCloseTo((yp[r]! - ym[r]!) / (2 * h), 7);
      }
    }
  });

  it("count and truncate as JavaScript does", async () => {
    const { src, grad } = await load(SOURCE, "ints");
    // 300 points in one bin: a Uint8Array count wraps at 256, and each term's weight is its count
    const x = new Float64Array(300).fill(0.1);
    const r0 = grad.countedGrad(x, 2);
    expect(r0.value).toBe(src.counted(x, 2));
    expect(Array.from(r0.grad.x)).toEqual(Array.from(x, (xi, i) => 2 * xi * ((i + 1) % 256)));
    // k[0] = trunc(3x), k[1] = trunc(y): the derivative sees them as constants
    const r = grad.truncatedGrad(0.9, -2.5);
    expect(r.value).toBe(0.9 * 2 + 6.25 * -2);
    expect(r.grad).toEqual({ x: 2, y: 2 * -2.5 * -2 });
  });

  it("@wrt naming an integer array, and a copy of one, are located diagnostics", async () => {
    const wrt = `/** @differentiable @wrt x cols */
export function f(x: Float64Array, cols: Int32Array): number {
  return x[cols[0]];
}
`;
    const a = await compileText(wrt, "wrt");
    expect(a.result.output).toBeUndefined();
    expect(a.result.diagnostics).toHaveLength(1);
    const d = a.result.diagnostics[0]!;
    expect(d.code).toBe("AD1008");
    expect({ file: path.basename(d.file), line: d.line }).toEqual({ file: "wrt.ts", line: 1 });
    expect(d.message).toContain("an Int32Array: its elements are integers, which have no derivative");

    const copy = `/** @differentiable */
export function f(x: Float64Array, cols: Int32Array): number {
  const c = cols.slice();
  return x[c[0]];
}
`;
    const b = await compileText(copy, "copy");
    expect(b.result.output).toBeUndefined();
    expect(b.result.diagnostics).toHaveLength(1);
    const e = b.result.diagnostics[0]!;
    expect({ line: e.line, col: e.col }).toEqual({ line: 3, col: 13 });
    expect(e.message).toContain("'slice' of an Int32Array is not supported: allocate new Int32Array(n) and copy the elements in a loop.");

    // inside a record: pass it as its own parameter
    const rec = `/** @differentiable */
export function f(m: { vals: Float64Array; cols: Int32Array }): number {
  return m.vals[m.cols[0]];
}
`;
    const c = await compileText(rec, "rec");
    expect(c.result.diagnostics).toHaveLength(1);
    expect(c.result.diagnostics[0]!.message).toContain("Int32Array values inside objects and lists are not supported (pass the integer array as a parameter of its own)");
  });
});
