import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";
import { gemm } from "../../runtime/blas.ts";
import {
  fromBase64,
  gemmWasm,
  setWasmGemmEnabled,
  wasmGemmAvailable,
  wasmGemmUnavailableReason,
} from "../../runtime/gemm-wasm.ts";
import { GEMM_WASM_BASE64 } from "../../runtime/gemm-wasm.generated.ts";
import { buildGenerated, OUTPUT } from "../../scripts/build-wasm.mjs";

/** The parts of the WebAssembly JS API used here (the project's lib, ES2022, does not declare it). */
interface WasmJs {
  validate(bytes: Uint8Array): boolean;
  Memory: new (descriptor: { initial: number }) => object;
  Module: {
    new (bytes: Uint8Array): object;
    imports(module: object): Array<{ module: string; name: string; kind: string }>;
    exports(module: object): Array<{ name: string; kind: string }>;
  };
  CompileError: new (message: string) => Error;
}
const WA = (globalThis as unknown as { WebAssembly: WasmJs }).WebAssembly;

// ---------------------------------------------------------------------------
// Data and references
// ---------------------------------------------------------------------------

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomArray(len: number, seed: number): Float64Array {
  const rnd = mulberry32(seed);
  const out = new Float64Array(len);
  for (let i = 0; i < len; i++) out[i] = 2 * rnd() - 1;
  return out;
}

function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i] - b[i]);
    if (!(e <= d)) d = e; // NaN is kept
  }
  return d;
}

function expectClose(actual: Float64Array, expected: Float64Array, tol: number): void {
  const d = maxAbsDiff(actual, expected);
  expect(Number.isNaN(d)).toBe(false);
  expect(d).toBeLessThanOrEqual(tol);
}

type Args = [boolean, boolean, number, number, number, number, Float64Array, Float64Array, number, Float64Array];

/** runtime/blas.ts's gemm with the WebAssembly path switched off: the JavaScript kernel. */
function jsGemm(...args: Args): void {
  const was = setWasmGemmEnabled(false);
  try {
    gemm(...args);
  } finally {
    setWasmGemmEnabled(was);
  }
}

/** Straight from the definition, for the fallback tests (which cannot rely on either kernel). */
function refGemm(...[tA, tB, m, n, k, alpha, A, B, beta, C]: Args): Float64Array {
  const out = Float64Array.from(C);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += (tA ? A[p * m + i] : A[i * k + p]) * (tB ? B[j * k + p] : B[p * n + j]);
      out[i * n + j] = alpha * s + (beta === 0 ? 0 : beta * C[i * n + j]);
    }
  }
  return out;
}

const TRANSPOSES: Array<[boolean, boolean]> = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
];
const label = ([tA, tB]: [boolean, boolean]): string => `${tA ? "T" : "N"}${tB ? "T" : "N"}`;
const SIZES = [1, 2, 3, 7, 17, 63, 65, 129];
const SCALARS: Array<[number, number]> = [
  [1, 0],
  [1, 1],
  [-0.5, 2],
  [2.5, -1],
];
// Entries are in [-1, 1) and k ≤ 129 here, so both kernels' rounding errors stay below
// k·2⁻⁵² ≈ 3e-14 (times |alpha| and |beta| ≤ 2.5); they differ only in summation order.
const TOL = 1e-13;

