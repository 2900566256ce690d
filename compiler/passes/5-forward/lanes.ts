/**
 * Lanes: a generated function's derivative computation carried for several seeds at once, IR → IR
 * (vector mode; the dense Jacobian of vector.ts is its user).
 *
 * In:  the body of a generated function (a Vjp, Grad or Jvp, before simplification) with its
 *      variables, a number of lanes L, and the derivative arrays to hold in scalars: arrays whose
 *      every element access has a constant index, each with its length and the initial value of
 *      each element in each lane (the seeds).
 * Out: the body with every derivative statement repeated L times, the copy of lane k reading and
 *      writing lane k's variables (`d_x$k`); each element of a scalarized array is a variable
 *      per lane (`d_cam_3$k`) whose declaration replaces the array's; primal statements once.
 *      Lane variables known to hold a constant are then propagated (`0 · x` folds away, `d += 0`
 *      disappears), so the seeds' zeros cost nothing.
 * Holds: derivative code is linear in derivative values and its control flow depends on primal
 *      values only, so lane k computes exactly what the function computes for seed k. Whatever
 *      does not fit throws NotVectorizable (a derivative value on the tape, in a condition or
 *      stored into a primal array; a scalarized array read other than at a constant index), and
 *      the caller keeps its sweep-per-seed code.
 */
import { type Expr, type Stmt, type VarInfo, ref, num, assertNever } from "../../ir/types.ts";
import { add, neg, refold } from "../../ir/expr.ts";
import { childBlocks, defOf, mapBlocks, mapExprs, mapSubExprs, someExpr, substituteVars, usesOf, varsOf, walk } from "../../ir/walk.ts";
import { arrayRuleFor } from "../../rules/blas.ts";
import { elementName, laneName, type Names } from "../../naming.ts";

/** A construct lanes cannot carry: the caller falls back to one sweep per seed. */
export class NotVectorizable extends Error {}

/** A derivative array held in scalar variables, one per element and lane. */
export interface Scalarized {
  length: number;
  /** The initial value of element `i` in lane `k`. */
  seed: (i: number, k: number) => number;
}

const DERIVED = new Set<VarInfo["kind"]>(["adjoint", "tangent"]);

export class Lanes {
  /** Variables with one copy per lane. */
  private lane = new Set<string>();
  private laneNames = new Map<string, string[]>();
  private elementNames = new Map<string, string[][]>();
  /** Every lane copy and element variable made. */
  private copies = new Set<string>();

  /**
   * `scalarized`: derivative arrays held in scalars (their declarations become the elements'
   * seeds); `seeds`: statements declaring a derivative number whose copy in lane k is
   * `v$k = seed(k)` instead (a Jvp's direction).
   */
  constructor(
    private vars: Map<string, VarInfo>,
    private names: Names,
    readonly count: number,
    private scalarized: Map<string, Scalarized>,
    private seeded: Map<Stmt, (k: number) => number> = new Map(),
  ) {}

  /** Lane k's copy of a variable. */
  of(v: string, k: number): string {
    let l = this.laneNames.get(v);
    if (!l) {
      const info = this.vars.get(v);
      l = Array.from({ length: this.count }, (_, j) => {
        const name = this.names.fresh(laneName(v, j));
        if (info) this.vars.set(name, { ...info, name });
        this.copies.add(name);
        return name;
      });
      this.laneNames.set(v, l);
    }
    return l[k]!;
  }

  /** Lane k's variable for element i of a scalarized array. */
  element(a: string, i: number, k: number): string {
    const s = this.scalarized.get(a)!;
    if (!Number.isInteger(i) || i < 0 || i >= s.length) throw new NotVectorizable(`element ${i} of ${a}`);
    let l = this.elementNames.get(a);
    if (!l) {
      const kind = this.vars.get(a)?.kind ?? "adjoint";
      l = Array.from({ length: s.length }, (_, e) => Array.from({ length: this.count }, (_, j) => {
        const name = this.names.fresh(laneName(elementName(a, e), j));
        this.vars.set(name, { name, type: "num", kind });
        this.copies.add(name);
        return name;
      }));
      this.elementNames.set(a, l);
    }
    return l[i]![k]!;
  }

