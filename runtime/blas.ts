/**
 * adjoint/runtime/blas: a small, dependency-free BLAS on Float64Array.
 *
 * Conventions
 * - Every vector and matrix is a Float64Array. Matrices are dense and row-major:
 *   element (i, j) of an r×c matrix M is M[i*c + j]. There are no leading-dimension
 *   (lda) or stride arguments and no offsets: an argument's data starts at index 0.
 * - Sizes come first and are explicit (m rows, n columns, k inner dimension, or n
 *   elements for vectors). Arrays may be longer than required; only the prefix the
 *   shape asks for is read or written. Nothing is ever read past an array's end.
 * - Outputs are written in place and the routines return nothing (or a number).
 * - Argument order follows reference BLAS (alpha before the arrays it scales,
 *   beta before the output), e.g. gemm(transA, transB, m, n, k, alpha, A, B, beta, C).
 * - beta === 0 overwrites the output without reading it (old contents, even NaN,
 *   are ignored), and alpha === 0 skips the product (A, B, x are not read), as in
 *   reference BLAS.
 * - Validation is O(1) per call: every size must be a non-negative integer and every
 *   array at least as long as its shape requires; otherwise a RangeError names the
 *   routine, the argument and the expected versus actual length, e.g.
 *   "gemm: B has length 6, expected at least 8 (k×n = 2×4)".
 * - Outputs must not overlap the inputs of gemm, gemv and ger. The element-wise
 *   helpers (add, mul, copy, scal, axpy) allow out === x or out === y.
 *
 * gemm is register-blocked in the style of GotoBLAS/BLIS: op(B) is packed into
 * panels of NR columns and op(A) into panels of MR rows (zero-padded at the edges,
 * transposes resolved while packing), and one MR×NR micro-kernel that keeps its
 * accumulators in locals computes every tile, for all four transpose cases. The
 * packing buffers are fixed-size module-level scratch arrays (256 KiB + 2 MiB of
 * doubles, made once at import), so calls never allocate; large products are
 * processed in blocks that fit them. Tiny products take a direct loop, and a C with a single row or
 * column is computed as a matrix-vector product (gemv).
 *
 * Where WebAssembly SIMD is available, products of more than WASM_GEMM multiply-adds run instead
 * on a WebAssembly f64x2 kernel of the same design (runtime/gemm-wasm.ts, built from
 * runtime/wasm/gemm.ts), several times faster; the JavaScript kernel is the fallback and serves
 * smaller products, where copying the operands into wasm memory would cost more than it saves.
 * Both give the same results up to rounding (they sum in different orders).
 */

import { gemmWasm } from "./gemm-wasm.ts";

// ---------------------------------------------------------------------------
// Validation (O(1), throws RangeError)
// ---------------------------------------------------------------------------

function checkSize(routine: string, name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0) {
    throw new RangeError(`${routine}: ${name} must be a non-negative integer, got ${String(v)}`);
  }
}

/** Checks that the rows×cols matrix M fits in arr; rowsName/colsName are the size names used in the message. */
function checkMatrix(
  routine: string,
  name: string,
  arr: Float64Array,
  rows: number,
  cols: number,
  rowsName: string,
  colsName: string,
): void {
  if (arr.length < rows * cols) {
    throw new RangeError(
      `${routine}: ${name} has length ${arr.length}, expected at least ${rows * cols} ` +
        `(${rowsName}×${colsName} = ${rows}×${cols})`,
    );
  }
}

function checkVec(routine: string, name: string, arr: ArrayLike<number>, n: number, sizeName = "n"): void {
  if (arr.length < n) {
    throw new RangeError(`${routine}: ${name} has length ${arr.length}, expected at least ${n} (${sizeName} = ${n})`);
  }
}

// ---------------------------------------------------------------------------
// Level 1
// ---------------------------------------------------------------------------

