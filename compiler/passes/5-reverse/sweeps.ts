/**
 * The two sweeps of a gradient function, emitted as IR from the function and its plan:
 *  - the forward sweep runs the primal computation, declares each value where it is first
 *    defined, saves what overwrites destroy, and pushes what loops keep;
 *  - the reverse sweep visits the steps last first, pops what was kept, recomputes cheap values,
 *    declares adjoints in the block mirroring their primal's home, runs each step's adjoint
 *    statements and restores saved values.
 * `primalProgram` is the forward sweep of an empty plan: the function itself with declarations.
 */
import {
  type Expr, type ForStmt, type LeafStmt, type LoopStmt, type Stmt, type StoreStmt, type Type, type Decl, type TapeType, type IfStmt,
  isVar, ref, num, bool, assertNever,
} from "../../ir/types.ts";
import { add, sub, mul, bin, apply, not } from "../../ir/expr.ts";
import { walk, defOf } from "../../ir/walk.ts";
import type { Block } from "../../ir/structure.ts";
import type { ReverseContext } from "./adjoints.ts";
import type { Plan, Save } from "./plan.ts";
import { isIntegral } from "./counters.ts";
import { ruleFor } from "../../rules/index.ts";
import { Checkpoints, isCheckpointed } from "./checkpoint.ts";
import { PerIterationLoops } from "./per-iteration.ts";
import { runningSelections, type RunningSelection } from "./selection.ts";

export const zeroOf = (t: Type): Expr => (t === "bool" ? bool(false) : num(0));
const tapeType = (t: Type): TapeType => (t === "bool" ? "bool" : t === "arr" ? "array" : "num");

/** An empty plan: what the forward sweep of a function without a reverse sweep needs. */
export function emptyPlan(): Plan {
  return {
    adjoints: new Map(), needed: new Set(), recompute: new Map(), late: new Map(), saves: new Map(), kept: new Map(),
    hoisted: [], live: new Set(), restored: new Set(), firstOrder: new Map(), restoredArrays: new Set(),
  };
}

export class Sweeps {
  /** Primal variables grouped by home block, in declaration order. */
  private byHome = new Map<Block, string[]>();

  /** Checkpointed loops (their own sweeps, checkpoint.ts). */
  private checkpoints: Checkpoints;

  /** Loops whose iterations meet only through a sum, reversed one iteration at a time (per-iteration.ts). */
  private perIteration: PerIterationLoops;

  /** Running selections `a = Math.max(a, e)`: one iteration reversed (selection.ts), with their `win` and `a`-before locals. */
  private selections: Map<ForStmt, RunningSelection>;
  private selectionLocals = new Map<ForStmt, { win: string; before: string; slots: [string, string][] }>();

  constructor(private cx: ReverseContext, private plan: Plan, readonly trips: Map<LoopStmt, string> = new Map()) {
    this.checkpoints = new Checkpoints(cx, plan, this, [...plan.live].some(isCheckpointed) ? new Sweeps(cx, emptyPlan()) : this);
    this.perIteration = new PerIterationLoops(cx, plan);
    this.selections = runningSelections(cx, plan, [cx.st.root, ...this.perIteration.bodies()]);
    const st = cx.st;
    for (const [v] of cx.fn.vars) {
      if (!st.occurrences.has(v)) continue;
      const h = st.home(v);
      const l = this.byHome.get(h);
      if (l) l.push(v);
      else this.byHome.set(h, [v]);
    }
  }

  private recomputedByHome: Map<Block, LeafStmt[]> | undefined;

  /** The steps recomputed at the start of reverse(b), in program order. */
  private recomputedIn(b: Block): LeafStmt[] {
    if (!this.recomputedByHome) {
      const st = this.cx.st;
      const order = (v: string) => st.order.get(st.defs(v)[0].stmt)!;
      const groups = new Map<Block, [number, LeafStmt][]>();
      const late = new Set([...this.plan.late.values()].flat());
      for (const [v, def] of this.plan.recompute) {
        if (late.has(def)) continue;
        const h = st.home(v);
        const l = groups.get(h);
        if (l) l.push([order(v), def]);
        else groups.set(h, [[order(v), def]]);
      }
      this.recomputedByHome = new Map([...groups].map(([h, l]) => [h, l.sort((a, c) => a[0] - c[0]).map(([, d]) => d)]));
    }
    return this.recomputedByHome.get(b) ?? [];
  }

  /** Variables declared in the function body, with the parameters, in declaration order. */
  private rootAndParams(): string[] {
    const out: string[] = [];
    for (const [v, info] of this.cx.fn.vars) if (info.kind === "param" || this.cx.st.home(v) === this.cx.st.root) out.push(v);
    return out;
  }

