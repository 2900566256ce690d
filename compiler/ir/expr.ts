/**
 * Constructors of IR expressions that fold constants and drop algebraic identities (`x * 1`,
 * `x + 0`, `0 * x`) as they build, so derivative rules can be written plainly and the generated
 * code is as tight as a hand-written adjoint. Used by the rule table and the differentiation
 * passes; the printer prints expressions exactly as built.
 */
import { type Const, type Expr, num, ref } from "./types.ts";

export { num, ref };

export const apply = (op: string, ...args: Expr[]): Expr => ({ kind: "apply", op, args });
export const call = (fn: string, ...args: Expr[]): Expr => ({ kind: "call", fn, args });
export const index = (array: string, i: Expr): Expr => ({ kind: "index", array, index: i });
export const field = (object: Expr, name: string, optional = false): Expr =>
  (optional ? { kind: "field", object, name, optional } : { kind: "field", object, name });
export const length = (array: string): Expr => apply("length", ref(array));

/** A numeric constant, optionally equal to `v`. */
export function isNum(e: Expr, v?: number): boolean {
  return e.kind === "const" && typeof e.value === "number" && (v === undefined || Object.is(e.value, v) || e.value === v);
}

/** A numeric literal (not a named constant such as Math.PI). */
const plain = (e: Expr): boolean => isNum(e) && (e as Const).text === undefined;
const val = (e: Expr): number => (e as Const).value as number;
const isApply = (e: Expr, op: string): boolean => e.kind === "apply" && e.op === op;
const arg = (e: Expr, i: number): Expr => (e as Extract<Expr, { kind: "apply" }>).args[i];

export function neg(a: Expr): Expr {
  if (plain(a)) return num(-val(a));
  if (isApply(a, "neg")) return arg(a, 0);
  return apply("neg", a);
}

export function add(a: Expr, b: Expr): Expr {
  if (isNum(a, 0)) return b;
  if (isNum(b, 0)) return a;
  if (plain(a) && plain(b)) return num(val(a) + val(b));
  if (isApply(b, "neg")) return sub(a, arg(b, 0));
  // x + x (the partials of x * x)
  if (a.kind === "var" && b.kind === "var" && a.name === b.name) return mul(num(2), a);
  return apply("+", a, b);
}

export function sub(a: Expr, b: Expr): Expr {
  if (isNum(b, 0)) return a;
  if (isNum(a, 0)) return neg(b);
  if (plain(a) && plain(b)) return num(val(a) - val(b));
  if (isApply(b, "neg")) return add(a, arg(b, 0));
  return apply("-", a, b);
}

/**
 * Products fold constants and units. `0 * x` folds to 0: the rules only build products of a
 * partial derivative and an adjoint, where a zero factor means "no dependence".
 */
export function mul(a: Expr, b: Expr): Expr {
  if (isNum(a, 0) || isNum(b, 0)) return num(0);
  if (isNum(a, 1)) return b;
  if (isNum(b, 1)) return a;
  if (isNum(a, -1)) return neg(b);
  if (isNum(b, -1)) return neg(a);
  if (plain(a) && plain(b)) return num(val(a) * val(b));
  if (isApply(a, "neg") && isApply(b, "neg")) return mul(arg(a, 0), arg(b, 0));
  if (isApply(a, "neg")) return neg(mul(arg(a, 0), b));
  if (isApply(b, "neg")) return neg(mul(a, arg(b, 0)));
  // g * (1 / y)  ->  g / y
  if (isApply(b, "/") && isNum(arg(b, 0), 1)) return div(a, arg(b, 1));
  if (isApply(a, "/") && isNum(arg(a, 0), 1)) return div(b, arg(a, 1));
  // keep numeric constants on the left for readability: 2 * x
  if (isNum(b) && !isNum(a)) return apply("*", b, a);
  return apply("*", a, b);
}

export function div(a: Expr, b: Expr): Expr {
  if (isNum(b, 1)) return a;
  if (isNum(a, 0)) return num(0);
  if (plain(a) && plain(b) && val(b) !== 0 && Number.isInteger(val(a) / val(b))) return num(val(a) / val(b));
  if (isApply(a, "neg")) return neg(div(arg(a, 0), b));
  return apply("/", a, b);
}

/** A binary primitive; arithmetic folds as above, everything else is built as written. */
export function bin(op: string, a: Expr, b: Expr): Expr {
  switch (op) {
    case "+": return add(a, b);
    case "-": return sub(a, b);
    case "*": return mul(a, b);
    case "/": return div(a, b);
    default: return apply(op, a, b);
  }
}

export function not(a: Expr): Expr {
  if (isApply(a, "!")) return arg(a, 0);
  if (a.kind === "const" && typeof a.value === "boolean") return { kind: "const", value: !a.value };
  return apply("!", a);
}

/** `c ? a : b` (folded to 0 when both arms are 0). */
export function select(c: Expr, a: Expr, b: Expr): Expr {
  if (isNum(a, 0) && isNum(b, 0)) return num(0);
  return { kind: "select", cond: c, then: a, else: b };
}

/** Rebuilds an expression node through the folding constructors (after a substitution). */
export function refold(e: Expr): Expr {
  if (e.kind === "apply") {
    if (e.args.length === 2) return bin(e.op, e.args[0], e.args[1]);
    if (e.op === "neg") return neg(e.args[0]);
    return e;
  }
  if (e.kind === "select") return select(e.cond, e.then, e.else);
  return e;
}
