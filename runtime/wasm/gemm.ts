/**
 * The WebAssembly SIMD gemm kernel (AssemblyScript). `npm run build:wasm` compiles this file
 * to runtime/gemm-wasm.generated.ts; runtime/gemm-wasm.ts loads it and moves data in and out.
 *
 *   C = alpha * op(A) * op(B) + beta * C
 *
 * on dense row-major f64 matrices that lie in this module's (imported) linear memory at the
 * byte addresses a, b, c: A is m×k (k×m when transA), B is k×n (n×k when transB), C is m×n.
 * beta == 0 overwrites C without reading it. The caller handles m, n or k = 0 and alpha = 0.
 *
 * The structure is that of runtime/blas.ts's JavaScript gemm (GotoBLAS/BLIS): op(B) is packed
 * into panels of NR columns and op(A) into panels of MR rows, transposes resolved and edges
 * zero-padded while packing, and one MR×NR micro-kernel computes every tile. Here the tile is
 * 4×4 held in eight f64x2 accumulators (row i, columns 0–1 and 2–3), so that with two f64x2
 * of B and one broadcast element of A an iteration uses 11 of the 16 SIMD registers.
 *
 * The packing area is `work`, workBytes() bytes, provided by the caller.
 */

// Micro-kernel tile (rows × columns of C).
const MR = 4;
const NR = 4;
// Cache blocks: a KC×NR panel of packed B (8 KiB) stays in L1 while the MC×KC block of packed
// A (256 KiB) stays in L2; packed B (KC×NC, 1 MiB) streams from L2/L3.
const KC = 256;
const MC = 128;
const NC = 512;

const F64 = 8;
const PACK_A_BYTES = MC * KC * F64;
const PACK_B_BYTES = KC * NC * F64;
const TILE_BYTES = MR * NR * F64;

/** Bytes of the packing area gemm needs at `work` (packed A, packed B, one edge tile). */
export function workBytes(): i32 {
  return PACK_A_BYTES + PACK_B_BYTES + TILE_BYTES;
}

export function gemm(
  transA: i32,
  transB: i32,
  m: i32,
  n: i32,
  k: i32,
  alpha: f64,
  beta: f64,
  a: usize,
  b: usize,
  c: usize,
  work: usize,
): void {
  const pa = work;
  const pb = work + PACK_A_BYTES;
  const tile = pb + PACK_B_BYTES;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      // The first k block applies beta; later ones accumulate.
      const bk = pc == 0 ? beta : 1.0;
      if (transB) packBTrans(k, b, pc, kc, jc, nc, pb);
      else packBNoTrans(n, b, pc, kc, jc, nc, pb);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        if (transA) packATrans(m, a, ic, mc, pc, kc, pa);
        else packANoTrans(k, a, ic, mc, pc, kc, pa);
        macroKernel(mc, nc, kc, alpha, bk, c + (<usize>ic * n + jc) * F64, n, pa, pb, tile);
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Packing
// ---------------------------------------------------------------------------

/**
 * Packs rows ic..ic+mc, columns pc..pc+kc of op(A) = A (stored m×k, row stride k) as panels of
 * MR rows: pa[(ip*kc + p)*MR + r] = A[ic + ip*MR + r, pc + p]; rows past the edge are zero.
 */
function packANoTrans(k: i32, a: usize, ic: i32, mc: i32, pc: i32, kc: i32, pa: usize): void {
  const ld = <usize>k * F64;
  let o = pa;
  for (let ir = 0; ir < mc; ir += MR) {
    const rows = min(MR, mc - ir);
    const src = a + (<usize>(ic + ir) * k + pc) * F64;
    if (rows == MR) {
      const r0 = src;
      const r1 = r0 + ld;
      const r2 = r1 + ld;
      const r3 = r2 + ld;
      let off: usize = 0;
      let p = 0;
      // Two k steps at a time: a 2×2 transpose of each pair of rows.
      for (; p + 2 <= kc; p += 2) {
        const x0 = v128.load(r0 + off);
        const x1 = v128.load(r1 + off);
        const x2 = v128.load(r2 + off);
        const x3 = v128.load(r3 + off);
        v128.store(o, i64x2.shuffle(x0, x1, 0, 2));
        v128.store(o, i64x2.shuffle(x2, x3, 0, 2), 16);
        v128.store(o, i64x2.shuffle(x0, x1, 1, 3), 32);
        v128.store(o, i64x2.shuffle(x2, x3, 1, 3), 48);
        o += 2 * MR * F64;
        off += 2 * F64;
      }
      if (p < kc) {
        store<f64>(o, load<f64>(r0 + off));
        store<f64>(o, load<f64>(r1 + off), 8);
        store<f64>(o, load<f64>(r2 + off), 16);
        store<f64>(o, load<f64>(r3 + off), 24);
        o += MR * F64;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let r = 0; r < MR; r++) {
          store<f64>(o + <usize>r * F64, r < rows ? load<f64>(src + <usize>r * ld + <usize>p * F64) : 0.0);
        }
        o += MR * F64;
      }
    }
  }
}

