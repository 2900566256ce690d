/**
 * The tangent of a call of a function with user-supplied derivatives, `t = foo(args)`:
 *
 *  - with `@pushforward`, forward mode calls it instead of `foo`, with the arguments' tangents,
 *    and takes the value and the tangent it returns:
 *      const r = fooPushforward(x, xs, { x: dot_x, xs: dot_xs });
 *      const t = r.value;
 *      const dot_t = r.tangent;
 *  - inside an Hvp without one, the tangent comes from the pullback (foo is scalar, so the
 *    pullback of the cotangent 1 is its gradient): `dot_t = ⟨fooPullback(x, xs, 1), (dot_x, dot_xs)⟩`;
 *  - a Jvp through a function with only `@pullback` is a diagnostic naming what is missing.
 */
import { type CustomStmt, type Expr, type Stmt, isVar, num, ref } from "../../ir/types.ts";
import { add, call, field, isNum, mul } from "../../ir/expr.ts";
import { arrayOfArg } from "../../ir/walk.ts";
import { Codes, LocatedError } from "../../diagnostics.ts";
import type { Tangents } from "./index.ts";

/** The tangent of an argument: an expression for a number, an array (variable or window) or undefined for an array. */
function argTangent(t: Tangents, a: Expr, type: "num" | "arr"): Expr | undefined {
  if (type === "num") return t.expr(a);
  const arr = arrayOfArg(a);
  if (arr === undefined || !t.isActive(arr)) return undefined;
  return a.kind === "view" ? { ...a, array: t.of(arr) } : ref(t.of(arr));
}

/** A zero tangent for an array argument. */
function zerosLike(a: Expr): Expr {
  if (a.kind === "view") return call("zeros", { kind: "apply", op: "-", args: [a.end, a.begin] });
  return call("zeros", { kind: "apply", op: "length", args: [a] });
}

export function customTangent(t: Tangents, s: CustomStmt, fromPullback: boolean): Stmt[] {
  if (!t.isActive(s.target)) return [s];
  const { callee } = s;
  const tangents = s.args.map((a, i) => argTangent(t, a, callee.params[i]!.type));
  const at = (x: Stmt): Stmt => ({ ...x, loc: s.loc, note: s.note } as Stmt);
  const dot = t.of(s.target);
  if (callee.pushforward) {
    const r = t.fresh(`r_${callee.fn.name}`);
    const dir: Expr = {
      kind: "record",
      fields: callee.params.map((p, i): [string, Expr] => [p.field, tangents[i] ?? (p.type === "arr" ? zerosLike(s.args[i]!) : num(0))]),
    };
    return [
      at({ kind: "assign", target: r, op: "=", value: { kind: "user", fn: callee.pushforward, args: [...s.args, dir] }, decl: "const", loc: s.loc }),
      at({ kind: "assign", target: s.target, op: "=", value: field(ref(r), "value"), decl: s.decl, loc: s.loc }),
      at({ kind: "assign", target: dot, op: "=", value: field(ref(r), "tangent"), decl: s.decl, loc: s.loc }),
    ];
  }
  if (!fromPullback || !callee.pullback) {
    const has = callee.pullback ? `has only @pullback ${callee.pullback.name}` : "has no forward-mode derivative";
    throw new LocatedError(Codes.CustomDerivative, `Forward mode (Jvp) through '${callee.fn.name}' needs its pushforward, but '${callee.fn.name}' ${has}: add @pushforward ${callee.fn.name}Pushforward to its JSDoc, with export function ${callee.fn.name}Pushforward(${callee.params.map((p) => p.field).join(", ")}, tangents) returning { value, tangent }.`, s.loc);
  }
  // ⟨∇foo, tangents⟩, with ∇foo the pullback of the cotangent 1
  const r = t.fresh(`g_${callee.fn.name}`);
  let sum: Expr = num(0);
  tangents.forEach((d, i) => {
    if (d === undefined || isNum(d, 0)) return;
    const g = field(ref(r), callee.params[i]!.field);
    sum = add(sum, callee.params[i]!.type === "num" ? mul(g, d) : call("innerProduct", g, d));
  });
  if (isNum(sum, 0)) return [s, at({ kind: "assign", target: dot, op: "=", value: num(0), decl: s.decl, loc: s.loc })];
  return [
    s,
    at({ kind: "assign", target: r, op: "=", value: { kind: "user", fn: callee.pullback, args: [...s.args, num(1)] }, decl: "const", loc: s.loc }),
    at({ kind: "assign", target: dot, op: "=", value: sum, decl: s.decl, loc: s.loc }),
  ];
}

/** Whether an expression holds no active variable (a user call in derivative code carries no tangent). */
export function inactiveArgs(t: Tangents, args: Expr[]): boolean {
  return args.every((a) => {
    const v = arrayOfArg(a) ?? (isVar(a) ? a.name : undefined);
    return v === undefined || !t.isActive(v);
  });
}
