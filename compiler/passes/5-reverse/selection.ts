/**
 * Running selections: `for (…) a = Math.max(a, e(i))` (any `selects` primitive of the rule table).
 *
 * The derivative of such a loop goes, whole, to the `e` of the last iteration that changed `a`
 * (`Math.max(a, e) !== a`), or to `a`'s value before the loop when none did: every other
 * iteration passes nothing to its `e` and the adjoint unchanged to the previous `a`. So instead of
 * saving the old `a` on the tape every iteration and reversing every iteration, the forward sweep
 * records the counter of the last change (`win`), and the reverse sweep runs that one iteration's
 * reverse: `e`'s adjoint is `a`'s when `e` equals the result, and the steps computing `e` are
 * reversed once, at `i = win`.
 *
 * A loop qualifies when it is a counted loop of the function body counting up from a
 * non-negative integer, its body is straight-line steps, it has exactly one such step
 * `t = op(a, e)` followed by `a = t`, `a` lives outside the loop and the body reads and writes it
 * nowhere else, and nothing else from outside is assigned. What the body would keep on the tape
 * for its reverse (an `exp` computing `e`, say) is kept for the winning iteration only, in locals.
 */
import { type ForStmt, type LeafStmt, isVar } from "../../ir/types.ts";
import { ruleFor } from "../../rules/index.ts";
import type { Block } from "../../ir/structure.ts";
import { walk } from "../../ir/walk.ts";
import type { ReverseContext } from "./adjoints.ts";
import type { Plan } from "./plan.ts";

export interface RunningSelection {
  /** The running value (`a`). */
  acc: string;
  /** `t = op(a, e)`. */
  pick: LeafStmt & { kind: "op" };
  /** `a = t`. */
  copy: LeafStmt & { kind: "op" };
}

/**
 * The running selections directly in `blocks`: blocks whose forward and reverse sweeps share one
 * scope (the function body, the body of a loop reversed per iteration), so that the forward
 * sweep's `win` and the locals it keeps are in scope in the reverse sweep.
 */
export function runningSelections(cx: ReverseContext, plan: Plan, blocks: Block[]): Map<ForStmt, RunningSelection> {
  const out = new Map<ForStmt, RunningSelection>();
  for (const b of blocks) for (const s of b) {
    if (s.kind !== "for") continue;
    const r = qualifies(cx, plan, s);
    if (r) out.set(s, r);
  }
  return out;
}

function qualifies(cx: ReverseContext, plan: Plan, loop: ForStmt): RunningSelection | undefined {
  const { st } = cx;
  if (loop.checkpoint || !plan.live.has(loop) || loop.step <= 0) return undefined;
  if (loop.start.kind !== "const" || typeof loop.start.value !== "number" || !Number.isInteger(loop.start.value) || loop.start.value < 0) return undefined;
  for (const v of plan.kept.get(loop.body) ?? []) if (cx.typeOf(v) !== "num") return undefined;
  let pick: (LeafStmt & { kind: "op" }) | undefined;
  for (const x of loop.body) {
    if (x.kind !== "op" && x.kind !== "load" && x.kind !== "for" && x.kind !== "if") return undefined;
    if (x.kind === "op" && ruleFor(x.op)?.selects && cx.isActive(x.target)) {
      if (pick) return undefined;
      pick = x;
    }
  }
  // nested regions are reversed for the winning iteration only: they may keep nothing on the tape
  let nestedOk = true;
  for (const x of loop.body) {
    if (x.kind !== "for" && x.kind !== "if") continue;
    walk([x], (y) => {
      if (y.kind !== "op" && y.kind !== "load" && y.kind !== "for" && y.kind !== "if") nestedOk = false;
      if (plan.saves.has(y)) nestedOk = false;
      if ((y.kind === "op" || y.kind === "load") && !st.isWithin(st.home(y.target), loop.body)) nestedOk = false;
      if (y.kind === "for" && (plan.kept.get(y.body)?.length ?? 0) > 0) nestedOk = false;
      if (y.kind === "if" && ((plan.kept.get(y.then)?.length ?? 0) > 0 || (plan.kept.get(y.else)?.length ?? 0) > 0)) nestedOk = false;
    });
  }
  if (!nestedOk) return undefined;
  if (!pick || pick.args.length !== 2) return undefined;
  const [a, e] = pick.args;
  if (!a || !e || !isVar(a) || !isVar(e) || a.name === e.name || st.counters.has(e.name)) return undefined;
  const acc = a.name;
  if (cx.typeOf(acc) !== "num" || st.isWithin(st.home(acc), loop.body)) return undefined;
  const t = pick.target;
  let copy: (LeafStmt & { kind: "op" }) | undefined;
  for (const o of st.occurrences.get(acc) ?? []) {
    if (!st.isWithin(o.block, loop.body)) continue;
    if (o.stmt === pick) continue;
    const c = o.stmt;
    if (c.kind !== "op" || c.op !== "copy" || c.target !== acc || !isVar(c.args[0]!) || c.args[0].name !== t || copy) return undefined;
    copy = c;
  }
  if (!copy || loop.body.indexOf(copy) < loop.body.indexOf(pick)) return undefined;
  for (const o of st.occurrences.get(t) ?? []) if (o.stmt !== pick && o.stmt !== copy) return undefined;
  for (const x of loop.body) {
    if (x.kind === "for" || x.kind === "if") continue;
    // nothing else from outside is assigned, and only a's old value is saved
    if (x !== copy && x.kind === "op" && !st.isWithin(st.home(x.target), loop.body)) return undefined;
    if (x.kind === "load" && !st.isWithin(st.home(x.target), loop.body)) return undefined;
    const sp = plan.saves.get(x);
    if (sp && (x !== copy || sp.v !== acc)) return undefined;
  }
  return { acc, pick, copy };
}
