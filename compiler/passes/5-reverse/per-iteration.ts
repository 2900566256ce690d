/**
 * Loops reversed per iteration: a loop of the function body whose iterations meet only through
 * one sum (`s += term(i)`, the rest of each iteration private to it) needs no tape across
 * iterations. Each iteration's reverse sweep runs right after its forward sweep, while its values
 * are still in cache and on a tape a single iteration long, with the sum's adjoint taken as 1: the
 * adjoints it would add into variables from outside the loop go into buffers of their own
 * (`g_<name>`). When the reverse sweep reaches the loop, the sum's adjoint is known, and each
 * buffer is added to its adjoint scaled by it (the loop's contribution is linear in that adjoint).
 *
 * A loop qualifies when (checked on the lowered function and the plan):
 *  - it is a counted loop of the function body, not checkpointed, with a reverse to run;
 *  - of the variables living outside it, it assigns exactly one, the sum: only by `s = s ± e`
 *    (an accumulating primitive) and never reads it otherwise;
 *  - every array it writes is scratch: allocated outside the loop, not used outside it, written
 *    only by one loop of its body `for (c = 0; c < size; c++) a[c] = …` that covers the whole
 *    array, and read only after that loop, so each iteration reads only what it wrote itself
 *    (or used only inside one counted loop of the body whose iterations each do so);
 *  - no value from outside it is saved or restored (but the elements a store into a restored
 *    scratch array overwrites, see plan.ts), no list or BLAS call takes part, and the adjoints it
 *    adds into from outside are numbers and arrays.
 * Values are computed by the same primal steps in the same order, so the value is unchanged.
 */
import { type Expr, type ForStmt, type Stmt, isVar, ref, num } from "../../ir/types.ts";
import { length, mul } from "../../ir/expr.ts";
import { defOf, mapBlocks, mapExprs, usesOf, varsOf, walk, substituteVars } from "../../ir/walk.ts";
import { ruleFor } from "../../rules/index.ts";
import type { ReverseContext } from "./adjoints.ts";
import type { Plan } from "./plan.ts";

interface PerIteration {
  /** The sum the iterations meet through. */
  sum: string;
  /** Arrays private to each iteration. */
  scratch: Set<string>;
}

/** Outer adjoints the loop's reverse adds into, and the buffers standing in for them. */
interface Buffers {
  /** adjoint name -> [buffer name, primal name] */
  of: Map<string, [string, string]>;
}

export class PerIterationLoops {
  private loops = new Map<ForStmt, PerIteration>();
  private buffers = new Map<ForStmt, Buffers>();

  constructor(private cx: ReverseContext, private plan: Plan) {
    for (const s of cx.st.root) if (s.kind === "for") {
      const q = this.qualifies(s);
      if (q) this.loops.set(s, q);
    }
  }

  /** The bodies of the loops reversed per iteration. */
  bodies(): Stmt[][] {
    return [...this.loops.keys()].map((l) => l.body);
  }

  handles(s: ForStmt): boolean {
    return this.loops.has(s);
  }

