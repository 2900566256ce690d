/**
 * Checkpointed loops (`/** @checkpoint *\/`, `/** @checkpoint N *\/`): the reverse sweep of such a
 * loop keeps snapshots of the loop's state instead of every iteration's tape, and re-runs the
 * iterations between snapshots.
 *
 * The loop's *state* is every variable and array the loop writes that lives outside it (its home
 * block encloses the loop): scalars, flags and arrays. Everything else it reads is invariant
 * while it runs, and must still hold its value when the reverse sweep re-runs the loop: the plan
 * reads those values at the loop (saved and restored like any value the reverse sweep reads), and
 * an array of them may not be overwritten after the loop (reported here, AD1010).
 *
 * The loop's steps are its iterations; a `while` loop has one more, the last test of its
 * condition (the header that ends it). The sweeps:
 *  - forward: the loop runs without taping; at the steps its schedule names (runtime
 *    `nextSnapshot`), it pushes its state on the tape (arrays element by element);
 *  - reverse: `while (nextAction(schedule))` the schedule says what to do: "reverse" re-runs
 *    steps from…to-1 with the plan's forward sweep (pushes, saves) and then runs their reverse
 *    sweep, last first, exactly as an uncheckpointed loop would; "restore" pops the last
 *    snapshot into the state; "store" pushes the state; "advance" runs steps without taping.
 * Snapshots and the re-run steps' tape follow each other last in, first out, so one tape holds
 * both; forward-over-reverse code (Hvp) mirrors their tangents through the pushes' keys.
 *
 * Schedules (runtime/checkpoint.ts): a counted loop (trip count known on entry) gets "sqrt", or
 * "binomial" with N snapshots; any other loop "online", or "online-binomial" with N.
 */
import {
  type CheckpointTag, type Expr, type ForStmt, type LoopStmt, type Stmt, type Type, type TapeType,
  isVar, ref, num,
} from "../../ir/types.ts";
import { add, sub, mul, apply, call, field, length } from "../../ir/expr.ts";
import { childBlocks, defOf, mapBlocks, usesOf, varsOf, walk, arrayOfArg } from "../../ir/walk.ts";
import type { Block, Structure } from "../../ir/structure.ts";
import { arrayRuleFor } from "../../rules/blas.ts";
import { Codes, LocatedError } from "../../diagnostics.ts";
import type { ReverseContext } from "./adjoints.ts";
import type { Plan } from "./plan.ts";

export type CheckpointedLoop = (ForStmt | LoopStmt) & { checkpoint: CheckpointTag };

export function isCheckpointed(s: Stmt): s is CheckpointedLoop {
  return (s.kind === "for" || s.kind === "loop") && s.checkpoint !== undefined;
}

/** The blocks of a loop region. */
function blocksOf(s: ForStmt | LoopStmt): Block[] {
  return s.kind === "for" ? [s.body] : [s.header, s.body, s.update];
}

/** Variables (and arrays) a statement writes: its target, or the array it stores into or a BLAS call writes. */
function writtenBy(s: Stmt): string | undefined {
  if (s.kind === "store") return s.array;
  if (s.kind === "call") {
    const w = arrayRuleFor(s.fn)?.writes;
    if (typeof w === "number") return arrayOfArg(s.args[w]);
  }
  return defOf(s);
}

export interface LoopState {
  /** What the loop writes that lives outside it, in order of first occurrence. */
  state: string[];
  /** What the loop reads and does not write (invariant while it runs). */
  reads: string[];
}

/** The state and the invariant inputs of a checkpointed loop. */
export function loopState(st: Structure, loop: ForStmt | LoopStmt): LoopState {
  const inside = blocksOf(loop);
  const within = (v: string) => inside.some((b) => st.isWithin(st.home(v), b));
  const written = new Set<string>();
  const read = new Set<string>();
  walk(inside.flat(), (s) => {
    const w = writtenBy(s);
    if (w !== undefined) written.add(w);
    for (const e of usesOf(s)) varsOf(e, read);
    if (s.kind === "store" || s.kind === "call") {
      // a store or a BLAS call writes part of an array: what it does not write stays
      if (w !== undefined) read.add(w);
    }
  });
  const order = (v: string) => Math.min(...(st.occurrences.get(v) ?? []).map((o) => o.order));
  const vars = st.fn.vars;
  const state = [...written].filter((v) => vars.has(v) && !within(v) && !st.counters.has(v)).sort((a, b) => order(a) - order(b));
  const reads = [...read].filter((v) => vars.has(v) && !written.has(v) && !within(v) && !st.counters.has(v)).sort((a, b) => order(a) - order(b));
  return { state, reads };
}

