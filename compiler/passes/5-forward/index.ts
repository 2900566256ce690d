/**
 * Pass 5 (forward), tangents: forward-mode differentiation, IR → IR.
 *
 * In:  a program in the IR (a lowered function with declarations placed, or a generated
 *      reverse-mode function) and its activity.
 * Out: the same program with a tangent statement beside every statement that defines an active
 *      value: `dot_v = Σ ∂e/∂xᵢ · dot_xᵢ`, with the partials taken from the rule table and BLAS
 *      tangents from the matrix-level entries.
 * Holds: primal statements are kept unchanged and in order, so values are bit-identical. A
 *      tangent is computed after its statement when it can use the new value (`exp`: z), and
 *      before it when the statement reads what it overwrites (`s = s + e`, restores, element
 *      writes, BLAS calls). Tape traffic is mirrored through the keys that pair pushes with pops:
 *      an active pushed value pushes its tangent after it, and an active pop pops its tangent
 *      first.
 *
 * Working on the IR of generated functions is what makes second order free: the Hessian-vector
 * product is this pass applied to the reverse-mode function (forward over reverse), loops, tapes
 * and BLAS adjoints included.
 */
import {
  type Expr, type Stmt, type VarInfo, type Decl, isVar, ref, num, assertNever,
} from "../../ir/types.ts";
import { add, mul, index, select, isNum, call } from "../../ir/expr.ts";
import { varsOf, arrayOfArg } from "../../ir/walk.ts";
import { ruleFor } from "../../rules/index.ts";
import { arrayRuleFor, type ArrayRule } from "../../rules/blas.ts";
import { tangentName, type Names } from "../../naming.ts";
import { customTangent, inactiveArgs } from "./custom.ts";

export class Tangents {
  private names = new Map<string, string>();

  /**
   * `fromPullback`: a call of a function with only a pullback gets its tangent from the pullback
   * (inside an Hvp; a Jvp through it is a diagnostic).
   */
  constructor(readonly vars: Map<string, VarInfo>, readonly active: Set<string>, private alloc: Names, readonly fromPullback = false) {}

  /** A fresh name for a local of the tangent code. */
  fresh(hint: string): string {
    return this.alloc.fresh(hint);
  }

  isActive(v: string): boolean {
    return this.active.has(v);
  }

  /** Tangent variable of `v` (created on first use). */
  of(v: string): string {
    let t = this.names.get(v);
    if (!t) {
      t = this.alloc.fresh(tangentName(v));
      this.names.set(v, t);
      const info = this.vars.get(v)!;
      this.vars.set(t, { name: t, type: info.type, kind: "tangent", ...(info.shape ? { shape: info.shape } : {}) });
    }
    return t;
  }

  /** Tangent of an expression; `z` is the value the whole expression is assigned to, once known. */
  expr(e: Expr, z?: Expr): Expr {
    switch (e.kind) {
      case "var":
        return this.isActive(e.name) ? ref(this.of(e.name)) : num(0);
      case "const": case "pop": case "field": case "coalesce": case "new-array": case "tape-begin": case "tape-call":
      case "invoke": case "record": case "lambda": case "text": case "template": case "host": case "construct":
        return num(0);
      case "user":
        // a pullback's or pushforward's result, read by code this pass generates: no tangent of its own
        if (!inactiveArgs(this, e.args)) throw new Error(`internal: a call of '${e.fn.name}' with varying arguments in differentiated code`);
        return num(0);
      case "index":
        return this.isActive(e.array) ? index(this.of(e.array), e.index) : num(0);
      case "view":
        return this.isActive(e.array) ? { ...e, array: this.of(e.array) } : num(0);
      case "at":
        return this.isActive(e.list) ? { ...e, list: this.of(e.list) } : num(0);
      case "select":
        return select(e.cond, this.expr(e.then), this.expr(e.else));
      case "apply":
        return this.viaRule(e.op, e.args, z ?? e);
      case "call": {
        const blas = arrayRuleFor(e.fn);
        if (blas && blas.writes === "result") return this.blasTangent(e.fn, blas, e.args) as Expr;
        return num(0); // zeros(…), seedCotangent(…): fresh values that depend on nothing differentiated
      }
      default:
        return assertNever(e);
    }
  }

