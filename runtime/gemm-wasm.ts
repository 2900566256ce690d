/**
 * The WebAssembly SIMD (f64x2) path of runtime/blas.ts's gemm.
 *
 * The kernel (runtime/wasm/gemm.ts, AssemblyScript) is compiled by `npm run build:wasm` into
 * runtime/gemm-wasm.generated.ts as base64, so this module needs no file system, fetch or
 * bundler support. At first use it checks for WebAssembly SIMD with WebAssembly.validate on a
 * tiny module, then compiles the kernel synchronously (it is under 4 KiB, the most that Chrome
 * before version 114 compiled synchronously on the main thread). Where either fails, gemmWasm
 * returns false and blas.ts runs its JavaScript kernel.
 *
 * Memory. The kernel works on matrices in its linear memory, so each call copies the operands
 * in (TypedArray#set, a memcpy) and C back out. Large products are cut into blocks of at most
 * STAGE doubles per operand, so the memory stays bounded (about 7.3 MiB at most) however large
 * the matrices; every block is still a full gemm to the kernel, which does its own cache
 * blocking inside. The memory is sized to the largest product seen so far and is grown by
 * replacing it (with a new instance of the already compiled module) rather than by
 * Memory#grow: growing detaches the old ArrayBuffer, and once any ArrayBuffer in the process
 * has been detached, V8 adds a detached-buffer check to every typed-array access in optimized
 * code, which slows all Float64Array code in the process (see docs/benchmarks.md, "gemm").
 * There is one live instance per process (per realm) at a time.
 */
import { GEMM_WASM_BASE64 } from "./gemm-wasm.generated.ts";

// ---------------------------------------------------------------------------
// The parts of the WebAssembly JS API used here (the runtime's lib is ES2022 only)
// ---------------------------------------------------------------------------

interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: unknown };
  Memory: new (descriptor: { initial: number }) => WasmMemory;
}
interface KernelExports {
  gemm(
    transA: number,
    transB: number,
    m: number,
    n: number,
    k: number,
    alpha: number,
    beta: number,
    a: number,
    b: number,
    c: number,
    work: number,
  ): void;
  workBytes(): number;
}

/**
 * A minimal module using SIMD: one function () -> v128 returning f64x2.splat(0.0).
 * WebAssembly.validate accepts it exactly when the engine supports fixed-width SIMD.
 */
// prettier-ignore
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type section: [func () -> v128]
  0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
  0x0a, 0x0f, 0x01, 0x0d, 0x00, // code section: one body of 13 bytes, no locals
  0x44, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // f64.const 0
  0xfd, 0x14, // f64x2.splat
  0x0b, // end
]);

