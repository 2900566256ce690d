/**
 * Pass 4, reverse mode: the gradient function `<name>Grad`.
 *
 * In:  an IRFunction and its activity.
 * Out: a FunctionSpec whose body is a forward sweep (the primal computation, keeping what the
 *      reverse sweep needs) followed by a reverse sweep (adjoints, in reverse order).
 *
 * What the reverse sweep reads is kept, never recomputed:
 *  - values assigned once in straight-line code are `const`s the reverse sweep reads directly;
 *  - values assigned inside a branch that runs at most once are hoisted to the function body;
 *  - values assigned once per loop iteration are pushed at the end of the iteration and popped
 *    as `const`s at the start of the matching reverse iteration;
 *  - when a variable is overwritten and its old value is still needed, the old value is saved
 *    (in a local outside loops, on the tape inside them) and restored by the reverse sweep at
 *    the matching point.
 * Counted loops with invariant bounds run backwards; other loops count their trips. Adjoint
 * variables live in the reverse block mirroring their primal's home block; the simplifier then
 * turns a first `+=` into the declaration.
 */
import {
  type IRFunction, type Stmt, type Operand, type Type, isVar, usesOf, assertNever, ref,
} from "../../ir/types.ts";
import {
  type Expr, type Stmt as JsStmt, type FunctionSpec, type TypeSpec,
  n, r, call, idx, mul, add, sub, refsOf, member, bin,
} from "../../ast/js.ts";
import { ruleFor } from "../../rules/index.ts";
import { arrayRuleFor } from "../../rules/blas.ts";
import { DiagnosticError, Codes, diagnosticAtLoc } from "../../diagnostics.ts";
import { adjointName, gradFunctionName, vjpFunctionName, type Names } from "../../naming.ts";
import type { Activity } from "../3-activity/index.ts";
import { type Block, Structure } from "../structure.ts";
import { operandExpr, primalExpr, zeroOf, lineComment } from "../emit.ts";

export interface ReverseResult {
  spec: FunctionSpec;
  runtimeImports: Set<string>;
  /** Module-level declarations the function needs (its tape). */
  moduleStmts: JsStmt[];
  /** Adjoint variables, which the simplifier may fold, propagate and remove. */
  derived: Set<string>;
}

export function reverseMode(fn: IRFunction, activity: Activity, names: Names): ReverseResult {
  return new ReverseBuilder(fn, activity, names).build();
}

/** The primal computation alone, as output-language statements, and its result. */
export function primalBody(fn: IRFunction, activity: Activity, names: Names): { body: JsStmt[]; result: Expr } {
  return new ReverseBuilder(fn, activity, names).buildPrimal();
}

type SaveKind = "slot" | "tape";

class ReverseBuilder {
  private st: Structure;
  private adj = new Map<string, string>();
  private leafRev = new Map<Stmt, JsStmt[]>();
  /** var -> statements whose reverse code reads it */
  private readers = new Map<string, Set<Stmt>>();
  private needed = new Set<string>();
  private live = new Set<Stmt>();
  /** def statement -> variable whose old value is saved before it */
  private savePoints = new Map<Stmt, { v: string; kind: SaveKind; slot?: string }>();
  private tripCounters = new Map<Stmt, string>();
  /** Cheap values the reverse sweep recomputes at the start of a loop block instead of taping. */
  private recompute = new Map<string, Stmt>();
  private readOnlyArrays = new Set<string>();
  /** Synthetic reloads -> the store whose value they read back (where they read, for analysis). */
  private anchors = new Map<Stmt, Stmt>();
  private imports = new Set<string>();
  private tapeName: string;

  constructor(private fn: IRFunction, private act: Activity, private names: Names) {
    this.st = new Structure(fn);
    this.tapeName = names.fresh("tape");
  }

  private isActive(v: string): boolean {
    return this.act.active.has(v);
  }

  private adjOf(v: string): string {
    let a = this.adj.get(v);
    if (!a) this.adj.set(v, (a = this.names.fresh(adjointName(v))));
    return a;
  }

  private typeOf(v: string): Type {
    return this.fn.vars.get(v)!.type;
  }

  // ------------------------------------------------------------------ phase 1: adjoint statements

  private addReader(v: string, at: Stmt) {
    if (!this.fn.vars.has(v)) return;
    let s = this.readers.get(v);
    if (!s) this.readers.set(v, (s = new Set()));
    s.add(at);
  }