  /** The body carried in lanes (then `propagateConstants` with `isLane`). */
  body(body: Stmt[]): Stmt[] {
    for (const [v, info] of this.vars) if (DERIVED.has(info.kind) && !this.scalarized.has(v)) this.lane.add(v);
    // what derivative values flow into is per lane too (a pullback's result record)
    for (let changed = true; changed;) {
      changed = false;
      walk(body, (s) => {
        const d = defOf(s);
        if (d === undefined || this.lane.has(d) || this.scalarized.has(d) || this.isPrimal(d) || !this.readsLanes(s)) return;
        this.lane.add(d);
        changed = true;
      });
    }
    return this.block(body);
  }

  /** Whether a variable is a lane's copy (or an element's). */
  isLane(v: string): boolean {
    return this.copies.has(v);
  }

  /** A variable of the primal computation (its value is the same in every lane). */
  private isPrimal(v: string): boolean {
    const info = this.vars.get(v);
    return info !== undefined && !DERIVED.has(info.kind);
  }

  private isLaneName(v: string): boolean {
    return this.lane.has(v) || this.scalarized.has(v);
  }

  private readsLanes(s: Stmt): boolean {
    for (const e of usesOf(s)) for (const v of varsOf(e)) if (this.isLaneName(v)) return true;
    return false;
  }

  private block(b: Stmt[]): Stmt[] {
    const out: Stmt[] = [];
    for (const s of b) out.push(...this.stmt(s));
    return out;
  }

  private stmt(s: Stmt): Stmt[] {
    if (childBlocks(s).length > 0) {
      if (this.readsLanes(s)) throw new NotVectorizable("a condition or a bound reads a derivative value");
      return [mapBlocks(s, (c) => this.block(c))];
    }
    const d = defOf(s);
    if (d !== undefined && this.scalarized.has(d)) return this.seeds(d, s);
    const seed = this.seeded.get(s);
    if (seed && d !== undefined) {
      const decl = "decl" in s ? s.decl : undefined;
      return Array.from({ length: this.count }, (_, k): Stmt => ({ kind: "assign", target: this.of(d, k), op: "=", value: num(seed(k)), ...(decl ? { decl } : {}), loc: s.loc }));
    }
    const touches = this.readsLanes(s) || (d !== undefined && this.lane.has(d));
    if (!touches) return [s];
    switch (s.kind) {
      case "push": case "throw": case "store":
        throw new NotVectorizable(`a derivative value in a ${s.kind}`);
      case "call": {
        const w = arrayRuleFor(s.fn)?.writes;
        const written = typeof w === "number" ? varsOf(s.args[w]!) : new Set(s.target !== undefined ? [s.target] : []);
        if (![...written].every((v) => this.lane.has(v))) throw new NotVectorizable(`'${s.fn}' writes a primal array from derivative values`);
        break;
      }
      case "op": case "load": case "alloc": case "get": case "custom": case "assign": case "assign-elem": case "assign-at": case "effect":
        break;
      case "if": case "for": case "loop":
        throw new Error("internal: a region as a leaf");
      default:
        assertNever(s);
    }
    if (usesOf(s).some(containsPop)) throw new NotVectorizable("a derivative value from the tape");
    // a primal value read from what derivative code computed: a pushforward's value, the same in
    // every lane, read once from lane 0
    if (d !== undefined && this.isPrimal(d)) {
      if (!(s.kind === "assign" && s.value.kind === "field" && s.value.name === "value" && s.value.object.kind === "var")) {
        throw new NotVectorizable(`a primal value '${d}' computed from derivative values`);
      }
      return [this.inLane(s, 0)];
    }
    return Array.from({ length: this.count }, (_, k) => this.inLane(s, k));
  }

  /** The declarations of a scalarized array's elements, in place of the array's. */
  private seeds(a: string, s: Stmt): Stmt[] {
    const sc = this.scalarized.get(a)!;
    const out: Stmt[] = [];
    for (let i = 0; i < sc.length; i++) {
      for (let k = 0; k < this.count; k++) out.push({ kind: "assign", target: this.element(a, i, k), op: "=", value: num(sc.seed(i, k)), decl: "let", loc: s.loc });
    }
    return out;
  }

