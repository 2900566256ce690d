import { describe, expect, it } from "vitest";
import {
  add,
  addRowVector,
  axpy,
  copy,
  dot,
  fill,
  gemm,
  gemv,
  ger,
  mul,
  scal,
  sortOrder,
  sum,
  sumRows,
} from "../../runtime/blas.ts";
import { wasmGemmAvailable } from "../../runtime/gemm-wasm.ts";

// ---------------------------------------------------------------------------
// Seeded data and naive reference implementations
// ---------------------------------------------------------------------------

/** mulberry32: a tiny seeded PRNG returning floats in [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A Float64Array of `len` values uniform in [-1, 1), reproducible from `seed`. */
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
    if (!(e <= d)) d = e; // NaN propagates as "not <=", so it is kept
  }
  return d;
}

function expectClose(actual: Float64Array, expected: Float64Array, tol = 1e-12): void {
  const d = maxAbsDiff(actual, expected);
  expect(Number.isNaN(d)).toBe(false);
  expect(d).toBeLessThanOrEqual(tol);
}

/** Reference: C = alpha*op(A)*op(B) + beta*C, with beta == 0 ignoring C. */
function refGemm(
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
): Float64Array {
  const out = new Float64Array(C.length);
  out.set(C);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        const a = transA ? A[p * m + i] : A[i * k + p];
        const b = transB ? B[j * k + p] : B[p * n + j];
        s += a * b;
      }
      out[i * n + j] = alpha * s + (beta === 0 ? 0 : beta * C[i * n + j]);
    }
  }
  return out;
}

function refGemv(
  trans: boolean,
  m: number,
  n: number,
  alpha: number,
  A: Float64Array,
  x: Float64Array,
  beta: number,
  y: Float64Array,
): Float64Array {
  const out = new Float64Array(y.length);
  out.set(y);
  const len = trans ? n : m;
  const inner = trans ? m : n;
  for (let r = 0; r < len; r++) {
    let s = 0;
    for (let c = 0; c < inner; c++) s += (trans ? A[c * n + r] : A[r * n + c]) * x[c];
    out[r] = alpha * s + (beta === 0 ? 0 : beta * y[r]);
  }
  return out;
}

const TRANSPOSES: Array<[boolean, boolean]> = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
];
const label = (t: boolean): string => (t ? "T" : "N");

// ---------------------------------------------------------------------------
// Level 1 and element-wise helpers
// ---------------------------------------------------------------------------

