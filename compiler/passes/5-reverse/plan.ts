/**
 * The reverse-mode plan: how every primal value the reverse sweep reads reaches it. One analysis,
 * computed once per function and consumed by the sweeps (sweeps.ts):
 *
 *  1. assigned once in straight-line code: a `const` the reverse sweep reads directly;
 *  2. assigned in a branch that runs at most once: declared in the function body (`hoisted`);
 *  3. a cheap value inside a loop (a rule-table primitive marked `cheap`, a load from an array
 *     nothing overwrites afterwards, a value still held by the variable it was copied into, or
 *     an expensive value stored into an array nothing overwrites): recomputed at the start of
 *     the matching reverse block (`recompute`); a load whose index changes later in the block,
 *     just before the reverse of its last reader instead, once the index is back (`late`);
 *  4. assigned once per loop iteration: pushed at the end of the iteration and popped at the
 *     start of the matching reverse iteration (`kept`); a Float64Array the loop allocates afresh
 *     in every iteration is kept so too, by reference (`keptByReference`);
 *  5. overwritten while its old value is still needed: the old value is saved before the
 *     overwrite, in a local outside loops and on the tape inside them, and restored by the
 *     reverse sweep at the matching point (`saves`);
 *  6. read from a local scratch array that later iterations rewrite, in a loop deeper than every
 *     store into it: each store saves the element it overwrites and the reverse sweep puts it
 *     back (`saves` with `elem`), so the array holds, wherever the reverse sweep is, what it held
 *     there going forward, and its reads are recomputed instead of taped (`restoredArrays`).
 *
 * General loops the reverse sweep replays count their trips (`trips`); regions whose reverse is
 * empty are left out (`live`).
 */
import { type LeafStmt, type Stmt, isVar, ref, assertNever } from "../../ir/types.ts";
import { usesOf, varsOf, arrayOfArg, walk } from "../../ir/walk.ts";
import type { Block } from "../../ir/structure.ts";
import { ruleFor } from "../../rules/index.ts";
import { arrayRuleFor } from "../../rules/blas.ts";
import { Codes, LocatedError } from "../../diagnostics.ts";
import { type ReverseContext, adjointOf } from "./adjoints.ts";
import { checkpointReaders, checkpointRestored, checkCheckpointedLoops, isCheckpointed } from "./checkpoint.ts";
import { invertibleStep, smallIntegers } from "./counters.ts";

export interface Save {
  v: string;
  /**
   * `slot`: a local holds the old value; `tape`: pushed (in a loop); `invert`: not kept at all,
   * the step `v = v ± c` is undone by the reverse sweep (`v = v ∓ c`, see `by`).
   */
  kind: "slot" | "tape" | "invert";
  /** The local holding the old value (slots only; named when the sweeps are built). */
  slot?: string;
  /** A store into array `v`: the element it overwrites is saved, and put back by its reverse. */
  elem?: boolean;
  /** `invert`: the step adds `by` (a small integer, negative for a subtraction) to `v`. */
  by?: number;
}

export interface Plan {
  /** Adjoint statements of each primal step (empty when the step is inactive). */
  adjoints: Map<Stmt, Stmt[]>;
  /** Primal values the reverse sweep reads. */
  needed: Set<string>;
  /** Values the reverse sweep recomputes at the start of their home block, with the step doing it. */
  recompute: Map<string, LeafStmt>;
  /** Loads recomputed late (also in `recompute`), by the reader whose reverse they run just before. */
  late: Map<Stmt, LeafStmt[]>;
  /** Steps whose target's old value is saved just before them. */
  saves: Map<Stmt, Save>;
  /** Values pushed at the end of each iteration of a loop block, popped at the start of its reverse. */
  kept: Map<Block, string[]>;
  /** Needed values of a block that runs at most once (not the function body): declared up front. */
  hoisted: string[];
  /** Regions and steps whose reverse is not empty. */
  live: Set<Stmt>;
  /** Variables the reverse sweep assigns (restores): never `const`. */
  restored: Set<string>;
  /** Program position of each variable's first occurrence. */
  firstOrder: Map<string, number>;
  /** Local arrays whose stores save and restore the elements they overwrite. */
  restoredArrays: Set<string>;
}