/** Returns Σ_i x[i]*y[i] over the first n elements. */
export function dot(n: number, x: Float64Array, y: Float64Array): number {
  checkSize("dot", "n", n);
  checkVec("dot", "x", x, n);
  checkVec("dot", "y", y, n);
  let s0 = 0.0;
  let s1 = 0.0;
  let s2 = 0.0;
  let s3 = 0.0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += x[i] * y[i];
    s1 += x[i + 1] * y[i + 1];
    s2 += x[i + 2] * y[i + 2];
    s3 += x[i + 3] * y[i + 3];
  }
  for (; i < n; i++) s0 += x[i] * y[i];
  return s0 + s1 + (s2 + s3);
}

/** y += alpha*x over the first n elements (a gradient of a number[] is a number[]). */
export function axpy(n: number, alpha: number, x: Float64Array | readonly number[], y: Float64Array | number[]): void {
  checkSize("axpy", "n", n);
  checkVec("axpy", "x", x, n);
  checkVec("axpy", "y", y, n);
  if (alpha === 0) return;
  for (let i = 0; i < n; i++) y[i] += alpha * x[i];
}

/** x *= alpha over the first n elements (IEEE multiply: NaN*0 stays NaN). */
export function scal(n: number, alpha: number, x: Float64Array): void {
  checkSize("scal", "n", n);
  checkVec("scal", "x", x, n);
  if (alpha === 1) return;
  for (let i = 0; i < n; i++) x[i] *= alpha;
}

/** y[i] = x[i] for i < n. */
export function copy(n: number, x: Float64Array, y: Float64Array): void {
  checkSize("copy", "n", n);
  checkVec("copy", "x", x, n);
  checkVec("copy", "y", y, n);
  if (x === y) return;
  for (let i = 0; i < n; i++) y[i] = x[i];
}

/** x[i] = value for i < n. */
export function fill(n: number, value: number, x: Float64Array): void {
  checkSize("fill", "n", n);
  checkVec("fill", "x", x, n);
  x.fill(value, 0, n);
}

/**
 * `Math.hypot(...x)` over the first n elements, the Euclidean norm, exactly as the spread call
 * computes it (`Math.hypot(...xs)` in differentiable code lowers to it).
 */
export function hypotOf(n: number, x: Float64Array): number {
  checkSize("hypotOf", "n", n);
  checkVec("hypotOf", "x", x, n);
  return n === x.length ? Math.hypot(...x) : Math.hypot(...x.subarray(0, n));
}

/** Returns Σ_i x[i] over the first n elements. */
export function sum(n: number, x: Float64Array): number {
  checkSize("sum", "n", n);
  checkVec("sum", "x", x, n);
  let s0 = 0.0;
  let s1 = 0.0;
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    s0 += x[i];
    s1 += x[i + 1];
  }
  if (i < n) s0 += x[i];
  return s0 + s1;
}

/**
 * The order in which JavaScript's `sort` puts the first `n` of `keys`, written to `order`
 * (`order[i]` is the index of the key sorted to place `i`): `direction` 1 as with the comparator
 * `(a, b) => a - b`, −1 as with `(a, b) => b - a`, and 0 as a typed array sorts with no comparator
 * (numerically, −0 before +0, NaN last). The indices are sorted by the sort the source's array
 * runs (an Array's, or with `typed` a typed array's), each comparison answering as the keys'
 * would, so the order is exactly the source's, NaN keys included.
 */
export function sortOrder(n: number, keys: ArrayLike<number>, order: Int32Array, direction: number, typed: boolean): void {
  if (keys.length < n || order.length < n) throw new RangeError(`sortOrder: keys and order must have length at least ${n} (got ${keys.length}, ${order.length})`);
  const k = keys;
  const compare = direction === 1 ? (i: number, j: number) => k[i]! - k[j]! : direction === -1 ? (i: number, j: number) => k[j]! - k[i]! : (i: number, j: number) => numericOrder(k[i]!, k[j]!);
  if (typed) {
    const idx = order.subarray(0, n);
    for (let i = 0; i < n; i++) idx[i] = i;
    idx.sort(compare);
  } else {
    const idx = Array.from({ length: n }, (_, i) => i).sort(compare);
    for (let i = 0; i < n; i++) order[i] = idx[i]!;
  }
}