describe("level 1", () => {
  it("dot matches a naive sum for lengths around the unroll factor", () => {
    for (const n of [0, 1, 2, 3, 4, 5, 7, 8, 9, 31, 100]) {
      const x = randomArray(n + 3, 10 + n);
      const y = randomArray(n + 2, 20 + n);
      let ref = 0;
      for (let i = 0; i < n; i++) ref += x[i] * y[i];
      expect(dot(n, x, y)).toBeCloseTo(ref, 12);
    }
    expect(dot(3, new Float64Array([1, 2, 3]), new Float64Array([4, 5, 6]))).toBe(32);
    expect(dot(0, new Float64Array(0), new Float64Array(0))).toBe(0);
  });

  it("axpy updates only the first n elements", () => {
    const x = randomArray(9, 1);
    const y = randomArray(9, 2);
    const ref = new Float64Array(y);
    for (let i = 0; i < 7; i++) ref[i] += -1.5 * x[i];
    axpy(7, -1.5, x, y);
    expect(Array.from(y)).toEqual(Array.from(ref));
    axpy(3, 2, new Float64Array([1, 2, 3]), (ref.fill(1), ref));
    expect(Array.from(ref.subarray(0, 4))).toEqual([3, 5, 7, 1]);
  });

  it("scal multiplies the first n elements", () => {
    const x = new Float64Array([1, -2, 3, 4]);
    scal(3, -2, x);
    expect(Array.from(x)).toEqual([-2, 4, -6, 4]);
    scal(4, 0, x);
    expect(Array.from(x)).toEqual([-0, 0, -0, 0]);
    const z = new Float64Array([5]);
    scal(1, 1, z);
    expect(z[0]).toBe(5);
  });

  it("copy, fill and sum", () => {
    const x = randomArray(10, 3);
    const y = new Float64Array(12).fill(7);
    copy(10, x, y);
    expect(Array.from(y.subarray(0, 10))).toEqual(Array.from(x));
    expect(y[10]).toBe(7);
    copy(4, new Float64Array([1, 2, 3, 4, 5]), y);
    expect(Array.from(y.subarray(0, 6))).toEqual([1, 2, 3, 4, x[4], x[5]]);

    const f = new Float64Array(5);
    fill(3, 2.5, f);
    expect(Array.from(f)).toEqual([2.5, 2.5, 2.5, 0, 0]);

    for (const n of [0, 1, 2, 5, 64]) {
      const v = randomArray(n + 1, 40 + n);
      let ref = 0;
      for (let i = 0; i < n; i++) ref += v[i];
      expect(sum(n, v)).toBeCloseTo(ref, 12);
    }
    expect(sum(3, new Float64Array([1, 2, 3, 100]))).toBe(6);
  });

  it("mul and add are element-wise and allow out to alias an input", () => {
    const x = new Float64Array([1, 2, 3, 4]);
    const y = new Float64Array([5, 6, 7, 8]);
    const out = new Float64Array(4).fill(-1);
    mul(3, x, y, out);
    expect(Array.from(out)).toEqual([5, 12, 21, -1]);
    add(4, x, y, out);
    expect(Array.from(out)).toEqual([6, 8, 10, 12]);
    add(4, x, y, x);
    expect(Array.from(x)).toEqual([6, 8, 10, 12]);
    mul(4, x, y, y);
    expect(Array.from(y)).toEqual([30, 48, 70, 96]);
  });

  it("addRowVector adds b to every row and sumRows is its adjoint", () => {
    const m = 5;
    const n = 3;
    const A = randomArray(m * n, 50);
    const before = new Float64Array(A);
    const b = new Float64Array([1, -2, 0.5]);
    addRowVector(m, n, A, b);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) expect(A[i * n + j]).toBe(before[i * n + j] + b[j]);
    }

    const G = randomArray(m * n, 51);
    const out = new Float64Array([NaN, NaN, NaN, 42]);
    sumRows(m, n, G, out);
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let i = 0; i < m; i++) s += G[i * n + j];
      expect(out[j]).toBeCloseTo(s, 14);
    }
    expect(out[3]).toBe(42);

    // Adjoint identity: <addRowVector(0, b), G> = <b, sumRows(G)>.
    const Z = new Float64Array(m * n);
    addRowVector(m, n, Z, b);
    expect(dot(m * n, Z, G)).toBeCloseTo(dot(n, b, out), 12);

    sumRows(0, 2, new Float64Array(0), out);
    expect(Array.from(out.subarray(0, 2))).toEqual([0, 0]);
  });
});

// ---------------------------------------------------------------------------
// Level 2
// ---------------------------------------------------------------------------

describe("gemv", () => {
  const shapes: Array<[number, number]> = [
    [1, 1],
    [1, 5],
    [5, 1],
    [3, 7],
    [7, 3],
    [4, 4],
    [9, 13],
    [33, 17],
  ];
  for (const trans of [false, true]) {
    for (const [alpha, beta] of [
      [1, 0],
      [0.5, 1],
      [-2, 0.25],
      [0, 3],
    ]) {
      it(`trans=${trans} alpha=${alpha} beta=${beta} matches the reference`, () => {
        for (const [m, n] of shapes) {
          const seed = m * 100 + n;
          const A = randomArray(m * n, seed);
          const x = randomArray(trans ? m : n, seed + 1);
          const y = randomArray(trans ? n : m, seed + 2);
          const ref = refGemv(trans, m, n, alpha, A, x, beta, y);
          gemv(trans, m, n, alpha, A, x, beta, y);
          expectClose(y, ref);
        }
      });
    }
  }

  it("computes a known product", () => {
    // A = [[1, 2, 3], [4, 5, 6]]
    const A = new Float64Array([1, 2, 3, 4, 5, 6]);
    const y = new Float64Array(2);
    gemv(false, 2, 3, 1, A, new Float64Array([1, 0, -1]), 0, y);
    expect(Array.from(y)).toEqual([-2, -2]);
    const z = new Float64Array([1, 1, 1]);
    gemv(true, 2, 3, 2, A, new Float64Array([1, 1]), 1, z);
    expect(Array.from(z)).toEqual([11, 15, 19]);
  });

  it("beta = 0 overwrites y even when it holds NaN", () => {
    const A = randomArray(6 * 5, 7);
    for (const trans of [false, true]) {
      const x = randomArray(trans ? 6 : 5, 8);
      const y = new Float64Array(trans ? 5 : 6).fill(NaN);
      gemv(trans, 6, 5, 1.5, A, x, 0, y);
      expectClose(y, refGemv(trans, 6, 5, 1.5, A, x, 0, new Float64Array(y.length)));
      // alpha = 0 and beta = 0: zeros, without reading x or A.
      const w = new Float64Array(trans ? 5 : 6).fill(NaN);
      gemv(trans, 6, 5, 0, new Float64Array(30).fill(NaN), x, 0, w);
      expect(Array.from(w)).toEqual(new Array(w.length).fill(0));
    }
  });
});