/** Whether loop `s` gives array `v` a new array (an allocation of `v` inside it). */
function reallocatedIn(s: ForStmt | LoopStmt, v: string): boolean {
  let found = false;
  for (const b of blocksOf(s)) walk(b, (t) => { if (t.kind === "alloc" && t.target === v) found = true; });
  return found;
}

/** The allocation of an array, when the function allocates it. */
function allocOf(st: Structure, v: string): Stmt | undefined {
  return st.defs(v).find((d) => d.stmt.kind === "alloc")?.stmt;
}

/**
 * What the plan must add for the live checkpointed loops: readers (`[variable, the step that
 * reads it]`) of their invariant inputs, and of the sizes of state arrays the reverse sweep
 * allocates again (see `Checkpoints.declarations`).
 */
export function checkpointReaders(st: Structure, live: Set<Stmt>): [string, Stmt][] {
  const out: [string, Stmt][] = [];
  for (const s of live) {
    if (!isCheckpointed(s)) continue;
    const { state, reads } = loopState(st, s);
    for (const v of reads) out.push([v, s]);
    for (const v of state) {
      const a = allocOf(st, v);
      if (a?.kind === "alloc" && st.home(v) !== st.root && isVar(a.size)) out.push([a.size.name, a]);
    }
  }
  return out;
}

/** Variables the reverse sweeps of live checkpointed loops assign: their scalar state. */
export function checkpointRestored(st: Structure, live: Set<Stmt>): string[] {
  return checkpointState(st, live).filter((v) => st.fn.vars.get(v)!.type !== "arr");
}

/** The state of every live checkpointed loop (what their reverse sweeps overwrite). */
export function checkpointState(st: Structure, live: Set<Stmt>): string[] {
  const out = new Set<string>();
  for (const s of live) if (isCheckpointed(s)) for (const v of loopState(st, s).state) out.add(v);
  return [...out];
}

/**
 * The arrays a checkpointed loop reads and does not write must hold the same values when its
 * reverse sweep re-runs it: nothing may write them after the loop, or in a later iteration of a
 * loop around it, and they may not be allocated anew by such a loop.
 */
export function checkCheckpointedLoops(st: Structure, live: Set<Stmt>): void {
  const writes = new Map<string, Stmt[]>();
  walk(st.root, (s) => {
    if (s.kind !== "store" && s.kind !== "call") return;
    const w = writtenBy(s);
    if (w === undefined) return;
    const l = writes.get(w);
    if (l) l.push(s);
    else writes.set(w, [s]);
  });
  for (const loop of live) {
    if (!isCheckpointed(loop)) continue;
    const { state, reads } = loopState(st, loop);
    const lo = st.order.get(loop)!;
    let last = lo;
    walk(blocksOf(loop).flat(), (s) => { last = Math.max(last, st.order.get(s)!); });
    for (const v of reads) {
      if (st.fn.vars.get(v)!.type !== "arr") continue;
      const home = st.home(v);
      const around = st.loopsBetween(st.blockOf.get(loop)!, home);
      if (home !== st.root && st.blocks.get(home)!.inLoop && allocOf(st, v)) {
        throw new LocatedError(Codes.UnsupportedLoop,
          `The checkpointed loop reads '${v}', which a loop around it allocates anew, but its reverse sweep re-runs the loop and needs the values '${v}' held when it ran: compute '${v}' inside the checkpointed loop, or put @checkpoint on the outer loop instead.`, loop.loc);
      }
      for (const w of writes.get(v) ?? []) {
        const o = st.order.get(w)!;
        const after = o > last;
        const again = st.loopsBetween(st.blockOf.get(w)!, home).some((l) => around.includes(l)) && !(o >= lo && o <= last);
        if (after || again) {
          throw new LocatedError(Codes.UnsupportedLoop,
            `'${v}' is overwritten here, but the checkpointed loop at line ${loop.loc.line} reads it and its reverse sweep re-runs the loop with the values it read then: write the new values into a separate array${again ? ", or compute them inside the checkpointed loop" : ""}.`, w.loc);
        }
      }
    }
    for (const v of state) {
      const home = st.home(v);
      if (st.fn.vars.get(v)!.type === "arr" && home !== st.root && !allocOf(st, v)) {
        throw new LocatedError(Codes.UnsupportedLoop, `internal: state array '${v}' of a checkpointed loop has no allocation`, loop.loc);
      }
    }
  }
}

