/**
 * Lowering of arrays that grow by `push` (see growth.ts for where a push may stand). In: a
 * `number[]` local declared with an array literal, whose pushes the fence accepted. Out: the name
 * is a window of an array variable, `{ array, length: <its count> }`, so `.length`, `for…of` and
 * calls see exactly the elements pushed so far. Before each statement of the declaring block that
 * holds pushes, a new array variable is allocated with room for everything that statement can
 * push (the count plus Σ arguments · Π trip counts of the loops around each push), and the
 * elements so far are copied into it; a push stores at the count and increments it. Holds: no
 * push writes past its array, because the room is an upper bound of the pushes the statement
 * runs (a push that was not sized is an internal error, never a lost element).
 */
import ts from "typescript";
import { type Stmt, type Operand, ref, num } from "../../ir/types.ts";
import { RecordLowerer } from "./records.ts";
import { countedFor } from "./jumps.ts";
import { arrayIteration } from "./resolve.ts";
import { type BoundingLoop, type PushSite, countedWhile, pushCall, pushesOf, pushSite } from "./growth.ts";

interface Growing {
  /** The variable holding how many elements it has. */
  count: string;
  /** Whether it may hold elements already (its literal's, or pushed before a statement sized it). */
  filled: boolean;
  /** Its pushes, by the statement of its block that holds them. */
  sites: Map<ts.Statement, PushSite[]>;
}

export abstract class GrowthLowerer extends RecordLowerer {
  private growing = new Map<ts.Symbol, Growing>();
  /** Pushes whose statement has been sized (a push outside them would be lost: internal). */
  private sized = new Set<ts.CallExpression>();

  /** `const out: number[] = [a, b]` with pushes onto it: the literal, its count, and its pushes' sites. */
  protected declareGrowing(d: ts.VariableDeclaration & { name: ts.Identifier }, sym: ts.Symbol, array: string, length: Operand, out: Stmt[]): boolean {
    const pushes = pushesOf(d, this.checker);
    if (pushes.length === 0) return false;
    const count = this.newVar(`${d.name.text}Count`, "num", "local");
    this.emitOp(out, count, "copy", [length], d);
    const sites = new Map<ts.Statement, PushSite[]>();
    for (const call of pushes) {
      const site = pushSite(call, d);
      if ("why" in site) this.internal(call);
      sites.set(site.top, [...(sites.get(site.top) ?? []), site]);
    }
    this.growing.set(sym, { count, sites, filled: !(length.kind === "const" && length.value === 0) });
    this.views.set(sym, { array, length: ref(count) });
    return true;
  }

  /** Before a statement holding pushes: a new array for each growing array, with room for them. */
  protected sizeBefore(s: ts.Statement, out: Stmt[]): void {
    for (const [sym, g] of this.growing) {
      const sites = g.sites.get(s);
      if (!sites) continue;
      let room: Operand = ref(g.count);
      for (const site of sites) {
        let times: Operand = num(site.call.arguments.length);
        for (const loop of site.loops) times = this.product(times, this.tripsOf(loop, site.starts.get(loop), out), out, loop);
        room = this.step(out, "+", [room, times], s, "num", "");
        this.sized.add(site.call);
      }
      const old = this.views.get(sym)!;
      const name = this.newVar(sym.name, "arr", "local", sym.name);
      this.allocate(out, name, room, s);
      if (g.filled) this.copyInto({ array: name }, old, num(0), ref(g.count), out, s);
      g.filled = true;
      this.views.set(sym, { array: name, length: ref(g.count) });
    }
  }

  /** How many times a loop around a push can run, known when its statement starts (0 for NaN). */
  private tripsOf(loop: BoundingLoop, from: ts.Expression | undefined, out: Stmt[]): Operand {
    if (ts.isForOfStatement(loop)) {
      const e = arrayIteration(loop.expression)?.recv ?? loop.expression;
      const list = this.listOf(e);
      return list !== undefined ? this.step(out, "length", [ref(list)], loop, "num", "n") : this.arrayLength(out, this.lowerArrayRef(e, out), loop);
    }
    // a for loop from its start; a while loop from its counter's initialiser inside the
    // statement, or else from its value now (growth.ts)
    const counted = ts.isForStatement(loop) ? countedFor(loop)! : undefined;
    const stepped = ts.isForStatement(loop) ? undefined : countedWhile(loop)!;
    const shape = counted ?? stepped!;
    const start = this.lowerExpr(counted ? counted.decl.initializer! : from ?? stepped!.counter, out, "start");
    const end = this.lowerExpr(shape.end, out, "end");
    const up = shape.cmp === "<" || shape.cmp === "<=";
    const inclusive = shape.cmp === "<=" || shape.cmp === ">=";
    const by = Math.abs(shape.step);
    // a step other than ±1 accumulates rounding: one more for safety (room, not a length); a
    // do…while runs its body once before its test
    const extra = (inclusive ? 1 : 0) + (by !== 1 ? 1 : 0) + (ts.isDoStatement(loop) ? 1 : 0);
    if (start.kind === "const" && end.kind === "const") {
      const steps = ((up ? (end.value as number) - (start.value as number) : (start.value as number) - (end.value as number))) / by;
      const n = (inclusive ? Math.floor(steps) : Math.ceil(steps)) + extra;
      return num(n > 0 ? n : 0);
    }
    const zero = (o: Operand) => o.kind === "const" && o.value === 0;
    const span = up ? (zero(start) ? end : this.step(out, "-", [end, start], loop, "num", "")) : zero(end) ? start : this.step(out, "-", [start, end], loop, "num", "");
    const steps = by === 1 ? span : this.step(out, "/", [span, num(by)], loop, "num", "");
    let n = this.step(out, inclusive ? "Math.floor" : "Math.ceil", [steps], loop, "num", "");
    if (extra > 0) n = this.step(out, "+", [n, num(extra)], loop, "num", "");
    const t = this.newVar("trips", "num", "local");
    this.emitOp(out, t, "copy", [num(0)], loop);
    const then: Stmt[] = [];
    this.emitOp(then, t, "copy", [n], loop);
    out.push({ kind: "if", cond: this.step(out, ">", [n, num(0)], loop, "bool", ""), then, else: [], loc: this.loc(loop) });
    return ref(t);
  }

  /** `a · b`, folded when either is a constant 1 or both are constants. */
  private product(a: Operand, b: Operand, out: Stmt[], at: ts.Node): Operand {
    if (a.kind === "const" && b.kind === "const") return num((a.value as number) * (b.value as number));
    if (a.kind === "const" && a.value === 1) return b;
    if (b.kind === "const" && b.value === 1) return a;
    return this.step(out, "*", [a, b], at, "num", "");
  }

  /** `out.push(a, …)` onto a growing array: the arguments first, then each stored at the count. */
  protected lowerPush(e: ts.Expression, out: Stmt[]): boolean {
    const p = pushCall(e);
    const sym = p && this.checker.getSymbolAtLocation(p.recv);
    const g = sym && this.growing.get(sym);
    if (!p || !g) return false;
    if (!this.sized.has(p.call)) this.internal(p.call);
    const values = p.call.arguments.map((a) => this.lowerExpr(a, out, ""));
    const array = this.views.get(sym)!.array;
    for (const v of values) {
      this.arrayStore(out, { array }, ref(g.count), v, e);
      this.emitOp(out, g.count, "+", [ref(g.count), num(1)], e);
    }
    return true;
  }
}