describe("ger", () => {
  it("adds alpha * x yᵀ", () => {
    for (const [m, n] of [
      [1, 1],
      [3, 5],
      [8, 2],
    ]) {
      const A = randomArray(m * n, m + n);
      const x = randomArray(m, 3 * m);
      const y = randomArray(n, 5 * n);
      const ref = new Float64Array(A);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) ref[i * n + j] += -0.75 * x[i] * y[j];
      ger(m, n, -0.75, x, y, A);
      expectClose(A, ref, 1e-15);
    }
    const A = new Float64Array(4);
    ger(2, 2, 2, new Float64Array([1, 2]), new Float64Array([3, 4]), A);
    expect(Array.from(A)).toEqual([6, 8, 12, 16]);
  });
});

// ---------------------------------------------------------------------------
// gemm
// ---------------------------------------------------------------------------

describe("gemm", () => {
  it("runs on the WebAssembly SIMD kernel here (products above 256 multiply-adds below use it)", () => {
    expect(wasmGemmAvailable()).toBe(true);
  });

  it("computes a known 2×3 · 3×2 product in all four transpose cases", () => {
    const A = [
      [1, 2, 3],
      [4, 5, 6],
    ];
    const B = [
      [7, 8],
      [9, 10],
      [11, 12],
    ];
    const expected = [58, 64, 139, 154];
    const flat = (M: number[][]) => new Float64Array(M.flat());
    const T = (M: number[][]) => M[0].map((_, j) => M.map((row) => row[j]));
    for (const [tA, tB] of TRANSPOSES) {
      const C = new Float64Array(4);
      gemm(tA, tB, 2, 2, 3, 1, flat(tA ? T(A) : A), flat(tB ? T(B) : B), 0, C);
      expect(Array.from(C)).toEqual(expected);
    }
  });

  // Shapes cover every internal path: m = 1 or n = 1 (served by gemv), tiny products
  // (direct loops, m*n*k ≤ 256) and the packed path, with odd sizes that are not multiples
  // of the 2×4 tile, k > 256 (several k blocks), m > 128 (several m blocks) and
  // n > 1024 (several n blocks).
  const shapes: Array<[number, number, number]> = [
    [1, 1, 1],
    [1, 1, 9],
    [1, 7, 1],
    [7, 1, 1],
    [7, 5, 3],
    [5, 7, 3],
    [3, 5, 7],
    [2, 4, 1],
    [4, 4, 4],
    [13, 11, 9],
    [16, 16, 16],
    [1, 33, 200],
    [33, 1, 200],
    [37, 41, 43],
    [64, 63, 65],
    [131, 6, 7],
    [9, 10, 300],
    [130, 9, 257],
    [3, 1030, 5],
  ];
  const scalars: Array<[number, number]> = [
    [1, 0],
    [1, 1],
    [-0.5, 2],
    [2.5, -1],
  ];

  for (const [tA, tB] of TRANSPOSES) {
    it(`${label(tA)}${label(tB)}: matches the naive reference for odd shapes and alpha/beta variants`, () => {
      let seed = 1000;
      for (const [m, n, k] of shapes) {
        for (const [alpha, beta] of scalars) {
          seed++;
          const A = randomArray(m * k, seed * 3);
          const B = randomArray(k * n, seed * 3 + 1);
          const C = randomArray(m * n, seed * 3 + 2);
          const ref = refGemm(tA, tB, m, n, k, alpha, A, B, beta, C);
          gemm(tA, tB, m, n, k, alpha, A, B, beta, C);
          // |entries| ≤ 1, so rounding error grows at most like k·ε; 1e-12 is generous.
          expectClose(C, ref, 1e-12);
        }
      }
    });

    it(`${label(tA)}${label(tB)}: beta = 0 overwrites a NaN-filled C (small and blocked paths)`, () => {
      for (const [m, n, k] of [
        [7, 5, 3],
        [1, 7, 5],
        [9, 1, 4],
        [37, 41, 43],
        [130, 9, 257],
      ]) {
        const A = randomArray(m * k, m);
        const B = randomArray(k * n, n);
        const C = new Float64Array(m * n).fill(NaN);
        gemm(tA, tB, m, n, k, 0.75, A, B, 0, C);
        expectClose(C, refGemm(tA, tB, m, n, k, 0.75, A, B, 0, new Float64Array(m * n)));
      }
    });
  }

  it("leaves elements past m×n untouched and reads only the required prefix", () => {
    // Direct loops, gemv (m = 1, n = 1), packed path with edge tiles, several m blocks
    // and several n blocks.
    for (const [m, n, k] of [
      [3, 4, 5],
      [1, 9, 300],
      [40, 1, 6],
      [5, 6, 7],
      [37, 41, 43],
      [130, 9, 257],
      [3, 1030, 5],
    ]) {
      for (const [tA, tB] of TRANSPOSES) {
        // Extra trailing NaNs must not leak into the result.
        const A = new Float64Array(m * k + 3).fill(NaN);
        A.set(randomArray(m * k, m));
        const B = new Float64Array(k * n + 3).fill(NaN);
        B.set(randomArray(k * n, n));
        const C = new Float64Array(m * n + 4).fill(-9);
        gemm(tA, tB, m, n, k, 1, A, B, 0, C);
        expect(Array.from(C.subarray(m * n))).toEqual([-9, -9, -9, -9]);
        expectClose(C.subarray(0, m * n), refGemm(tA, tB, m, n, k, 1, A, B, 0, new Float64Array(m * n)));
      }
    }
  });

  it("accepts subarray views (data starts at the view's index 0)", () => {
    const m = 9;
    const n = 10;
    const k = 11;
    const buf = randomArray(5 + m * k + k * n + m * n + 5, 77);
    const A = buf.subarray(5, 5 + m * k);
    const B = buf.subarray(5 + m * k, 5 + m * k + k * n);
    const C = buf.subarray(5 + m * k + k * n, 5 + m * k + k * n + m * n);
    const before = Float64Array.from(buf);
    const ref = refGemm(false, false, m, n, k, 1, A, B, 0.5, C);
    gemm(false, false, m, n, k, 1, A, B, 0.5, C);
    expectClose(C, ref);
    // Only C's slice of the shared buffer changed.
    expect(Array.from(buf.subarray(0, 5 + m * k + k * n))).toEqual(Array.from(before.subarray(0, 5 + m * k + k * n)));
    expect(Array.from(buf.subarray(5 + m * k + k * n + m * n))).toEqual(Array.from(before.subarray(5 + m * k + k * n + m * n)));
  });

  it("handles k = 0 and alpha = 0 as C = beta*C", () => {
    const C = new Float64Array([1, 2, 3, 4, 5, 6]);
    gemm(false, false, 2, 3, 0, 1, new Float64Array(0), new Float64Array(0), 2, C);
    expect(Array.from(C)).toEqual([2, 4, 6, 8, 10, 12]);
    gemm(false, false, 2, 3, 0, 1, new Float64Array(0), new Float64Array(0), 0, C);
    expect(Array.from(C)).toEqual([0, 0, 0, 0, 0, 0]);
    const D = new Float64Array([1, 2, 3, 4]);
    // alpha = 0 does not read A or B, so NaNs there do not propagate.
    gemm(true, true, 2, 2, 2, 0, new Float64Array(4).fill(NaN), new Float64Array(4).fill(NaN), -1, D);
    expect(Array.from(D)).toEqual([-1, -2, -3, -4]);
    // m = 0 or n = 0: nothing to do, empty arrays are fine.
    gemm(false, false, 0, 4, 3, 1, new Float64Array(0), new Float64Array(12), 0, new Float64Array(0));
    gemm(false, false, 4, 0, 3, 1, new Float64Array(12), new Float64Array(0), 0, new Float64Array(0));
  });

  it("gives identical results on repeated calls (scratch buffers are reused safely)", () => {
    const m = 70;
    const n = 45;
    const k = 300;
    const A = randomArray(m * k, 5);
    const B = randomArray(k * n, 6);
    const C1 = new Float64Array(m * n);
    const C2 = new Float64Array(m * n);
    gemm(false, true, m, n, k, 1, A, randomArray(k * n, 9), 0, new Float64Array(m * n));
    gemm(false, false, m, n, k, 1, A, B, 0, C1);
    gemm(true, true, 20, 30, 40, 1, randomArray(800, 7), randomArray(1200, 8), 0, new Float64Array(600));
    gemm(false, false, m, n, k, 1, A, B, 0, C2);
    expect(Array.from(C2)).toEqual(Array.from(C1));
  });
});