  private readsOf(stmts: JsStmt[], at: Stmt) {
    const visitExpr = (e: Expr) => {
      for (const v of refsOf(e)) this.addReader(v, at);
    };
    const visit = (s: JsStmt) => {
      switch (s.k) {
        case "decl": if (s.init) visitExpr(s.init); break;
        case "assign": visitExpr(s.target); visitExpr(s.value); break;
        case "expr": visitExpr(s.e); break;
        default: break;
      }
    };
    stmts.forEach(visit);
  }

  private adjointOfLeaf(s: Stmt): JsStmt[] {
    const out: JsStmt[] = [];
    switch (s.kind) {
      case "op": {
        if (!this.isActive(s.target)) return out;
        const rule = ruleFor(s.op)!;
        const args = s.args.map(operandExpr);
        // a piecewise-constant step (floor, sign, …) passes nothing back; a later update may
        // still make its target active, so only the adjoint's reset remains
        const partials = rule.partials ? rule.partials(args, r(s.target)) : args.map(() => n(0));
        const g = r(this.adjOf(s.target));
        const selfUpdate = s.args.some((a) => isVar(a) && a.name === s.target);
        if (selfUpdate && !((s.op === "+" || s.op === "-") && isVar(s.args[0]) && s.args[0].name === s.target && !(isVar(s.args[1]) && s.args[1].name === s.target))) {
          throw new Error(`internal: in-place update '${s.target} = ${s.op}(…)' must be s = s ± e`);
        }
        s.args.forEach((a, i) => {
          if (!isVar(a) || !this.isActive(a.name)) return;
          if (selfUpdate && a.name === s.target) return; // s = s ± x keeps d_s as it is
          out.push({ k: "assign", target: r(this.adjOf(a.name)), op: "+=", value: mul(g, partials[i]) });
        });
        if (!selfUpdate && this.needsReset(s.target, s)) out.push({ k: "assign", target: g, op: "=", value: n(0) });
        return out;
      }
      case "load": {
        if (!this.isActive(s.target)) return out;
        out.push({ k: "assign", target: idx(r(this.adjOf(s.array)), operandExpr(s.index)), op: "+=", value: r(this.adjOf(s.target)) });
        if (this.needsReset(s.target, s)) out.push({ k: "assign", target: r(this.adjOf(s.target)), op: "=", value: n(0) });
        return out;
      }
      case "store": {
        if (!this.isActive(s.array)) return out;
        const slot = idx(r(this.adjOf(s.array)), operandExpr(s.index));
        if (isVar(s.value) && this.isActive(s.value.name)) out.push({ k: "assign", target: r(this.adjOf(s.value.name)), op: "+=", value: slot });
        out.push({ k: "assign", target: slot, op: "=", value: n(0) });
        return out;
      }
      case "alloc":
        return out;
      case "call": {
        const rule = arrayRuleFor(s.fn)!;
        const written = rule.writes === "result" ? s.target! : (s.args[rule.writes] as { name: string }).name;
        if (!this.isActive(written)) return out;
        s.args.forEach((a, i) => {
          if (rule.signature[i] === "num" && isVar(a) && this.act.varied.has(a.name)) {
            throw new DiagnosticError(diagnosticAtLoc(Codes.UnsupportedSyntax, `Argument ${i + 1} of '${s.fn}' depends on a differentiated input, but BLAS calls are differentiated with respect to their arrays only: scale the array in a loop, or pass the scalar through an array.`, s.loc));
          }
        });
        const args = s.args.map(operandExpr);
        const d = s.args.map((a) => (isVar(a) && this.typeOf(a.name) === "arr" && this.isActive(a.name) ? r(this.adjOf(a.name)) : null));
        const g = s.target ? r(this.adjOf(s.target)) : null;
        out.push(...rule.adjoint(args, d, g));
        if (s.target && this.needsReset(s.target, s)) out.push({ k: "assign", target: r(this.adjOf(s.target)), op: "=", value: n(0) });
        return out;
      }
      default:
        throw new Error(`not a leaf: ${s.kind}`);
    }
  }

  /** A definition must clear the adjoint when the variable had an earlier value sharing it. */
  private needsReset(v: string, def: Stmt): boolean {
    return this.st.isMutable(v) && this.st.initializingDef(v) !== def;
  }

  // ------------------------------------------------------------------ phase 2: what to keep