  private viaRule(op: string, args: Expr[], z: Expr): Expr {
    const rule = ruleFor(op);
    if (!rule) throw new Error(`internal: no rule for '${op}' in forward mode`);
    if (rule.partials === null || rule.result !== "num") return num(0);
    const dargs = args.map((a) => this.expr(a));
    if (dargs.every((d) => isNum(d, 0))) return num(0);
    const partials = rule.partials(args, z);
    let t: Expr = num(0);
    dargs.forEach((d, i) => {
      if (!isNum(d, 0)) t = add(t, mul(partials[i], d));
    });
    return t;
  }

  /** Tangent statements (or expression) of a BLAS call, from its rule-table entry. */
  private blasTangent(fn: string, rule: ArrayRule, args: Expr[]): Stmt[] | Expr {
    const t = args.map((a, i) => {
      if (rule.signature[i] === "num") {
        const d = this.expr(a);
        if (isNum(d, 0) || rule.sizes.includes(i)) return null;
        if (!(rule.scalarTangents ?? []).includes(i)) throw new Error(`internal: argument ${i + 1} of '${fn}' varies, which its rule does not differentiate`);
        return d;
      }
      const arr = arrayOfArg(a);
      return arr !== undefined && this.isActive(arr) ? (a.kind === "view" ? { ...a, array: this.of(arr) } : ref(this.of(arr))) : null;
    });
    const out = rule.tangent(args, t);
    if (!Array.isArray(out)) return out;
    return out.map((c): Stmt => ({ kind: "call", fn: c.fn, args: c.args, loc: NOWHERE }));
  }

  /** Differentiates a block of statements. */
  block(body: Stmt[]): Stmt[] {
    const out: Stmt[] = [];
    for (const s of body) out.push(...this.stmt(s));
    return out;
  }

  /** `dot_target = value`, declared (with the primal's keyword) when the primal step declares. */
  private define(target: string, value: Expr, decl: Decl | undefined, s: Stmt): Stmt {
    return { kind: "assign", target: this.of(target), op: "=", value, decl, loc: s.loc, note: s.note };
  }