/** The order of a typed array's `sort()` with no comparator: numeric, −0 before +0, NaN last. */
function numericOrder(a: number, b: number): number {
  if (a < b) return -1;
  if (a > b) return 1;
  if (a === b) return Object.is(a, -0) === Object.is(b, -0) ? 0 : Object.is(a, -0) ? -1 : 1;
  return Number.isNaN(a) ? (Number.isNaN(b) ? 0 : 1) : -1;
}

// ---------------------------------------------------------------------------
// Element-wise helpers for layer code
// ---------------------------------------------------------------------------

/** out[i] = x[i] * y[i] for i < n (out may be x or y). */
export function mul(n: number, x: Float64Array, y: Float64Array, out: Float64Array): void {
  checkSize("mul", "n", n);
  checkVec("mul", "x", x, n);
  checkVec("mul", "y", y, n);
  checkVec("mul", "out", out, n);
  for (let i = 0; i < n; i++) out[i] = x[i] * y[i];
}

/** out[i] = x[i] + y[i] for i < n (out may be x or y). */
export function add(n: number, x: Float64Array, y: Float64Array, out: Float64Array): void {
  checkSize("add", "n", n);
  checkVec("add", "x", x, n);
  checkVec("add", "y", y, n);
  checkVec("add", "out", out, n);
  for (let i = 0; i < n; i++) out[i] = x[i] + y[i];
}

/** A[i,j] += b[j] for every row i of the m×n matrix A (adds a bias row). */
export function addRowVector(m: number, n: number, A: Float64Array, b: Float64Array): void {
  checkSize("addRowVector", "m", m);
  checkSize("addRowVector", "n", n);
  checkMatrix("addRowVector", "A", A, m, n, "m", "n");
  checkVec("addRowVector", "b", b, n);
  for (let i = 0; i < m; i++) {
    const row = i * n;
    for (let j = 0; j < n; j++) A[row + j] += b[j];
  }
}

/** out[j] = Σ_i A[i,j] for the m×n matrix A (overwrites out; the adjoint of addRowVector). */
export function sumRows(m: number, n: number, A: Float64Array, out: Float64Array): void {
  checkSize("sumRows", "m", m);
  checkSize("sumRows", "n", n);
  checkMatrix("sumRows", "A", A, m, n, "m", "n");
  checkVec("sumRows", "out", out, n);
  if (n === 0) return;
  out.fill(0, 0, n);
  for (let i = 0; i < m; i++) {
    const row = i * n;
    for (let j = 0; j < n; j++) out[j] += A[row + j];
  }
}

// ---------------------------------------------------------------------------
// Level 2
// ---------------------------------------------------------------------------

/** Scales the first len elements of y by beta; beta === 0 overwrites with zeros. */
function scaleOutput(len: number, beta: number, y: Float64Array): void {
  if (beta === 1) return;
  if (beta === 0) {
    y.fill(0, 0, len);
    return;
  }
  for (let i = 0; i < len; i++) y[i] *= beta;
}

/**
 * Matrix-vector product with the m×n matrix A.
 * trans = false: y(m) = alpha*A*x(n) + beta*y.
 * trans = true:  y(n) = alpha*Aᵀ*x(m) + beta*y.
 */
export function gemv(
  trans: boolean,
  m: number,
  n: number,
  alpha: number,
  A: Float64Array,
  x: Float64Array,
  beta: number,
  y: Float64Array,
): void {
  checkSize("gemv", "m", m);
  checkSize("gemv", "n", n);
  checkMatrix("gemv", "A", A, m, n, "m", "n");
  const xLen = trans ? m : n;
  const yLen = trans ? n : m;
  checkVec("gemv", "x", x, xLen, trans ? "m" : "n");
  checkVec("gemv", "y", y, yLen, trans ? "n" : "m");
  gemvUnchecked(trans, m, n, alpha, A, x, beta, y);
}