/** The sweeps of a function as the checkpoint code uses them. */
export interface SweepParts {
  /** The plan's forward sweep of a block (taping). */
  forward(b: Block, hoisted: Set<string>): Stmt[];
  /** The plan's reverse sweep of a block. */
  reverse(b: Block): Stmt[];
  /** Trip counters of general loops. */
  readonly trips: Map<LoopStmt, string>;
}

const tapeType = (t: Type): TapeType => (t === "bool" ? "bool" : "num");
const text = (value: string): Expr => ({ kind: "text", value });
const is = (action: string, schedule: string): Expr => apply("===", field(ref(schedule), "action"), text(action));
const tapeBytes: Expr = { kind: "tape-call", method: "bytes", args: [] };

/** The forward and reverse code of the checkpointed loops of one gradient function. */
export class Checkpoints {
  private states = new Map<Stmt, LoopState>();

  /**
   * @param sweeps the plan's sweeps (taping)
   * @param plain the sweeps of an empty plan: the loop's code without tape
   */
  constructor(private cx: ReverseContext, private plan: Plan, private sweeps: SweepParts, private plain: SweepParts) {}

  handles(s: Stmt): s is CheckpointedLoop {
    return isCheckpointed(s) && this.plan.live.has(s);
  }

  private stateOf(s: Stmt & (ForStmt | LoopStmt)): string[] {
    let l = this.states.get(s);
    if (!l) this.states.set(s, (l = loopState(this.cx.st, s)));
    return l.state;
  }

  private kind(s: CheckpointedLoop): string {
    const n = s.checkpoint.snapshots;
    if (s.kind === "for") return n === undefined ? "sqrt" : "binomial";
    return n === undefined ? "online" : "online-binomial";
  }

  private schedule(s: CheckpointedLoop, steps: Expr, tail?: Expr): Stmt {
    const v = this.cx.newVar("schedule", "arr", "saved");
    const args = [text(this.kind(s)), steps, num(s.checkpoint.snapshots ?? 0), ...(tail ? [tail] : [])];
    return { kind: "assign", target: v, op: "=", value: call("checkpointSchedule", ...args), decl: "const", loc: s.loc };
  }

  /** Whether the loop tapes its first and last steps as it runs: the √n schedule does. */
  private tapesAsItRuns(s: CheckpointedLoop): boolean {
    return this.kind(s) === "sqrt";
  }

  private tripCount(s: ForStmt): Expr {
    return call("tripCount", s.start, s.end, num(s.step), text(s.cmp));
  }

  // ---------------------------------------------------------------- snapshots

  /**
   * Pushes the loop's state on the tape. An array the loop gives a new array (`h = dense(l, h)`)
   * may have another length at each snapshot: its length is pushed after its elements.
   */
  private store(s: CheckpointedLoop): Stmt[] {
    const out: Stmt[] = [];
    for (const v of this.stateOf(s)) {
      const t = this.cx.typeOf(v);
      if (t === "arr") {
        const j = this.cx.newVar("j", "num", "counter");
        out.push({
          kind: "for", counter: j, start: num(0), end: length(v), cmp: "<", step: 1, loc: s.loc,
          body: [{ kind: "push", type: "num", value: { kind: "index", array: v, index: ref(j) }, key: v, loc: s.loc }],
        });
        if (reallocatedIn(s, v)) out.push({ kind: "push", type: "int", value: length(v), loc: s.loc });
      } else {
        out.push({ kind: "push", type: tapeType(t), value: ref(v), key: v, loc: s.loc });
      }
    }
    return out;
  }