const isLeaf = (s: Stmt): s is LeafStmt =>
  s.kind === "op" || s.kind === "load" || s.kind === "store" || s.kind === "alloc" || s.kind === "call" || s.kind === "get" || s.kind === "custom";

/** An array or list read from a list (a reference): its adjoint is bound where its reverse block starts. */
const isReference = (cx: ReverseContext, s: Stmt): boolean => s.kind === "get" && cx.isActive(s.target) && cx.typeOf(s.target) !== "num";

export function planReverse(cx: ReverseContext): Plan {
  return new Planner(cx).run();
}

class Planner {
  private st;
  private fn;
  private readers = new Map<string, Set<Stmt>>();
  private needed = new Set<string>();
  private live = new Set<Stmt>();
  private saves = new Map<Stmt, Save>();
  private recompute = new Map<string, LeafStmt>();
  /** Late recomputations (`lateLoad`): each value's last reader. */
  private lateAt = new Map<string, Stmt>();
  /** The steps whose recomputation reads its operands where its block's reverse starts (as readers). */
  private earlyReaders = new Set<Stmt>();
  private adjoints = new Map<Stmt, Stmt[]>();
  private readOnlyArrays = new Set<string>();
  private restoredArrays = new Set<string>();
  /** Synthetic reloads -> the step whose value they read back (where they read, for analysis). */
  private anchors = new Map<Stmt, Stmt>();
  /** Writes of each array, copies of each variable (`u = copy(v)`), stores of each value. */
  private writesOf = new Map<string, Stmt[]>();
  private copiesOf = new Map<string, LeafStmt[]>();
  private storesOf = new Map<string, LeafStmt[]>();
  private firstOrder = new Map<string, number>();
  private all: Stmt[];

  constructor(private cx: ReverseContext) {
    this.st = cx.st;
    this.fn = cx.fn;
    this.all = this.st.allStatements();
    const push = <T>(m: Map<string, T[]>, k: string, v: T) => {
      const l = m.get(k);
      if (l) l.push(v);
      else m.set(k, [v]);
    };
    for (const s of this.all) {
      if (s.kind === "store") {
        push(this.writesOf, s.array, s);
        if (isVar(s.value)) push(this.storesOf, s.value.name, s);
      }
      if (s.kind === "call") {
        const w = arrayRuleFor(s.fn)!.writes;
        if (w !== "result") push(this.writesOf, arrayOfArg(s.args[w])!, s);
      }
      if (s.kind === "op" && s.op === "copy" && isVar(s.args[0])) push(this.copiesOf, s.args[0].name, s);
    }
    for (const [v, occ] of this.st.occurrences) {
      let m = Infinity;
      for (const o of occ) if (o.order < m) m = o.order;
      this.firstOrder.set(v, m);
    }
  }

  private addReader(v: string, at: Stmt) {
    if (!this.fn.vars.has(v)) return;
    let s = this.readers.get(v);
    if (!s) this.readers.set(v, (s = new Set()));
    s.add(at);
  }

  /** Primal variables the given derivative statements read (regions among them included: a pullback's body). */
  private readsOf(stmts: Stmt[], at: Stmt) {
    walk(stmts, (s) => {
      for (const e of usesOf(s)) for (const v of varsOf(e)) this.addReader(v, at);
    });
  }

  private neededNow(): Set<string> {
    const out = new Set<string>();
    for (const v of this.readers.keys()) if (!this.st.counters.has(v)) out.add(v);
    return out;
  }