  /** Lane k's copy of a leaf statement. */
  private inLane(s: Stmt, k: number): Stmt {
    if (s.kind === "assign-elem" && this.scalarized.has(s.array)) {
      return { kind: "assign", target: this.element(s.array, constIndex(s.index, s.array), k), op: s.op, value: this.expr(s.value, k), loc: s.loc, ...(s.note ? { note: s.note } : {}) };
    }
    let t = mapExprs(s, (e) => this.expr(e, k));
    const rename = (v: string): string => {
      if (this.scalarized.has(v)) throw new NotVectorizable(`${v} as a whole`);
      return this.lane.has(v) ? this.of(v, k) : v;
    };
    const target = defOf(t);
    if (target !== undefined) t = { ...t, target: rename(target) } as Stmt;
    if (t.kind === "load" || t.kind === "assign-elem") t = { ...t, array: rename(t.array) };
    if (t.kind === "get" || t.kind === "assign-at") t = { ...t, list: rename(t.list) };
    return t;
  }

  /** Lane k's copy of an expression. */
  expr(e: Expr, k: number): Expr {
    const go = (x: Expr): Expr => this.expr(x, k);
    const arr = (v: string): string => {
      if (this.scalarized.has(v)) throw new NotVectorizable(`${v} as a whole`);
      return this.lane.has(v) ? this.of(v, k) : v;
    };
    switch (e.kind) {
      case "var": return ref(arr(e.name));
      case "index":
        if (this.scalarized.has(e.array)) return ref(this.element(e.array, constIndex(e.index, e.array), k));
        return { ...e, array: arr(e.array), index: go(e.index) };
      case "at": return { ...e, list: arr(e.list), index: go(e.index) };
      case "view": return { ...e, array: arr(e.array), begin: go(e.begin), end: go(e.end) };
      default: return mapSubExprs(e, go);
    }
  }
}

function constIndex(e: Expr, array: string): number {
  if (e.kind !== "const" || typeof e.value !== "number") throw new NotVectorizable(`${array} at a computed index`);
  return e.value;
}

function containsPop(e: Expr): boolean {
  return someExpr(e, (x) => x.kind === "pop");
}

/**
 * Forward constant propagation over lane variables: a lane variable assigned a number is that
 * number until its next write, so reads of it become the number (rebuilt through the folding
 * constructors: `0 · x` is 0), `d += 0` disappears and `d += e` on a known 0 becomes `d = e`.
 * Entering a region forgets every variable the region writes, so loops and branches stay exact.
 */
export function propagateConstants(body: Stmt[], isLane: (v: string) => boolean): Stmt[] {
  const go = (b: Stmt[], known: Map<string, number>): Stmt[] => {
    const out: Stmt[] = [];
    for (const s0 of b) {
      if (childBlocks(s0).length > 0) {
        walk([s0], (c) => {
          const d = defOf(c);
          if (d !== undefined) known.delete(d);
        });
        const s = known.size === 0 ? s0 : mapExprs(s0, (e) => substitute(e, known));
        out.push(mapBlocks(s, (c) => go(c, new Map(known))));
        continue;
      }
      let s = known.size === 0 ? s0 : mapExprs(s0, (e) => substitute(e, known));
      const d = defOf(s);
      if (s.kind === "assign" && isLane(s.target)) {
        if (s.op !== "=") {
          if (s.value.kind === "const" && s.value.value === 0) continue;
          const before = known.get(s.target);
          if (before !== undefined) {
            const delta = s.op === "+=" ? s.value : neg(s.value);
            s = { ...s, op: "=", value: before === 0 ? delta : add(num(before), delta) };
          }
        }
        const v = s.value;
        if (s.op === "=" && v.kind === "const" && typeof v.value === "number") known.set(s.target, v.value);
        else known.delete(s.target);
      } else if (d !== undefined) {
        known.delete(d);
      }
      out.push(s);
    }
    return out;
  };
  const substitute = (e: Expr, known: Map<string, number>): Expr =>
    substituteVars(e, (v) => (isLane(v) && known.has(v) ? num(known.get(v)!) : undefined), refold);
  return go(body, new Map());
}
