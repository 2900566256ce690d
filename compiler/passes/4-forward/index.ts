/**
 * Pass 4 (forward), tangents: forward-mode differentiation of output-language code.
 *
 * In:  a function body in the output language (the primal code of a function, or a generated
 *      gradient function), and the variables whose tangents are seeded.
 * Out: the same body with a tangent statement beside every statement that computes a varied
 *      value: `dot_v = Σ ∂e/∂xᵢ · dot_xᵢ`, with the partials taken from the rule table.
 *
 * Working on generated code rather than on the IR is what makes second order free: the
 * Hessian-vector product is this pass applied to the reverse-mode function (forward over
 * reverse). Tape traffic is mirrored: a pushed varied value pushes its tangent after it, and a
 * pop of a varied variable pops its tangent first.
 */
import {
  type Expr, type Stmt, n, r, call, idx, add, mul, cond, refsOf, isNum, bin,
} from "../../ast/js.ts";
import { ruleFor } from "../../rules/index.ts";
import { arrayRuleFor, type ArrayRule } from "../../rules/blas.ts";
import { tangentName, type Names } from "../../naming.ts";

const UNARY_OPS: Record<string, string> = { "-": "neg", "+": "pos" };
const TAPE_POP = /\.(popF)$/;
const TAPE_PUSH = /\.(pushF)$/;

export class Tangents {
  readonly varied: Set<string>;
  private names = new Map<string, string>();

  constructor(body: Stmt[], seeds: Iterable<string>, private alloc: Names) {
    this.varied = variedNames(body, new Set(seeds));
  }

  /** Tangent variable of `v`. */
  of(v: string): string {
    let t = this.names.get(v);
    if (!t) this.names.set(v, (t = this.alloc.fresh(tangentName(v))));
    return t;
  }

  derived(): Set<string> {
    return new Set(this.names.values());
  }

  /** Tangent of an expression; `z` names the variable the whole expression is assigned to. */
  expr(e: Expr, z?: Expr): Expr {
    switch (e.k) {
      case "num": case "bool": case "undef": case "object": case "member": case "inc": case "arrow":
        return n(0);
      case "ref":
        return this.varied.has(e.name) ? r(this.of(e.name)) : n(0);
      case "index":
        return e.arr.k === "ref" && this.varied.has(e.arr.name) ? idx(r(this.of(e.arr.name)), e.index) : n(0);
      case "cond":
        return cond(e.c, this.expr(e.a), this.expr(e.b));
      case "new":
        return n(0);
      case "un":
        if (e.op === "!") return n(0);
        return this.viaRule(UNARY_OPS[e.op], [e.a], z ?? e);
      case "bin":
        return this.viaRule(e.op, [e.a, e.b], z ?? e);
      case "call": {
        if (e.fn === "zeros") return n(0);
        if (TAPE_POP.test(e.fn) || e.fn.startsWith("tape")) return n(0);
        const blas = arrayRuleFor(e.fn);
        if (blas) return this.blasTangent(e.fn, blas, e.args) as Expr;
        return this.viaRule(e.fn, e.args, z ?? e);
      }
    }
  }

  /** Tangent statements (or expression) of a BLAS call, from its rule-table entry. */
  private blasTangent(fn: string, rule: ArrayRule, args: Expr[]): Stmt[] | Expr {
    const t = args.map((a, i) => {
      if (a.k !== "ref" || !this.varied.has(a.name)) return null;
      if (rule.signature[i] === "num" && !(rule.scalarTangents ?? []).includes(i)) {
        throw new Error(`forward mode: argument ${i + 1} of '${fn}' varies, which its rule does not differentiate`);
      }
      return r(this.of(a.name));
    });
    return rule.tangent(args, t);
  }

  private viaRule(op: string, args: Expr[], z: Expr): Expr {
    const rule = ruleFor(op);
    if (!rule) throw new Error(`internal: no rule for '${op}' in forward mode`);
    if (rule.partials === null || rule.result !== "num") return n(0);
    const dargs = args.map((a) => this.expr(a));
    if (dargs.every((d) => isNum(d, 0))) return n(0);
    const partials = rule.partials(args, z);
    let t: Expr = n(0);
    dargs.forEach((d, i) => {
      if (!isNum(d, 0)) t = add(t, mul(partials[i], d));
    });
    return t;
  }

  /** Differentiates a block of statements. */
  block(body: Stmt[]): Stmt[] {
    const out: Stmt[] = [];
    for (const s of body) out.push(...this.stmt(s));
    return out;
  }

