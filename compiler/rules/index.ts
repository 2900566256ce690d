/**
 * THE derivative-rule table. Every primitive the compiler knows is one entry here.
 *
 * A scalar entry gives:
 *  - `syntax`: how the primitive is written in JavaScript (the printer reads it),
 *  - `eval`: its value (used by tests and constant folding),
 *  - `domain`: where tests sample its inputs (and `avoid`: points near a kink to skip),
 *  - `partials(x, z)`: the partial derivative with respect to each input as an expression of the
 *    inputs `x` and the output `z`, or `null` for a piecewise-constant primitive (derivative 0
 *    almost everywhere; its output is never active).
 *
 * and the facts the passes need about it, so that no pass keeps a list of operators:
 *  - `cheap`: worth recomputing in the reverse sweep rather than storing;
 *  - `integer`: integer-valued whenever its arguments are ("args"), or always ("always");
 *  - `linear`: linear in its inputs (its partials are constants);
 *  - `accumulates`: `s = op(s, e)` may update `s` in place, leaving `s`'s adjoint unchanged
 *    (`+`, `-`: what makes a reduction cost one statement in the reverse sweep);
 *  - `stops`: the derivative is zero by definition (`stopGradient`), not by piecewise constancy.
 *
 * Reverse mode accumulates `d_x[i] += d_z * partial[i]`; forward mode computes
 * `dz = Σ partial[i] * dx[i]`. Neither mode contains calculus of its own: adding `Math.foo` means
 * adding one entry below.
 *
 * Conventions at non-differentiable points (documented in docs/design.md):
 *  - abs'(0) = 0 (Math.sign(0));
 *  - max/min: the whole derivative goes to the first argument that attains the result, so
 *    `Math.max(0, x)` (ReLU) has derivative 0 at x = 0 and `Math.max(x, 0)` has 1;
 *  - hypot and atan2 at the origin: 0;
 *  - pow(x, y) with respect to y: z·ln x for x > 0, and 0 for x ≤ 0;
 *  - floor, ceil, round, trunc, sign, comparisons: derivative 0.
 */
import type { Expr } from "../ir/types.ts";
import { num as n, apply, add, sub, mul, div, neg, bin, select as cond } from "../ir/expr.ts";

/** How a primitive is written in JavaScript. */
export type Syntax =
  | { infix: string }
  /** A runtime function (imported by the generated module). */
  | { runtime: string }
  | { prefix: "-" | "+" | "!" | "~" }
  | { call: string }
  | { copy: true }
  | { member: string };

export interface ScalarRule {
  /** Number of inputs, or "variadic" (at least one). */
  arity: number | "variadic";
  /** Type of the result. */
  result: "num" | "bool";
  syntax: Syntax;
  eval(...xs: number[]): number;
  /** Sampling interval for each input (the last one repeats for variadic rules). */
  domain: [number, number][];
  /** True for sample points too close to a kink or discontinuity for finite differences. */
  avoid?: (xs: number[]) => boolean;
  partials: ((x: Expr[], z: Expr) => Expr[]) | null;
  cheap?: boolean;
  integer?: "args" | "always";
  /** The result is always an integer of magnitude below 2^32, never NaN (bitwise operators, lengths). */
  small?: boolean;
  linear?: boolean;
  accumulates?: boolean;
  /** The argument is an array, not a number, of which only the length is read, never the elements (`length`). */
  arrayArgument?: boolean;
  /**
   * The derivative is zero by definition, not because the value is piecewise constant
   * (`stopGradient`: the value passes through, the derivative does not).
   */
  stops?: boolean;
  /**
   * The result is one of the arguments, and the derivative goes to the first argument equal to
   * it (`Math.max`, `Math.min`): a running `a = op(a, e)` over a loop passes its adjoint to the
   * `e` of the last iteration that changed `a`, or to `a`'s value before the loop. Gives the
   * partial with respect to `e` in that iteration (where `e`, not the old `a`, produced `z`).
   */
  selects?: (e: Expr, z: Expr) => Expr;
  /**
   * Variadic and associative from this value (`Math.max`: −Infinity, its value with no
   * arguments): a spread argument (`Math.max(...xs)`) folds the op over the array's elements.
   */
  fold?: number;
  /** One line for the docs. */
  doc?: string;
}

const sq = (e: Expr): Expr => mul(e, e);
const call = (fn: string, ...args: Expr[]): Expr => apply(fn, ...args);
const sqrt = (e: Expr): Expr => call("Math.sqrt", e);
const LN2 = n(Math.LN2, "Math.LN2");
const LN10 = n(Math.LN10, "Math.LN10");