  private push(v: string, at: Stmt): Stmt {
    return { kind: "push", type: tapeType(this.cx.typeOf(v)), value: ref(v), key: v, loc: at.loc };
  }

  /** The tape key of the element a store into a restored array overwrites. */
  private elemKey(s: StoreStmt): string {
    return `${s.array}@${this.cx.st.order.get(s)}`;
  }

  private pop(v: string): Expr {
    const ints = this.cx.vars.get(v)?.ints;
    return { kind: "pop", type: tapeType(this.cx.typeOf(v)), key: v, ...(ints ? { ints } : {}) };
  }

  /** The value a saved step's target had before it: its slot, its pop, or the step undone. */
  private restore(sp: Save): Expr {
    switch (sp.kind) {
      case "slot": return ref(sp.slot!);
      case "tape": return this.pop(sp.v);
      case "invert": return sp.by! > 0 ? sub(ref(sp.v), num(sp.by!)) : add(ref(sp.v), num(-sp.by!));
      default: return assertNever(sp.kind);
    }
  }

  private isRestored(v: string): boolean {
    return this.plan.restored.has(v);
  }

  /** The declaration keyword of a value defined by its initializing step. */
  private declOf(v: string): Decl {
    return !this.cx.st.isMutable(v) && !this.isRestored(v) ? "const" : "let";
  }

  // ------------------------------------------------------------------ forward sweep

  /** `keep: false`: the block's kept values are not pushed (its reverse follows it in place, see reverse). */
  forward(b: Block, hoisted: Set<string>, keep = true): Stmt[] {
    const { st, fn } = this.cx;
    const out: Stmt[] = [];
    // variables whose home is this block but which are not declared by their first step
    for (const v of this.byHome.get(b) ?? []) {
      const info = fn.vars.get(v)!;
      if (info.kind === "param" || st.counters.has(v) || hoisted.has(v)) continue;
      if (!st.initializingDef(v)) out.push({ kind: "assign", target: v, op: "=", value: zeroOf(info.type), decl: "let", loc: fn.loc });
    }
    for (const s of b) {
      const sp = this.plan.saves.get(s);
      if (sp?.elem && s.kind === "store") out.push({ kind: "push", type: "num", value: { kind: "index", array: s.array, index: s.index }, key: this.elemKey(s), loc: s.loc });
      else if (sp?.kind === "slot") out.push({ kind: "assign", target: sp.slot!, op: "=", value: ref(sp.v), loc: s.loc });
      else if (sp?.kind === "tape") out.push(this.push(sp.v, s));
      switch (s.kind) {
        case "op": case "load": case "alloc": case "call": case "get": case "custom": {
          const v = s.target;
          if (v !== undefined && st.initializingDef(v) === s && !hoisted.has(v)) out.push({ ...s, decl: this.declOf(v) });
          else out.push(s);
          break;
        }
        case "store":
          out.push(s);
          break;
        case "if":
          out.push({ ...s, then: this.forward(s.then, hoisted), else: this.forward(s.else, hoisted) });
          break;
        case "for":
          if (this.checkpoints.handles(s)) out.push(...this.checkpoints.forward(s, b !== st.root && st.blocks.get(b)!.inLoop, b === st.root));
          else if (this.selections.has(s)) out.push(...this.selectionForward(s, hoisted));
          else if (this.perIteration.handles(s)) out.push(...this.perIteration.forward(s, this.forward(s.body, hoisted, false), this.reverse(s.body, true)));
          else out.push({ ...s, body: this.forward(s.body, hoisted) });
          break;
        case "loop": {
          if (this.checkpoints.handles(s)) {
            out.push(...this.checkpoints.forward(s, b !== st.root && st.blocks.get(b)!.inLoop, b === st.root));
            break;
          }
          const trips = this.trips.get(s);
          const header = this.forward(s.header, hoisted);
          const body = this.forward(s.body, hoisted);
          const update = this.forward(s.update, hoisted);
          const inLoop = b !== st.root && st.blocks.get(b)!.inLoop;
          // the reverse sweep reads the count outside this block unless it is the function body or a loop's
          if (trips && (b === st.root || inLoop)) out.push({ kind: "assign", target: trips, op: "=", value: num(0), decl: "let", loc: s.loc });
          const counted: Stmt[] = trips ? [{ kind: "assign", target: trips, op: "+=", value: num(1), loc: s.loc }, ...body] : body;
          out.push({ ...s, header, body: counted, update });
          if (trips && inLoop) out.push({ kind: "push", type: "int", value: ref(trips), loc: s.loc });
          break;
        }
        case "effect": case "throw":
          out.push(s); // forward-only: a console call or a guard runs in the forward sweep
          break;
        case "assign": case "assign-elem": case "assign-at": case "push":
          throw new Error("internal: derivative statement in a primal function");
        default:
          assertNever(s);
      }
    }
    if (keep) for (const v of this.plan.kept.get(b) ?? []) out.push(this.push(v, b[b.length - 1] ?? ({ loc: fn.loc } as Stmt)));
    return out;
  }