  run(): Plan {
    for (const s of this.all) {
      if (!isLeaf(s)) continue;
      const rev = adjointOf(this.cx, s);
      this.adjoints.set(s, rev);
      this.readsOf(rev, s);
      if (s.kind === "alloc" && this.cx.isActive(s.target) && isVar(s.size)) this.addReader(s.size.name, s);
      // a new array for a name that had one (a rebinding, see lowering's rebindByCopy): the
      // reverse sweep takes the old array back, and gives its adjoint an array of its length
      if (s.kind === "alloc" && this.isReallocation(s) && this.cx.isActive(s.target)) this.addReader(s.target, s);
      if (isReference(this.cx, s) && s.kind === "get" && isVar(s.index)) this.addReader(s.index.name, s);
    }
    const written = new Set(this.writesOf.keys());
    for (const p of this.fn.params) if (p.type === "arr" && !written.has(p.name)) this.readOnlyArrays.add(p.name);
    this.chooseRestoredArrays();
    // Fixed point: live regions read their controls; needed values create save points.
    for (;;) {
      this.needed = this.neededNow();
      this.computeRecompute();
      this.computeSaves();
      const before = this.live.size;
      this.computeLive();
      if (this.live.size < before) throw new Error("internal: live set shrank");
      for (const s of this.live) {
        if (s.kind === "if" && isVar(s.cond)) this.addReader(s.cond.name, s);
        if (s.kind === "for") for (const o of [s.start, s.end]) if (isVar(o)) this.addReader(o.name, s);
      }
      // a checkpointed loop's reverse sweep re-runs it: it reads what the loop reads
      for (const [v, at] of checkpointReaders(this.st, this.live)) this.addReader(v, at);
      if (this.live.size === before && this.neededNow().size === this.needed.size) break;
    }
    checkCheckpointedLoops(this.st, this.live);
    // (a restored array holds, wherever the reverse sweep reads it, what the forward sweep read)
    for (const v of this.needed) if (this.cx.typeOf(v) === "arr" && !this.recompute.has(v) && !this.restoredArrays.has(v)) this.checkKeptArray(v);
    const restored = new Set<string>();
    for (const sp of this.saves.values()) if (!sp.elem) restored.add(sp.v);
    for (const v of checkpointRestored(this.st, this.live)) restored.add(v);
    return {
      adjoints: this.adjoints,
      needed: this.needed,
      recompute: this.recompute,
      late: this.lateByReader(),
      saves: this.saves,
      kept: this.keptByBlock(),
      hoisted: this.hoisted(),
      live: this.live,
      restored,
      firstOrder: this.firstOrder,
      restoredArrays: this.restoredArrays,
    };
  }

  /** An allocation of an array that already had one: the name is given a new array (of another length). */
  private isReallocation(s: Stmt): boolean {
    return s.kind === "alloc" && this.st.initializingDef(s.target) !== s && this.fn.vars.get(s.target)!.kind !== "param";
  }

  /** The re-allocations of array `a` (see isReallocation). */
  private reallocationsOf(a: string): Stmt[] {
    return this.st.defs(a).map((d) => d.stmt).filter((s) => this.isReallocation(s));
  }

  // ------------------------------------------------------------------ restored scratch arrays

  /**
   * Local arrays written only by stores, read only by loads, outside checkpointed loops, with a
   * load the reverse sweep needs that a later store rewrites, in a loop deeper than every store:
   * saving what each store overwrites costs less than taping every such read.
   */
  private chooseRestoredArrays() {
    const depth = (s: Stmt) => this.st.loopsBetween(this.st.blockOf.get(s)!, this.st.root).length;
    const inCheckpointed = (s: Stmt) => this.st.loopsBetween(this.st.blockOf.get(s)!, this.st.root).some(isCheckpointed);
    for (const [a, writes] of this.writesOf) {
      const info = this.fn.vars.get(a);
      if (!info || info.kind === "param" || info.type !== "arr") continue;
      const defs = this.st.defs(a);
      if (defs.length === 0 || defs.some((d) => d.stmt.kind !== "alloc") || this.st.initializingDef(a) !== defs[0]!.stmt) continue;
      if (writes.some((w) => w.kind !== "store" || inCheckpointed(w))) continue;
      if (defs.some((d) => inCheckpointed(d.stmt))) continue;
      let loads: (LeafStmt & { kind: "load" })[] = [];
      let other = false;
      for (const o of this.st.occurrences.get(a) ?? []) {
        const x = o.stmt;
        if (x.kind === "load" && x.array === a) loads.push(x);
        else if (x.kind === "store" && x.array === a) continue;
        else if (defs.some((d) => d.stmt === x)) continue;
        else if (x.kind === "op" && ruleFor(x.op)?.arrayArgument) continue;
        else other = true;
      }
      if (other) continue;
      loads = loads.filter((l) => this.readers.has(l.target) && !this.stableAfter(a, l));
      const deepest = Math.max(...writes.map(depth));
      if (loads.some((l) => depth(l) > deepest && this.restoreStable(a, l))) this.restoredArrays.add(a);
    }
    for (const a of this.restoredArrays) {
      // the reverse of each store puts the element back: it needs the store's index
      for (const w of this.writesOf.get(a)!) if (w.kind === "store" && isVar(w.index)) this.addReader(w.index.name, w);
    }
  }