  private qualifies(loop: ForStmt): PerIteration | undefined {
    const { st, fn } = this.cx;
    if (loop.checkpoint || !this.plan.live.has(loop)) return undefined;
    const inside = new Set<Stmt>();
    walk(loop.body, (s) => inside.add(s));
    const isInside = (s: Stmt) => inside.has(s);
    let sum: string | undefined;
    const scratchCandidates = new Set<string>();
    for (const s of inside) {
      if (s.kind === "call" || s.kind === "get" || s.kind === "custom" || ((s.kind === "for" || s.kind === "loop") && s.checkpoint)) return undefined;
      // a value from outside saved and restored: the iterations meet through it (unless it is an
      // element of a scratch array, checked below: each iteration writes it before reading it)
      const sp = this.plan.saves.get(s);
      if (sp && !sp.elem && !st.isWithin(st.home(sp.v), loop.body)) return undefined;
      if (s.kind === "store") {
        if (st.isWithin(st.home(s.array), loop.body)) continue;
        scratchCandidates.add(s.array);
        continue;
      }
      const d = defOf(s);
      if (d === undefined || st.counters.has(d)) continue;
      const home = st.home(d);
      if (st.isWithin(home, loop.body)) continue;
      // assigned here, living outside: only the sum
      if (s.kind !== "op" || !ruleFor(s.op)?.accumulates || !isVar(s.args[0]!) || s.args[0].name !== d) return undefined;
      if (isVar(s.args[1]!) && s.args[1].name === d) return undefined;
      if (sum !== undefined && sum !== d) return undefined;
      sum = d;
    }
    if (sum === undefined || fn.vars.get(sum)!.type !== "num" || !this.cx.isActive(sum)) return undefined;
    // only worth it when the iterations keep values on the tape (the buffers cost a pass each)
    let tape = false;
    for (const [b, vs] of this.plan.kept) if (vs.length > 0 && st.isWithin(b, loop.body) && b !== loop.body) tape = true;
    for (const [s, sp] of this.plan.saves) if (sp.kind === "tape" && inside.has(s)) tape = true;
    if (!tape) return undefined;
    // the sum is read only by its own updates
    for (const o of st.occurrences.get(sum) ?? []) {
      if (!isInside(o.stmt)) continue;
      const s = o.stmt;
      if (s.kind !== "op" || s.target !== sum) return undefined;
    }
    const scratch = new Set<string>();
    for (const a of scratchCandidates) {
      if (!this.isScratch(a, loop, isInside)) return undefined;
      scratch.add(a);
    }
    return { sum, scratch };
  }

  /**
   * An array each iteration writes whole before reading it, and nothing outside the loop uses:
   * directly, or because every use inside is in one counted loop of the body whose iterations
   * each write it whole first.
   */
  private isScratch(a: string, loop: ForStmt, isInside: (s: Stmt) => boolean): boolean {
    const { st, fn } = this.cx;
    if (fn.vars.get(a)!.type !== "arr" || fn.vars.get(a)!.kind === "param") return false;
    const defs = st.defs(a);
    if (defs.length !== 1 || defs[0]!.stmt.kind !== "alloc") return false;
    const alloc = defs[0]!.stmt;
    for (const o of st.occurrences.get(a) ?? []) {
      if (o.stmt === alloc || isInside(o.stmt)) continue;
      // its length may be read anywhere
      if (o.stmt.kind === "op" && ruleFor(o.stmt.op)?.arrayArgument) continue;
      return false;
    }
    const touches = (s: Stmt) => { let t = false; walk([s], (x) => { if ((x.kind === "store" || x.kind === "load") && x.array === a) t = true; }); return t; };
    const users = loop.body.filter(touches);
    if (users.length === 1 && users[0]!.kind === "for" && !users[0]!.checkpoint && this.writtenWholeFirst(a, users[0]!, alloc)) return true;
    return this.writtenWholeFirst(a, loop, alloc);
  }

  /** Whether each iteration of `loop` writes `a` whole (one covering loop of its body) before reading it. */
  private writtenWholeFirst(a: string, loop: ForStmt, alloc: Stmt): boolean {
    if (alloc.kind !== "alloc") return false;
    // the one writer: a loop directly in the body covering 0 … size−1
    let writer = -1;
    for (let k = 0; k < loop.body.length; k++) {
      const s = loop.body[k]!;
      let writes = false;
      walk([s], (x) => { if (x.kind === "store" && x.array === a) writes = true; });
      if (!writes) continue;
      if (writer >= 0 || s.kind !== "for") return false;
      const size = alloc.size;
      const sameSize = isVar(size) ? isVar(s.end) && s.end.name === size.name : s.end.kind === "const" && s.end.value === size.value;
      if (!(s.start.kind === "const" && s.start.value === 0 && s.step === 1 && s.cmp === "<" && sameSize)) return false;
      let covered = false;
      for (const x of s.body) if (x.kind === "store" && x.array === a && isVar(x.index) && x.index.name === s.counter) covered = true;
      let other = false;
      walk(s.body, (x) => {
        if (x.kind === "store" && x.array === a && !(s.body.includes(x) && isVar(x.index) && x.index.name === s.counter)) other = true;
        if (x.kind === "load" && x.array === a) other = true;
      });
      if (!covered || other) return false;
      writer = k;
    }
    if (writer < 0) return false;
    // read only after the writer
    for (let k = 0; k <= writer; k++) {
      let reads = false;
      walk([loop.body[k]!], (x) => { if (x.kind === "load" && x.array === a) reads = true; });
      if (reads && k < writer) return false;
    }
    return true;
  }