/** Decodes standard base64 (no whitespace). Exported for its test. */
export function fromBase64(s: string): Uint8Array {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const value = new Uint8Array(128);
  for (let i = 0; i < 64; i++) value[alphabet.charCodeAt(i)] = i;
  let len = s.length;
  while (len > 0 && s[len - 1] === "=") len--;
  const out = new Uint8Array((len * 3) >> 2);
  let o = 0;
  for (let i = 0; i < len; i += 4) {
    const n =
      (value[s.charCodeAt(i)] << 18) |
      (value[s.charCodeAt(i + 1)] << 12) |
      ((i + 2 < len ? value[s.charCodeAt(i + 2)] : 0) << 6) |
      (i + 3 < len ? value[s.charCodeAt(i + 3)] : 0);
    out[o++] = n >> 16;
    if (o < out.length) out[o++] = (n >> 8) & 0xff;
    if (o < out.length) out[o++] = n & 0xff;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------

/** Why the wasm path is off, or null while it is (or may become) available. */
let unavailable: string | null = null;
let compiled: object | null = null;
let wasm: WasmApi | null = null;
let enabled = true;

/** Compiles the kernel on first use; returns false (and records why) where that is impossible. */
function load(): boolean {
  if (compiled !== null) return true;
  if (unavailable !== null) return false;
  const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (api === undefined || typeof api.validate !== "function") {
    unavailable = "WebAssembly is not available";
    return false;
  }
  try {
    if (!api.validate(SIMD_PROBE)) {
      unavailable = "WebAssembly SIMD is not supported";
      return false;
    }
    compiled = new api.Module(fromBase64(GEMM_WASM_BASE64));
    wasm = api;
    return true;
  } catch (e) {
    unavailable = `the gemm kernel failed to compile: ${e instanceof Error ? e.message : String(e)}`;
    return false;
  }
}

// ---------------------------------------------------------------------------
// The instance and its memory
// ---------------------------------------------------------------------------

const PAGE = 65536;
/** The most doubles one staged block of A, B or C may hold (2 MiB each). */
const STAGE = 1 << 18;
/** Block dimensions are at most this, and then ≥ STAGE / BLOCK_DIM along k (see gemmWasm). */
const BLOCK_DIM = 512;

let kernel: KernelExports | null = null;
/** A Float64Array over the whole memory; never detached (the memory is never grown). */
let heap = new Float64Array(0);
/** Byte offset where the operands start: after the kernel's packing area, 64-byte aligned. */
let base = 0;
/** The most memory any call needs: the packing area and three full staged blocks. */
let maxPages = 0;

/** Instantiates the compiled kernel over a fresh memory of `pages` pages. */
function instantiate(pages: number): void {
  const api = wasm!;
  const memory = new api.Memory({ initial: pages });
  kernel = new api.Instance(compiled!, { env: { memory } }).exports as KernelExports;
  heap = new Float64Array(memory.buffer);
}

/** Makes sure the memory holds the packing area plus `doubles` doubles of operands. */
function reserve(doubles: number): void {
  if (kernel === null) {
    // An empty memory first, to ask the kernel how large its packing area is.
    instantiate(0);
    base = Math.ceil(kernel!.workBytes() / 64) * 64;
    maxPages = Math.ceil((base + 3 * STAGE * 8) / PAGE);
  }
  const needed = base + doubles * 8;
  if (needed <= heap.byteLength) return;
  // At least double, so that ever larger products replace the memory only a few times.
  instantiate(Math.min(maxPages, Math.max(Math.ceil(needed / PAGE), 2 * (heap.byteLength / PAGE))));
}

// ---------------------------------------------------------------------------
// Staging
// ---------------------------------------------------------------------------

/** Below this many columns a row segment is copied element by element rather than with set(). */
const SHORT_ROW = 16;

/** heap[dst..] = rows r0..r0+rows, columns c0..c0+cols of X (row stride ld), packed densely. */
function stageIn(X: Float64Array, ld: number, r0: number, rows: number, c0: number, cols: number, dst: number): void {
  const h = heap;
  if (cols === ld) {
    h.set(X.subarray(r0 * ld, (r0 + rows) * ld), dst);
  } else if (cols < SHORT_ROW) {
    for (let r = 0; r < rows; r++) {
      const s = (r0 + r) * ld + c0;
      const d = dst + r * cols;
      for (let j = 0; j < cols; j++) h[d + j] = X[s + j];
    }
  } else {
    for (let r = 0; r < rows; r++) {
      const s = (r0 + r) * ld + c0;
      h.set(X.subarray(s, s + cols), dst + r * cols);
    }
  }
}

/** The inverse of stageIn: rows r0.., columns c0.. of X = the dense block at heap[src..]. */
function stageOut(X: Float64Array, ld: number, r0: number, rows: number, c0: number, cols: number, src: number): void {
  const h = heap;
  if (cols === ld) {
    X.set(h.subarray(src, src + rows * cols), r0 * ld);
  } else if (cols < SHORT_ROW) {
    for (let r = 0; r < rows; r++) {
      const d = (r0 + r) * ld + c0;
      const s = src + r * cols;
      for (let j = 0; j < cols; j++) X[d + j] = h[s + j];
    }
  } else {
    for (let r = 0; r < rows; r++) {
      const s = src + r * cols;
      X.set(h.subarray(s, s + cols), (r0 + r) * ld + c0);
    }
  }
}

// ---------------------------------------------------------------------------
// Entry points
// ---------------------------------------------------------------------------

/** Whether gemmWasm will run the WebAssembly kernel (compiling it if not done yet). */
export function wasmGemmAvailable(): boolean {
  return enabled && load();
}

/** Why the WebAssembly kernel is not used ("disabled" when turned off), or null when it is. */
export function wasmGemmUnavailableReason(): string | null {
  if (!enabled) return "disabled";
  return load() ? null : unavailable;
}

/** The kernel's current memory (null before the first call), for tests of the memory strategy. */
export function wasmGemmBuffer(): ArrayBuffer | null {
  return kernel === null ? null : heap.buffer;
}

/**
 * Turns the WebAssembly path on or off for this process (for tests and benchmarks that compare
 * it with the JavaScript kernel); returns the previous setting.
 */
export function setWasmGemmEnabled(on: boolean): boolean {
  const was = enabled;
  enabled = on;
  return was;
}

/**
 * C = alpha * op(A) * op(B) + beta * C with the WebAssembly kernel, with runtime/blas.ts's gemm
 * conventions; returns false, having done nothing, when the kernel is not available.
 * The caller has validated the arguments and handles m, n or k = 0 and alpha = 0.
 * beta === 0 does not read C.
 */
export function gemmWasm(
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
): boolean {
  if (!enabled || !load()) return false;
  // Block sizes: each staged block (mc×kc of op(A), kc×nc of op(B), mc×nc of C) holds at most
  // STAGE doubles; a product whose operands all fit is a single block, copied with one set()
  // per matrix.
  const nc = Math.min(n, BLOCK_DIM);
  const kc = Math.min(k, Math.floor(STAGE / Math.max(nc, Math.min(m, BLOCK_DIM))));
  const mc = Math.min(m, Math.floor(STAGE / Math.max(nc, kc)));
  const aLen = mc * kc;
  const bLen = kc * nc;
  try {
    reserve(aLen + bLen + mc * nc);
  } catch (e) {
    // No memory or instance to be had (the engine's limits): the JavaScript kernel from now on.
    unavailable = `the gemm kernel could not be instantiated: ${e instanceof Error ? e.message : String(e)}`;
    compiled = null;
    kernel = null;
    return false;
  }
  const ex = kernel!;
  const aAt = base / 8;
  const bAt = aAt + aLen;
  const cAt = bAt + bLen;
  const tA = transA ? 1 : 0;
  const tB = transB ? 1 : 0;
  for (let jc = 0; jc < n; jc += nc) {
    const nb = Math.min(nc, n - jc);
    for (let pc = 0; pc < k; pc += kc) {
      const kb = Math.min(kc, k - pc);
      if (transB) stageIn(B, k, jc, nb, pc, kb, bAt);
      else stageIn(B, n, pc, kb, jc, nb, bAt);
      // The first k block applies beta; later ones accumulate onto it.
      const bk = pc === 0 ? beta : 1;
      for (let ic = 0; ic < m; ic += mc) {
        const mb = Math.min(mc, m - ic);
        if (transA) stageIn(A, m, pc, kb, ic, mb, aAt);
        else stageIn(A, k, ic, mb, pc, kb, aAt);
        if (bk !== 0) stageIn(C, n, ic, mb, jc, nb, cAt);
        ex.gemm(tA, tB, mb, nb, kb, alpha, bk, aAt * 8, bAt * 8, cAt * 8, 0);
        stageOut(C, n, ic, mb, jc, nb, cAt);
      }
    }
  }
  return true;
}