  private stmt(s: Stmt): Stmt[] {
    switch (s.k) {
      case "decl": {
        if (!this.varied.has(s.name) || !s.init) return [s];
        const init = s.init;
        if (init.k === "call" && TAPE_POP.test(init.fn)) {
          return [{ k: "decl", kw: s.kw, name: this.of(s.name), init }, s];
        }
        if (init.k === "call" && init.fn === "zeros") {
          return [s, { k: "decl", kw: "const", name: this.of(s.name), init: call("zeros", init.args[0]) }];
        }
        if (init.k === "new") return [s, { k: "decl", kw: "const", name: this.of(s.name), init }];
        return [s, { k: "decl", kw: s.kw, name: this.of(s.name), init: this.expr(init, r(s.name)) }];
      }
      case "assign": {
        const t = s.target;
        if (t.k === "ref") {
          if (!this.varied.has(t.name)) return [s];
          const dt = r(this.of(t.name));
          if (s.value.k === "call" && TAPE_POP.test(s.value.fn)) return [{ k: "assign", target: dt, op: "=", value: s.value }, s];
          const readsSelf = refsOf(s.value).has(t.name);
          if (s.op === "=") {
            return readsSelf
              ? [{ k: "assign", target: dt, op: "=", value: this.expr(s.value) }, s]
              : [s, { k: "assign", target: dt, op: "=", value: this.expr(s.value, r(t.name)) }];
          }
          if (s.op === "+=" || s.op === "-=") return [{ k: "assign", target: dt, op: s.op, value: this.expr(s.value) }, s];
          // x *= e: the tangent of x·e (rule "*"), with the old x
          return [{ k: "assign", target: dt, op: "=", value: this.viaRule("*", [t, s.value], bin("*", t, s.value)) }, s];
        }
        if (t.k === "index" && t.arr.k === "ref" && this.varied.has(t.arr.name)) {
          const dt = idx(r(this.of(t.arr.name)), t.index);
          if (s.op === "*=") throw new Error("internal: *= on an array element in forward mode");
          return [{ k: "assign", target: dt, op: s.op, value: this.expr(s.value) }, s];
        }
        return [s];
      }
      case "expr": {
        const e = s.e;
        if (e.k === "call" && TAPE_PUSH.test(e.fn) && e.args[0].k === "ref" && this.varied.has(e.args[0].name)) {
          return [s, { k: "expr", e: call(e.fn, this.expr(e.args[0])) }];
        }
        const blas = e.k === "call" ? arrayRuleFor(e.fn) : undefined;
        if (e.k === "call" && blas && blas.writes !== "result") {
          // tangents first: they read the primal inputs before the call overwrites anything
          return [...(this.blasTangent(e.fn, blas, e.args) as Stmt[]), s];
        }
        return [s];
      }
      case "if":
        return [{ ...s, then: this.block(s.then), else: this.block(s.else) }];
      case "for":
        return [{ ...s, body: this.block(s.body) }];
      case "while":
        return [{ ...s, body: this.block(s.body) }];
      case "block":
        return [{ ...s, body: this.block(s.body) }];
      case "break": case "return":
        return [s];
    }
  }
}

/** Names whose value depends on a seed, through assignments, array elements and tape traffic. */
export function variedNames(body: Stmt[], seeds: Set<string>): Set<string> {
  const varied = new Set(seeds);
  // pushes and pops pair by variable name: a pushed varied name makes the popped name varied
  for (let changed = true; changed; ) {
    changed = false;
    const mark = (v: string) => {
      if (!varied.has(v)) { varied.add(v); changed = true; }
    };
    const dep = (e: Expr) => {
      for (const x of refsOf(e)) if (varied.has(x)) return true;
      return false;
    };
    const visit = (b: Stmt[]) => {
      for (const s of b) {
        switch (s.k) {
          case "decl": if (s.init && dep(s.init)) mark(s.name); break;
          case "assign":
            if (s.target.k === "ref" && dep(s.value)) mark(s.target.name);
            if (s.target.k === "index" && s.target.arr.k === "ref" && dep(s.value)) mark(s.target.arr.name);
            break;
          case "expr": {
            const e = s.e;
            const blas = e.k === "call" ? arrayRuleFor(e.fn) : undefined;
            if (e.k === "call" && blas && blas.writes !== "result") {
              const out = e.args[blas.writes];
              const ins = [...blas.reads(e.args), ...(blas.scalarTangents ?? [])].map((i) => e.args[i]);
              if (out.k === "ref" && ins.some((a) => a.k === "ref" && varied.has(a.name))) mark(out.name);
            }
            break;
          }
          case "if": visit(s.then); visit(s.else); break;
          case "for": case "while": case "block": visit(s.body); break;
          default: break;
        }
      }
    };
    visit(body);
  }
  return varied;
}