  private analyze() {
    for (const s of this.st.allStatements()) {
      if (s.kind === "op" || s.kind === "load" || s.kind === "store" || s.kind === "alloc" || s.kind === "call") {
        const rev = this.adjointOfLeaf(s);
        this.leafRev.set(s, rev);
        this.readsOf(rev, s);
        if (s.kind === "alloc" && this.isActive(s.target) && isVar(s.size)) this.addReader(s.size.name, s);
      }
    }
    const written = new Set<string>();
    for (const s of this.st.allStatements()) {
      if (s.kind === "store") written.add(s.array);
      if (s.kind === "call") {
        const w = arrayRuleFor(s.fn)!.writes;
        if (w !== "result") written.add((s.args[w] as { name: string }).name);
      }
    }
    for (const p of this.fn.params) if (p.type === "arr" && !written.has(p.name)) this.readOnlyArrays.add(p.name);
    // Fixed point: live regions read their controls; needed values create save points.
    for (;;) {
      this.needed = new Set([...this.readers.keys()].filter((v) => !this.st.counters.has(v)));
      this.computeRecompute();
      this.computeSavePoints();
      const before = this.live.size;
      this.computeLive();
      if (this.live.size < before) throw new Error("internal: live set shrank");
      for (const s of this.live) {
        if (s.kind === "if" && isVar(s.cond)) this.addReader(s.cond.name, s);
        if (s.kind === "for") for (const o of [s.start, s.end]) if (isVar(o)) this.addReader(o.name, s);
      }
      const neededSize = [...this.readers.keys()].filter((v) => !this.st.counters.has(v)).length;
      if (this.live.size === before && neededSize === this.needed.size) break;
    }
    for (const v of this.needed) if (this.typeOf(v) === "arr") this.checkKeptArray(v);
  }

  /** Cheap primitives worth recomputing rather than storing. */
  private static CHEAP = new Set(["+", "-", "*", "/", "%", "neg", "pos", "copy", "length", "<", "<=", ">", ">=", "===", "!==", "==", "!=", "&&", "||", "!",
    "Math.floor", "Math.ceil", "Math.round", "Math.trunc", "Math.abs", "Math.sign", "Math.min", "Math.max"]);

  private computeRecompute() {
    for (let changed = true; changed; ) {
      changed = false;
      for (const v of this.needed) {
        if (this.recompute.has(v)) continue;
        const s = this.recomputable(v);
        if (!s) continue;
        this.acceptRecompute(v, s);
        changed = true;
      }
      this.needed = new Set([...this.readers.keys()].filter((v) => !this.st.counters.has(v)));
    }
  }

  /** Commits a recomputation, and those of the cheap operands it relies on. */
  private acceptRecompute(v: string, s: Stmt) {
    this.recompute.set(v, s);
    for (const u of usesOf(s)) {
      if (!isVar(u)) continue;
      this.addReader(u.name, this.anchors.get(s) ?? s);
      if (this.typeOf(u.name) === "arr" || this.recompute.has(u.name) || this.st.home(u.name) !== this.st.home(v)) continue;
      const r = this.recomputable(u.name);
      if (r) this.acceptRecompute(u.name, r);
    }
  }

  /** The defining step of `v` when the reverse sweep can cheaply recompute it at its block start. */
  private recomputable(v: string): Stmt | undefined {
    const info = this.fn.vars.get(v)!;
    if (info.kind === "param" || info.type === "arr" || this.st.counters.has(v) || this.st.isMutable(v)) return undefined;
    const home = this.st.home(v);
    if (home === this.st.root || !this.st.blocks.get(home)!.inLoop) return undefined;
    const defs = this.st.defs(v);
    if (defs.length !== 1 || defs[0].block !== home) return undefined;
    const s = defs[0].stmt;
    const operandsAvailable = (step: Stmt) => {
      const order = this.st.order.get(step)!;
      return usesOf(step).every((u) => !isVar(u) || this.typeOf(u.name) === "arr" || this.availableAt(u.name, home, order));
    };
    if (s.kind === "load" && this.stableAfter(s.array, s) && operandsAvailable(s)) return s;
    if (s.kind === "op" && ReverseBuilder.CHEAP.has(s.op) && operandsAvailable(s)) return s;
    // a value copied into a variable as that variable's last assignment in this block: when the
    // reverse block starts, the variable still holds it (`a = Math.max(a, x[i])`, `x = x * r`)
    const defOrder = this.st.order.get(s)!;
    for (const st of home) {
      if (st.kind !== "op" || st.op !== "copy" || !isVar(st.args[0]) || st.args[0].name !== v) continue;
      const u = st.target;
      const at = this.st.order.get(st)!;
      if (at < defOrder || this.typeOf(u) === "arr" || this.st.counters.has(u)) continue;
      if (this.st.defs(u).some((d) => d.order > at && this.st.isWithin(d.block, home))) continue;
      const copy: Stmt = { kind: "op", target: v, op: "copy", args: [ref(u)], loc: st.loc };
      this.anchors.set(copy, st);
      return copy;
    }
    // an expensive value stored into an array nothing overwrites afterwards: reload it from there
    for (const st of home) {
      if (st.kind === "store" && isVar(st.value) && st.value.name === v && this.stableAfter(st.array, st) && operandsAvailable(st)) {
        const reload: Stmt = { kind: "load", target: v, array: st.array, index: st.index, loc: st.loc };
        this.anchors.set(reload, st);
        return reload;
      }
    }
    return undefined;
  }

