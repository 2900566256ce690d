/**
 * Matrix-level entries of the rule table: calls to the runtime's BLAS routines are primitives
 * whose adjoints and tangents are themselves BLAS calls (`dA += dC·Bᵀ`, `dB += Aᵀ·dC`), never
 * scalarised loops.
 *
 * Each entry gives the routine's signature, which argument it writes (or that it returns a
 * number), which arrays it reads, and two generators:
 *  - `adjoint(a, d, g)`: statements accumulating into the input adjoints `d[i]` (null when an
 *    input is inactive) given the output's adjoint (the written array's `d[w]`, or `g` for a
 *    returned number), and finally turning `d[w]` into the adjoint of the output's old value;
 *  - `tangent(a, t)`: statements updating the written array's tangent `t[w]` from the inputs'
 *    tangents `t[i]` (null when zero), or for a returned number its tangent expression.
 * Transpose flags must be literal booleans, so the adjoint's transposes are chosen here.
 */
import type { Expr } from "../ir/types.ts";
import { num as n, call, add, mul, div, bin, select } from "../ir/expr.ts";

/** One call of a runtime routine, as an adjoint or tangent statement. */
export interface RoutineCall {
  fn: string;
  args: Expr[];
}
type Stmt = RoutineCall;

type Arg = "num" | "arr" | "bool";

export interface ArrayRule {
  signature: Arg[];
  /** Index of the array argument written, or "result" for routines returning a number. */
  writes: number | "result";
  /** Array arguments the routine reads (the written one when its old value flows in). */
  reads: (a: Expr[]) => number[];
  /** Array arguments the adjoint reads the primal values of (they must not change afterwards). */
  keeps: (a: Expr[]) => number[];
  adjoint(a: Expr[], d: (Expr | null)[], g: Expr | null): Stmt[];
  tangent(a: Expr[], t: (Expr | null)[]): Stmt[] | Expr;
  /** Number arguments whose tangents `tangent` accounts for (the others must not vary). */
  scalarTangents?: number[];
  /** Number arguments that are sizes (integers: never differentiated, whatever they depend on). */
  sizes: number[];
  doc: string;
}

const B = (v: boolean): Expr => ({ kind: "const", value: v });
const lit = (e: Expr): boolean => {
  if (e.kind !== "const" || typeof e.value !== "boolean") throw new Error("internal: transpose flags must be literal booleans");
  return e.value;
};
const isZero = (e: Expr) => e.kind === "const" && e.value === 0 && !e.text;
const isOne = (e: Expr) => e.kind === "const" && e.value === 1 && !e.text;
const callS = (fn: string, ...args: Expr[]): Stmt => ({ fn, args });
const present = <T>(xs: (T | null)[]): T[] => xs.filter((x): x is T => x !== null);

/** `e / ‖x‖`, or 0 where ‖x‖ is 0. */
function perNorm(e: Expr, nn: Expr, x: Expr): Expr {
  const h = call("hypotOf", nn, x);
  return select(bin("===", h, n(0)), n(0), div(e, h));
}

/** The adjoint of an output's old value: beta·d (0 when beta is 0). */
function scaleOld(len: Expr, beta: Expr, d: Expr): Stmt[] {
  if (isOne(beta)) return [];
  if (isZero(beta)) return [callS("fill", len, n(0), d)];
  return [callS("scal", len, beta, d)];
}

