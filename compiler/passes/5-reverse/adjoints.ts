/**
 * The adjoint statements of each primal step, as IR, and the variables of the generated
 * function they introduce. The partial derivatives come from the rule table; BLAS steps take
 * their adjoints (themselves BLAS calls) from the matrix-level entries.
 */
import {
  type Expr, type IRFunction, type LeafStmt, type Stmt, type Type, type VarInfo, isVar, ref, num,
} from "../../ir/types.ts";
import { add, index, mul } from "../../ir/expr.ts";
import { Structure } from "../../ir/structure.ts";
import { arrayOfArg } from "../../ir/walk.ts";
import { ruleFor } from "../../rules/index.ts";
import { arrayRuleFor } from "../../rules/blas.ts";
import { Codes, LocatedError } from "../../diagnostics.ts";
import { adjointName, type Names } from "../../naming.ts";
import type { Activity } from "../4-activity/index.ts";
import { customAdjoint } from "./custom.ts";

/** What the reverse pass shares between its parts: the function, its structure and its variables. */
export class ReverseContext {
  readonly st: Structure;
  private adj = new Map<string, string>();
  private primalOfAdj = new Map<string, string>();
  /** Variables of the generated function: the primal's, then adjoints, saves and counters. */
  readonly vars: Map<string, VarInfo>;
  /** Run pullbacks' bodies instead of calling them, for forward mode to differentiate (Hvp). */
  pullbackBodies = false;

  constructor(readonly fn: IRFunction, readonly act: Activity, readonly names: Names) {
    this.st = new Structure(fn);
    this.vars = new Map(fn.vars);
  }

  isActive(v: string): boolean {
    return this.act.active.has(v);
  }

  typeOf(v: string): Type {
    return this.vars.get(v)!.type;
  }

  /** The adjoint variable of `v` (created on first use). */
  adjOf(v: string): string {
    let a = this.adj.get(v);
    if (!a) {
      a = this.names.fresh(adjointName(v));
      this.adj.set(v, a);
      this.primalOfAdj.set(a, v);
      const shape = this.vars.get(v)!.shape;
      this.vars.set(a, { name: a, type: this.typeOf(v), kind: "adjoint", ...(shape ? { shape } : {}) });
    }
    return a;
  }

  /** The variable whose adjoint `a` is (of those made so far). */
  primalOf(a: string): string | undefined {
    return this.primalOfAdj.get(a);
  }

  /** A new variable of the generated function. */
  newVar(hint: string, type: Type, kind: VarInfo["kind"]): string {
    const name = this.names.fresh(hint);
    this.vars.set(name, { name, type, kind });
    return name;
  }

  /** A definition must clear the adjoint when the variable had an earlier value sharing it. */
  needsReset(v: string, def: Stmt): boolean {
    return this.st.isMutable(v) && this.st.initializingDef(v) !== def;
  }
}

const assign = (target: string, op: "=" | "+=", value: Expr, at: Stmt): Stmt =>
  ({ kind: "assign", target, op, value, loc: at.loc });

/**
 * The adjoint statements of a primal step: accumulate into the adjoints of its active inputs,
 * then clear the adjoint of what it overwrote when that value is reused.
 */