/** gemv without validation (also serves gemm's m = 1 and n = 1 shapes). */
function gemvUnchecked(
  trans: boolean,
  m: number,
  n: number,
  alpha: number,
  A: Float64Array,
  x: Float64Array,
  beta: number,
  y: Float64Array,
): void {
  scaleOutput(trans ? n : m, beta, y);
  if (alpha === 0 || m === 0 || n === 0) return;

  if (!trans) {
    // y[i] += alpha * (row i of A) · x, four rows at a time.
    let i = 0;
    for (; i + 4 <= m; i += 4) {
      const r0 = i * n;
      const r1 = r0 + n;
      const r2 = r1 + n;
      const r3 = r2 + n;
      let s0 = 0.0;
      let s1 = 0.0;
      let s2 = 0.0;
      let s3 = 0.0;
      for (let j = 0; j < n; j++) {
        const xj = x[j];
        s0 += A[r0 + j] * xj;
        s1 += A[r1 + j] * xj;
        s2 += A[r2 + j] * xj;
        s3 += A[r3 + j] * xj;
      }
      y[i] += alpha * s0;
      y[i + 1] += alpha * s1;
      y[i + 2] += alpha * s2;
      y[i + 3] += alpha * s3;
    }
    for (; i < m; i++) {
      const r0 = i * n;
      let s0 = 0.0;
      for (let j = 0; j < n; j++) s0 += A[r0 + j] * x[j];
      y[i] += alpha * s0;
    }
  } else {
    // y += alpha * x[i] * (row i of A), four rows at a time.
    let i = 0;
    for (; i + 4 <= m; i += 4) {
      const r0 = i * n;
      const r1 = r0 + n;
      const r2 = r1 + n;
      const r3 = r2 + n;
      const t0 = alpha * x[i];
      const t1 = alpha * x[i + 1];
      const t2 = alpha * x[i + 2];
      const t3 = alpha * x[i + 3];
      for (let j = 0; j < n; j++) {
        y[j] += t0 * A[r0 + j] + t1 * A[r1 + j] + (t2 * A[r2 + j] + t3 * A[r3 + j]);
      }
    }
    for (; i < m; i++) {
      const r0 = i * n;
      const t0 = alpha * x[i];
      for (let j = 0; j < n; j++) y[j] += t0 * A[r0 + j];
    }
  }
}

/** Rank-1 update of the m×n matrix A: A += alpha * x yᵀ (x has m elements, y has n). */
export function ger(m: number, n: number, alpha: number, x: Float64Array, y: Float64Array, A: Float64Array): void {
  checkSize("ger", "m", m);
  checkSize("ger", "n", n);
  checkVec("ger", "x", x, m, "m");
  checkVec("ger", "y", y, n, "n");
  checkMatrix("ger", "A", A, m, n, "m", "n");
  if (alpha === 0) return;
  for (let i = 0; i < m; i++) {
    const t = alpha * x[i];
    if (t === 0) continue;
    const row = i * n;
    for (let j = 0; j < n; j++) A[row + j] += t * y[j];
  }
}

// ---------------------------------------------------------------------------
// Level 3: gemm
// ---------------------------------------------------------------------------

// Micro-kernel tile: MR rows × NR columns of C, accumulated in MR*NR locals.
// 2×4 keeps the 8 accumulators plus the 4 b's and one a inside V8's x64 XMM
// register file; larger tiles (4×4, 3×4) spill and measured 15–35% slower.
const MR = 2;
const NR = 4;
// Cache blocking: a KC×NR panel of packed B (8 KiB) stays in L1 while the
// MC×KC block of packed A (256 KiB) stays in L2; packed B (KC×NC, 2 MiB) streams from L2/L3.
const KC = 256;
const MC = 128;
const NC = 1024;
// Up to this many multiply-adds (m*n*k), packing costs more than it saves
// (measured: the packed path is already ~2× faster at 8×8×8).
const SMALL_GEMM = 256;
// Above this many multiply-adds, products go to the WebAssembly SIMD kernel (runtime/gemm-wasm.ts)
// where it is available. Its fixed cost per call (copying the operands into wasm memory and C
// back, about 0.3 µs) makes it no faster than the JavaScript kernel up to m*n*k ≈ 128–216;
// from 6×6×6 on it measured 1.3–2× faster, and 3–4× from 16×16×16 (bench/gemm.ts --threshold,
// docs/benchmarks.md). So the JavaScript kernel keeps exactly the products it runs as direct loops.
const WASM_GEMM = SMALL_GEMM;