/** As packANoTrans, but op(A) = Aᵀ with A stored k×m: op(A)(i, p) = A[p*m + i]. */
function packATrans(m: i32, a: usize, ic: i32, mc: i32, pc: i32, kc: i32, pa: usize): void {
  const ld = <usize>m * F64;
  let o = pa;
  for (let ir = 0; ir < mc; ir += MR) {
    const rows = min(MR, mc - ir);
    let src = a + (<usize>pc * m + ic + ir) * F64;
    if (rows == MR) {
      for (let p = 0; p < kc; p++) {
        v128.store(o, v128.load(src));
        v128.store(o, v128.load(src, 16), 16);
        o += MR * F64;
        src += ld;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let r = 0; r < MR; r++) {
          store<f64>(o + <usize>r * F64, r < rows ? load<f64>(src + <usize>r * F64) : 0.0);
        }
        o += MR * F64;
        src += ld;
      }
    }
  }
}

/**
 * Packs rows pc..pc+kc, columns jc..jc+nc of op(B) = B (stored k×n, row stride n) as panels of
 * NR columns: pb[(jp*kc + p)*NR + c] = B[pc + p, jc + jp*NR + c]; columns past the edge are zero.
 */
function packBNoTrans(n: i32, b: usize, pc: i32, kc: i32, jc: i32, nc: i32, pb: usize): void {
  const ld = <usize>n * F64;
  let o = pb;
  for (let jr = 0; jr < nc; jr += NR) {
    const cols = min(NR, nc - jr);
    let src = b + (<usize>pc * n + jc + jr) * F64;
    if (cols == NR) {
      for (let p = 0; p < kc; p++) {
        v128.store(o, v128.load(src));
        v128.store(o, v128.load(src, 16), 16);
        o += NR * F64;
        src += ld;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let j = 0; j < NR; j++) {
          store<f64>(o + <usize>j * F64, j < cols ? load<f64>(src + <usize>j * F64) : 0.0);
        }
        o += NR * F64;
        src += ld;
      }
    }
  }
}