export function adjointOf(cx: ReverseContext, s: LeafStmt): Stmt[] {
  const out: Stmt[] = [];
  switch (s.kind) {
    case "op": {
      if (!cx.isActive(s.target)) return out;
      const rule = ruleFor(s.op)!;
      const selfUpdate = s.args.some((a) => isVar(a) && a.name === s.target);
      if (selfUpdate) {
        // only an accumulating primitive may update its target in place (`s = s ± e`): the
        // adjoint of s passes through unchanged; `s = s` changes nothing
        if (s.op === "copy") return out;
        const inPlace = rule.accumulates && isVar(s.args[0]) && s.args[0].name === s.target && !(isVar(s.args[1]) && s.args[1].name === s.target);
        if (!inPlace) throw new Error(`internal: in-place update '${s.target} = ${s.op}(…)' of a primitive that does not accumulate`);
      }
      // a piecewise-constant step (floor, sign, …) passes nothing back; a later update may
      // still make its target active, so only the adjoint's reset remains
      const partials = rule.partials ? rule.partials(s.args, ref(s.target)) : s.args.map(() => num(0));
      const g = ref(cx.adjOf(s.target));
      // an input used twice (`x * x`) gets one contribution: the sum of its partials
      const sums = new Map<string, Expr>();
      s.args.forEach((a, i) => {
        if (!isVar(a) || !cx.isActive(a.name)) return;
        if (selfUpdate && a.name === s.target) return;
        const prev = sums.get(a.name);
        sums.set(a.name, prev === undefined ? partials[i] : add(prev, partials[i]));
      });
      for (const [v, p] of sums) out.push(assign(cx.adjOf(v), "+=", mul(g, p), s));
      if (!selfUpdate && cx.needsReset(s.target, s)) out.push(assign(cx.adjOf(s.target), "=", num(0), s));
      return out;
    }
    case "load": {
      if (!cx.isActive(s.target)) return out;
      out.push({ kind: "assign-elem", array: cx.adjOf(s.array), index: s.index, op: "+=", value: ref(cx.adjOf(s.target)), loc: s.loc });
      if (cx.needsReset(s.target, s)) out.push(assign(cx.adjOf(s.target), "=", num(0), s));
      return out;
    }
    case "store": {
      if (!cx.isActive(s.array)) return out;
      const slot = index(cx.adjOf(s.array), s.index);
      if (isVar(s.value) && cx.isActive(s.value.name)) out.push(assign(cx.adjOf(s.value.name), "+=", slot, s));
      out.push({ kind: "assign-elem", array: cx.adjOf(s.array), index: s.index, op: "=", value: num(0), loc: s.loc });
      return out;
    }
    case "alloc":
      return out;
    case "get": {
      // a number read from a list's element; an array or list read is a reference, whose
      // adjoint is the same field of the list's adjoint (bound where the reverse block starts)
      if (!cx.isActive(s.target) || cx.typeOf(s.target) !== "num") return out;
      out.push({ kind: "assign-at", list: cx.adjOf(s.list), index: s.index, path: s.path, op: "+=", value: ref(cx.adjOf(s.target)), loc: s.loc });
      if (cx.needsReset(s.target, s)) out.push(assign(cx.adjOf(s.target), "=", num(0), s));
      return out;
    }
    case "call": {
      const rule = arrayRuleFor(s.fn)!;
      const written = rule.writes === "result" ? s.target! : arrayOfArg(s.args[rule.writes])!;
      if (!cx.isActive(written)) return out;
      s.args.forEach((a, i) => {
        if (rule.signature[i] === "num" && !rule.sizes.includes(i) && isVar(a) && cx.act.varied.has(a.name)) {
          throw new LocatedError(Codes.UnsupportedSyntax, `Argument ${i + 1} of '${s.fn}' depends on a differentiated input, but BLAS calls are differentiated with respect to their arrays only: scale the array in a loop, or pass the scalar through an array.`, s.loc);
        }
      });
      const d = s.args.map((a): Expr | null => {
        const arr = arrayOfArg(a);
        if (arr === undefined || cx.typeOf(arr) !== "arr" || !cx.isActive(arr)) return null;
        return a.kind === "view" ? { ...a, array: cx.adjOf(arr) } : ref(cx.adjOf(arr));
      });
      const g = s.target ? ref(cx.adjOf(s.target)) : null;
      for (const c of rule.adjoint(s.args, d, g)) out.push({ kind: "call", fn: c.fn, args: c.args, loc: s.loc });
      if (s.target && cx.needsReset(s.target, s)) out.push(assign(cx.adjOf(s.target), "=", num(0), s));
      return out;
    }
    case "custom":
      return customAdjoint(cx, s);
    default:
      throw new Error(`internal: not a primal step: ${(s as Stmt).kind}`);
  }
}