// The packing buffer, allocated once at import and reused by every call (2.25 MiB):
// packed A occupies [0, MC*KC), packed B [B_OFFSET, B_OFFSET + KC*NC). The kernel
// reads it directly as a module-level constant rather than as a parameter, and one
// array for both panels means one map check per kernel iteration instead of two.
// It is a plain array of doubles (V8's PACKED_DOUBLE_ELEMENTS), not a Float64Array:
// once any ArrayBuffer in the process has been detached (transferred to a worker,
// structuredClone with transfer; it was also seen under tsx), V8 adds a "was this
// buffer detached?" test to every typed-array read in optimized code, which cost the
// kernel about 20%; plain arrays never need that test. See docs/benchmarks.md ("gemm").
// Packing writes only numbers and only below B_OFFSET + KC*NC, so the array never
// grows and keeps its double elements kind.
const B_OFFSET = MC * KC;
const pack = doubleArray(MC * KC + KC * NC);

/** A plain array of n zeros whose elements V8 stores unboxed as doubles. */
function doubleArray(n: number): number[] {
  const a: number[] = [];
  for (let i = 0; i < n; i++) a.push(0.5); // a non-integer first element makes the kind PACKED_DOUBLE
  a.fill(0);
  return a;
}

// Scratch tile for partial (edge) tiles: the kernel writes here, then the valid part is copied out.
const edgeTile = new Float64Array(MR * NR);

/**
 * General matrix-matrix product: C (m×n) = alpha * op(A) * op(B) + beta * C.
 * op(A) is m×k: A is stored m×k when !transA, k×m when transA.
 * op(B) is k×n: B is stored k×n when !transB, n×k when transB.
 */
export function gemm(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  A: Float64Array,
  B: Float64Array,
  beta: number,
  C: Float64Array,
): void {
  checkSize("gemm", "m", m);
  checkSize("gemm", "n", n);
  checkSize("gemm", "k", k);
  if (transA) checkMatrix("gemm", "A", A, k, m, "k", "m");
  else checkMatrix("gemm", "A", A, m, k, "m", "k");
  if (transB) checkMatrix("gemm", "B", B, n, k, "n", "k");
  else checkMatrix("gemm", "B", B, k, n, "k", "n");
  checkMatrix("gemm", "C", C, m, n, "m", "n");

  // A single column or row of C is a matrix-vector product; both vectors involved
  // (op(B) when n = 1, op(A) when m = 1) are contiguous whatever the transpose flag.
  if (n === 1) {
    // C(m) = alpha * op(A) * b(k) + beta * C
    if (transA) gemvUnchecked(true, k, m, alpha, A, B, beta, C);
    else gemvUnchecked(false, m, k, alpha, A, B, beta, C);
    return;
  }
  if (m === 1) {
    // C(n) = alpha * op(B)ᵀ * a(k) + beta * C
    if (transB) gemvUnchecked(false, n, k, alpha, B, A, beta, C);
    else gemvUnchecked(true, k, n, alpha, B, A, beta, C);
    return;
  }

  if (m === 0 || n === 0) return;
  if (k === 0 || alpha === 0) {
    scaleOutput(m * n, beta, C);
    return;
  }
  if (m * n * k > WASM_GEMM && gemmWasm(transA, transB, m, n, k, alpha, A, B, beta, C)) return;

  scaleOutput(m * n, beta, C);
  if (m * n * k <= SMALL_GEMM) gemmSmall(transA, transB, m, n, k, alpha, A, B, C);
  else gemmBlocked(transA, transB, m, n, k, alpha, A, B, C);
}