  /** A running selection's forward sweep: the loop, recording the counter of the last change instead of taping `a`. */
  private selectionForward(loop: ForStmt, hoisted: Set<string>): Stmt[] {
    const { cx } = this;
    const r = this.selections.get(loop)!;
    const win = cx.newVar("win", "num", "saved");
    const before = cx.newVar(`${r.acc}_before`, "num", "saved");
    // what the body keeps for its reverse, kept for the winning iteration only
    const slots: [string, string][] = (this.plan.kept.get(loop.body) ?? []).map((v) => [v, cx.newVar(`${v}_win`, cx.typeOf(v), "saved")]);
    this.selectionLocals.set(loop, { win, before, slots });
    const body = this.forward(loop.body, hoisted, false).filter((x) => !(x.kind === "push" && x.key === r.acc));
    const at = body.findIndex((x) => x.kind === "op" && x.op === "copy" && x.target === r.acc);
    if (at < 0) throw new Error(`internal: the running selection of '${r.acc}' lost its update`);
    const changed: IfStmt = { kind: "if", cond: apply("!==", ref(r.pick.target), ref(r.acc)), then: [{ kind: "assign", target: win, op: "=", value: ref(loop.counter), loc: r.copy.loc }], else: [], loc: r.copy.loc };
    body.splice(at, 0, changed);
    if (slots.length > 0) {
      const keep: Stmt[] = slots.map(([v, slot]) => ({ kind: "assign", target: slot, op: "=", value: ref(v), loc: r.copy.loc }));
      // values final where the change is recorded are kept there; else at the end of the iteration that changed `a`
      const later = new Set<string>();
      walk(body.slice(at + 1), (x) => { const d = defOf(x); if (d) later.add(d); });
      if (slots.every(([v]) => !later.has(v))) changed.then.push(...keep);
      else body.push({ kind: "if", cond: apply("===", ref(win), ref(loop.counter)), then: keep, else: [], loc: loop.loc });
    }
    return [
      { kind: "assign", target: before, op: "=", value: ref(r.acc), decl: "const", loc: loop.loc },
      { kind: "assign", target: win, op: "=", value: num(-1), decl: "let", loc: loop.loc },
      ...slots.map(([v, slot]): Stmt => ({ kind: "assign", target: slot, op: "=", value: cx.typeOf(v) === "arr" ? { kind: "new-array", size: num(0) } : num(0), decl: "let", loc: loop.loc })),
      { ...loop, body },
    ];
  }

  /**
   * A running selection's reverse sweep: the winning iteration's reverse only (`e`'s adjoint is
   * `a`'s when `e` equals the result), then `a` as it was before the loop.
   */
  private selectionReverse(loop: ForStmt): Stmt[] {
    const { cx } = this;
    const r = this.selections.get(loop)!;
    const { win, before, slots } = this.selectionLocals.get(loop)!;
    const e = r.pick.args[1]!;
    const once: Stmt[] = [{ kind: "assign", target: loop.counter, op: "=", value: ref(win), decl: "const", loc: loop.loc }];
    for (const [v, slot] of slots) once.push({ kind: "assign", target: v, op: "=", value: ref(slot), decl: "const", loc: loop.loc });
    for (const def of this.recomputedIn(loop.body)) once.push({ ...def, decl: "const" } as LeafStmt);
    once.push(...this.adjointDeclarations(loop.body));
    for (let i = loop.body.length - 1; i >= 0; i--) {
      const s = loop.body[i]!;
      if (s === r.pick) {
        if (isVar(e) && cx.isActive(e.name)) {
          const chosen = ruleFor(r.pick.op)!.selects!(e, ref(r.pick.target));
          once.push({ kind: "assign", target: cx.adjOf(e.name), op: "+=", value: mul(ref(cx.adjOf(r.pick.target)), chosen), loc: s.loc, note: s.loc });
        }
        continue;
      }
      if (s.kind === "for") {
        // a nested loop (it keeps nothing on the tape: selection.ts)
        const body = this.plan.live.has(s) ? this.reverse(s.body) : [];
        if (body.length > 0) once.push(this.reverseFor(s, body));
        continue;
      }
      if (s.kind === "if") {
        if (!this.plan.live.has(s)) continue;
        const t = this.reverse(s.then);
        const e2 = this.reverse(s.else);
        if (t.length > 0 || e2.length > 0) once.push(t.length === 0 ? { ...s, cond: not(s.cond), then: e2, else: [] } : { ...s, then: t, else: e2 });
        continue;
      }
      for (const def of this.plan.late.get(s) ?? []) once.push({ ...def, decl: "const" } as LeafStmt);
      for (const a of this.plan.adjoints.get(s) ?? []) once.push({ ...a, note: s.loc });
    }
    return [
      { kind: "if", cond: apply(">=", ref(win), num(0)), then: once, else: [], loc: loop.loc },
      { kind: "assign", target: r.acc, op: "=", value: ref(before), loc: loop.loc },
    ];
  }