  /** Whether no store into `a` follows `at` within the iteration of `at`'s block (what restores leave). */
  private restoreStable(a: string, at: Stmt): boolean {
    const block = this.st.blockOf.get(at)!;
    const order = this.st.order.get(at)!;
    return [...(this.writesOf.get(a) ?? []), ...this.reallocationsOf(a)].every((w) => this.st.order.get(w)! < order || !this.st.isWithin(this.st.blockOf.get(w)!, block));
  }

  // ------------------------------------------------------------------ recomputation

  private computeRecompute() {
    for (let changed = true; changed; ) {
      changed = false;
      for (const v of this.needed) {
        if (this.recompute.has(v)) continue;
        const s = this.recomputable(v);
        if (s) this.acceptRecompute(v, s);
        else if (!this.lateLoad(v)) continue;
        changed = true;
      }
      this.needed = this.neededNow();
    }
  }

  /** Commits a recomputation, and those of the cheap operands it relies on. */
  private acceptRecompute(v: string, s: LeafStmt) {
    this.recompute.set(v, s);
    this.earlyReaders.add(this.anchors.get(s) ?? s);
    for (const e of usesOf(s)) {
      if (!isVar(e)) continue;
      const u = e.name;
      this.addReader(u, this.anchors.get(s) ?? s);
      if (this.needsBinding(u)) {
        // a reference read from a list inside a loop: read again where its reverse block starts
        if (!this.recompute.has(u)) {
          const r = this.recomputable(u);
          if (r) this.acceptRecompute(u, r);
        }
        continue;
      }
      if (this.cx.typeOf(u) === "arr" || this.recompute.has(u) || this.st.home(u) !== this.st.home(v)) continue;
      const r = this.recomputable(u);
      if (r) this.acceptRecompute(u, r);
    }
  }

  /** The defining step of `v` when the reverse sweep can cheaply recompute it at its block start. */
  private recomputable(v: string): LeafStmt | undefined {
    const info = this.fn.vars.get(v)!;
    const byGet = this.st.defs(v).length === 1 && this.st.defs(v)[0]!.stmt.kind === "get";
    if (info.kind === "param" || ((info.type === "arr" || info.type === "list") && !byGet) || this.st.counters.has(v) || this.st.isMutable(v)) return undefined;
    const home = this.st.home(v);
    if (home === this.st.root || !this.st.blocks.get(home)!.inLoop) return undefined;
    const defs = this.st.defs(v);
    if (defs.length !== 1 || defs[0].block !== home) return undefined;
    const s = defs[0].stmt;
    if (!isLeaf(s)) return undefined;
    const operandsAvailable = (step: Stmt) => this.operandsAvailable(step, home);
    if (s.kind === "load" && this.stableAfter(s.array, s) && operandsAvailable(s)) return s;
    // lists are never written: what a get reads is there in the reverse sweep too
    if (s.kind === "get" && operandsAvailable(s)) return s;
    // keeping a decision costs a byte: worth it as soon as recomputing it would keep any number
    if (s.kind === "op" && ruleFor(s.op)?.cheap && operandsAvailable(s) && this.keptOnlyFor(s, home, 3) < (info.type === "bool" ? 1 : 2)) return s;
    // a value copied into a variable of an enclosing block as that variable's last assignment in
    // this block: when the reverse block starts, the variable holds it again (`a = Math.max(a, x[i])`)
    const defOrder = this.st.order.get(s)!;
    for (const st of this.copiesOf.get(v) ?? []) {
      if (this.st.blockOf.get(st) !== home || st.kind !== "op") continue;
      const u = st.target;
      const at = this.st.order.get(st)!;
      // u must be visible from the reverse block: a variable of an enclosing block
      if (at < defOrder || this.cx.typeOf(u) === "arr" || this.st.counters.has(u) || this.st.home(u) === home) continue;
      if (this.st.defs(u).some((d) => d.order > at && this.st.isWithin(d.block, home))) continue;
      const copy: LeafStmt = { kind: "op", target: v, op: "copy", args: [ref(u)], loc: st.loc };
      this.anchors.set(copy, st);
      return copy;
    }
    // an expensive value stored into an array nothing overwrites afterwards: reload it (the index must hold)
    for (const st of this.storesOf.get(v) ?? []) {
      if (this.st.blockOf.get(st) !== home || st.kind !== "store") continue;
      if (this.stableAfter(st.array, st) && (!isVar(st.index) || this.availableAt(st.index.name, home, this.st.order.get(st)!))) {
        const reload: LeafStmt = { kind: "load", target: v, array: st.array, index: st.index, loc: st.loc };
        this.anchors.set(reload, st);
        return reload;
      }
    }
    return undefined;
  }