function unary(
  name: string,
  f: (x: number) => number,
  d: ((x: Expr, z: Expr) => Expr) | null,
  domain: [number, number] = [-3, 3],
  avoid?: (xs: number[]) => boolean,
  facts: Pick<ScalarRule, "cheap" | "integer"> = {},
): ScalarRule {
  return {
    arity: 1,
    result: "num",
    syntax: { call: name },
    ...facts,
    eval: f,
    domain: [domain],
    avoid,
    partials: d && ((x, z) => [d(x[0], z)]),
  };
}

const nearInteger = (v: number, eps = 0.02) => Math.abs(v - Math.round(v)) < eps;
const nearHalf = (v: number) => nearInteger(v - 0.5);

/** A test of one number (`Number.isFinite`): a boolean, sampled at integers and non-integers, finite or not. */
function test(name: string, f: (x: number) => boolean): ScalarRule {
  return { arity: 1, result: "bool", syntax: { call: name }, cheap: true, eval: (x) => Number(f(x)), domain: [[-3, 3]], partials: null };
}

function comparison(op: "<" | "<=" | ">" | ">=" | "===" | "!==" | "==" | "!="): ScalarRule {
  const js = op === "==" ? "===" : op === "!=" ? "!==" : op;
  const f: Record<string, (a: number, b: number) => boolean> = {
    "<": (a, b) => a < b, "<=": (a, b) => a <= b, ">": (a, b) => a > b, ">=": (a, b) => a >= b,
    "===": (a, b) => a === b, "!==": (a, b) => a !== b,
  };
  return {
    arity: 2, result: "bool",
    syntax: { infix: js },
    cheap: true,
    eval: (a, b) => Number(f[js](a, b)),
    domain: [[-1, 1], [-1, 1]],
    partials: null,
  };
}

/**
 * A bitwise operator: both operands are truncated to 32-bit integers (ToInt32), so the result is
 * an integer constant between integer operands: its derivative is 0 wherever it has one.
 */
function bitwise(op: string, f: (a: number, b: number) => number): ScalarRule {
  return {
    arity: 2, result: "num", syntax: { infix: op }, cheap: true, integer: "always", small: true, eval: f,
    domain: [[-6, 6], [0, 4]], avoid: ([a, b]) => nearInteger(a) || nearInteger(b), partials: null,
    doc: `a ${op} b on ToInt32(a) and ToInt32(b)`,
  };
}

/** Partial of a max/min over several inputs: 1 for the first input equal to the result. */
/** The partial of a selecting primitive with respect to `e`, when `e` replaced the running value and gave `z`. */
const replaced = (e: Expr, z: Expr): Expr => cond(bin("===", e, z), n(1), n(0));

function firstAttaining(x: Expr[], z: Expr): Expr[] {
  return x.map((xi, i) => {
    let test = bin("===", xi, z);
    for (let j = 0; j < i; j++) test = bin("&&", test, bin("!==", x[j], z));
    return cond(test, n(1), n(0));
  });
}