  /** Program position of a recomputed value's definition (recomputations replay in this order). */
  private recomputeOrder(v: string): number {
    return this.st.order.get(this.st.defs(v)[0].stmt)!;
  }

  /** Whether nothing writes array `a` after step `at` (in program order or a later iteration). */
  private stableAfter(a: string, at: Stmt): boolean {
    if (this.readOnlyArrays.has(a)) return true;
    const home = this.st.home(a);
    const atLoops = this.st.loopsBetween(this.st.blockOf.get(at)!, home);
    const order = this.st.order.get(at)!;
    for (const w of this.arrayWrites(a)) {
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

  private arrayWrites(a: string): Stmt[] {
    return this.st.allStatements().filter((s) =>
      (s.kind === "store" && s.array === a) ||
      (s.kind === "call" && arrayRuleFor(s.fn)!.writes !== "result" && (s.args[arrayRuleFor(s.fn)!.writes as number] as { name: string }).name === a));
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
      // recomputed earlier in the same block, or kept (popped) for it
      // recomputed (or recomputable, committed along with its user) earlier in the same block
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
    const home = this.st.home(v);
    if (home !== this.st.root && this.st.blocks.get(home)!.inLoop) {
      const rd = [...(this.readers.get(v) ?? [])][0];
      throw new DiagnosticError(diagnosticAtLoc(Codes.UnsupportedSyntax, `The gradient needs the values of '${v}' read here, but '${v}' is allocated inside a loop: allocate it once before the loop.`, rd.loc));
    }
    const writes = this.arrayWrites(v);
    for (const rd of this.readers.get(v) ?? []) {
      const ro = this.st.order.get(rd)!;
      const rLoops = this.st.loopsBetween(this.st.blockOf.get(rd)!, home);
      for (const w of writes) {
        if (w === rd) continue;
        const later = this.st.order.get(w)! > ro || this.st.loopsBetween(this.st.blockOf.get(w)!, home).some((l) => rLoops.includes(l));
        if (later) {
          throw new DiagnosticError(diagnosticAtLoc(Codes.UnsupportedSyntax, `'${v}' is overwritten here after '${rd.kind === "call" ? rd.fn : "a step"}' (line ${rd.loc.line}) read it, but the gradient needs the values it read: write the new values into a separate array.`, w.loc));
        }
      }
    }
  }

  private computeSavePoints() {
    this.savePoints.clear();
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
        const kind: SaveKind = this.st.blocks.get(d.block)!.inLoop ? "tape" : "slot";
        this.savePoints.set(d.stmt, { v, kind });
      }
    }
  }