afterEach(() => {
  setWasmGemmEnabled(true);
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

// ---------------------------------------------------------------------------
// The build
// ---------------------------------------------------------------------------

describe("the wasm kernel's build", () => {
  it("the committed runtime/gemm-wasm.generated.ts equals a fresh build of runtime/wasm/gemm.ts", async () => {
    const committed = readFileSync(fileURLToPath(new URL(`../../${OUTPUT}`, import.meta.url)), "utf8");
    expect(await buildGenerated()).toBe(committed);
  });

  it("is a module under 4 KiB that imports only its memory and exports gemm and workBytes", () => {
    const bytes = Uint8Array.from(Buffer.from(GEMM_WASM_BASE64, "base64"));
    // Chrome before 114 compiled modules above 4 KiB synchronously only off the main thread.
    expect(bytes.length).toBeLessThan(4096);
    const mod = new WA.Module(bytes);
    expect(WA.Module.imports(mod)).toEqual([{ module: "env", name: "memory", kind: "memory" }]);
    expect(WA.Module.exports(mod).map((e) => e.name).sort()).toEqual(["gemm", "workBytes"]);
  });

  it("decodes base64 of every length (with and without padding) as Node's Buffer does", () => {
    const rnd = mulberry32(9);
    for (let len = 0; len <= 70; len++) {
      const bytes = Uint8Array.from({ length: len }, () => Math.floor(rnd() * 256));
      const b64 = Buffer.from(bytes).toString("base64");
      expect(Array.from(fromBase64(b64))).toEqual(Array.from(bytes));
    }
    expect(Array.from(fromBase64(GEMM_WASM_BASE64))).toEqual(Array.from(Buffer.from(GEMM_WASM_BASE64, "base64")));
  });

  it("is active in Node (WebAssembly SIMD is on by default in every Node ≥ 20)", () => {
    expect(wasmGemmUnavailableReason()).toBe(null);
    expect(wasmGemmAvailable()).toBe(true);
  });
});

// ---------------------------------------------------------------------------
// Agreement with the JavaScript kernel
// ---------------------------------------------------------------------------

describe("gemmWasm agrees with the JavaScript kernel", () => {
  for (const t of TRANSPOSES) {
    it(`${label(t)}: every m, n, k in {${SIZES.join(", ")}} with alpha/beta variants`, () => {
      const [tA, tB] = t;
      let seed = 1;
      for (const m of SIZES) {
        for (const n of SIZES) {
          for (const k of SIZES) {
            const A = randomArray(m * k, seed++);
            const B = randomArray(k * n, seed++);
            const C0 = randomArray(m * n, seed++);
            for (const [alpha, beta] of SCALARS) {
              const expected = Float64Array.from(C0);
              jsGemm(tA, tB, m, n, k, alpha, A, B, beta, expected);
              const C = Float64Array.from(C0);
              expect(gemmWasm(tA, tB, m, n, k, alpha, A, B, beta, C)).toBe(true);
              expectClose(C, expected, TOL);
            }
          }
        }
      }
    });
  }

  it("through gemm itself (the dispatch sends these shapes to the wasm kernel)", () => {
    for (const t of TRANSPOSES) {
      for (const [m, n, k] of [
        [17, 63, 65],
        [129, 65, 7],
        [64, 64, 64],
        [2, 3, 1000],
        [7, 7, 7],
      ]) {
        const A = randomArray(m * k, m);
        const B = randomArray(k * n, n);
        const C = randomArray(m * n, k);
        const expected = Float64Array.from(C);
        jsGemm(t[0], t[1], m, n, k, -1.25, A, B, 0.5, expected);
        const direct = Float64Array.from(C);
        gemmWasm(t[0], t[1], m, n, k, -1.25, A, B, 0.5, direct);
        gemm(t[0], t[1], m, n, k, -1.25, A, B, 0.5, C);
        expectClose(C, expected, 1e-12);
        // Bit for bit the wasm kernel's result: gemm did dispatch to it.
        expect(Array.from(C)).toEqual(Array.from(direct));
      }
    }
  });

  it("beta = 0 does not read C: NaN and Infinity in C do not leak", () => {
    for (const t of TRANSPOSES) {
      for (const [m, n, k] of [
        [1, 1, 1],
        [7, 17, 3],
        [65, 63, 129],
        [5, 600, 7], // several column blocks
        [3, 4, 50000], // several k blocks: C is read back only after the first
      ]) {
        const A = randomArray(m * k, 3 * m);
        const B = randomArray(k * n, 5 * n);
        const expected = new Float64Array(m * n);
        jsGemm(t[0], t[1], m, n, k, 0.75, A, B, 0, expected);
        for (const poison of [NaN, Infinity]) {
          const C = new Float64Array(m * n).fill(poison);
          expect(gemmWasm(t[0], t[1], m, n, k, 0.75, A, B, 0, C)).toBe(true);
          expectClose(C, expected, 1e-12);
          const D = new Float64Array(m * n).fill(poison);
          gemm(t[0], t[1], m, n, k, 0.75, A, B, 0, D);
          expectClose(D, expected, 1e-12);
        }
      }
    }
  });

  it("products cut into blocks (rows, columns and k past the staging limits) match", () => {
    for (const t of TRANSPOSES) {
      for (const [m, n, k] of [
        [600, 600, 600], // 2×2×2 blocks of at most 512
        [3, 1030, 5], // three column blocks, short rows
        [70000, 5, 4], // two row blocks
        [6, 5, 50000], // two k blocks
        [520, 33, 700], // blocks with row segments copied by set()
      ]) {
        const A = randomArray(m * k, m + k);
        const B = randomArray(k * n, n + k);
        const C = randomArray(m * n, m + n);
        const expected = Float64Array.from(C);
        jsGemm(t[0], t[1], m, n, k, 1.5, A, B, -0.5, expected);
        expect(gemmWasm(t[0], t[1], m, n, k, 1.5, A, B, -0.5, C)).toBe(true);
        // k up to 50000: rounding error grows like k·ε·max|a·b|.
        expectClose(C, expected, k * 1e-14);
      }
    }
  });

  it("reads only the required prefix, writes only C's, and accepts subarray views", () => {
    for (const t of TRANSPOSES) {
      for (const [m, n, k] of [
        [9, 10, 11],
        [65, 63, 129],
        [3, 1030, 5],
      ]) {
        const buf = randomArray(7 + m * k + k * n + m * n + 7, m * n * k);
        buf.fill(NaN, 7 + m * k + k * n + m * n); // past C: must not be read or written
        const A = buf.subarray(7, 7 + m * k);
        const B = buf.subarray(7 + m * k, 7 + m * k + k * n);
        const C = buf.subarray(7 + m * k + k * n, 7 + m * k + k * n + m * n);
        const before = Float64Array.from(buf);
        const expected = Float64Array.from(C);
        jsGemm(t[0], t[1], m, n, k, 1, A, B, 0.5, expected);
        expect(gemmWasm(t[0], t[1], m, n, k, 1, A, B, 0.5, C)).toBe(true);
        expectClose(C, expected, TOL);
        const cStart = 7 + m * k + k * n;
        expect(Array.from(buf.subarray(0, cStart))).toEqual(Array.from(before.subarray(0, cStart)));
        expect(Array.from(buf.subarray(cStart + m * n))).toEqual(Array.from(before.subarray(cStart + m * n)));

        // Longer arrays than the shape needs, with NaN past the prefix.
        const A2 = new Float64Array(m * k + 5).fill(NaN);
        A2.set(A);
        const B2 = new Float64Array(k * n + 5).fill(NaN);
        B2.set(B);
        const C2 = new Float64Array(m * n + 5).fill(-9);
        expect(gemmWasm(t[0], t[1], m, n, k, 1, A2, B2, 0, C2)).toBe(true);
        expect(Array.from(C2.subarray(m * n))).toEqual([-9, -9, -9, -9, -9]);
        const expected0 = new Float64Array(m * n);
        jsGemm(t[0], t[1], m, n, k, 1, A, B, 0, expected0);
        expectClose(C2.subarray(0, m * n), expected0, TOL);
      }
    }
  });

  it("gives identical results on repeated and interleaved calls", () => {
    const A = randomArray(70 * 300, 1);
    const B = randomArray(300 * 45, 2);
    const C1 = new Float64Array(70 * 45);
    const C2 = new Float64Array(70 * 45);
    gemmWasm(false, false, 70, 45, 300, 1, A, B, 0, C1);
    gemmWasm(true, true, 600, 600, 600, 1, randomArray(360000, 3), randomArray(360000, 4), 0, new Float64Array(360000));
    gemmWasm(false, false, 70, 45, 300, 1, A, B, 0, C2);
    expect(Array.from(C2)).toEqual(Array.from(C1));
  });
});

// ---------------------------------------------------------------------------
// Memory
// ---------------------------------------------------------------------------

describe("the wasm memory", () => {
  it("grows by replacement, never detaching a buffer, and stays bounded for any size", async () => {
    vi.resetModules();
    const fresh = await import("../../runtime/gemm-wasm.ts");
    expect(fresh.wasmGemmBuffer()).toBe(null);
    const run = (tA: boolean, m: number, n: number, k: number) =>
      fresh.gemmWasm(tA, !tA, m, n, k, 1, randomArray(m * k, m), randomArray(k * n, n), 0, new Float64Array(m * n));
    run(false, 4, 4, 4);
    const first = fresh.wasmGemmBuffer()!;
    const firstBytes = first.byteLength;
    expect(firstBytes).toBeGreaterThan(0);
    run(false, 300, 300, 300);
    const second = fresh.wasmGemmBuffer()!;
    expect(second.byteLength).toBeGreaterThan(firstBytes);
    // The replaced memory's buffer was left alone, not detached by Memory#grow.
    expect(first.byteLength).toBe(firstBytes);
    // 1100² operands (29 MiB) still fit in the bounded memory: three 2 MiB blocks and packing.
    run(false, 1100, 1100, 1100);
    const third = fresh.wasmGemmBuffer()!;
    expect(third.byteLength).toBeLessThanOrEqual(8 * 1024 * 1024);
    expect(second.byteLength).toBeGreaterThan(0);
    // At the bound, the same memory serves every later call.
    run(true, 1100, 7, 1100);
    run(false, 2, 3, 4);
    expect(fresh.wasmGemmBuffer()).toBe(third);
  });
});

// ---------------------------------------------------------------------------
// Fallback
// ---------------------------------------------------------------------------

describe("without WebAssembly SIMD", () => {
  /** Fresh copies of blas.ts and gemm-wasm.ts, so that feature detection runs again. */
  async function freshModules() {
    vi.resetModules();
    const blas = await import("../../runtime/blas.ts");
    const wasm = await import("../../runtime/gemm-wasm.ts");
    return { gemm: blas.gemm, ...wasm };
  }

  function checkJsResults(g: typeof gemm): void {
    for (const t of TRANSPOSES) {
      for (const [m, n, k] of [
        [64, 63, 65],
        [17, 129, 7],
      ]) {
        const A = randomArray(m * k, m);
        const B = randomArray(k * n, n);
        const C = new Float64Array(m * n).fill(NaN);
        g(t[0], t[1], m, n, k, 2, A, B, 0, C);
        expectClose(C, refGemm(t[0], t[1], m, n, k, 2, A, B, 0, new Float64Array(m * n)), 1e-12);
        const D = randomArray(m * n, k);
        const expected = refGemm(t[0], t[1], m, n, k, -1, A, B, 0.5, D);
        g(t[0], t[1], m, n, k, -1, A, B, 0.5, D);
        expectClose(D, expected, 1e-12);
      }
    }
  }

  it("falls back to the JavaScript kernel when WebAssembly.validate rejects the SIMD probe", async () => {
    const validate = vi.spyOn(WA, "validate").mockReturnValue(false);
    const fresh = await freshModules();
    expect(fresh.wasmGemmAvailable()).toBe(false);
    expect(fresh.wasmGemmUnavailableReason()).toBe("WebAssembly SIMD is not supported");
    expect(validate).toHaveBeenCalled();
    // The probe really is a SIMD module: the real validate accepts it.
    const probe = validate.mock.calls[0][0] as Uint8Array;
    validate.mockRestore();
    expect(WA.validate(probe)).toBe(true);
    expect(new WA.Module(probe)).toBeInstanceOf(WA.Module);

    const C = new Float64Array(64 * 64).fill(3);
    expect(fresh.gemmWasm(false, false, 64, 64, 64, 1, randomArray(4096, 1), randomArray(4096, 2), 0, C)).toBe(false);
    expect(C.every((x) => x === 3)).toBe(true);
    checkJsResults(fresh.gemm);
  });

  it("falls back when there is no WebAssembly at all", async () => {
    vi.stubGlobal("WebAssembly", undefined);
    const fresh = await freshModules();
    expect(fresh.wasmGemmAvailable()).toBe(false);
    expect(fresh.wasmGemmUnavailableReason()).toBe("WebAssembly is not available");
    checkJsResults(fresh.gemm);
  });

  it("falls back when the kernel fails to compile", async () => {
    vi.spyOn(WA, "Module").mockImplementation(function () {
      throw new WA.CompileError("test: rejected");
    });
    const fresh = await freshModules();
    expect(fresh.wasmGemmAvailable()).toBe(false);
    expect(fresh.wasmGemmUnavailableReason()).toBe("the gemm kernel failed to compile: test: rejected");
    checkJsResults(fresh.gemm);
  });

  it("falls back when no memory can be had for the kernel", async () => {
    const fresh = await freshModules();
    expect(fresh.wasmGemmAvailable()).toBe(true);
    vi.spyOn(WA, "Memory").mockImplementation(function () {
      throw new RangeError("test: out of memory");
    });
    checkJsResults(fresh.gemm);
    expect(fresh.wasmGemmAvailable()).toBe(false);
    expect(fresh.wasmGemmUnavailableReason()).toBe("the gemm kernel could not be instantiated: test: out of memory");
  });
});
