/**
 * Accumulating element-wise helpers used by the adjoints of the BLAS routines (and usable
 * directly): each adds into its output, so contributions from several uses sum up.
 */

/** x[i] += c for the first n elements. */
export function shift(n: number, c: number, x: Float64Array): void {
  if (x.length < n) throw new RangeError(`shift: x has length ${x.length}, expected at least ${n} (n = ${n})`);
  for (let i = 0; i < n; i++) x[i] += c;
}

/** out[i] += x[i]·y[i] for the first n elements. */
export function mulAdd(n: number, x: Float64Array, y: Float64Array, out: Float64Array): void {
  if (x.length < n || y.length < n || out.length < n) {
    throw new RangeError(`mulAdd: x, y and out must have length at least ${n} (got ${x.length}, ${y.length}, ${out.length})`);
  }
  for (let i = 0; i < n; i++) out[i] += x[i] * y[i];
}

/** out[j] += Σ_i A[i·n + j]: the column sums of the m×n row-major A, added into out. */
export function accumulateRows(m: number, n: number, A: Float64Array, out: Float64Array): void {
  if (A.length < m * n) throw new RangeError(`accumulateRows: A has length ${A.length}, expected at least ${m * n} (m×n = ${m}×${n})`);
  if (out.length < n) throw new RangeError(`accumulateRows: out has length ${out.length}, expected at least ${n} (n = ${n})`);
  for (let i = 0; i < m; i++) {
    const row = i * n;
    for (let j = 0; j < n; j++) out[j] += A[row + j];
  }
}