  private stmt(s: Stmt): Stmt[] {
    const at = (x: Stmt): Stmt => ({ ...x, loc: s.loc, note: s.note });
    switch (s.kind) {
      case "op": {
        if (!this.isActive(s.target)) return [s];
        const self = s.args.some((a) => isVar(a) && a.name === s.target);
        const e: Expr = { kind: "apply", op: s.op, args: s.args };
        // s = s + e reads what it overwrites: its tangent first, from the old values
        if (self) return [this.define(s.target, this.viaRule(s.op, s.args, e), undefined, s), s];
        return [s, this.define(s.target, this.viaRule(s.op, s.args, ref(s.target)), s.decl, s)];
      }
      case "load": {
        if (!this.isActive(s.target)) return [s];
        return [s, this.define(s.target, this.expr({ kind: "index", array: s.array, index: s.index }), s.decl, s)];
      }
      case "get": {
        // a number read, or a reference to an array or list: the tangent's is the same field
        if (!this.isActive(s.target)) return [s];
        return [s, this.define(s.target, { kind: "at", list: this.of(s.list), index: s.index, path: s.path }, s.decl, s)];
      }
      case "store": {
        if (!this.isActive(s.array)) return [s];
        return [at({ kind: "assign-elem", array: this.of(s.array), index: s.index, op: "=", value: this.expr(s.value), loc: s.loc }), s];
      }
      case "alloc": {
        if (!this.isActive(s.target)) return [s];
        // declared as the array is (a `let` the reverse pass hoisted out of a branch is assigned there, not declared again)
        return [s, this.define(s.target, { kind: "new-array", size: s.size }, s.decl, s)];
      }
      case "call": {
        const blas = arrayRuleFor(s.fn)!;
        if (blas.writes === "result") {
          if (!s.target || !this.isActive(s.target)) return [s];
          return [s, this.define(s.target, this.blasTangent(s.fn, blas, s.args) as Expr, s.decl, s)];
        }
        // tangents first: they read the primal inputs before the call overwrites anything
        return [...(this.blasTangent(s.fn, blas, s.args) as Stmt[]).map(at), s];
      }
      case "custom":
        return customTangent(this, s, this.fromPullback);
      case "if":
        return [{ ...s, then: this.block(s.then), else: this.block(s.else) }];
      case "for":
        return [{ ...s, body: this.block(s.body) }];
      case "loop":
        return [{ ...s, header: this.block(s.header), body: this.block(s.body), update: this.block(s.update) }];
      case "assign": {
        if (!this.isActive(s.target)) return [s];
        const v = s.value;
        if (v.kind === "pop") {
          // the tangent was pushed after the value: it comes off first
          const pop: Expr = { kind: "pop", type: v.type, key: v.key === undefined ? undefined : tangentKey(v.key) };
          return [this.define(s.target, pop, s.decl, s), s];
        }
        if (v.kind === "call" && (v.fn === "zeros" || v.fn === "gradBuffer" || v.fn === "zerosArray" || v.fn === "zerosLike")) return [s, this.define(s.target, call(v.fn, v.args[0]), "const", s)];
        if (v.kind === "new-array") return [s, this.define(s.target, v, s.decl, s)];
        if (s.op === "=") {
          const readsSelf = varsOf(v).has(s.target);
          return readsSelf
            ? [this.define(s.target, this.expr(v), undefined, s), s]
            : [s, this.define(s.target, this.expr(v, ref(s.target)), s.decl, s)];
        }
        const d = this.expr(v);
        if (isNum(d, 0)) return [s];
        return [at({ kind: "assign", target: this.of(s.target), op: s.op, value: d, loc: s.loc }), s];
      }
      case "assign-elem": {
        if (!this.isActive(s.array)) return [s];
        // an element restored from the tape: its tangent was pushed after it and comes off first
        if (s.value.kind === "pop" && s.value.key !== undefined) {
          return [at({ kind: "assign-elem", array: this.of(s.array), index: s.index, op: s.op, value: { kind: "pop", type: s.value.type, key: tangentKey(s.value.key) }, loc: s.loc }), s];
        }
        const d = this.expr(s.value);
        if (s.op === "+=" && isNum(d, 0)) return [s];
        return [at({ kind: "assign-elem", array: this.of(s.array), index: s.index, op: s.op, value: d, loc: s.loc }), s];
      }
      case "assign-at": {
        if (!this.isActive(s.list)) return [s];
        const d = this.expr(s.value);
        if (s.op === "+=" && isNum(d, 0)) return [s];
        return [at({ ...s, list: this.of(s.list), value: d }), s];
      }
      case "push": {
        // a value (or an element, stored in a snapshot) pushes its tangent after it
        const pushed = isVar(s.value) ? s.value.name : s.value.kind === "index" ? s.value.array : undefined;
        if (s.key === undefined || pushed === undefined || !this.isActive(pushed)) return [s];
        return [s, at({ kind: "push", type: s.type, value: this.expr(s.value), key: tangentKey(s.key), loc: s.loc })];
      }
      case "effect":
        // an unread pop: its tangent (pushed after it) comes off first
        if (s.value.kind === "pop" && s.value.key !== undefined && this.isActive(s.value.key)) {
          return [at({ kind: "effect", value: { kind: "pop", type: s.value.type, key: tangentKey(s.value.key) }, loc: s.loc }), s];
        }
        return [s];
      case "throw":
        return [s];
      default:
        return assertNever(s);
    }
  }
}

const tangentKey = (key: string) => `${key}'`;

const NOWHERE = { file: "", start: 0, end: 0, line: 0, col: 0 };