// ---------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------

describe("validation", () => {
  const f = (len: number) => new Float64Array(len);

  it("gemm reports the argument, its length and the expected shape", () => {
    expect(() => gemm(false, false, 2, 4, 2, 1, f(4), f(6), 0, f(8))).toThrow(
      new RangeError("gemm: B has length 6, expected at least 8 (k×n = 2×4)"),
    );
    expect(() => gemm(false, true, 2, 4, 2, 1, f(4), f(6), 0, f(8))).toThrow(
      new RangeError("gemm: B has length 6, expected at least 8 (n×k = 4×2)"),
    );
    expect(() => gemm(false, false, 3, 2, 2, 1, f(5), f(4), 0, f(6))).toThrow(
      new RangeError("gemm: A has length 5, expected at least 6 (m×k = 3×2)"),
    );
    expect(() => gemm(true, false, 3, 2, 2, 1, f(5), f(4), 0, f(6))).toThrow(
      new RangeError("gemm: A has length 5, expected at least 6 (k×m = 2×3)"),
    );
    expect(() => gemm(false, false, 3, 2, 2, 1, f(6), f(4), 0, f(5))).toThrow(
      new RangeError("gemm: C has length 5, expected at least 6 (m×n = 3×2)"),
    );
    expect(() => gemm(false, false, -1, 2, 2, 1, f(6), f(4), 0, f(6))).toThrow(
      new RangeError("gemm: m must be a non-negative integer, got -1"),
    );
    expect(() => gemm(false, false, 2, 1.5, 2, 1, f(6), f(4), 0, f(6))).toThrow(
      new RangeError("gemm: n must be a non-negative integer, got 1.5"),
    );
    expect(() => gemm(false, false, 2, 2, NaN, 1, f(6), f(4), 0, f(6))).toThrow(
      new RangeError("gemm: k must be a non-negative integer, got NaN"),
    );
  });

  it("a failed call leaves the output untouched", () => {
    const C = new Float64Array([1, 2, 3, 4, 5]);
    expect(() => gemm(false, false, 2, 3, 1, 1, f(2), f(3), 0, C)).toThrow(RangeError);
    expect(Array.from(C)).toEqual([1, 2, 3, 4, 5]);
  });

  it("gemv checks x and y against the transposed shape", () => {
    expect(() => gemv(false, 2, 3, 1, f(6), f(2), 0, f(2))).toThrow(
      new RangeError("gemv: x has length 2, expected at least 3 (n = 3)"),
    );
    expect(() => gemv(true, 2, 3, 1, f(6), f(1), 0, f(3))).toThrow(
      new RangeError("gemv: x has length 1, expected at least 2 (m = 2)"),
    );
    expect(() => gemv(true, 2, 3, 1, f(6), f(2), 0, f(2))).toThrow(
      new RangeError("gemv: y has length 2, expected at least 3 (n = 3)"),
    );
    expect(() => gemv(false, 2, 3, 1, f(5), f(3), 0, f(2))).toThrow(
      new RangeError("gemv: A has length 5, expected at least 6 (m×n = 2×3)"),
    );
    expect(() => gemv(false, 2, -3, 1, f(6), f(3), 0, f(2))).toThrow(
      new RangeError("gemv: n must be a non-negative integer, got -3"),
    );
  });

  it("ger and the element-wise helpers name the routine and argument", () => {
    expect(() => ger(2, 3, 1, f(2), f(3), f(5))).toThrow(
      new RangeError("ger: A has length 5, expected at least 6 (m×n = 2×3)"),
    );
    expect(() => ger(2, 3, 1, f(1), f(3), f(6))).toThrow(
      new RangeError("ger: x has length 1, expected at least 2 (m = 2)"),
    );
    expect(() => addRowVector(2, 3, f(6), f(2))).toThrow(
      new RangeError("addRowVector: b has length 2, expected at least 3 (n = 3)"),
    );
    expect(() => sumRows(4, 2, f(7), f(2))).toThrow(
      new RangeError("sumRows: A has length 7, expected at least 8 (m×n = 4×2)"),
    );
    expect(() => sumRows(4, 2, f(8), f(1))).toThrow(
      new RangeError("sumRows: out has length 1, expected at least 2 (n = 2)"),
    );
    expect(() => mul(3, f(3), f(3), f(2))).toThrow(
      new RangeError("mul: out has length 2, expected at least 3 (n = 3)"),
    );
    expect(() => add(3, f(3), f(2), f(3))).toThrow(new RangeError("add: y has length 2, expected at least 3 (n = 3)"));
    expect(() => dot(4, f(4), f(3))).toThrow(new RangeError("dot: y has length 3, expected at least 4 (n = 4)"));
    expect(() => axpy(2, 1, f(1), f(2))).toThrow(new RangeError("axpy: x has length 1, expected at least 2 (n = 2)"));
    expect(() => scal(-1, 1, f(2))).toThrow(new RangeError("scal: n must be a non-negative integer, got -1"));
    expect(() => copy(3, f(3), f(2))).toThrow(new RangeError("copy: y has length 2, expected at least 3 (n = 3)"));
    expect(() => fill(3, 0, f(2))).toThrow(new RangeError("fill: x has length 2, expected at least 3 (n = 3)"));
    expect(() => sum(2.5, f(3))).toThrow(new RangeError("sum: n must be a non-negative integer, got 2.5"));
  });
});