  /**
   * A load whose index variable changes later in its iteration (`s += x[i] * x[i]; i++`), so it
   * cannot be recomputed where its block's reverse starts: when every reader is a step of the
   * same block, the index is not written between the load and the last reader, and the array
   * holds its value for good, the reverse sweep reloads it just before that reader's adjoints,
   * after it has undone what came later (the index's own later steps among them). The index is
   * thereby read there, so what overwrites it afterwards is saved or undone as for any reader.
   */
  private lateLoad(v: string): boolean {
    const info = this.fn.vars.get(v)!;
    const defs = this.st.defs(v);
    const s = defs.length === 1 ? defs[0]!.stmt : undefined;
    if (info.kind === "param" || info.type !== "num" || this.st.isMutable(v) || !s || s.kind !== "load" || !isVar(s.index)) return false;
    const home = this.st.home(v);
    if (home === this.st.root || !this.st.blocks.get(home)!.inLoop || defs[0]!.block !== home) return false;
    if (this.st.loopsBetween(home, this.st.root).some(isCheckpointed)) return false;
    // readers at their own steps only: not a value recomputed where the block's reverse starts
    const readers = [...(this.readers.get(v) ?? [])];
    if (readers.length === 0 || readers.some((rd) => !isLeaf(rd) || this.earlyReaders.has(rd) || this.st.blockOf.get(rd) !== home)) return false;
    const last = readers.reduce((a, c) => (this.st.order.get(c)! > this.st.order.get(a)! ? c : a));
    const from = this.st.order.get(s)!, to = this.st.order.get(last)!;
    const i = s.index.name;
    if (this.cx.typeOf(i) !== "num" || this.st.defs(i).some((d) => d.order > from && d.order <= to)) return false;
    if (!this.stableAfter(s.array, s)) return false;
    this.recompute.set(v, s);
    this.lateAt.set(v, last);
    this.addReader(i, last);
    this.addReader(s.array, last);
    return true;
  }

  /** The late reloads to run before each reader's adjoints, in program order. */
  private lateByReader(): Map<Stmt, LeafStmt[]> {
    const out = new Map<Stmt, LeafStmt[]>();
    const byOrder = [...this.lateAt].sort(([a], [c]) => this.recomputeOrder(a) - this.recomputeOrder(c));
    for (const [v, at] of byOrder) out.set(at, [...(out.get(at) ?? []), this.recompute.get(v)!]);
    return out;
  }

  /** Whether every operand of `step` holds, at the start of reverse(home), the value the step read. */
  private operandsAvailable(step: Stmt, home: Block): boolean {
    const order = this.st.order.get(step)!;
    const lengthOnly = step.kind === "op" && !!ruleFor(step.op)?.arrayArgument;
    return usesOf(step).every((u) => {
      if (!isVar(u)) return true;
      const t = this.cx.typeOf(u.name);
      // an array or list the reverse sweep names without reading it again (a list read inside a
      // loop is read again: needsBinding); an array a loop allocates afresh is kept by the tape
      // once the reverse sweep reads its elements (a recomputed load makes it do so), but reading
      // its length alone does not keep it, so that length is kept instead
      // an array given a new one in the block may not be the one the step read
      if (t === "arr" && this.reallocationsOf(u.name).some((r) => this.st.isWithin(this.st.blockOf.get(r)!, home))) return false;
      if ((t === "arr" || t === "list") && !this.needsBinding(u.name)) return !(lengthOnly && this.keptByReference(u.name) && this.elementReaders(u.name).length === 0);
      return this.availableAt(u.name, home, order);
    });
  }