/** Direct loops for tiny products: C += alpha * op(A) op(B). */
function gemmSmall(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  A: Float64Array,
  B: Float64Array,
  C: Float64Array,
): void {
  if (!transB) {
    // i-p-j order: row i of C += a(i,p) * row p of B.
    for (let i = 0; i < m; i++) {
      const ci = i * n;
      for (let p = 0; p < k; p++) {
        const a = alpha * (transA ? A[p * m + i] : A[i * k + p]);
        const bp = p * n;
        for (let j = 0; j < n; j++) C[ci + j] += a * B[bp + j];
      }
    }
  } else {
    // B stored n×k: C(i,j) += alpha * Σ_p op(A)(i,p) * B[j,p].
    for (let i = 0; i < m; i++) {
      const ci = i * n;
      for (let j = 0; j < n; j++) {
        const bj = j * k;
        let s = 0.0;
        if (transA) {
          for (let p = 0; p < k; p++) s += A[p * m + i] * B[bj + p];
        } else {
          const ai = i * k;
          for (let p = 0; p < k; p++) s += A[ai + p] * B[bj + p];
        }
        C[ci + j] += alpha * s;
      }
    }
  }
}

/** Blocked, packed gemm: C += alpha * op(A) op(B) (beta already applied). */
function gemmBlocked(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  A: Float64Array,
  B: Float64Array,
  C: Float64Array,
): void {
  for (let jc = 0; jc < n; jc += NC) {
    const nc = n - jc < NC ? n - jc : NC;
    for (let pc = 0; pc < k; pc += KC) {
      const kc = k - pc < KC ? k - pc : KC;
      if (transB) packBTrans(k, B, pc, kc, jc, nc);
      else packBNoTrans(n, B, pc, kc, jc, nc);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = m - ic < MC ? m - ic : MC;
        if (transA) packATrans(m, A, ic, mc, pc, kc);
        else packANoTrans(k, A, ic, mc, pc, kc);
        macroKernel(mc, nc, kc, alpha, C, ic * n + jc, n);
      }
    }
  }
}

/**
 * Packs rows ic..ic+mc, columns pc..pc+kc of op(A) = A (stored m×k) into the A part of
 * `pack` as panels of MR rows: pack[(ip*kc + p)*MR + r] = A[ic + ip*MR + r, pc + p];
 * rows past the edge are zero.
 */
function packANoTrans(k: number, A: Float64Array, ic: number, mc: number, pc: number, kc: number): void {
  const Ap = pack;
  let panel = 0;
  for (let ir = 0; ir < mc; ir += MR) {
    const rows = mc - ir < MR ? mc - ir : MR;
    for (let r = 0; r < MR; r++) {
      let o = panel + r;
      if (r < rows) {
        let src = (ic + ir + r) * k + pc;
        for (let p = 0; p < kc; p++) {
          Ap[o] = A[src];
          o += MR;
          src++;
        }
      } else {
        for (let p = 0; p < kc; p++) {
          Ap[o] = 0;
          o += MR;
        }
      }
    }
    panel += MR * kc;
  }
}

/** As packANoTrans, but op(A) = Aᵀ with A stored k×m: op(A)(i, p) = A[p*m + i]. */
function packATrans(m: number, A: Float64Array, ic: number, mc: number, pc: number, kc: number): void {
  const Ap = pack;
  let o = 0;
  for (let ir = 0; ir < mc; ir += MR) {
    const rows = mc - ir < MR ? mc - ir : MR;
    let src = pc * m + ic + ir;
    if (rows === MR) {
      for (let p = 0; p < kc; p++) {
        Ap[o] = A[src];
        Ap[o + 1] = A[src + 1];
        o += MR;
        src += m;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let r = 0; r < MR; r++) Ap[o + r] = r < rows ? A[src + r] : 0;
        o += MR;
        src += m;
      }
    }
  }
}

/**
 * Packs rows pc..pc+kc, columns jc..jc+nc of op(B) = B (stored k×n) into the B part of
 * `pack` as panels of NR columns: pack[B_OFFSET + (jp*kc + p)*NR + c] = B[pc + p, jc + jp*NR + c];
 * columns past the edge are zero.
 */
function packBNoTrans(n: number, B: Float64Array, pc: number, kc: number, jc: number, nc: number): void {
  const Bp = pack;
  let o = B_OFFSET;
  for (let jr = 0; jr < nc; jr += NR) {
    const cols = nc - jr < NR ? nc - jr : NR;
    let src = pc * n + jc + jr;
    if (cols === NR) {
      for (let p = 0; p < kc; p++) {
        Bp[o] = B[src];
        Bp[o + 1] = B[src + 1];
        Bp[o + 2] = B[src + 2];
        Bp[o + 3] = B[src + 3];
        o += NR;
        src += n;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let c = 0; c < NR; c++) Bp[o + c] = c < cols ? B[src + c] : 0;
        o += NR;
        src += n;
      }
    }
  }
}