  // ------------------------------------------------------------------ reverse sweep

  /** The reverse of a counted loop: the same counter values, last first. */
  private reverseFor(s: ForStmt, body: Stmt[]): ForStmt {
    const start = s.start;
    const end = s.end;
    const k = Math.abs(s.step);
    const up = s.step > 0;
    // number of steps after the first: J; last = start ± J·k
    const span = up ? sub(end, start) : sub(start, end);
    const strict = s.cmp === "<" || s.cmp === ">";
    const intEnd = isIntegral(this.cx, s.end) && isIntegral(this.cx, s.start);
    let J: Expr;
    if (k === 1) J = strict ? sub(intEnd ? span : apply("Math.ceil", span), num(1)) : (intEnd ? span : apply("Math.floor", span));
    else J = strict ? sub(apply("Math.ceil", bin("/", span, num(k))), num(1)) : apply("Math.floor", bin("/", span, num(k)));
    // unit steps over integers: the last counter value is the bound itself (or one short of it)
    const last = k === 1 && intEnd
      ? (strict ? (up ? sub(end, num(1)) : add(end, num(1))) : end)
      : up ? add(start, mul(J, num(k))) : sub(start, mul(J, num(k)));
    return { kind: "for", counter: s.counter, start: last, end: start, cmp: up ? ">=" : "<=", step: -s.step, body, loc: s.loc };
  }

  /** Declarations of the adjoints of the variables living in block `b` (the parameters' too, for the body). */
  private adjointDeclarations(b: Block): Stmt[] {
    const { st, fn, cx } = { st: this.cx.st, fn: this.cx.fn, cx: this.cx };
    const out: Stmt[] = [];
    const isRoot = b === st.root;
    for (const v of isRoot ? this.rootAndParams() : this.byHome.get(b) ?? []) {
      const info = fn.vars.get(v)!;
      if (!cx.isActive(v) || st.counters.has(v)) continue;
      if (info.kind === "param") {
        if (isRoot && info.type === "num") out.push({ kind: "assign", target: cx.adjOf(v), op: "=", value: num(0), decl: "let", loc: fn.loc });
        continue;
      }
      if (!st.occurrences.has(v) || st.home(v) !== b) continue;
      const def = st.defs(v)[0]?.stmt;
      if (def?.kind === "get" && info.type !== "num") {
        // an array or list of a list's element: its adjoint is the same field of the list's adjoint
        out.push({ kind: "assign", target: cx.adjOf(v), op: "=", value: { kind: "at", list: cx.adjOf(def.list), index: def.index, path: def.path }, decl: "const", loc: fn.loc });
      } else if (info.type === "num") out.push({ kind: "assign", target: cx.adjOf(v), op: "=", value: num(0), decl: "let", loc: fn.loc });
      else if (info.type === "arr") {
        const allocs = st.defs(v).filter((d) => d.stmt.kind === "alloc");
        const alloc = allocs[0]?.stmt;
        if (!alloc || alloc.kind !== "alloc") throw new Error(`internal: array ${v} has no allocation`);
        // a name given new arrays holds its last one here
        if (allocs.length > 1) out.push({ kind: "assign", target: cx.adjOf(v), op: "=", value: { kind: "new-array", size: apply("length", ref(v)) }, decl: "let", loc: fn.loc });
        else out.push({ kind: "assign", target: cx.adjOf(v), op: "=", value: { kind: "new-array", size: alloc.size }, decl: "const", loc: fn.loc });
      }
    }
    return out;
  }