export const RULES: Record<string, ScalarRule> = {
  // ---- arithmetic operators ------------------------------------------------------------
  "+": { arity: 2, result: "num", syntax: { infix: "+" }, cheap: true, integer: "args", linear: true, accumulates: true, eval: (a, b) => a + b,
    domain: [[-3, 3], [-3, 3]], partials: () => [n(1), n(1)] },
  "-": { arity: 2, result: "num", syntax: { infix: "-" }, cheap: true, integer: "args", linear: true, accumulates: true, eval: (a, b) => a - b,
    domain: [[-3, 3], [-3, 3]], partials: () => [n(1), n(-1)] },
  "*": { arity: 2, result: "num", syntax: { infix: "*" }, cheap: true, integer: "args", eval: (a, b) => a * b,
    domain: [[-3, 3], [-3, 3]], partials: (x) => [x[1], x[0]] },
  "/": { arity: 2, result: "num", syntax: { infix: "/" }, cheap: true, eval: (a, b) => a / b,
    domain: [[-3, 3], [0.5, 3]], partials: (x, z) => [div(n(1), x[1]), neg(div(z, x[1]))] },
  "%": { arity: 2, result: "num", syntax: { infix: "%" }, cheap: true, eval: (a, b) => a % b,
    domain: [[0.1, 10], [1.5, 4]], avoid: ([a, b]) => nearInteger(a / b),
    partials: (x) => [n(1), neg(call("Math.trunc", div(x[0], x[1])))],
    doc: "a % b = a − b·trunc(a/b)" },
  "**": { arity: 2, result: "num", syntax: { infix: "**" }, eval: (a, b) => a ** b,
    domain: [[0.2, 3], [-2, 3]], partials: (x, z) => powPartials(x[0], x[1], z) },
  // ---- bitwise operators: 32-bit integer results, piecewise constant (derivative 0) -----------
  "&": bitwise("&", (a, b) => a & b),
  "|": bitwise("|", (a, b) => a | b),
  "^": bitwise("^", (a, b) => a ^ b),
  "<<": bitwise("<<", (a, b) => a << b),
  ">>": bitwise(">>", (a, b) => a >> b),
  ">>>": bitwise(">>>", (a, b) => a >>> b),
  "~": { arity: 1, result: "num", syntax: { prefix: "~" }, cheap: true, integer: "always", small: true, eval: (a) => ~a,
    domain: [[-6, 6]], avoid: ([a]) => nearInteger(a), partials: null, doc: "bitwise not of ToInt32(a)" },
  neg: { arity: 1, result: "num", syntax: { prefix: "-" }, cheap: true, integer: "args", linear: true, eval: (a) => -a,
    domain: [[-3, 3]], partials: () => [n(-1)] },
  pos: { arity: 1, result: "num", syntax: { prefix: "+" }, cheap: true, linear: true, eval: (a) => +a,
    domain: [[-3, 3]], partials: () => [n(1)] },
  /** Copy of a value into a variable (assignments). */
  copy: { arity: 1, result: "num", syntax: { copy: true }, cheap: true, integer: "args", linear: true, eval: (a) => a,
    domain: [[-3, 3]], partials: () => [n(1)] },
  /** An index argument of `subarray` and `slice`, clamped as JavaScript does (negative: from the end). */
  clampIndex: { arity: 2, result: "num", syntax: { runtime: "clampIndex" }, cheap: true, integer: "args",
    eval: (i, n) => (Math.trunc(i) < 0 ? Math.max(n + Math.trunc(i), 0) : Math.min(Math.trunc(i), n)), domain: [[-5, 5], [0, 8]],
    avoid: ([i, len]) => nearInteger(i) || nearInteger(len + Math.trunc(i)) || Math.abs(Math.trunc(i) - len) < 0.02,
    // constant in the index; the result is the length (or length + index) where it is clamped
    partials: ([i, len], z) => [n(0), cond(bin("<=", i, n(-1)), cond(bin(">", z, n(0)), n(1), n(0)), cond(bin("===", z, len), n(1), n(0)))],
    doc: "a slice bound: clampIndex(i, n) is i clamped to [0, n], counted from n when negative" },
  /** The tests of a number (`Number.isFinite(x)`, the global `isNaN(x)`, …): booleans, derivative 0. */
  "Number.isFinite": test("Number.isFinite", Number.isFinite),
  "Number.isNaN": test("Number.isNaN", Number.isNaN),
  "Number.isInteger": test("Number.isInteger", Number.isInteger),
  "Number.isSafeInteger": test("Number.isSafeInteger", Number.isSafeInteger),
  isFinite: test("isFinite", isFinite),
  isNaN: test("isNaN", isNaN),
  /** The index `xs.at(i)` reads, as JavaScript computes it (negative: from the end; out of range: no element). */
  atIndex: { arity: 2, result: "num", syntax: { runtime: "atIndex" }, cheap: true, integer: "always",
    eval: (i, n) => { const t = Math.trunc(i) || 0; return t < 0 ? t + n : t; }, domain: [[-5, 5], [0, 8]],
    avoid: ([i]) => nearInteger(i),
    // constant in the index; from the end, the length counts
    partials: ([i]) => [n(0), cond(bin("<=", i, n(-1)), n(1), n(0))],
    doc: "an index of at: atIndex(i, n) is i truncated, counted from n when negative" },
  /** The value of its argument, with no derivative: zero in every mode, and its output is never active. */
  stopGradient: { arity: 1, result: "num", syntax: { runtime: "stopGradient" }, cheap: true, stops: true, eval: (a) => a,
    domain: [[-3, 3]], partials: null, doc: "stopGradient(x) = x, with derivative 0" },
  /** The length of a Float64Array (its argument is an array). */
  length: { arity: 1, result: "num", syntax: { member: "length" }, arrayArgument: true, cheap: true, integer: "always", small: true,
    eval: () => NaN, domain: [[0, 0]], partials: null },

  // ---- comparisons and logic (results are booleans; never differentiated) ----------------
  "<": comparison("<"), "<=": comparison("<="), ">": comparison(">"), ">=": comparison(">="),
  "===": comparison("==="), "!==": comparison("!=="), "==": comparison("=="), "!=": comparison("!="),
  "&&": { arity: 2, result: "bool", syntax: { infix: "&&" }, cheap: true, eval: (a, b) => Number(a && b),
    domain: [[0, 1], [0, 1]], partials: null },
  "||": { arity: 2, result: "bool", syntax: { infix: "||" }, cheap: true, eval: (a, b) => Number(a || b),
    domain: [[0, 1], [0, 1]], partials: null },
  /** A number as a condition, as JavaScript tests it: `while (n--)`, `if (x)`. */
  truthy: { arity: 1, result: "bool", syntax: { call: "Boolean" }, cheap: true, eval: (a) => Number(Boolean(a)),
    domain: [[-1, 1]], partials: null },
  "!": { arity: 1, result: "bool", syntax: { prefix: "!" }, cheap: true, eval: (a) => Number(!a),
    domain: [[0, 1]], partials: null },

  // ---- Math ---------------------------------------------------------------------------------
  "Math.abs": unary("Math.abs", Math.abs, (x) => call("Math.sign", x), [-3, 3], ([x]) => Math.abs(x) < 0.05, { cheap: true }),
  "Math.acos": unary("Math.acos", Math.acos, (x) => neg(div(n(1), sqrt(sub(n(1), sq(x))))), [-0.9, 0.9]),
  "Math.acosh": unary("Math.acosh", Math.acosh, (x) => div(n(1), sqrt(sub(sq(x), n(1)))), [1.1, 4]),
  "Math.asin": unary("Math.asin", Math.asin, (x) => div(n(1), sqrt(sub(n(1), sq(x)))), [-0.9, 0.9]),
  "Math.asinh": unary("Math.asinh", Math.asinh, (x) => div(n(1), sqrt(add(sq(x), n(1))))),
  "Math.atan": unary("Math.atan", Math.atan, (x) => div(n(1), add(n(1), sq(x)))),
  "Math.atanh": unary("Math.atanh", Math.atanh, (x) => div(n(1), sub(n(1), sq(x))), [-0.9, 0.9]),
  "Math.cbrt": unary("Math.cbrt", Math.cbrt, (_x, z) => div(n(1), mul(n(3), sq(z))), [0.2, 4]),
  "Math.ceil": unary("Math.ceil", Math.ceil, null, [-3, 3], ([x]) => nearInteger(x), { cheap: true, integer: "always" }),
  "Math.cos": unary("Math.cos", Math.cos, (x) => neg(call("Math.sin", x))),
  "Math.cosh": unary("Math.cosh", Math.cosh, (x) => call("Math.sinh", x)),
  "Math.exp": unary("Math.exp", Math.exp, (_x, z) => z),
  "Math.expm1": unary("Math.expm1", Math.expm1, (_x, z) => add(z, n(1))),
  "Math.floor": unary("Math.floor", Math.floor, null, [-3, 3], ([x]) => nearInteger(x), { cheap: true, integer: "always" }),
  "Math.log": unary("Math.log", Math.log, (x) => div(n(1), x), [0.1, 5]),
  "Math.log10": unary("Math.log10", Math.log10, (x) => div(n(1), mul(x, LN10)), [0.1, 5]),
  "Math.log1p": unary("Math.log1p", Math.log1p, (x) => div(n(1), add(n(1), x)), [-0.5, 5]),
  "Math.log2": unary("Math.log2", Math.log2, (x) => div(n(1), mul(x, LN2)), [0.1, 5]),
  "Math.round": unary("Math.round", Math.round, null, [-3, 3], ([x]) => nearHalf(x), { cheap: true, integer: "always" }),
  "Math.sign": unary("Math.sign", Math.sign, null, [-3, 3], ([x]) => Math.abs(x) < 0.05, { cheap: true, integer: "always" }),
  "Math.sin": unary("Math.sin", Math.sin, (x) => call("Math.cos", x)),
  "Math.sinh": unary("Math.sinh", Math.sinh, (x) => call("Math.cosh", x)),
  "Math.sqrt": unary("Math.sqrt", Math.sqrt, (_x, z) => div(n(0.5), z), [0.1, 5]),
  "Math.tan": unary("Math.tan", Math.tan, (_x, z) => add(n(1), sq(z)), [-1.2, 1.2]),
  "Math.tanh": unary("Math.tanh", Math.tanh, (_x, z) => sub(n(1), sq(z))),
  "Math.trunc": unary("Math.trunc", Math.trunc, null, [-3, 3], ([x]) => nearInteger(x), { cheap: true, integer: "always" }),
  "Math.atan2": { arity: 2, result: "num", syntax: { call: "Math.atan2" },
    eval: Math.atan2, domain: [[-3, 3], [0.2, 3]],
    partials: (x) => {
      // at the origin both partials are 0 (as for hypot): divide by 1 there instead of 0
      const r2 = add(sq(x[0]), sq(x[1]));
      const d = cond(bin("===", r2, n(0)), n(1), r2);
      return [div(x[1], d), neg(div(x[0], d))];
    },
    doc: "∂/∂y = x / (y² + x²), ∂/∂x = −y / (y² + x²), both 0 at the origin" },
  "Math.pow": { arity: 2, result: "num", syntax: { call: "Math.pow" }, eval: Math.pow,
    domain: [[0.2, 3], [-2, 3]], partials: (x, z) => powPartials(x[0], x[1], z) },
  "Math.hypot": { arity: "variadic", result: "num", syntax: { call: "Math.hypot" }, eval: Math.hypot,
    domain: [[-3, 3]], avoid: (xs) => Math.hypot(...xs) < 0.05,
    partials: (x, z) => x.map((xi) => cond(bin("===", z, n(0)), n(0), div(xi, z))),
    doc: "∂/∂xᵢ = xᵢ / hypot(x…), 0 at the origin" },
  "Math.max": { arity: "variadic", result: "num", syntax: { call: "Math.max" }, cheap: true, selects: replaced, fold: -Infinity, eval: Math.max,
    domain: [[-3, 3]], avoid: nearTie, partials: firstAttaining,
    doc: "the derivative goes to the first argument equal to the result" },
  "Math.min": { arity: "variadic", result: "num", syntax: { call: "Math.min" }, cheap: true, selects: replaced, fold: Infinity, eval: Math.min,
    domain: [[-3, 3]], avoid: nearTie, partials: firstAttaining,
    doc: "the derivative goes to the first argument equal to the result" },
};

