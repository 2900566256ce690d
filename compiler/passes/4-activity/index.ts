/**
 * Pass 4, activity: which variables carry derivatives.
 *
 * In:  a list of IR statements (a lowered function, or a generated reverse-mode function when
 *      forward mode differentiates it for second order), the variables derivatives are seeded
 *      in (`wrt`) and the values whose derivatives are wanted (`outputs`).
 * Out: the active set = varied ∩ useful, where
 *      varied: depends on a seeded variable through differentiable steps (forward dataflow);
 *      useful: an output depends on it through differentiable steps (backward dataflow).
 * Holds: arrays are tracked as whole variables (an array is varied once any varied value is
 * stored in it); tape traffic is tracked through the key that pairs a push with its pop.
 * Integer arrays (`Int32Array`, …) are never active: nothing flows into or out of them.
 * Piecewise-constant primitives (floor, sign, comparisons, …) stop both flows, so integer index
 * arithmetic, counters, sizes and branch conditions are never active. The analysis is
 * flow-insensitive and solved with worklists over dependence edges, in time linear in the size
 * of the function, so loops need no special handling.
 */
import { type Expr, type Stmt, type VarInfo, assertNever } from "../../ir/types.ts";
import { walk, arrayOfArg } from "../../ir/walk.ts";
import { ruleFor } from "../../rules/index.ts";
import { arrayRuleFor } from "../../rules/blas.ts";

export interface Activity {
  active: Set<string>;
  varied: Set<string>;
  useful: Set<string>;
}

/** Whether a primitive's output can carry a derivative (rule-table fact). */
function differentiable(op: string): boolean {
  const rule = ruleFor(op);
  return !!rule && rule.partials !== null && rule.result === "num";
}

const tapeKey = (key: string) => `\u0000tape:${key}`;

/** Variables an expression's value depends on differentiably. */
export function flowsOf(e: Expr, out: Set<string> = new Set()): Set<string> {
  switch (e.kind) {
    case "var": out.add(e.name); break;
    case "const": case "tape-begin": case "tape-call": case "new-array": case "field": case "invoke": case "record": case "lambda":
    case "text": case "template": case "host": case "construct": case "user":
      break;
    case "apply": if (differentiable(e.op)) for (const a of e.args) flowsOf(a, out); break;
    case "select": flowsOf(e.then, out); flowsOf(e.else, out); break;
    case "index": case "view": out.add(e.array); break;
    case "at": out.add(e.list); break;
    case "call": {
      const rule = arrayRuleFor(e.fn);
      if (rule && rule.writes === "result") for (const i of [...rule.reads(e.args), ...(rule.scalarTangents ?? [])]) flowsOf(e.args[i], out);
      break;
    }
    case "pop": if (e.key !== undefined) out.add(tapeKey(e.key)); break;
    case "coalesce": flowsOf(e.a, out); flowsOf(e.b, out); break;
    default: assertNever(e);
  }
  return out;
}

/** Dependence edges of one statement: `to` depends differentiably on each of `from`. */
function edgesOf(s: Stmt, add: (to: string, from: Iterable<string>) => void): void {
  switch (s.kind) {
    case "op":
      if (differentiable(s.op)) add(s.target, flowsOf({ kind: "apply", op: s.op, args: s.args }));
      break;
    case "load": add(s.target, [s.array]); break;
    case "get": add(s.target, [s.list]); break;
    case "store": add(s.array, flowsOf(s.value)); break;
    case "alloc": break;
    case "call": {
      const rule = arrayRuleFor(s.fn);
      if (!rule) throw new Error(`internal: no rule for routine '${s.fn}'`);
      const out = rule.writes === "result" ? s.target! : arrayOfArg(s.args[rule.writes]) ?? varName(s.args[rule.writes]);
      const ins = new Set<string>();
      for (const i of [...rule.reads(s.args), ...(rule.scalarTangents ?? [])]) flowsOf(s.args[i], ins);
      add(out, ins);
      break;
    }
    case "custom": {
      // the result depends on every argument (through the function's own derivatives)
      const ins = new Set<string>();
      for (const a of s.args) {
        const arr = arrayOfArg(a);
        if (arr !== undefined && a.kind !== "var") ins.add(arr);
        else flowsOf(a, ins);
      }
      add(s.target, ins);
      break;
    }
    case "assign":
      add(s.target, flowsOf(s.value));
      // `d_W = d_layers[i].W` names part of the list: what flows into one flows into the other
      if (s.value.kind === "at") add(s.value.list, [s.target]);
      break;
    case "assign-elem": add(s.array, flowsOf(s.value)); break;
    case "assign-at": add(s.list, flowsOf(s.value)); break;
    case "push": if (s.key !== undefined) add(tapeKey(s.key), flowsOf(s.value)); break;
    case "effect": case "throw": case "if": case "for": case "loop": break;
    default: assertNever(s);
  }
}

function varName(e: Expr): string {
  if (e.kind !== "var") throw new Error("internal: a routine writes a variable");
  return e.name;
}

export function analyzeActivity(body: Stmt[], wrt: Iterable<string>, outputs: Iterable<string>, vars: Map<string, VarInfo>): Activity {
  const succ = new Map<string, string[]>(); // from -> to
  const pred = new Map<string, string[]>(); // to -> from
  const link = (m: Map<string, string[]>, a: string, b: string) => {
    const l = m.get(a);
    if (l) l.push(b);
    else m.set(a, [b]);
  };
  // an integer array's elements have no derivative: nothing flows into or out of one
  const ints = (v: string) => vars.get(v)?.ints !== undefined;
  walk(body, (s) => edgesOf(s, (to, from) => {
    if (ints(to)) return;
    for (const f of from) {
      if (ints(f)) continue;
      link(succ, f, to);
      link(pred, to, f);
    }
  }));
  const reach = (start: Iterable<string>, next: Map<string, string[]>): Set<string> => {
    const seen = new Set<string>(start);
    const work = [...seen];
    while (work.length > 0) {
      const v = work.pop()!;
      for (const w of next.get(v) ?? []) {
        if (!seen.has(w)) {
          seen.add(w);
          work.push(w);
        }
      }
    }
    return seen;
  };
  const varied = reach(wrt, succ);
  const useful = reach(outputs, pred);
  const active = new Set<string>();
  for (const v of varied) if (useful.has(v) && vars.has(v) && vars.get(v)!.type !== "bool") active.add(v);
  return { active, varied, useful };
}
