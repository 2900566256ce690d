/**
 * Pass 3, activity: which variables carry derivatives.
 *
 * In:  an IRFunction and the parameters derivatives are wanted for.
 * Out: the active set = varied ∩ useful, where
 *      varied: depends on an active parameter through differentiable steps (forward dataflow);
 *      useful: the result depends on it through differentiable steps (backward dataflow).
 * Arrays are tracked as whole variables (an array is varied once any varied value is stored in
 * it). Piecewise-constant primitives (floor, sign, comparisons, …) stop both flows, so integer
 * index arithmetic, counters, sizes and branch conditions are never active. The analysis is
 * flow-insensitive and iterated to a fixed point, so loops need no special handling.
 */
import { type IRFunction, type Stmt, type Operand, walk, isVar } from "../../ir/types.ts";
import { isDifferentiable } from "../../rules/index.ts";
import { arrayRuleFor } from "../../rules/blas.ts";
import { operandExpr } from "../emit.ts";

/** The array (or scalar) a BLAS call writes, and the arrays whose values flow into it. */
export function callFlow(s: Extract<Stmt, { kind: "call" }>): { out: string; ins: string[] } {
  const rule = arrayRuleFor(s.fn)!;
  const out = rule.writes === "result" ? s.target! : (s.args[rule.writes] as { name: string }).name;
  const ins = rule.reads(s.args.map(operandExpr)).map((i) => s.args[i]).filter(isVar).map((a) => a.name);
  return { out, ins };
}

export interface Activity {
  active: Set<string>;
  varied: Set<string>;
  useful: Set<string>;
}

export function analyzeActivity(
  fn: IRFunction,
  wrt: string[] = fn.wrt,
  seeds: Operand[] = fn.outputs.length > 0 ? fn.outputs.map((o) => ({ kind: "var", name: o })) : [fn.result],
): Activity {
  const leaves: Stmt[] = [];
  walk(fn.body, (s) => {
    if (s.kind === "op" || s.kind === "load" || s.kind === "store" || s.kind === "call") leaves.push(s);
  });

  const varied = new Set<string>(wrt);
  for (let changed = true; changed; ) {
    changed = false;
    const mark = (v: string) => {
      if (!varied.has(v)) {
        varied.add(v);
        changed = true;
      }
    };
    for (const s of leaves) {
      switch (s.kind) {
        case "op":
          if (isDifferentiable(s.op) && s.args.some((a) => isVar(a) && varied.has(a.name))) mark(s.target);
          break;
        case "load":
          if (varied.has(s.array)) mark(s.target);
          break;
        case "store":
          if (isVar(s.value) && varied.has(s.value.name)) mark(s.array);
          break;
        case "call": {
          const { out, ins } = callFlow(s);
          if (ins.some((v) => varied.has(v))) mark(out);
          break;
        }
        default:
          break;
      }
    }
  }

  const useful = new Set<string>();
  for (const seed of seeds) if (isVar(seed)) useful.add(seed.name);
  for (let changed = true; changed; ) {
    changed = false;
    const mark = (o: Operand) => {
      if (isVar(o) && !useful.has(o.name)) {
        useful.add(o.name);
        changed = true;
      }
    };
    for (const s of leaves) {
      switch (s.kind) {
        case "op":
          if (useful.has(s.target) && isDifferentiable(s.op)) s.args.forEach(mark);
          break;
        case "load":
          if (useful.has(s.target)) mark({ kind: "var", name: s.array });
          break;
        case "store":
          if (useful.has(s.array)) mark(s.value);
          break;
        case "call": {
          const { out, ins } = callFlow(s);
          if (useful.has(out)) ins.forEach((v) => mark({ kind: "var", name: v }));
          break;
        }
        default:
          break;
      }
    }
  }

  const active = new Set<string>();
  for (const v of varied) if (useful.has(v) && fn.vars.get(v)?.type !== "bool") active.add(v);
  return { active, varied, useful };
}