  /**
   * `inPlace`: the block's reverse follows its forward sweep in the same scope (a loop reversed
   * per iteration), where its kept and recomputed values are still held by their variables.
   */
  reverse(b: Block, inPlace = false): Stmt[] {
    const { st, fn, cx } = { st: this.cx.st, fn: this.cx.fn, cx: this.cx };
    const out: Stmt[] = [];
    const isRoot = b === st.root;
    // values kept for this block
    const kept = inPlace ? [] : this.plan.kept.get(b) ?? [];
    for (let i = kept.length - 1; i >= 0; i--) {
      const v = kept[i];
      const mutable = st.isMutable(v) || this.isRestored(v);
      out.push({ kind: "assign", target: v, op: "=", value: this.pop(v), decl: mutable ? "let" : "const", loc: fn.loc });
    }
    if (!inPlace) for (const def of this.recomputedIn(b)) out.push({ ...def, decl: "const" } as LeafStmt);
    out.push(...this.checkpoints.declarations(b));
    out.push(...this.adjointDeclarations(b));
    if (isRoot && isVar(fn.result) && cx.isActive(fn.result.name)) {
      out.push({ kind: "assign", target: cx.adjOf(fn.result.name), op: "+=", value: num(1), comment: "seed: d(value)/d(value) = 1", loc: fn.loc });
    }
    for (let i = b.length - 1; i >= 0; i--) {
      const s = b[i];
      switch (s.kind) {
        case "op": case "load": case "store": case "alloc": case "call": case "get": case "custom": {
          // loads recomputed late (plan.ts, lateLoad); in place, their variables still hold them
          if (!inPlace) for (const def of this.plan.late.get(s) ?? []) out.push({ ...def, decl: "const" } as LeafStmt);
          for (const a of this.plan.adjoints.get(s) ?? []) out.push({ ...a, note: s.loc });
          const sp = this.plan.saves.get(s);
          if (sp?.elem && s.kind === "store") out.push({ kind: "assign-elem", array: s.array, index: s.index, op: "=", value: { kind: "pop", type: "num", key: this.elemKey(s) }, loc: s.loc });
          else if (sp) out.push({ kind: "assign", target: sp.v, op: "=", value: this.restore(sp), loc: s.loc, note: s.loc });
          // a name given a new array (a rebinding): its adjoint is the old array's again, from zero
          if (s.kind === "alloc" && sp && cx.isActive(s.target) && st.initializingDef(s.target) !== s) {
            out.push({ kind: "assign", target: cx.adjOf(s.target), op: "=", value: { kind: "new-array", size: apply("length", ref(s.target)) }, loc: s.loc });
          }
          break;
        }
        case "if": {
          if (!this.plan.live.has(s)) break;
          const t = this.reverse(s.then);
          const e = this.reverse(s.else);
          if (t.length === 0 && e.length === 0) break;
          out.push(t.length === 0 ? { ...s, cond: not(s.cond), then: e, else: [] } : { ...s, then: t, else: e });
          break;
        }
        case "for": {
          if (!this.plan.live.has(s)) break;
          if (this.checkpoints.handles(s)) {
            out.push(...this.checkpoints.reverse(s, b !== st.root && st.blocks.get(b)!.inLoop));
            break;
          }
          if (this.perIteration.handles(s)) {
            out.push(...this.perIteration.reverse(s));
            break;
          }
          if (this.selections.has(s)) {
            out.push(...this.selectionReverse(s));
            break;
          }
          const body = this.reverse(s.body);
          if (body.length > 0) out.push(this.reverseFor(s, body));
          break;
        }
        case "loop": {
          const trips = this.trips.get(s);
          if (!trips) break;
          if (this.checkpoints.handles(s)) {
            out.push(...this.checkpoints.reverse(s, b !== st.root && st.blocks.get(b)!.inLoop));
            break;
          }
          // a while loop evaluates its header once more than its body (the evaluation that exits):
          // that one is reversed first; then each trip reverses update, body and header
          const header = this.reverse(s.header);
          const body = s.doWhile
            ? [...header, ...this.reverse(s.update), ...this.reverse(s.body)]
            : [...this.reverse(s.update), ...this.reverse(s.body), ...(header.length ? this.reverse(s.header) : [])];
          const inLoop = b !== st.root && st.blocks.get(b)!.inLoop;
          if (!s.doWhile) out.push(...header);
          const j = cx.newVar("trip", "num", "counter");
          out.push({
            kind: "for", counter: j, start: inLoop ? { kind: "pop", type: "int" } : ref(trips), end: num(0), cmp: ">", step: -1, body, loc: s.loc,
          });
          break;
        }
        case "effect": case "throw":
          break;
        case "assign": case "assign-elem": case "assign-at": case "push":
          throw new Error("internal: derivative statement in a primal function");
        default:
          assertNever(s);
      }
    }
    return out;
  }
}