  /** Statements whose reverse is non-empty: adjoint code, restores, or popping kept values. */
  private computeLive() {
    const visit = (b: Block): boolean => {
      let any = this.keptInBlock(b).length > 0;
      for (const s of b) {
        let l = false;
        switch (s.kind) {
          case "op": case "load": case "store": case "alloc": case "call":
            l = (this.leafRev.get(s)?.length ?? 0) > 0 || this.savePoints.has(s)
              || (s.kind === "alloc" && this.isActive(s.target));
            break;
          case "if": { const a = visit(s.then); const c = visit(s.else); l = a || c; break; }
          case "for": l = visit(s.body); break;
          case "loop": { visit(s.header); const a = visit(s.body); const c = visit(s.update); l = a || c; break; }
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

  /** Needed variables whose home is loop block `b`: pushed at its end, popped at its reverse start. */
  private keptInBlock(b: Block): string[] {
    if (b === this.st.root || !this.st.blocks.get(b)!.inLoop) return [];
    const out: string[] = [];
    for (const v of this.needed) {
      if (this.fn.vars.get(v)!.kind === "param" || this.st.counters.has(v) || this.recompute.has(v) || this.typeOf(v) === "arr") continue;
      if (this.st.home(v) === b) out.push(v);
    }
    return out.sort((a, c) => this.firstOrder(a) - this.firstOrder(c));
  }

  private firstOrder(v: string): number {
    return Math.min(...(this.st.occurrences.get(v) ?? []).map((o) => o.order));
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
    return out.sort((a, c) => this.firstOrder(a) - this.firstOrder(c));
  }

  // ------------------------------------------------------------------ assembly

  buildPrimal(): { body: JsStmt[]; result: Expr } {
    return { body: this.forward(this.st.root, new Set()), result: operandExpr(this.fn.result) };
  }

  build(): ReverseResult {
    this.analyze();
    const fn = this.fn;
    const hoisted = new Set(this.hoisted());
    for (const sp of this.savePoints.values()) if (sp.kind === "slot") sp.slot = this.names.fresh(`${sp.v}_old`);
    for (const s of this.live) if (s.kind === "loop") this.tripCounters.set(s, this.names.fresh("trips"));

    const body: JsStmt[] = [];
    // declarations of hoisted values and save slots
    for (const v of hoisted) {
      const arr = this.typeOf(v) === "arr";
      body.push({ k: "decl", kw: "let", name: v, init: arr ? { k: "new", ctor: "Float64Array", args: [n(0)] } : zeroOf(this.typeOf(v)) });
    }
    for (const sp of this.savePoints.values()) if (sp.slot) body.push({ k: "decl", kw: "let", name: sp.slot, init: zeroOf(this.typeOf(sp.v)) });
    for (const [loop, trips] of this.tripCounters) {
      const b = this.st.blockOf.get(loop)!;
      if (b !== this.st.root && !this.st.blocks.get(b)!.inLoop) body.push({ k: "decl", kw: "let", name: trips, init: n(0) });
    }
    const moduleStmts: JsStmt[] = [];
    if (this.usesTape()) {
      this.imports.add("Tape");
      const shared = this.names.fresh(`${fn.name}Tape`);
      moduleStmts.push({ k: "decl", kw: "const", name: shared, init: { k: "new", ctor: "Tape", args: [] } });
      body.push({ k: "decl", kw: "const", name: this.tapeName, init: call(`${shared}.begin`) });
    }
    body.push(...this.forward(this.st.root, hoisted));

    const vector = fn.outputs.length > 0;
    // the value, before the reverse sweep restores anything
    let value: Expr = operandExpr(fn.result);
    if (isVar(fn.result) && this.isRestored(fn.result.name)) {
      const vname = this.names.fresh("value");
      body.push({ k: "decl", kw: "const", name: vname, init: value });
      value = r(vname);
    }

    // gradient buffers and the seed
    const cotName = vector ? this.names.fresh("cotangents") : "";
    const outName = this.names.fresh("out");
    const arrayWrt = fn.params.filter((p) => p.type === "arr" && fn.wrt.includes(p.name));
    const rev: JsStmt[] = [];
    for (const o of fn.outputs) {
      if (!this.isActive(o)) continue;
      this.imports.add("seedCotangent");
      rev.push({ k: "decl", kw: "const", name: this.adjOf(o), init: call("seedCotangent", member(r(o), "length"), { k: "member", obj: r(cotName), prop: o }) });
    }
    const gradFields: [string, Expr][] = [];
    for (const p of fn.params) {
      if (!fn.wrt.includes(p.name)) continue;
      if (p.type === "arr") {
        this.imports.add("zeros");
        const buf = call("zeros", member(r(p.name), "length"), { k: "member", obj: r(outName), prop: p.name, optional: true });
        if (this.isActive(p.name)) {
          rev.push({ k: "decl", kw: "const", name: this.adjOf(p.name), init: buf });
          gradFields.push([p.name, r(this.adjOf(p.name))]);
        } else {
          gradFields.push([p.name, buf]);
        }
      } else {
        gradFields.push([p.name, this.isActive(p.name) ? r(this.adjOf(p.name)) : n(0)]);
      }
    }
    rev.push(...this.reverse(this.st.root));
    body.push(...rev);
    const gradObj: Expr = { k: "object", props: gradFields };
    body.push({ k: "return", e: { k: "object", props: vector ? [["grad", gradObj]] : [["value", value], ["grad", gradObj]] } });

    const gradType: TypeSpec = {
      k: "object",
      props: fn.params.filter((p) => fn.wrt.includes(p.name)).map((p) => ({ name: p.name, type: tsType(p.type) })),
    };
    const params: FunctionSpec["params"] = fn.params.map((p) => ({ name: p.name, type: tsType(p.type) }));
    if (vector) {
      params.push({ name: cotName, type: { k: "object", props: fn.outputs.map((o) => ({ name: o, type: { k: "Float64Array" } as TypeSpec, optional: true })) } });
    }
    if (arrayWrt.length > 0) {
      params.push({
        name: outName,
        optional: true,
        type: { k: "object", props: arrayWrt.map((p) => ({ name: p.name, type: { k: "Float64Array" } as TypeSpec, optional: true })) },
      });
    }
    const wrtText = fn.wrt.length ? fn.wrt.map((w) => `\`${w}\``).join(", ") : "nothing";
    return {
      spec: {
        name: vector ? vjpFunctionName(fn.name) : gradFunctionName(fn.name),
        params,
        returnType: { k: "object", props: vector ? [{ name: "grad", type: gradType }] : [{ name: "value", type: { k: "number" } }, { name: "grad", type: gradType }] },
        body,
        doc: (vector
          ? `Runs \`${fn.name}\` (writing ${fn.outputs.map((o) => `\`${o}\``).join(", ")}) and returns the vector-Jacobian product: the gradient with respect to ${wrtText} of ⟨${cotName}, outputs⟩ (reverse mode).`
          : `Value and gradient of \`${fn.name}\` with respect to ${wrtText} (reverse mode).`) +
          (arrayWrt.length ? `\nArrays passed in \`${outName}\` receive the array gradients (overwritten) and are returned.` : ""),
      },
      runtimeImports: this.imports,
      moduleStmts,
      derived: new Set(this.adj.values()),
    };
  }

  private usesTape(): boolean {
    if ([...this.savePoints.values()].some((s) => s.kind === "tape")) return true;
    for (const b of this.st.blocks.keys()) if (this.keptInBlock(b).length > 0) return true;
    for (const s of this.tripCounters.keys()) if (this.st.blocks.get(this.st.blockOf.get(s)!)!.inLoop) return true;
    return false;
  }

  private isRestored(v: string): boolean {
    for (const sp of this.savePoints.values()) if (sp.v === v) return true;
    return false;
  }

  private push(v: string): JsStmt {
    const t = this.typeOf(v);
    return { k: "expr", e: call(`${this.tapeName}.${t === "bool" ? "pushB" : "pushF"}`, r(v)) };
  }

  private pop(t: Type): Expr {
    return call(`${this.tapeName}.${t === "bool" ? "popB" : "popF"}`);
  }

  /** How and where each variable is declared in the forward sweep. */
  private declaredAtDef(v: string, s: Stmt): boolean {
    return this.st.initializingDef(v) === s;
  }

  private forward(b: Block, hoisted: Set<string>): JsStmt[] {
    const out: JsStmt[] = [];
    // variables whose home is this block but which are not declared by their first step
    for (const [v, info] of this.fn.vars) {
      if (info.kind === "param" || this.st.counters.has(v) || hoisted.has(v)) continue;
      if (!this.st.occurrences.has(v)) continue;
      if (this.st.home(v) !== b) continue;
      const init = this.st.initializingDef(v);
      if (!init) out.push({ k: "decl", kw: "let", name: v, init: zeroOf(info.type) });
    }
    for (const s of b) {
      const sp = this.savePoints.get(s);
      if (sp) {
        out.push(sp.kind === "slot" ? { k: "assign", target: r(sp.slot!), op: "=", value: r(sp.v) } : this.push(sp.v));
      }
      switch (s.kind) {
        case "op": case "load": case "alloc": {
          const v = s.target;
          const rhs = primalExpr(s);
          if (this.declaredAtDef(v, s) && !hoisted.has(v)) {
            const constant = !this.st.isMutable(v) && !this.isRestored(v);
            out.push({ k: "decl", kw: constant ? "const" : "let", name: v, init: rhs });
          } else {
            out.push({ k: "assign", target: r(v), op: "=", value: rhs });
          }
          break;
        }
        case "store":
          out.push({ k: "assign", target: idx(r(s.array), operandExpr(s.index)), op: "=", value: operandExpr(s.value) });
          break;
        case "call":
          if (s.target) {
            const v = s.target;
            if (this.declaredAtDef(v, s) && !hoisted.has(v)) {
              const constant = !this.st.isMutable(v) && !this.isRestored(v);
              out.push({ k: "decl", kw: constant ? "const" : "let", name: v, init: primalExpr(s) });
            } else out.push({ k: "assign", target: r(v), op: "=", value: primalExpr(s) });
          } else {
            out.push({ k: "expr", e: primalExpr(s) });
          }
          break;
        case "if":
          out.push({ k: "if", c: operandExpr(s.cond), then: this.forward(s.then, hoisted), else: this.forward(s.else, hoisted) });
          break;
        case "for":
          out.push(this.forLoop(s, this.forward(s.body, hoisted)));
          break;
        case "loop": {
          const trips = this.tripCounters.get(s);
          const inner: JsStmt[] = [];
          const header = this.forward(s.header, hoisted);
          const body = this.forward(s.body, hoisted);
          const update = this.forward(s.update, hoisted);
          if (trips) inner.push({ k: "assign", target: r(trips), op: "+=", value: n(1) });
          inner.push(...body, ...update);
          // the reverse sweep reads the count outside this block unless it is the function body or a loop's
          if (trips && (b === this.st.root || this.st.blocks.get(b)!.inLoop)) out.push({ k: "decl", kw: "let", name: trips, init: n(0) });
          const cond = operandExpr(s.cond);
          if (s.doWhile) {
            out.push({ k: "while", test: header.length ? { k: "bool", v: true } : cond, doWhile: header.length === 0, body: header.length ? [...inner, ...header, { k: "if", c: { k: "un", op: "!", a: cond }, then: [{ k: "break" }], else: [] }] : inner });
          } else if (header.length === 0) {
            out.push({ k: "while", test: cond, body: inner });
          } else {
            out.push({ k: "while", test: { k: "bool", v: true }, body: [...header, { k: "if", c: { k: "un", op: "!", a: cond }, then: [{ k: "break" }], else: [] }, ...inner] });
          }
          if (trips && this.st.blocks.get(b)!.inLoop) out.push({ k: "expr", e: call(`${this.tapeName}.pushI`, r(trips)) });
          break;
        }
        default:
          assertNever(s);
      }
    }
    for (const v of this.keptInBlock(b)) out.push(this.push(v));
    return out;
  }

  private forLoop(s: Extract<Stmt, { kind: "for" }>, body: JsStmt[]): JsStmt {
    const i = s.counter;
    const update: JsStmt = s.step === 1 || s.step === -1
      ? { k: "expr", e: { k: "inc", name: i, op: s.step === 1 ? "++" : "--" } }
      : { k: "assign", target: r(i), op: s.step > 0 ? "+=" : "-=", value: n(Math.abs(s.step)) };
    return {
      k: "for",
      init: { k: "decl", kw: "let", name: i, init: operandExpr(s.start) },
      test: bin(s.cmp, r(i), operandExpr(s.end)),
      update,
      body,
    };
  }

  /** The reverse of a counted loop: the same counter values, last first. */
  private reverseFor(s: Extract<Stmt, { kind: "for" }>, body: JsStmt[]): JsStmt {
    const i = s.counter;
    const start = operandExpr(s.start);
    const end = operandExpr(s.end);
    const k = Math.abs(s.step);
    const up = s.step > 0;
    // number of steps after the first: J; last = start ± J·k
    const span = up ? sub(end, start) : sub(start, end);
    const strict = s.cmp === "<" || s.cmp === ">";
    const intEnd = this.isIntegral(s.end) && this.isIntegral(s.start);
    let J: Expr;
    if (k === 1) J = strict ? sub(intEnd ? span : call("Math.ceil", span), n(1)) : (intEnd ? span : call("Math.floor", span));
    else J = strict ? sub(call("Math.ceil", bin("/", span, n(k))), n(1)) : call("Math.floor", bin("/", span, n(k)));
    // unit steps over integers: the last counter value is the bound itself (or one short of it)
    const last = k === 1 && intEnd
      ? (strict ? (up ? sub(end, n(1)) : add(end, n(1))) : end)
      : up ? add(start, mul(J, n(k))) : sub(start, mul(J, n(k)));
    const update: JsStmt = k === 1
      ? { k: "expr", e: { k: "inc", name: i, op: up ? "--" : "++" } }
      : { k: "assign", target: r(i), op: up ? "-=" : "+=", value: n(k) };
    return {
      k: "for",
      init: { k: "decl", kw: "let", name: i, init: last },
      test: bin(up ? ">=" : "<=", r(i), start),
      update,
      body,
    };
  }

  /** Conservative: integer constants, array lengths, and integer arithmetic on them. */
  private isIntegral(o: Operand, depth = 0): boolean {
    if (!isVar(o)) return typeof o.value === "number" && Number.isInteger(o.value);
    if (depth > 8) return false;
    const defs = this.st.defs(o.name);
    if (defs.length !== 1) return false;
    const s = defs[0].stmt;
    if (s.kind !== "op") return false;
    if (s.op === "length") return true;
    if (["+", "-", "*", "Math.floor", "Math.ceil", "Math.round", "Math.trunc", "copy", "neg"].includes(s.op)) {
      return s.args.every((a) => this.isIntegral(a, depth + 1));
    }
    return false;
  }

  private reverse(b: Block): JsStmt[] {
    const out: JsStmt[] = [];
    const isRoot = b === this.st.root;
    // values kept for this block
    const kept = this.keptInBlock(b);
    for (let i = kept.length - 1; i >= 0; i--) {
      const v = kept[i];
      const mutable = this.st.isMutable(v) || this.isRestored(v);
      out.push({ k: "decl", kw: mutable ? "let" : "const", name: v, init: this.pop(this.typeOf(v)) });
    }
    const recomputed = [...this.recompute.entries()].filter(([v]) => this.st.home(v) === b)
      .sort((a, c) => this.recomputeOrder(a[0]) - this.recomputeOrder(c[0]));
    for (const [v, def] of recomputed) out.push({ k: "decl", kw: "const", name: v, init: primalExpr(def) });
    // adjoints of variables living here
    for (const [v, info] of this.fn.vars) {
      if (!this.isActive(v) || this.st.counters.has(v)) continue;
      if (info.kind === "param") {
        if (isRoot && info.type === "num") out.push({ k: "decl", kw: "let", name: this.adjOf(v), init: n(0) });
        continue;
      }
      if (!this.st.occurrences.has(v) || this.st.home(v) !== b) continue;
      if (info.type === "num") out.push({ k: "decl", kw: "let", name: this.adjOf(v), init: n(0) });
      else if (info.type === "arr") {
        const alloc = this.st.defs(v).find((d) => d.stmt.kind === "alloc")?.stmt;
        if (!alloc || alloc.kind !== "alloc") throw new Error(`internal: array ${v} has no allocation`);
        out.push({ k: "decl", kw: "const", name: this.adjOf(v), init: { k: "new", ctor: "Float64Array", args: [operandExpr(alloc.size)] } });
      }
    }
    if (isRoot && isVar(this.fn.result) && this.isActive(this.fn.result.name)) {
      out.push({ k: "assign", target: r(this.adjOf(this.fn.result.name)), op: "+=", value: n(1), comment: "seed: d(value)/d(value) = 1" });
    }
    let lastLine = -1;
    for (let i = b.length - 1; i >= 0; i--) {
      const s = b[i];
      const start = out.length;
      switch (s.kind) {
        case "op": case "load": case "store": case "alloc": case "call": {
          out.push(...(this.leafRev.get(s) ?? []));
          const sp = this.savePoints.get(s);
          if (sp) out.push({ k: "assign", target: r(sp.v), op: "=", value: sp.kind === "slot" ? r(sp.slot!) : this.pop(this.typeOf(sp.v)) });
          break;
        }
        case "if": {
          if (!this.live.has(s)) break;
          const t = this.reverse(s.then);
          const e = this.reverse(s.else);
          if (t.length === 0 && e.length === 0) break;
          const c = operandExpr(s.cond);
          out.push(t.length === 0 ? { k: "if", c: { k: "un", op: "!", a: c }, then: e, else: [] } : { k: "if", c, then: t, else: e });
          break;
        }
        case "for": {
          if (!this.live.has(s)) break;
          const body = this.reverse(s.body);
          if (body.length > 0) out.push(this.reverseFor(s, body));
          break;
        }
        case "loop": {
          const trips = this.tripCounters.get(s);
          if (!trips) break;
          const body = [...this.reverse(s.update), ...this.reverse(s.body)];
          const inLoop = this.st.blocks.get(b)!.inLoop;
          const j = this.names.fresh("trip");
          out.push({
            k: "for",
            init: { k: "decl", kw: "let", name: j, init: inLoop ? call(`${this.tapeName}.popI`) : r(trips) },
            test: bin(">", r(j), n(0)),
            update: { k: "expr", e: { k: "inc", name: j, op: "--" } },
            body,
          });
          break;
        }
        default:
          assertNever(s);
      }
      const leaf = s.kind === "op" || s.kind === "load" || s.kind === "store" || s.kind === "call";
      if (out.length > start && s.loc.line !== lastLine && leaf) {
        out[start] = { ...out[start], comment: lineComment(s, this.fn.file) } as JsStmt;
        lastLine = s.loc.line;
      } else if (out.length > start && !leaf) {
        lastLine = -1;
      }
    }
    return out;
  }
}

export function tsType(t: Type): TypeSpec {
  return t === "arr" ? { k: "Float64Array" } : t === "bool" ? { k: "boolean" } : { k: "number" };
}

