/**
 * Text for pictures and tables: a step's source expression rebuilt from the IR (each primitive
 * written as the rule table's `syntax` says, expression temporaries expanded into the expression
 * that uses them, so `p = /(1, t7)` reads `1 / (1 + Math.exp(-z))`, as in the source), and
 * numbers in a short form.
 */
import type { Expr, IRFunction, LeafStmt, Stmt } from "../ir/types.ts";
import { walk } from "../ir/walk.ts";
import { ruleFor } from "../rules/index.ts";

/** Binding strength of infix operators (JavaScript's precedence). */
const PRECEDENCE: Record<string, number> = {
  "**": 14, "*": 13, "/": 13, "%": 13, "+": 12, "-": 12,
  "<": 10, "<=": 10, ">": 10, ">=": 10, "===": 9, "!==": 9, "&&": 5, "||": 4,
};
const ATOM = 20;
const PREFIX = 15;

interface Text {
  s: string;
  prec: number;
}

/** Rebuilds the source expressions of a function's steps. */
export class ExpressionTexts {
  /** The single op step defining each expression temporary. */
  private defs = new Map<string, LeafStmt>();
  private cache = new Map<string, Text>();

  constructor(private fn: IRFunction, private maxLength = 48) {
    const count = new Map<string, number>();
    walk(fn.body, (s) => {
      if ((s.kind === "op" || s.kind === "load") && fn.vars.get(s.target)?.kind === "temp") {
        count.set(s.target, (count.get(s.target) ?? 0) + 1);
        this.defs.set(s.target, s);
      }
    });
    for (const [t, n] of count) if (n !== 1) this.defs.delete(t);
  }

  /** A variable's name as the source spells it (`x` for `x_1`, the second version of `x`). */
  name(v: string): string {
    return this.fn.vars.get(v)?.origin ?? v;
  }

  /** Text of an operand: a temporary expanded into its expression while it stays short. */
  private operand(e: Expr, depth: number): Text {
    if (e.kind === "const") return { s: e.text ?? (typeof e.value === "number" && Object.is(e.value, -0) ? "-0" : String(e.value)), prec: typeof e.value === "number" && e.value < 0 ? PREFIX : ATOM };
    if (e.kind !== "var") return { s: "…", prec: ATOM };
    const def = this.defs.get(e.name);
    if (def && depth < 6) {
      const t = this.stepText(def, depth + 1);
      if (t.s.length <= this.maxLength) return t;
    }
    return { s: this.name(e.name), prec: ATOM };
  }

  private stepText(s: LeafStmt, depth: number): Text {
    const key = depth === 0 ? undefined : "target" in s && s.target ? s.target : undefined;
    if (key && this.cache.has(key)) return this.cache.get(key)!;
    const t = this.build(s, depth);
    if (key) this.cache.set(key, t);
    return t;
  }

  private build(s: LeafStmt, depth: number): Text {
    const wrap = (t: Text, min: number) => (t.prec < min ? `(${t.s})` : t.s);
    switch (s.kind) {
      case "op": {
        const rule = ruleFor(s.op);
        const args = s.args.map((a) => this.operand(a, depth));
        const syntax = rule?.syntax ?? { call: s.op };
        if ("infix" in syntax) {
          const p = PRECEDENCE[syntax.infix] ?? 10;
          // left-associative, except **: the right operand binds at the same level only for **
          const left = wrap(args[0], syntax.infix === "**" ? p + 1 : p);
          const right = wrap(args[1], syntax.infix === "**" ? p : p + 1);
          return { s: `${left} ${syntax.infix} ${right}`, prec: p };
        }
        if ("prefix" in syntax) return { s: `${syntax.prefix}${wrap(args[0], PREFIX)}`, prec: PREFIX };
        if ("member" in syntax) return { s: `${wrap(args[0], ATOM)}.${syntax.member}`, prec: ATOM };
        if ("copy" in syntax) return args[0];
        const fn = "call" in syntax ? syntax.call : syntax.runtime;
        return { s: `${fn}(${args.map((a) => a.s).join(", ")})`, prec: ATOM };
      }
      case "load": return { s: `${this.name(s.array)}[${this.operand(s.index, depth).s}]`, prec: ATOM };
      case "store": return { s: `${this.name(s.array)}[${this.operand(s.index, depth).s}] = ${this.operand(s.value, depth).s}`, prec: 0 };
      case "alloc": return { s: `new Float64Array(${this.operand(s.size, depth).s})`, prec: ATOM };
      case "get": return { s: `${this.name(s.list)}[${this.operand(s.index, depth).s}]${s.path.map((k) => `.${k}`).join("")}`, prec: ATOM };
      case "call": {
        const args = s.args.map((a) => (a.kind === "var" || a.kind === "const" ? this.operand(a, depth).s : "…"));
        return { s: `${s.fn}(${args.join(", ")})`, prec: ATOM };
      }
      case "custom": {
        const args = s.args.map((a) => (a.kind === "var" || a.kind === "const" ? this.operand(a, depth).s : "…"));
        return { s: `${s.callee.fn.name}(${args.join(", ")})`, prec: ATOM };
      }
      default: {
        const never: never = s;
        return never;
      }
    }
  }

  /** The source expression a step computes (`x1 / x2`, `Math.sin(v1)`, `A1[i] = Math.tanh(Z1[i])`). */
  expression(s: LeafStmt): string {
    return clip(this.stepText(s, 0).s, 64);
  }

  /** The expression of an `if` or loop condition. */
  condition(e: Expr): string {
    return clip(this.operand(e, 0).s, 64);
  }

}

export function clip(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

/** A number in at most `digits` significant digits, trailing zeros dropped (`3`, `0.1411`, `-1.98`). */
export function formatNumber(v: number, digits = 4): string {
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "Infinity" : "-Infinity";
  if (v === 0) return "0";
  if (Number.isInteger(v) && Math.abs(v) < 1e9) return String(v);
  const a = Math.abs(v);
  let s = a >= 1e-4 && a < 1e9 ? v.toPrecision(digits) : v.toExponential(digits - 1);
  if (s.includes("e")) {
    const [m, e] = s.split("e");
    s = `${m.includes(".") ? m.replace(/0+$/, "").replace(/\.$/, "") : m}e${e}`;
  } else if (s.includes(".")) {
    s = s.replace(/0+$/, "").replace(/\.$/, "");
  }
  return s;
}

/** A value in short form: numbers as above, booleans as they are, arrays as their first elements. */
export function formatValue(v: number | boolean | Float64Array | undefined, digits = 4, shown = 3): string {
  if (v === undefined) return "";
  if (typeof v === "boolean") return String(v);
  if (typeof v === "number") return formatNumber(v, digits);
  const head = Array.from(v.subarray(0, shown), (x) => formatNumber(x, digits));
  return `[${head.join(", ")}${v.length > shown ? `, … (${v.length})` : ""}]`;
}

/** Every leaf step of a block, in program order. */
export function leafSteps(stmts: Stmt[]): LeafStmt[] {
  const out: LeafStmt[] = [];
  walk(stmts, (s) => {
    if (s.kind === "op" || s.kind === "load" || s.kind === "store" || s.kind === "alloc" || s.kind === "call" || s.kind === "custom") out.push(s);
  });
  return out;
}