  /** Pops a snapshot into the loop's state. */
  private restore(s: CheckpointedLoop): Stmt[] {
    const out: Stmt[] = [];
    for (const v of [...this.stateOf(s)].reverse()) {
      const t = this.cx.typeOf(v);
      if (t === "arr") {
        if (reallocatedIn(s, v)) {
          // the snapshot's array, of its own length: a new one (the reverse sweep's tape keeps the others)
          const n = this.cx.newVar("n", "num", "counter");
          const a = allocOf(this.cx.st, v);
          out.push({ kind: "assign", target: n, op: "=", value: { kind: "pop", type: "int" }, decl: "const", loc: s.loc },
            { kind: "alloc", target: v, size: ref(n), loc: s.loc, ...(a?.kind === "alloc" && a.ints ? { ints: a.ints } : {}) });
        }
        const j = this.cx.newVar("j", "num", "counter");
        out.push({
          kind: "for", counter: j, start: sub(length(v), num(1)), end: num(0), cmp: ">=", step: -1, loc: s.loc,
          body: [{ kind: "assign-elem", array: v, index: ref(j), op: "=", value: { kind: "pop", type: "num", key: v }, loc: s.loc }],
        });
      } else {
        out.push({ kind: "assign", target: v, op: "=", value: { kind: "pop", type: tapeType(t), key: v }, loc: s.loc });
      }
    }
    return out;
  }

  /** `if (step === snapshot) { store; snapshot = nextSnapshot(schedule, step) }` */
  private maybeStore(s: CheckpointedLoop, step: string, snapshot: string, schedule: string): Stmt {
    return {
      kind: "if", cond: apply("===", ref(step), ref(snapshot)), else: [], loc: s.loc,
      then: [...this.store(s), { kind: "assign", target: snapshot, op: "=", value: call("nextSnapshot", ref(schedule), ref(step)), loc: s.loc }],
    };
  }

  /** A block of the loop without tape. */
  private plainCode(b: Block): Stmt[] {
    return copies(this.plain.forward(b, new Set()));
  }

  // ---------------------------------------------------------------- forward sweep

  /** The loop without tape, storing its state where the schedule says. */
  forward(s: CheckpointedLoop, inLoop: boolean, atRoot: boolean): Stmt[] {
    const out: Stmt[] = [];
    const snapshot = this.cx.newVar("snapshot", "num", "counter");
    if (s.kind === "for") {
      const sched = this.schedule(s, this.tripCount(s));
      const schedule = (sched as { target: string }).target;
      const step = this.cx.newVar("step", "num", "counter");
      // a loop that tapes as it runs tapes its first step and its tail (runtime startTaping, tapeTail)
      const tapes = this.tapesAsItRuns(s);
      out.push(sched,
        { kind: "assign", target: snapshot, op: "=", value: tapes ? call("startTaping", ref(schedule), tapeBytes) : num(0), decl: "let", loc: s.loc },
        { kind: "assign", target: step, op: "=", value: num(0), decl: "let", loc: s.loc });
      const count: Stmt = { kind: "assign", target: step, op: "+=", value: num(1), loc: s.loc };
      if (!tapes) {
        out.push({ ...untagged(s), body: [this.maybeStore(s, step, snapshot, schedule), count, ...this.plainCode(s.body)] });
        return out;
      }
      const measured: Stmt = {
        kind: "if", cond: apply("===", ref(step), num(1)), else: [], loc: s.loc,
        then: [{ kind: "assign", target: snapshot, op: "=", value: call("tapeTail", ref(schedule), tapeBytes), loc: s.loc }],
      };
      const taped = [...copies(this.sweeps.forward(s.body, new Set())), measured];
      const which: Stmt = { kind: "if", cond: apply(">", ref(step), field(ref(schedule), "untaped")), then: taped, else: this.plainCode(s.body), loc: s.loc };
      out.push({ ...untagged(s), body: [this.maybeStore(s, step, snapshot, schedule), count, which] },
        { kind: "push", type: "int", value: field(ref(schedule), "tail"), loc: s.loc });
      return out;
    }
    const trips = this.sweeps.trips.get(s)!;
    if (atRoot || inLoop) out.push({ kind: "assign", target: trips, op: "=", value: num(0), decl: "let", loc: s.loc });
    const sched = this.schedule(s, num(-1));
    const schedule = (sched as { target: string }).target;
    out.push(sched, { kind: "assign", target: snapshot, op: "=", value: num(0), decl: "let", loc: s.loc });
    const count: Stmt = { kind: "assign", target: trips, op: "+=", value: num(1), loc: s.loc };
    const check = this.maybeStore(s, trips, snapshot, schedule);
    const header = this.plainCode(s.header);
    const body = this.plainCode(s.body);
    const update = this.plainCode(s.update);
    out.push(s.doWhile
      ? { ...untagged(s), header, body: [check, count, ...body], update }
      : { ...untagged(s), header: [check, ...header], body: [count, ...body], update });
    if (inLoop) out.push({ kind: "push", type: "int", value: ref(trips), loc: s.loc });
    return out;
  }

