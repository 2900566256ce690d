/**
 * The adjoint of a call of a function with user-supplied derivatives, `t = foo(args)`: the
 * reverse sweep calls the pullback with the arguments (which the plan keeps, like any value the
 * reverse sweep reads) and the cotangent `d_t`, and adds each field of its result into the
 * adjoint of the matching argument (arrays element by element):
 *
 *   const r = fooPullback(x, xs, d_t);
 *   d_x += r.x;
 *   accumulate(d_xs, r.xs);
 *
 * Inside an Hvp (forward over reverse) the reverse sweep runs the pullback's body instead, as
 * IR that forward mode differentiates (the step's `pullbackBody`, lowered at the call).
 */
import {
  type CustomStmt, type Expr, type ForStmt, type IRFunction, type Stmt, type VarInfo, isVar, num, ref,
} from "../../ir/types.ts";
import { add, call, field, index } from "../../ir/expr.ts";
import { arrayOfArg, defOf, usesOf, varsOf, walk } from "../../ir/walk.ts";
import { Codes, LocatedError } from "../../diagnostics.ts";
import type { ReverseContext } from "./adjoints.ts";
import { primalProgram } from "./index.ts";

const assign = (target: string, op: "=" | "+=", value: Expr, at: Stmt, decl?: "const"): Stmt =>
  (decl ? { kind: "assign", target, op, value, decl, loc: at.loc } : { kind: "assign", target, op, value, loc: at.loc });

/** The adjoint of an argument (a variable, or the window of one), when the argument is active. */
function adjointArg(cx: ReverseContext, a: Expr): Expr | undefined {
  const arr = arrayOfArg(a);
  if (a.kind === "view" && arr !== undefined) return cx.isActive(arr) ? { ...a, array: cx.adjOf(arr) } : undefined;
  if (isVar(a) && cx.isActive(a.name)) return ref(cx.adjOf(a.name));
  return undefined;
}

export function customAdjoint(cx: ReverseContext, s: CustomStmt): Stmt[] {
  const out: Stmt[] = [];
  if (!cx.isActive(s.target)) return out;
  const { callee } = s;
  const adjoints = s.args.map((a) => adjointArg(cx, a));
  if (adjoints.some((d) => d !== undefined)) {
    if (!callee.pullback) {
      throw new LocatedError(Codes.CustomDerivative, `Reverse mode through '${callee.fn.name}' needs its pullback, but '${callee.fn.name}' has only @pushforward ${callee.pushforward?.name ?? ""}: add @pullback ${callee.fn.name}Pullback to its JSDoc, with export function ${callee.fn.name}Pullback(${callee.params.map((p) => p.field).join(", ")}, dResult) returning { ${callee.params.map((p) => p.field).join(", ")} }.`, s.loc);
    }
    out.push(...(cx.pullbackBodies ? inlinedPullback(cx, s, adjoints) : pullbackCall(cx, s, adjoints)));
  }
  if (cx.needsReset(s.target, s)) out.push(assign(cx.adjOf(s.target), "=", num(0), s));
  return out;
}

/** `const r = fooPullback(...args, d_t)`, then each field into its argument's adjoint. */
function pullbackCall(cx: ReverseContext, s: CustomStmt, adjoints: (Expr | undefined)[]): Stmt[] {
  const { callee } = s;
  const r = cx.names.fresh(`r_${callee.fn.name}`);
  const out: Stmt[] = [assign(r, "=", { kind: "user", fn: callee.pullback!, args: [...s.args, ref(cx.adjOf(s.target))] }, s, "const")];
  adjoints.forEach((d, i) => {
    if (!d) return;
    const value = field(ref(r), callee.params[i]!.field);
    if (callee.params[i]!.type === "num") out.push(assign((d as { name: string }).name, "+=", value, s));
    else out.push({ kind: "effect", value: call("accumulate", d, value), loc: s.loc });
  });
  return out;
}

/**
 * The pullback's body, declared as the program it is, between `const g = d_t` and the additions
 * of its results into the arguments' adjoints (arrays by a loop that forward mode differentiates).
 */
function inlinedPullback(cx: ReverseContext, s: CustomStmt, adjoints: (Expr | undefined)[]): Stmt[] {
  const pb = s.pullbackBody;
  if (!pb) {
    const issue = s.pullbackIssue;
    const why = issue ? `at ${issue.loc.file.split("/").pop()}:${issue.loc.line}:${issue.loc.col}, ${issue.message.replace(/\.$/, "")}` : "its body is not available";
    throw new LocatedError(Codes.CustomDerivative, `Hvp through '${s.callee.fn.name}' differentiates its pullback '${s.callee.pullback!.name}', which adjoint cannot differentiate (${why}). Write the pullback with what differentiable functions support, ending in return { ${s.callee.params.map((p) => p.field).join(", ")} }, or leave hvp out of the modes.`, s.loc);
  }
  for (const [k, info] of pb.vars) cx.vars.set(k, info);
  const out: Stmt[] = [assign(pb.cotangent, "=", ref(cx.adjOf(s.target)), s, "const"), ...declared(cx, pb.body, pb.vars)];
  adjoints.forEach((d, i) => {
    if (!d) return;
    const res = pb.results[i]!;
    if (s.callee.params[i]!.type === "num") {
      if (!(res.kind === "const" && res.value === 0)) out.push(assign((d as { name: string }).name, "+=", res, s));
      return;
    }
    out.push(elementwiseAdd(cx, d, res, s));
  });
  return out;
}

/** `for (k = 0; k < n; k++) d[k] += res[k]`, with windows offset into their parents. */
function elementwiseAdd(cx: ReverseContext, d: Expr, res: Expr, at: Stmt): ForStmt {
  const k = cx.newVar("k", "num", "counter");
  const at0 = (e: Expr): { array: string; index: Expr; length: Expr } =>
    e.kind === "view" ? { array: e.array, index: add(e.begin, ref(k)), length: { kind: "apply", op: "-", args: [e.end, e.begin] } }
      : { array: (e as { name: string }).name, index: ref(k), length: { kind: "apply", op: "length", args: [e] } };
  const to = at0(d), from = at0(res);
  return {
    kind: "for", counter: k, start: num(0), end: to.length, cmp: "<", step: 1, loc: at.loc,
    body: [{ kind: "assign-elem", array: to.array, index: to.index, op: "+=", value: index(from.array, from.index), loc: at.loc }],
  };
}

/** A lowered body with its declarations placed, as `primalProgram` places them in a function. */
function declared(cx: ReverseContext, body: Stmt[], own: Map<string, VarInfo>): Stmt[] {
  // what the body reads but does not define (the caller's values, the cotangent) is declared outside it
  const defined = new Set<string>();
  walk(body, (st) => {
    const d = defOf(st);
    if (d !== undefined) defined.add(d);
  });
  const vars = new Map(own);
  const outside = (v: string) => {
    if (own.has(v) && defined.has(v)) return;
    const info = cx.vars.get(v) ?? own.get(v);
    if (info) vars.set(v, { ...info, kind: "param" });
  };
  walk(body, (st) => {
    for (const e of usesOf(st)) for (const v of varsOf(e)) outside(v);
    if (st.kind === "store" || st.kind === "call") for (const e of usesOf(st)) { const a = arrayOfArg(e); if (a) outside(a); }
  });
  const fn: IRFunction = {
    name: "pullback", file: cx.fn.file, params: [], inputs: [], wrt: [], outputs: [], vars, body, result: num(0), loc: cx.fn.loc, names: cx.names,
  };
  return primalProgram(fn, { active: new Set(), varied: new Set(), useful: new Set() }, cx.names).body;
}