/** As packBNoTrans, but op(B) = Bᵀ with B stored n×k: op(B)(p, j) = B[j*k + p]. */
function packBTrans(k: i32, b: usize, pc: i32, kc: i32, jc: i32, nc: i32, pb: usize): void {
  const ld = <usize>k * F64;
  let o = pb;
  for (let jr = 0; jr < nc; jr += NR) {
    const cols = min(NR, nc - jr);
    const src = b + (<usize>(jc + jr) * k + pc) * F64;
    if (cols == NR) {
      const r0 = src;
      const r1 = r0 + ld;
      const r2 = r1 + ld;
      const r3 = r2 + ld;
      let off: usize = 0;
      let p = 0;
      for (; p + 2 <= kc; p += 2) {
        const x0 = v128.load(r0 + off);
        const x1 = v128.load(r1 + off);
        const x2 = v128.load(r2 + off);
        const x3 = v128.load(r3 + off);
        v128.store(o, i64x2.shuffle(x0, x1, 0, 2));
        v128.store(o, i64x2.shuffle(x2, x3, 0, 2), 16);
        v128.store(o, i64x2.shuffle(x0, x1, 1, 3), 32);
        v128.store(o, i64x2.shuffle(x2, x3, 1, 3), 48);
        o += 2 * NR * F64;
        off += 2 * F64;
      }
      if (p < kc) {
        store<f64>(o, load<f64>(r0 + off));
        store<f64>(o, load<f64>(r1 + off), 8);
        store<f64>(o, load<f64>(r2 + off), 16);
        store<f64>(o, load<f64>(r3 + off), 24);
        o += NR * F64;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let j = 0; j < NR; j++) {
          store<f64>(o + <usize>j * F64, j < cols ? load<f64>(src + <usize>j * ld + <usize>p * F64) : 0.0);
        }
        o += NR * F64;
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Kernels
// ---------------------------------------------------------------------------

/** C (mc×nc at c, row stride ldc elements) = beta*C + alpha * (packed A block · packed B block). */
function macroKernel(
  mc: i32,
  nc: i32,
  kc: i32,
  alpha: f64,
  beta: f64,
  c: usize,
  ldc: i32,
  pa: usize,
  pb: usize,
  tile: usize,
): void {
  const ldcBytes = <usize>ldc * F64;
  for (let jr = 0; jr < nc; jr += NR) {
    const cols = min(NR, nc - jr);
    const bp = pb + <usize>jr * kc * F64;
    for (let ir = 0; ir < mc; ir += MR) {
      const rows = min(MR, mc - ir);
      const ap = pa + <usize>ir * kc * F64;
      const cp = c + <usize>ir * ldcBytes + <usize>jr * F64;
      if (rows == MR && cols == NR) {
        microKernel(kc, ap, bp, cp, ldcBytes, alpha, beta);
      } else {
        // Edge tile: the full product into the scratch tile, then the valid part into C.
        microKernel(kc, ap, bp, tile, NR * F64, 1.0, 0.0);
        for (let r = 0; r < rows; r++) {
          const crow = cp + <usize>r * ldcBytes;
          const trow = tile + <usize>r * NR * F64;
          for (let j = 0; j < cols; j++) {
            const q = crow + <usize>j * F64;
            const t = alpha * load<f64>(trow + <usize>j * F64);
            store<f64>(q, beta == 0 ? t : beta * load<f64>(q) + t);
          }
        }
      }
    }
  }
}

/**
 * The 4×4 micro-kernel:
 *   C[i, j] = beta*C[i, j] + alpha * Σ_{p<kc} pa[4p + i] * pb[4p + j]   (i, j < 4)
 * with C at c and a row stride of ldc bytes; beta == 0 does not read C.
 */
// @ts-ignore: decorator
@inline
function microKernel(kc: i32, pa: usize, pb: usize, c: usize, ldc: usize, alpha: f64, beta: f64): void {
  let c00 = f64x2.splat(0);
  let c01 = f64x2.splat(0);
  let c10 = f64x2.splat(0);
  let c11 = f64x2.splat(0);
  let c20 = f64x2.splat(0);
  let c21 = f64x2.splat(0);
  let c30 = f64x2.splat(0);
  let c31 = f64x2.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let x = v128.load64_splat(pa);
    c00 = f64x2.add(c00, f64x2.mul(x, b0));
    c01 = f64x2.add(c01, f64x2.mul(x, b1));
    x = v128.load64_splat(pa, 8);
    c10 = f64x2.add(c10, f64x2.mul(x, b0));
    c11 = f64x2.add(c11, f64x2.mul(x, b1));
    x = v128.load64_splat(pa, 16);
    c20 = f64x2.add(c20, f64x2.mul(x, b0));
    c21 = f64x2.add(c21, f64x2.mul(x, b1));
    x = v128.load64_splat(pa, 24);
    c30 = f64x2.add(c30, f64x2.mul(x, b0));
    c31 = f64x2.add(c31, f64x2.mul(x, b1));
    pa += MR * F64;
    pb += NR * F64;
  }
  const va = f64x2.splat(alpha);
  const r1 = c + ldc;
  const r2 = r1 + ldc;
  const r3 = r2 + ldc;
  if (beta == 0) {
    v128.store(c, f64x2.mul(va, c00));
    v128.store(c, f64x2.mul(va, c01), 16);
    v128.store(r1, f64x2.mul(va, c10));
    v128.store(r1, f64x2.mul(va, c11), 16);
    v128.store(r2, f64x2.mul(va, c20));
    v128.store(r2, f64x2.mul(va, c21), 16);
    v128.store(r3, f64x2.mul(va, c30));
    v128.store(r3, f64x2.mul(va, c31), 16);
  } else {
    const vb = f64x2.splat(beta);
    v128.store(c, f64x2.add(f64x2.mul(vb, v128.load(c)), f64x2.mul(va, c00)));
    v128.store(c, f64x2.add(f64x2.mul(vb, v128.load(c, 16)), f64x2.mul(va, c01)), 16);
    v128.store(r1, f64x2.add(f64x2.mul(vb, v128.load(r1)), f64x2.mul(va, c10)));
    v128.store(r1, f64x2.add(f64x2.mul(vb, v128.load(r1, 16)), f64x2.mul(va, c11)), 16);
    v128.store(r2, f64x2.add(f64x2.mul(vb, v128.load(r2)), f64x2.mul(va, c20)));
    v128.store(r2, f64x2.add(f64x2.mul(vb, v128.load(r2, 16)), f64x2.mul(va, c21)), 16);
    v128.store(r3, f64x2.add(f64x2.mul(vb, v128.load(r3)), f64x2.mul(va, c30)));
    v128.store(r3, f64x2.add(f64x2.mul(vb, v128.load(r3, 16)), f64x2.mul(va, c31)), 16);
  }
}