  // ---------------------------------------------------------------- reverse sweep

  /** The loop's reverse sweep: the schedule's actions until it is done. */
  reverse(s: CheckpointedLoop, inLoop: boolean): Stmt[] {
    const out: Stmt[] = [];
    let steps: Expr;
    let trips: Expr | undefined;
    let tail: Expr | undefined;
    if (s.kind === "for") {
      steps = this.tripCount(s);
      if (this.tapesAsItRuns(s)) tail = { kind: "pop", type: "int" };
    } else {
      if (inLoop) {
        const t = this.cx.newVar("trips", "num", "counter");
        out.push({ kind: "assign", target: t, op: "=", value: { kind: "pop", type: "int" }, decl: "const", loc: s.loc });
        trips = ref(t);
      } else {
        trips = ref(this.sweeps.trips.get(s)!);
      }
      steps = s.doWhile ? trips : add(trips, num(1));
    }
    const sched = this.schedule(s, steps, tail);
    const schedule = (sched as { target: string }).target;
    out.push(sched);
    const from = this.cx.newVar("from", "num", "counter");
    const to = this.cx.newVar("to", "num", "counter");
    const range: Stmt[] = [
      { kind: "assign", target: from, op: "=", value: field(ref(schedule), "from"), decl: "const", loc: s.loc },
      { kind: "assign", target: to, op: "=", value: field(ref(schedule), "to"), decl: "const", loc: s.loc },
    ];
    const again = this.run(s, this.sweeps, ref(from), ref(to), trips, true);
    // steps the loop taped as it ran are reversed without running them again
    const rerun = [...(tail ? [{ kind: "if", cond: is("reverse", schedule), then: again, else: [], loc: s.loc } as Stmt] : again), ...this.back(s, ref(from), ref(to), trips)];
    const binomial = s.checkpoint.snapshots !== undefined;
    let dispatch: Stmt;
    if (binomial) {
      const advance = this.run(s, this.plain, ref(from), ref(to), trips, false);
      dispatch = {
        kind: "if", cond: is("reverse", schedule), then: [...range, ...rerun], loc: s.loc,
        else: [{
          kind: "if", cond: is("restore", schedule), then: this.restore(s), loc: s.loc,
          else: [{ kind: "if", cond: is("store", schedule), then: this.store(s), else: [...range, ...advance], loc: s.loc }],
        }],
      };
    } else {
      dispatch = { kind: "if", cond: is("restore", schedule), then: this.restore(s), else: [...range, ...rerun], loc: s.loc };
    }
    out.push({ kind: "loop", header: [], cond: call("nextAction", ref(schedule)), body: [dispatch], update: [], doWhile: false, loc: s.loc });
    return out;
  }

  /** Steps from…to-1 of the loop, with the given sweeps (taping or not). */
  private run(s: CheckpointedLoop, sw: SweepParts, from: Expr, to: Expr, trips: Expr | undefined, taped: boolean): Stmt[] {
    const rerun = (b: Block) => copies(withoutHostSteps(sw.forward(b, new Set())));
    if (s.kind === "for") {
      const at = (k: Expr) => add(s.start, mul(k, num(s.step)));
      return [{ kind: "for", counter: s.counter, start: at(from), end: at(to), cmp: s.step > 0 ? "<" : ">", step: s.step, body: rerun(s.body), loc: s.loc }];
    }
    const k = this.cx.newVar("k", "num", "counter");
    if (s.doWhile) {
      return [{ kind: "for", counter: k, start: from, end: to, cmp: "<", step: 1, body: [...rerun(s.body), ...rerun(s.update), ...rerun(s.header)], loc: s.loc }];
    }
    const full = apply("Math.min", to, trips!);
    const out: Stmt[] = [{ kind: "for", counter: k, start: from, end: full, cmp: "<", step: 1, body: [...rerun(s.header), ...rerun(s.body), ...rerun(s.update)], loc: s.loc }];
    // the step after the last trip: the test that ended the loop (reversed first when taped)
    const last = rerun(s.header);
    const lastBack = taped ? copies(this.sweeps.reverse(s.header)) : [];
    if (last.length + lastBack.length > 0) out.push({ kind: "if", cond: apply(">", to, trips!), then: [...last, ...lastBack], else: [], loc: s.loc });
    return out;
  }