function nearTie(xs: number[]): boolean {
  for (let i = 0; i < xs.length; i++) for (let j = 0; j < i; j++) if (Math.abs(xs[i] - xs[j]) < 0.05) return true;
  return false;
}

/** d(x^y): y·x^(y−1) and, for x > 0, z·ln x (0 otherwise). Constant exponents fold. */
function powPartials(x: Expr, y: Expr, z: Expr): Expr[] {
  let dx: Expr;
  if (y.kind === "const" && typeof y.value === "number" && !y.text) {
    if (y.value === 0) dx = n(0);
    else if (y.value === 1) dx = n(1);
    else if (y.value === 2) dx = mul(n(2), x);
    else dx = mul(y, bin("**", x, n(y.value - 1)));
  } else {
    dx = mul(y, bin("**", x, sub(y, n(1))));
  }
  const dy = y.kind === "const" ? n(0) : cond(bin(">", x, n(0)), mul(z, call("Math.log", x)), n(0));
  return [dx, dy];
}

/** Named constants of `Math`. */
export const MATH_CONSTANTS: Record<string, number> = {
  E: Math.E, LN10: Math.LN10, LN2: Math.LN2, LOG10E: Math.LOG10E, LOG2E: Math.LOG2E,
  PI: Math.PI, SQRT1_2: Math.SQRT1_2, SQRT2: Math.SQRT2,
};

/** Named constants of `Number`. */
export const NUMBER_CONSTANTS: Record<string, number> = {
  EPSILON: Number.EPSILON, MAX_VALUE: Number.MAX_VALUE, MIN_VALUE: Number.MIN_VALUE,
  MAX_SAFE_INTEGER: Number.MAX_SAFE_INTEGER, MIN_SAFE_INTEGER: Number.MIN_SAFE_INTEGER,
  POSITIVE_INFINITY: Number.POSITIVE_INFINITY, NEGATIVE_INFINITY: Number.NEGATIVE_INFINITY, NaN: Number.NaN,
};

export function ruleFor(op: string): ScalarRule | undefined {
  return Object.prototype.hasOwnProperty.call(RULES, op) ? RULES[op] : undefined;
}

/** `Math.*` functions the compiler supports, for diagnostics. */
export function supportedMathFunctions(): string[] {
  return Object.keys(RULES).filter((k) => k.startsWith("Math.")).sort();
}

/** Whether the output of `op` can carry a derivative. */
export function isDifferentiable(op: string): boolean {
  const rule = ruleFor(op);
  return !!rule && rule.partials !== null && rule.result === "num";
}

