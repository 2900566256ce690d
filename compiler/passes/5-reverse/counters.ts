/**
 * Integer counters for the reverse plan (plan.ts, `invertible`): which mutable variables only
 * ever hold small integers, and which of their steps `v = v ± c` the reverse sweep can undo
 * exactly (`v = v ∓ c`) instead of keeping the old value.
 *
 * In:  the function and its structure (a ReverseContext). Out: sets and amounts, nothing emitted.
 * Holds: a variable in `smallIntegers` holds integers below 2^53 on every run of fewer than 2^43
 * steps, so (v + c) − c is exactly v.
 */
import { type Expr, type Operand, type Stmt, isVar } from "../../ir/types.ts";
import { ruleFor } from "../../rules/index.ts";
import type { ReverseContext } from "./adjoints.ts";

/**
 * `v = v + c` or `v = v - c` with `c` a small integer constant, on a variable of `small`: the
 * amount it adds. Exact because the sum of two integers below 2^53 is exact. The reverse sweep
 * holds, when it reaches the step, the value the step gave: every later assignment of `v` is
 * itself restored, since the readers that made this one's old value needed come before them too
 * (plan.ts, computeSaves).
 */
export function invertibleStep(s: Stmt, v: string, small: Set<string>): number | undefined {
  const by = selfIncrement(s, v);
  return by !== undefined && small.has(v) ? by : undefined;
}

/**
 * Mutable number variables that only ever hold integers of magnitude below 2^53. Each of
 * their assignments is the variable itself plus or minus a constant of at most 1024, or gives
 * at most 2^40: a constant below 2^31, an element of an integer array, a length or a bitwise
 * result (below 2^32), the sum or difference of two of those, or a copy of one or of another
 * such variable plus or minus a constant of at most 1024. A value thus moves by at most 1024
 * per step run, so it stays below 2^53 for fewer than 2^43 steps. The greatest set closed
 * under these rules: assumed for all, dropped where an assignment fails, until none does.
 */
export function smallIntegers(cx: ReverseContext): Set<string> {
  const { st, fn } = cx;
  const cand = new Set<string>();
  for (const [v, info] of fn.vars) if (info.type === "num" && info.kind !== "param" && st.isMutable(v)) cand.add(v);
  const step = (o: Operand) => intConst(o, 1024) !== undefined;
  /** Below 2^32: a constant below 2^31, or a value whose only assignment gives at most 2^32. */
  const bounded = (o: Operand): boolean =>
    intConst(o, 2 ** 31) !== undefined || (isVar(o) && !cand.has(o.name) && st.defs(o.name).length === 1 && boundedInteger(cx, st.defs(o.name)[0]!.stmt));
  const ok = (v: string, s: Stmt): boolean => {
    if (selfIncrement(s, v) !== undefined || boundedInteger(cx, s)) return true;
    if (s.kind !== "op") return false;
    const [a, b] = s.args as [Operand, Operand];
    const held = (o: Operand) => bounded(o) || (isVar(o) && cand.has(o.name));
    if (s.op === "copy") return held(a);
    if (s.op !== "+" && s.op !== "-") return false;
    return (bounded(a) && bounded(b)) || (held(a) && step(b)) || (s.op === "+" && step(a) && held(b));
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (const v of cand) {
      if (st.defs(v).every((d) => ok(v, d.stmt))) continue;
      cand.delete(v);
      changed = true;
    }
  }
  return cand;
}

/** `v = v + c` or `v = v - c` (or `v = c + v`) with `c` an integer constant of at most 1024: the amount added. */
function selfIncrement(s: Stmt, v: string): number | undefined {
  if (s.kind !== "op" || s.target !== v || (s.op !== "+" && s.op !== "-")) return undefined;
  const [a, b] = s.args as [Operand, Operand];
  const self = (o: Operand) => isVar(o) && o.name === v;
  const c = self(a) ? intConst(b, 1024) : s.op === "+" && self(b) ? intConst(a, 1024) : undefined;
  return c === undefined ? undefined : s.op === "+" ? c : -c;
}

/** An integer constant of magnitude at most `limit`: its value. */
function intConst(o: Operand, limit: number): number | undefined {
  return o.kind === "const" && typeof o.value === "number" && Number.isInteger(o.value) && Math.abs(o.value) <= limit ? o.value : undefined;
}

/** A step whose result is an integer of magnitude below 2^32: an element of an integer array, or a rule's `small` result. */
function boundedInteger(cx: ReverseContext, s: Stmt): boolean {
  if (s.kind === "load") return cx.fn.vars.get(s.array)?.ints !== undefined;
  return s.kind === "op" && ruleFor(s.op)?.small === true;
}

/** Conservative: integer constants, and rule-table primitives that give integers from integers. */
export function isIntegral(cx: ReverseContext, o: Operand | Expr, depth = 0): boolean {
  if (o.kind === "const") return typeof o.value === "number" && Number.isInteger(o.value);
  if (o.kind !== "var" || depth > 8) return false;
  const defs = cx.st.defs(o.name);
  if (defs.length !== 1) return false;
  const s = defs[0].stmt;
  if (s.kind !== "op") return false;
  const fact = ruleFor(s.op)?.integer;
  if (fact === "always") return true;
  if (fact === "args") return s.args.every((a) => isIntegral(cx, a, depth + 1));
  return false;
}