export const ARRAY_RULES: Record<string, ArrayRule> = {
  dot: {
    sizes: [0],
    signature: ["num", "arr", "arr"], writes: "result",
    reads: () => [1, 2], keeps: () => [1, 2],
    adjoint: ([nn, x, y], d, g) => present([
      d[1] && callS("axpy", nn, g!, y, d[1]),
      d[2] && callS("axpy", nn, g!, x, d[2]),
    ]),
    tangent: ([nn, x, y], t) => {
      let e: Expr = n(0);
      if (t[1]) e = add(e, call("dot", nn, t[1], y));
      if (t[2]) e = add(e, call("dot", nn, x, t[2]));
      return e;
    },
    doc: "d(x·y): dx += g·y, dy += g·x",
  },
  hypotOf: {
    sizes: [0],
    signature: ["num", "arr"], writes: "result",
    reads: () => [1], keeps: () => [1],
    // ∂‖x‖/∂x = x/‖x‖, and 0 at the origin (as for Math.hypot's scalar rule)
    adjoint: ([nn, x], d, g) => present([d[1] && callS("axpy", nn, perNorm(g!, nn, x), x, d[1])]),
    tangent: ([nn, x], t) => (t[1] ? perNorm(call("dot", nn, x, t[1]), nn, x) : n(0)),
    doc: "d‖x‖ (Math.hypot(...x)): dx += g·x/‖x‖, 0 at the origin",
  },
  sum: {
    sizes: [0],
    signature: ["num", "arr"], writes: "result",
    reads: () => [1], keeps: () => [],
    adjoint: ([nn], d, g) => present([d[1] && callS("shift", nn, g!, d[1])]),
    tangent: ([nn], t) => (t[1] ? call("sum", nn, t[1]) : n(0)),
    doc: "d(Σx): dx += g",
  },
  axpy: {
    sizes: [0],
    signature: ["num", "num", "arr", "arr"], writes: 3,
    reads: () => [2, 3], keeps: () => [],
    adjoint: ([nn, alpha], d) => present([d[2] && d[3] && callS("axpy", nn, alpha, d[3], d[2])]),
    tangent: ([nn, alpha, x], t) => present([t[2] && t[3] && callS("axpy", nn, alpha, t[2], t[3]), t[1] && t[3] && callS("axpy", nn, t[1], x, t[3])]),
    scalarTangents: [1],
    doc: "y += αx: dx += α·dy",
  },
  scal: {
    sizes: [0],
    signature: ["num", "num", "arr"], writes: 2,
    reads: () => [2], keeps: () => [],
    adjoint: ([nn, alpha], d) => (d[2] ? scaleOld(nn, alpha, d[2]) : []),
    tangent: ([nn, alpha, x], t) => (t[2] ? [...scaleOld(nn, alpha, t[2]), ...present([t[1] && callS("axpy", nn, t[1], x, t[2])])] : []),
    scalarTangents: [1],
    doc: "x *= α: dx ← α·dx",
  },
  copy: {
    sizes: [0],
    signature: ["num", "arr", "arr"], writes: 2,
    reads: () => [1], keeps: () => [],
    adjoint: ([nn], d) => present([d[1] && d[2] && callS("axpy", nn, n(1), d[2], d[1]), d[2] && callS("fill", nn, n(0), d[2])]),
    tangent: ([nn], t) => present([t[2] && (t[1] ? callS("copy", nn, t[1], t[2]) : callS("fill", nn, n(0), t[2]))]),
    doc: "y = x: dx += dy, dy ← 0",
  },
  fill: {
    sizes: [0],
    signature: ["num", "num", "arr"], writes: 2,
    reads: () => [], keeps: () => [],
    adjoint: ([nn], d) => present([d[2] && callS("fill", nn, n(0), d[2])]),
    tangent: ([nn], t) => present([t[2] && callS("fill", nn, t[1] ?? n(0), t[2])]),
    scalarTangents: [1],
    doc: "x = v: dx ← 0",
  },
  gemv: {
    sizes: [1, 2],
    signature: ["bool", "num", "num", "num", "arr", "arr", "num", "arr"], writes: 7,
    reads: (a) => (isZero(a[6]) ? [4, 5] : [4, 5, 7]), keeps: () => [4, 5],
    adjoint: ([tr, m, nn, alpha, A, x, beta], d) => {
      const t = lit(tr);
      const dy = d[7];
      if (!dy) return [];
      return present([
        d[5] && callS("gemv", B(!t), m, nn, alpha, A, dy, n(1), d[5]),
        d[4] && (t ? callS("ger", m, nn, alpha, x, dy, d[4]) : callS("ger", m, nn, alpha, dy, x, d[4])),
        ...scaleOld(t ? nn : m, beta, dy),
      ]);
    },
    tangent: ([tr, m, nn, alpha, A, x, beta], t) => {
      const dy = t[7];
      if (!dy) return [];
      const terms: Stmt[] = [];
      let b = beta;
      if (t[4]) { terms.push(callS("gemv", tr, m, nn, alpha, t[4], x, b, dy)); b = n(1); }
      if (t[5]) { terms.push(callS("gemv", tr, m, nn, alpha, A, t[5], b, dy)); b = n(1); }
      if (t[3]) { terms.push(callS("gemv", tr, m, nn, t[3], A, x, b, dy)); b = n(1); }
      if (terms.length === 0) return scaleOld(lit(tr) ? nn : m, beta, dy);
      return terms;
    },
    scalarTangents: [3],
    doc: "y = α·op(A)·x + β·y: dx += α·op(A)ᵀ·dy, dA += α·dy·xᵀ (transposed for op), dy ← β·dy",
  },
  ger: {
    sizes: [0, 1],
    signature: ["num", "num", "num", "arr", "arr", "arr"], writes: 5,
    reads: () => [3, 4, 5], keeps: () => [3, 4],
    adjoint: ([m, nn, alpha, x, y], d) => {
      const dA = d[5];
      if (!dA) return [];
      return present([
        d[3] && callS("gemv", B(false), m, nn, alpha, dA, y, n(1), d[3]),
        d[4] && callS("gemv", B(true), m, nn, alpha, dA, x, n(1), d[4]),
      ]);
    },
    tangent: ([m, nn, alpha, x, y], t) => {
      const dA = t[5];
      if (!dA) return [];
      return present([t[3] && callS("ger", m, nn, alpha, t[3], y, dA), t[4] && callS("ger", m, nn, alpha, x, t[4], dA), t[2] && callS("ger", m, nn, t[2], x, y, dA)]);
    },
    scalarTangents: [2],
    doc: "A += α·x·yᵀ: dx += α·dA·y, dy += α·dAᵀ·x",
  },
  gemm: {
    sizes: [2, 3, 4],
    signature: ["bool", "bool", "num", "num", "num", "num", "arr", "arr", "num", "arr"], writes: 9,
    reads: (a) => (isZero(a[8]) ? [6, 7] : [6, 7, 9]), keeps: () => [6, 7],
    adjoint: ([ta, tb, m, nn, k, alpha, A, Bm, beta], d) => {
      const tA = lit(ta), tB = lit(tb);
      const dC = d[9];
      if (!dC) return [];
      const out: Stmt[] = [];
      if (d[6]) {
        // op(A) m×k: d op(A) = α·dC·op(B)ᵀ
        out.push(tA
          ? callS("gemm", B(tB), B(true), k, m, nn, alpha, Bm, dC, n(1), d[6])      // dA (k×m) += α·op(B)·dCᵀ
          : callS("gemm", B(false), B(!tB), m, k, nn, alpha, dC, Bm, n(1), d[6]));  // dA (m×k) += α·dC·op(B)ᵀ
      }
      if (d[7]) {
        out.push(tB
          ? callS("gemm", B(true), B(tA), nn, k, m, alpha, dC, A, n(1), d[7])       // dB (n×k) += α·dCᵀ·op(A)
          : callS("gemm", B(!tA), B(false), k, nn, m, alpha, A, dC, n(1), d[7]));   // dB (k×n) += α·op(A)ᵀ·dC
      }
      out.push(...scaleOld(mul(m, nn), beta, dC));
      return out;
    },
    tangent: ([ta, tb, m, nn, k, alpha, A, Bm, beta], t) => {
      const dC = t[9];
      if (!dC) return [];
      const terms: Stmt[] = [];
      let b = beta;
      if (t[6]) { terms.push(callS("gemm", ta, tb, m, nn, k, alpha, t[6], Bm, b, dC)); b = n(1); }
      if (t[7]) { terms.push(callS("gemm", ta, tb, m, nn, k, alpha, A, t[7], b, dC)); b = n(1); }
      if (t[5]) { terms.push(callS("gemm", ta, tb, m, nn, k, t[5], A, Bm, b, dC)); b = n(1); }
      if (terms.length === 0) return scaleOld(mul(m, nn), beta, dC);
      return terms;
    },
    scalarTangents: [5],
    doc: "C = α·op(A)·op(B) + β·C: dA += α·dC·op(B)ᵀ, dB += α·op(A)ᵀ·dC (transposed for op), dC ← β·dC",
  },
  addRowVector: {
    sizes: [0, 1],
    signature: ["num", "num", "arr", "arr"], writes: 2,
    reads: () => [2, 3], keeps: () => [],
    adjoint: ([m, nn], d) => present([d[3] && d[2] && callS("accumulateRows", m, nn, d[2], d[3])]),
    tangent: ([m, nn], t) => present([t[2] && t[3] && callS("addRowVector", m, nn, t[2], t[3])]),
    doc: "A[i,:] += b: db += Σᵢ dA[i,:]",
  },
  sumRows: {
    sizes: [0, 1],
    signature: ["num", "num", "arr", "arr"], writes: 3,
    reads: () => [2], keeps: () => [],
    adjoint: ([m, nn], d) => present([d[2] && d[3] && callS("addRowVector", m, nn, d[2], d[3]), d[3] && callS("fill", nn, n(0), d[3])]),
    tangent: ([m, nn], t) => present([t[3] && (t[2] ? callS("sumRows", m, nn, t[2], t[3]) : callS("fill", nn, n(0), t[3]))]),
    doc: "out = Σᵢ A[i,:]: dA[i,:] += dout, dout ← 0",
  },
  accumulateRows: {
    sizes: [0, 1],
    signature: ["num", "num", "arr", "arr"], writes: 3,
    reads: () => [2, 3], keeps: () => [],
    adjoint: ([m, nn], d) => present([d[2] && d[3] && callS("addRowVector", m, nn, d[2], d[3])]),
    tangent: ([m, nn], t) => present([t[2] && t[3] && callS("accumulateRows", m, nn, t[2], t[3])]),
    doc: "out += Σᵢ A[i,:]: dA[i,:] += dout",
  },
  mul: {
    sizes: [0],
    signature: ["num", "arr", "arr", "arr"], writes: 3,
    reads: () => [1, 2], keeps: () => [1, 2],
    adjoint: ([nn, x, y], d) => present([
      d[1] && d[3] && callS("mulAdd", nn, d[3], y, d[1]),
      d[2] && d[3] && callS("mulAdd", nn, d[3], x, d[2]),
      d[3] && callS("fill", nn, n(0), d[3]),
    ]),
    tangent: ([nn, x, y], t) => {
      if (!t[3]) return [];
      if (!t[1] && !t[2]) return [callS("fill", nn, n(0), t[3])];
      const first = t[1] ? callS("mul", nn, t[1], y, t[3]) : callS("mul", nn, x, t[2]!, t[3]);
      return present([first, t[1] && t[2] ? callS("mulAdd", nn, x, t[2], t[3]) : null]);
    },
    doc: "out = x⊙y: dx += dout⊙y, dy += dout⊙x, dout ← 0",
  },
  mulAdd: {
    sizes: [0],
    signature: ["num", "arr", "arr", "arr"], writes: 3,
    reads: () => [1, 2, 3], keeps: () => [1, 2],
    adjoint: ([nn, x, y], d) => present([
      d[1] && d[3] && callS("mulAdd", nn, d[3], y, d[1]),
      d[2] && d[3] && callS("mulAdd", nn, d[3], x, d[2]),
    ]),
    tangent: ([nn, x, y], t) => present([t[3] && t[1] && callS("mulAdd", nn, t[1], y, t[3]), t[3] && t[2] && callS("mulAdd", nn, x, t[2], t[3])]),
    doc: "out += x⊙y: dx += dout⊙y, dy += dout⊙x",
  },
  add: {
    sizes: [0],
    signature: ["num", "arr", "arr", "arr"], writes: 3,
    reads: () => [1, 2], keeps: () => [],
    adjoint: ([nn], d) => present([
      d[1] && d[3] && callS("axpy", nn, n(1), d[3], d[1]),
      d[2] && d[3] && callS("axpy", nn, n(1), d[3], d[2]),
      d[3] && callS("fill", nn, n(0), d[3]),
    ]),
    tangent: ([nn], t) => {
      if (!t[3]) return [];
      if (t[1] && t[2]) return [callS("add", nn, t[1], t[2], t[3])];
      if (t[1] || t[2]) return [callS("copy", nn, (t[1] ?? t[2])!, t[3])];
      return [callS("fill", nn, n(0), t[3])];
    },
    doc: "out = x + y: dx += dout, dy += dout, dout ← 0",
  },
  /** `stopGradient` of an array: a copy through which no derivative flows (it reads nothing differentiably). */
  stopGradientCopy: {
    sizes: [0],
    signature: ["num", "arr", "arr"], writes: 2,
    reads: () => [], keeps: () => [],
    adjoint: ([nn], d) => present([d[2] && callS("fill", nn, n(0), d[2])]),
    tangent: ([nn], t) => present([t[2] && callS("fill", nn, n(0), t[2])]),
    doc: "y = stopGradient(x): dy ← 0, nothing flows to dx",
  },
  /** The order a sort puts keys in (an integer array): it decides where elements go, and nothing flows through it. */
  sortOrder: {
    sizes: [0, 3],
    signature: ["num", "arr", "arr", "num", "bool"], writes: 2,
    reads: () => [], keeps: () => [],
    adjoint: () => [],
    tangent: () => [],
    doc: "order ← the permutation sort makes of the keys (integers): no derivative",
  },
  shift: {
    sizes: [0],
    signature: ["num", "num", "arr"], writes: 2,
    reads: () => [2], keeps: () => [],
    adjoint: () => [],
    tangent: ([nn], t) => present([t[1] && t[2] && callS("shift", nn, t[1], t[2])]),
    scalarTangents: [1],
    doc: "x += c (c constant): dx unchanged",
  },
};

export function arrayRuleFor(fn: string): ArrayRule | undefined {
  return Object.prototype.hasOwnProperty.call(ARRAY_RULES, fn) ? ARRAY_RULES[fn] : undefined;
}