  /**
   * How many operands of a cheap step in loop block `home` the reverse sweep would keep on the tape
   * only to recompute it: values of the same block, not yet needed, that cannot be recomputed
   * themselves (looked at `depth` steps deep). Recomputing `t = a + b` from two such values pushes
   * two numbers per iteration where keeping `t` pushes one, so that step is kept instead; a
   * boolean (`pos % 2 === 0`) is kept rather than one number it is computed from.
   */
  private keptOnlyFor(s: LeafStmt, home: Block, depth: number): number {
    let n = 0;
    for (const u of usesOf(s)) {
      if (!isVar(u)) continue;
      const v = u.name;
      const info = this.fn.vars.get(v);
      if (!info || info.kind === "param" || this.st.counters.has(v) || this.needed.has(v) || this.recompute.has(v)) continue;
      if (info.type === "arr" || info.type === "list" || this.st.isMutable(v) || this.st.home(v) !== home) continue;
      const defs = this.st.defs(v);
      const d = defs.length === 1 ? defs[0]!.stmt : undefined;
      if (d && d.kind === "load" && this.stableAfter(d.array, d)) continue;
      // a cheap operand recomputable itself, for free: its own operands are still there
      if (d && d.kind === "op" && ruleFor(d.op)?.cheap && depth > 0 && this.operandsAvailable(d, home) && this.keptOnlyFor(d, home, depth - 1) === 0) continue;
      n++;
    }
    return n;
  }

  /** An array or list defined by a get inside a loop: the reverse block must read it again. */
  private needsBinding(v: string): boolean {
    const defs = this.st.defs(v);
    if (defs.length !== 1 || defs[0]!.stmt.kind !== "get") return false;
    const home = this.st.home(v);
    return home !== this.st.root && this.st.blocks.get(home)!.inLoop;
  }

  /** Program position of a recomputed value's definition (recomputations replay in this order). */
  recomputeOrder(v: string): number {
    return this.st.order.get(this.st.defs(v)[0].stmt)!;
  }

  /** Whether nothing writes array `a` after step `at` (in program order or a later iteration). */
  private stableAfter(a: string, at: Stmt): boolean {
    if (this.readOnlyArrays.has(a)) return true;
    if (this.restoredArrays.has(a)) return this.restoreStable(a, at);
    const home = this.st.home(a);
    const atLoops = this.st.loopsBetween(this.st.blockOf.get(at)!, home);
    const order = this.st.order.get(at)!;
    for (const w of this.writesOf.get(a) ?? []) {
      if (w === at && this.writesEachElementOnce(w, atLoops)) continue;
      if (w === at && atLoops.length > 0) return false;
      if (this.st.order.get(w)! > order) return false;
      if (this.st.loopsBetween(this.st.blockOf.get(w)!, home).some((l) => atLoops.includes(l))) return false;
    }
    return true;
  }

  /** A store inside exactly one counted loop, at that loop's counter: every iteration writes another element. */
  private writesEachElementOnce(w: Stmt, loops: Stmt[]): boolean {
    if (loops.length === 0) return true;
    if (loops.length !== 1 || w.kind !== "store") return false;
    const l = loops[0];
    return l.kind === "for" && isVar(w.index) && w.index.name === l.counter;
  }

  /** Whether `u` holds, at the start of reverse(block), the value it had at step `order` of the forward block. */
  private availableAt(u: string, block: Block, order: number): boolean {
    const info = this.fn.vars.get(u)!;
    if (this.st.counters.has(u)) {
      // a counter of a loop enclosing the block
      return this.st.ancestors(block).some((b) => { const o = this.st.blocks.get(b)!.owner; return o?.kind === "for" && o.counter === u; });
    }
    const defs = this.st.defs(u);
    if (info.kind === "param" && defs.length === 0) return true;
    const home = this.st.home(u);
    if (home === block) {
      // recomputed (or recomputable, committed along with its user) earlier in the same block
      if (this.lateAt.has(u)) return false;
      const r = this.recompute.get(u) ?? (this.needed.has(u) ? undefined : this.recomputable(u));
      if (r !== undefined) return this.recomputeOrder(u) < order;
      return !this.st.isMutable(u);
    }
    if (!this.st.isWithin(block, home)) return false;
    // defined outside this block: fine unless the block itself writes it
    return !defs.some((d) => this.st.isWithin(d.block, block));
  }