describe("sortOrder", () => {
  /** The values of `keys` in the order sortOrder gives, next to what JavaScript's sort gives. */
  function both(keys: number[], direction: number): [number[], number[]] {
    const order = new Int32Array(keys.length + 2).fill(-1);
    sortOrder(keys.length, keys, order, direction, direction === 0);
    const ours = Array.from(order.subarray(0, keys.length), (i) => keys[i]!);
    const js = direction === 0 ? Array.from(Float64Array.from(keys).sort()) : [...keys].sort(direction === 1 ? (a, b) => a - b : (a, b) => b - a);
    expect(order[keys.length]).toBe(-1); // nothing written past n
    return [ours, js];
  }

  it("orders as sort does, ascending and descending, stably", () => {
    const keys = [3, -1, 2.5, 3, 0, -7, 2.5, 10, 9];
    for (const d of [1, -1, 0]) {
      const [ours, js] = both(keys, d);
      expect(ours).toEqual(js);
    }
    // equal keys keep their order: the two 3s at indices 0 and 3, the two 2.5s at 2 and 6
    const order = new Int32Array(keys.length);
    for (const typed of [false, true]) {
      sortOrder(keys.length, keys, order, 1, typed);
      expect([...order]).toEqual([5, 1, 4, 2, 6, 0, 3, 8, 7]);
      sortOrder(keys.length, keys, order, -1, typed);
      expect([...order]).toEqual([7, 8, 0, 3, 2, 6, 4, 1, 5]);
    }
  });

  it("with NaN keys (a comparator that is not consistent), the order the source's own sort makes, for an Array and for a typed array", () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let trial = 0; trial < 50; trial++) {
      const keys = Array.from({ length: 5 + (trial % 40) }, () => (rand() < 0.3 ? NaN : Math.round(rand() * 20) - 10));
      for (const d of [1, -1]) {
        const cmp = d === 1 ? (a: number, b: number) => a - b : (a: number, b: number) => b - a;
        for (const typed of [false, true]) {
          const order = new Int32Array(keys.length);
          sortOrder(keys.length, keys, order, d, typed);
          const js = typed ? Array.from(Float64Array.from(keys).sort(cmp)) : [...keys].sort(cmp);
          expect(Array.from(order, (i) => keys[i]!)).toEqual(js);
        }
      }
    }
  });

  it("with no comparator, as a typed array sorts: −0 before +0 and NaN last", () => {
    const keys = [NaN, 1, 0, -0, -2, NaN, Infinity];
    const [ours, js] = both(keys, 0);
    expect(ours).toEqual(js);
    expect(Object.is(ours[1], -0) && Object.is(ours[2], 0)).toBe(true);
  });

  it("checks its lengths", () => {
    expect(() => sortOrder(3, [1, 2], new Int32Array(3), 1, false)).toThrow(RangeError);
  });
});