  /** The reverse sweep of steps from…to-1 (the header step of a while loop is reversed by `run`). */
  private back(s: CheckpointedLoop, from: Expr, to: Expr, trips: Expr | undefined): Stmt[] {
    if (s.kind === "for") {
      const at = (k: Expr) => add(s.start, mul(k, num(s.step)));
      return [{ kind: "for", counter: s.counter, start: at(sub(to, num(1))), end: at(from), cmp: s.step > 0 ? ">=" : "<=", step: -s.step, body: this.sweeps.reverse(s.body), loc: s.loc }];
    }
    const k = this.cx.newVar("k", "num", "counter");
    const body = s.doWhile
      ? [...this.sweeps.reverse(s.header), ...this.sweeps.reverse(s.update), ...this.sweeps.reverse(s.body)]
      : [...this.sweeps.reverse(s.update), ...this.sweeps.reverse(s.body), ...this.sweeps.reverse(s.header)];
    const end = s.doWhile ? to : apply("Math.min", to, trips!);
    return [{ kind: "for", counter: k, start: sub(end, num(1)), end: from, cmp: ">=", step: -1, body, loc: s.loc }];
  }

  /**
   * Declarations the reverse sweep of block `b` needs for the state of the checkpointed loops in
   * it that the plan does not already bring there: a state variable declared in a branch or a
   * loop body is out of the reverse sweep's scope, and the loop's reverse sweep sets it (from a
   * snapshot) before reading it.
   */
  declarations(b: Block): Stmt[] {
    if (!this.declared) {
      this.declared = new Map();
      const st = this.cx.st;
      const seen = new Set<string>();
      walk(st.root, (s) => {
        if (!this.handles(s)) return;
        for (const v of this.stateOf(s)) {
          const home = st.home(v);
          if (seen.has(v) || home === st.root || this.plan.needed.has(v)) continue;
          seen.add(v);
          const t = this.cx.typeOf(v);
          let decl: Stmt;
          if (t === "arr") {
            const a = allocOf(st, v);
            if (a?.kind !== "alloc") throw new Error(`internal: state array '${v}' has no allocation`);
            decl = { kind: "alloc", target: v, size: a.size, decl: reallocatedIn(s, v) ? "let" : "const", loc: s.loc, ...(a.ints ? { ints: a.ints } : {}) };
          } else {
            decl = { kind: "assign", target: v, op: "=", value: t === "bool" ? { kind: "const", value: false } : num(0), decl: "let", loc: s.loc };
          }
          const l = this.declared!.get(home);
          if (l) l.push(decl);
          else this.declared!.set(home, [decl]);
        }
      });
    }
    return copies(this.declared.get(b) ?? []);
  }

  private declared: Map<Block, Stmt[]> | undefined;
}

/** Console calls and guards run once, in the forward sweep: a re-run leaves them out. */
function withoutHostSteps(b: Stmt[]): Stmt[] {
  const out: Stmt[] = [];
  for (const s of b) {
    if (s.kind === "effect" && s.value.kind === "host") continue;
    if (s.kind === "throw") continue;
    out.push(childBlocks(s).length ? mapBlocks(s, withoutHostSteps) : s);
  }
  return out;
}

/** A region without its tag (generated code carries none). */
function untagged<T extends ForStmt | LoopStmt>(s: T): T {
  const { checkpoint: _, ...rest } = s;
  return rest as T;
}

/**
 * Fresh statement nodes: the loop's code appears several times (without tape, re-run, advanced)
 * and each copy is simplified on its own, so no two copies may share a node.
 */
function copies(b: Stmt[]): Stmt[] {
  return b.map((s) => mapBlocks({ ...s }, copies));
}