/** As packBNoTrans, but op(B) = Bᵀ with B stored n×k: op(B)(p, j) = B[j*k + p]. */
function packBTrans(k: number, B: Float64Array, pc: number, kc: number, jc: number, nc: number): void {
  const Bp = pack;
  let panel = B_OFFSET;
  for (let jr = 0; jr < nc; jr += NR) {
    const cols = nc - jr < NR ? nc - jr : NR;
    for (let c = 0; c < NR; c++) {
      let o = panel + c;
      if (c < cols) {
        let src = (jc + jr + c) * k + pc;
        for (let p = 0; p < kc; p++) {
          Bp[o] = B[src];
          o += NR;
          src++;
        }
      } else {
        for (let p = 0; p < kc; p++) {
          Bp[o] = 0;
          o += NR;
        }
      }
    }
    panel += NR * kc;
  }
}

/** C[cOff + i*ldc + j] += alpha * (packed A block · packed B block) for i < mc, j < nc. */
function macroKernel(mc: number, nc: number, kc: number, alpha: number, C: Float64Array, cOff: number, ldc: number): void {
  const tile = edgeTile;
  for (let jr = 0; jr < nc; jr += NR) {
    const cols = nc - jr < NR ? nc - jr : NR;
    const bo = B_OFFSET + jr * kc;
    for (let ir = 0; ir < mc; ir += MR) {
      const rows = mc - ir < MR ? mc - ir : MR;
      const ao = ir * kc;
      if (rows === MR && cols === NR) {
        microKernel(kc, ao, bo, C, cOff + ir * ldc + jr, ldc, alpha);
      } else {
        tile.fill(0);
        microKernel(kc, ao, bo, tile, 0, NR, alpha);
        for (let r = 0; r < rows; r++) {
          const c0 = cOff + (ir + r) * ldc + jr;
          for (let c = 0; c < cols; c++) C[c0 + c] += tile[r * NR + c];
        }
      }
    }
  }
}

/**
 * The 2×4 micro-kernel:
 *   C[co + i*ldc + j] += alpha * Σ_{p<kc} pack[ao + 2p + i] * pack[bo + 4p + j]  (i < 2, j < 4).
 * The `| 0` on index arithmetic lets V8 use wrapping int32 adds (no overflow checks);
 * all indices are far below 2³¹, and the bounds checks that remain keep reads in range.
 */
function microKernel(kc: number, ao: number, bo: number, C: Float64Array, co: number, ldc: number, alpha: number): void {
  const Ap = pack;
  const Bp = pack;
  let c00 = 0.0;
  let c01 = 0.0;
  let c02 = 0.0;
  let c03 = 0.0;
  let c10 = 0.0;
  let c11 = 0.0;
  let c12 = 0.0;
  let c13 = 0.0;
  for (let p = 0; p < kc; p++) {
    const b0 = Bp[bo];
    const b1 = Bp[(bo + 1) | 0];
    const b2 = Bp[(bo + 2) | 0];
    const b3 = Bp[(bo + 3) | 0];
    let a = Ap[ao];
    c00 += a * b0;
    c01 += a * b1;
    c02 += a * b2;
    c03 += a * b3;
    a = Ap[(ao + 1) | 0];
    c10 += a * b0;
    c11 += a * b1;
    c12 += a * b2;
    c13 += a * b3;
    ao = (ao + 2) | 0;
    bo = (bo + 4) | 0;
  }
  C[co] += alpha * c00;
  C[co + 1] += alpha * c01;
  C[co + 2] += alpha * c02;
  C[co + 3] += alpha * c03;
  co += ldc;
  C[co] += alpha * c10;
  C[co + 1] += alpha * c11;
  C[co + 2] += alpha * c12;
  C[co + 3] += alpha * c13;
}