  /** The forward sweep of the loop: each iteration's forward sweep, then its reverse with the sum's adjoint 1. */
  forward(loop: ForStmt, forwardBody: Stmt[], reverseBody: Stmt[]): Stmt[] {
    const { cx } = this;
    const q = this.loops.get(loop)!;
    const dSum = cx.adjOf(q.sum);
    const declared = new Set<string>();
    walk(reverseBody, (s) => {
      const d = defOf(s);
      if (d !== undefined && "decl" in s && s.decl) declared.add(d);
      if (s.kind === "for") declared.add(s.counter);
    });
    // adjoints from outside the loop that its reverse reads or writes
    const outer = new Set<string>();
    walk(reverseBody, (s) => {
      const names = new Set<string>();
      for (const e of usesOf(s)) varsOf(e, names);
      const d = defOf(s);
      if (d !== undefined) names.add(d);
      if (s.kind === "assign-elem") names.add(s.array);
      for (const n of names) if (cx.primalOf(n) !== undefined && !declared.has(n) && n !== dSum) outer.add(n);
    });
    const of = new Map<string, [string, string]>();
    const decls: Stmt[] = [];
    for (const a of outer) {
      const v = cx.primalOf(a)!;
      const type = cx.typeOf(v);
      if (type !== "num" && type !== "arr") throw new Error(`internal: a loop reversed per iteration adds into '${a}' (${type})`);
      const g = cx.newVar(`g_${v}`, type, "adjoint");
      of.set(a, [g, v]);
      decls.push({ kind: "assign", target: g, op: "=", value: type === "arr" ? { kind: "new-array", size: length(v) } : num(0), decl: type === "arr" ? "const" : "let", loc: loop.loc });
    }
    this.buffers.set(loop, { of });
    const rename = (e: Expr): Expr => substituteVars(e, (x) => (x === dSum ? num(1) : of.has(x) ? ref(of.get(x)![0]) : undefined));
    const renameStmt = (s: Stmt): Stmt => {
      let t = mapBlocks(s, (b) => b.map(renameStmt));
      t = mapExprs(t, rename);
      if (t.kind === "assign" && of.has(t.target)) t = { ...t, target: of.get(t.target)![0] };
      if (t.kind === "assign-elem" && of.has(t.array)) t = { ...t, array: of.get(t.array)![0] };
      return t;
    };
    return [...decls, { ...loop, body: [...forwardBody, ...reverseBody.map(renameStmt)] }];
  }

  /** The reverse sweep of the loop: each buffer added into its adjoint, scaled by the sum's adjoint. */
  reverse(loop: ForStmt): Stmt[] {
    const { cx } = this;
    const q = this.loops.get(loop)!;
    const dSum = ref(cx.adjOf(q.sum));
    const out: Stmt[] = [];
    for (const [a, [g, v]] of this.buffers.get(loop)!.of) {
      if (q.scratch.has(v)) continue; // private to each iteration: nothing left to add
      if (cx.typeOf(v) === "arr") out.push({ kind: "call", fn: "axpy", args: [length(v), dSum, ref(g), ref(a)], loc: loop.loc });
      else out.push({ kind: "assign", target: a, op: "+=", value: mul(dSum, ref(g)), loc: loop.loc });
    }
    return out;
  }
}