  /**
   * An array whose values the reverse sweep reads (a BLAS operand) must still hold them then:
   * nothing may write it after the read (in program order, or in a later loop iteration).
   */
  private checkKeptArray(v: string) {
    const readers = this.elementReaders(v);
    if (readers.length === 0) return;
    const home = this.st.home(v);
    // an array a loop allocates afresh is kept by reference: only writes within its iteration count
    if (home !== this.st.root && this.st.blocks.get(home)!.inLoop && !this.keptByReference(v)) {
      const rd = readers[0]!;
      const name = this.fn.vars.get(v)?.origin ?? v;
      throw new LocatedError(Codes.UnsupportedSyntax, `The gradient needs the values of '${name}' read here, but '${name}' is allocated inside a loop (here, or in a helper that returns it): allocate it once before the loop and write its elements.`, rd.loc);
    }
    const writes = this.writesOf.get(v) ?? [];
    for (const rd of readers) {
      const ro = this.st.order.get(rd)!;
      const rLoops = this.st.loopsBetween(this.st.blockOf.get(rd)!, home);
      for (const w of writes) {
        if (w === rd) continue;
        const later = this.st.order.get(w)! > ro || this.st.loopsBetween(this.st.blockOf.get(w)!, home).some((l) => rLoops.includes(l));
        if (later) {
          throw new LocatedError(Codes.UnsupportedSyntax, `'${v}' is overwritten here after '${rd.kind === "call" ? rd.fn : "a step"}' (line ${rd.loc.line}) read it, but the gradient needs the values it read: write the new values into a separate array.`, w.loc);
        }
      }
    }
  }

  // ------------------------------------------------------------------ saves and liveness

  private computeSaves() {
    this.saves.clear();
    for (const v of this.needed) {
      if (!this.st.isMutable(v)) continue;
      const home = this.st.home(v);
      const init = this.st.initializingDef(v);
      const readers = [...(this.readers.get(v) ?? [])];
      for (const d of this.st.defs(v)) {
        if (d.stmt === init) continue;
        const dLoops = this.st.loopsBetween(d.block, home);
        const oldNeeded = readers.some((rd) => {
          const ro = this.st.order.get(rd)!;
          if (ro <= d.order) return true;
          // a later iteration of a loop enclosing both overwrites what this one read
          const rLoops = this.st.loopsBetween(this.st.blockOf.get(rd)!, home);
          return rLoops.some((l) => dLoops.includes(l));
        });
        if (!oldNeeded) continue;
        const by = this.invertible(d.stmt, v);
        if (by !== undefined) this.saves.set(d.stmt, { v, kind: "invert", by });
        else this.saves.set(d.stmt, { v, kind: this.st.blocks.get(d.block)!.inLoop ? "tape" : "slot" });
      }
    }
    for (const a of this.restoredArrays) for (const w of this.writesOf.get(a)!) if (!this.intoNewArray(a, w)) this.saves.set(w, { v: a, kind: "tape", elem: true });
  }

  /**
   * A store into an array its allocation has just made (a copy into a new array, a rebinding's):
   * it overwrites a zero no load reads, since none reads the array between the allocation and
   * the store, nor in a loop around the store within the allocation's block. Then the reverse
   * sweep need not put the zero back: the loads after the store read it as it wrote.
   */
  private intoNewArray(a: string, w: Stmt): boolean {
    const ow = this.st.order.get(w)!;
    const wb = this.st.blockOf.get(w)!;
    const loads = (this.st.occurrences.get(a) ?? []).filter((o) => o.stmt.kind === "load").map((o) => o.stmt);
    return this.st.defs(a).some(({ stmt: r }) => {
      if (r.kind !== "alloc") return false;
      const block = this.st.blockOf.get(r)!;
      const or = this.st.order.get(r)!;
      if (or > ow || !this.st.isWithin(wb, block)) return false;
      const around = this.st.loopsBetween(wb, block);
      return !loads.some((l) => {
        const ol = this.st.order.get(l)!;
        const lb = this.st.blockOf.get(l)!;
        if (ol < or || !this.st.isWithin(lb, block)) return false;
        return ol < ow || this.st.loopsBetween(lb, block).some((x) => around.includes(x));
      });
    });
  }

  /** `v = v ± c` on a small-integer counter (counters.ts): the amount the reverse sweep undoes, instead of keeping the old value. */
  private invertible(s: Stmt, v: string): number | undefined {
    this.smallInts ??= smallIntegers(this.cx);
    return invertibleStep(s, v, this.smallInts);
  }

  private smallInts: Set<string> | undefined;

  /** Statements whose reverse is non-empty: adjoint code, restores, or popping kept values. */
  private computeLive() {
    const kept = this.keptByBlock();
    const visit = (b: Block): boolean => {
      let any = (kept.get(b)?.length ?? 0) > 0;
      for (const s of b) {
        let l = false;
        switch (s.kind) {
          case "op": case "load": case "store": case "alloc": case "call": case "get": case "custom":
            l = (this.adjoints.get(s)?.length ?? 0) > 0 || this.saves.has(s) || (s.kind === "alloc" && this.cx.isActive(s.target)) || isReference(this.cx, s);
            break;
          case "if": { const a = visit(s.then); const c = visit(s.else); l = a || c; break; }
          case "for": l = visit(s.body); break;
          case "loop": { const h = visit(s.header); const a = visit(s.body); const c = visit(s.update); l = h || a || c; break; }
          case "effect": case "throw": break; // forward-only (console calls, guards)
          case "assign": case "assign-elem": case "assign-at": case "push":
            throw new Error("internal: derivative statement in a primal function");
          default: assertNever(s);
        }
        if (l) this.live.add(s);
        any ||= l;
      }
      return any;
    };
    this.live.clear();
    visit(this.st.root);
  }

  /**
   * An array allocated once per iteration of the loop block it lives in, whose values the
   * reverse sweep reads: each iteration's array is a different object, which the tape keeps (by
   * reference) for the reverse of that iteration. What a later iteration writes goes to its own
   * array, so only the writes after a read within the same iteration can spoil it (checkKeptArray).
   */
  private keptByReference(v: string): boolean {
    const info = this.fn.vars.get(v)!;
    // (a restored array given new arrays is kept so too: its last one starts the reverse iteration)
    if (info.type !== "arr" || info.kind === "param" || this.recompute.has(v) || (this.restoredArrays.has(v) && this.reallocationsOf(v).length === 0)) return false;
    const home = this.st.home(v);
    if (home === this.st.root || !this.st.blocks.get(home)!.inLoop) return false;
    // (the name may be given new arrays within the iteration: the tape keeps the last one)
    const defs = this.st.defs(v);
    return defs.length >= 1 && defs[0]!.stmt.kind === "alloc" && defs[0]!.block === home && defs.slice(1).every((d) => this.isReallocation(d.stmt));
  }

  /** Needed variables whose home is a loop block, in order of first occurrence. */
  private keptByBlock(): Map<Block, string[]> {
    const out = new Map<Block, string[]>();
    for (const v of this.needed) {
      // (an active array given new arrays is kept so too: its adjoint starts as long as the last one)
      const byReference = this.cx.typeOf(v) === "arr" && this.keptByReference(v) && (this.elementReaders(v).length > 0 || (this.cx.isActive(v) && this.reallocationsOf(v).length > 0));
      if (!byReference && (this.fn.vars.get(v)!.kind === "param" || this.st.counters.has(v) || this.recompute.has(v) || this.cx.typeOf(v) === "arr" || this.cx.typeOf(v) === "list")) continue;
      const home = this.st.home(v);
      if (home === this.st.root || !this.st.blocks.get(home)!.inLoop) continue;
      const l = out.get(home);
      if (l) l.push(v);
      else out.set(home, [v]);
    }
    for (const l of out.values()) l.sort((a, c) => this.firstOrder.get(a)! - this.firstOrder.get(c)!);
    return out;
  }

  /** The steps of the reverse sweep that read elements of array `v` (reading its length never needs them). */
  private elementReaders(v: string): Stmt[] {
    // (nor does giving the name a new array, which reads the old one's length)
    return [...(this.readers.get(v) ?? [])].filter((rd) => !(rd.kind === "op" && ruleFor(rd.op)?.arrayArgument) && !this.isReallocation(rd));
  }

  /** Needed variables living in a block that runs at most once but is not the function body. */
  private hoisted(): string[] {
    const out: string[] = [];
    for (const v of this.needed) {
      const info = this.fn.vars.get(v)!;
      if (info.kind === "param" || this.st.counters.has(v)) continue;
      const home = this.st.home(v);
      if (home !== this.st.root && !this.st.blocks.get(home)!.inLoop) out.push(v);
    }
    return out.sort((a, c) => this.firstOrder.get(a)! - this.firstOrder.get(c)!);
  }
}
