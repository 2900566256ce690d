/**
 * Tape windows: innermost loops read and write the tape's buffer through local variables.
 *
 * In:  a simplified GenFunction.
 * Out: the same function where each innermost loop whose body only pushes values (or only pops
 *      them) reads the tape's buffer and top into two locals before the loop, writes
 *      `buffer[top++] = v` (reads `buffer[--top]`) inside it, and hands the top back after it.
 *      Values and branch decisions go through the window (decisions as 1 or 0, as `pushB`
 *      keeps them); trip counts and kept arrays live on stacks of their own and keep their
 *      method calls. The pushes and pops may sit in branches of the body. A counted loop every
 *      iteration of which pushes the same values first makes room for all of them (its trip
 *      count times the pushes per trip), so the body needs no capacity check; any other pushing
 *      loop (one of unknown length, or one that pushes in branches, such as a checkpointed
 *      loop's snapshots) makes room for one iteration's pushes at the start of each, so the
 *      tape never holds more than the pushes made. A loop with a nested loop keeps the method
 *      calls (a window held open across a hot inner loop costs it two registers, more than the
 *      calls it saves).
 * Holds: the tape holds the same values in the same order, so every computed value is unchanged;
 *      nothing else touches the value stack while a window is open (no nested loop, no call
 *      that may use a tape); loops that mix pushes and pops keep the method calls.
 */
import { type Expr, type ForStmt, type GenFunction, type LoopStmt, type Stmt, type TapeCursor, type TapeType, num, ref } from "../../ir/types.ts";
import { defOf, hasEffect, mapBlocks, mapExprs, mapSubExprs, someExpr, subExprs, usesOf, varsOf, walk } from "../../ir/walk.ts";
import { mul } from "../../ir/expr.ts";

export function tapeWindows(fn: GenFunction): GenFunction {
  if (!fn.tape) return fn;
  const taken = new Set<string>(fn.vars.keys());
  walk(fn.body, (s) => {
    const d = defOf(s);
    if (d !== undefined) taken.add(d);
    if (s.kind === "for") taken.add(s.counter);
    for (const e of usesOf(s)) varsOf(e, taken);
  });
  const fresh = (base: string): string => {
    let name = base;
    for (let k = 1; taken.has(name); k++) name = `${base}_${k}`;
    taken.add(name);
    return name;
  };
  let cursor: TapeCursor | undefined;
  const cursorFor = (): TapeCursor => (cursor ??= { buffer: fresh("tapeValues"), top: fresh("tapeTop") });

  const go = (b: Stmt[]): Stmt[] => {
    const out: Stmt[] = [];
    for (const s of b) {
      const w = s.kind === "for" || s.kind === "loop" ? windowOf(s) : undefined;
      if (!w || (s.kind !== "for" && s.kind !== "loop")) {
        out.push(mapBlocks(s, go));
        continue;
      }
      const c = cursorFor();
      const loc = s.loc;
      const pushes = countPushes(loopBlocks(s));
      const reserve = (n: Expr): Expr => ({ kind: "tape-call", method: "reserveF", args: [n] });
      const setTop: Stmt = { kind: "effect", value: { kind: "tape-call", method: "setTopF", args: [ref(c.top)] }, loc };
      const through = (x: Stmt[]): Stmt[] => x.map((y) => throughCursor(y, c));
      // room made up front: a counted loop every iteration of which pushes the same values
      const upFront = w === "push" && s.kind === "for" && s.body.filter((x) => x.kind === "push" && windowed(x.type)).length === pushes;
      if (w === "pop") out.push({ kind: "assign", target: c.buffer, op: "=", value: { kind: "tape-call", method: "bufferF", args: [] }, loc });
      if (upFront) {
        const trips: Expr = { kind: "call", fn: "tripCount", args: [s.start, s.end, num(s.step), { kind: "text", value: s.cmp }] };
        out.push({ kind: "assign", target: c.buffer, op: "=", value: reserve(mul(num(pushes), trips)), loc });
      }
      out.push({ kind: "assign", target: c.top, op: "=", value: { kind: "tape-call", method: "topF", args: [] }, loc });
      // otherwise room for one iteration's pushes at most, made at the start of each (a loop of
      // unknown length, or one that pushes in branches: a checkpointed loop's snapshots)
      const room: Stmt[] = w === "push" && !upFront ? [setTop, { kind: "assign", target: c.buffer, op: "=", value: reserve(num(pushes)), loc }] : [];
      if (s.kind === "for") {
        out.push({ ...s, body: [...room, ...through(s.body)] });
      } else {
        const header = through(s.header);
        const body = through(s.body);
        out.push({
          ...s, cond: viaCursor(s.cond, c), update: through(s.update),
          header: s.doWhile ? header : [...room, ...header], body: s.doWhile ? [...room, ...body] : body,
        });
      }
      out.push(setTop);
    }
    return out;
  };
  const body = go(fn.body);
  if (!cursor) return fn;
  const c: TapeCursor = cursor;
  // declared right after the tape is begun
  const begin = body.findIndex((s) => s.kind === "assign" && s.target === fn.tape!.local);
  const decls: Stmt[] = [
    { kind: "assign", target: c.buffer, op: "=", value: { kind: "tape-call", method: "bufferF", args: [] }, decl: "let", loc: fn.body[0]?.loc ?? body[0]!.loc },
    { kind: "assign", target: c.top, op: "=", value: num(0), decl: "let", loc: fn.body[0]?.loc ?? body[0]!.loc },
  ];
  body.splice(begin + 1, 0, ...decls);
  const vars = new Map(fn.vars);
  vars.set(c.buffer, { name: c.buffer, type: "arr", kind: "temp" });
  vars.set(c.top, { name: c.top, type: "num", kind: "temp" });
  return { ...fn, body, vars };
}

/** A loop's statement lists. */
function loopBlocks(s: ForStmt | LoopStmt): Stmt[] {
  return s.kind === "for" ? s.body : [...s.header, ...s.body, ...s.update];
}

/** Whether an innermost loop opens a window: for its pushes, for its pops, or not at all. */
function windowOf(s: ForStmt | LoopStmt): "push" | "pop" | undefined {
  let pushes = 0;
  let pops = 0;
  let blocked = false;
  const exprs: Expr[] = s.kind === "loop" ? [s.cond] : [];
  walk(loopBlocks(s), (x) => {
    if (x.kind === "custom" || x.kind === "for" || x.kind === "loop") blocked = true;
    if (x.kind === "push") {
      if (x.cursor) blocked = true;
      if (windowed(x.type)) pushes++;
    }
    exprs.push(...usesOf(x));
  });
  for (const e of exprs) {
    if (mayUseTape(e)) blocked = true;
    pops += countPops(e);
  }
  if (blocked) return undefined;
  if (pushes > 0 && pops === 0) {
    if (s.kind === "loop") return "push";
    // the trip count is taken before the loop: its bounds must not change inside it
    if (hasEffect(s.start) || hasEffect(s.end)) return undefined;
    const bounds = new Set<string>();
    varsOf(s.start, bounds);
    varsOf(s.end, bounds);
    let writesBound = false;
    walk(s.body, (x) => {
      const d = defOf(x);
      if (d !== undefined && bounds.has(d)) writesBound = true;
    });
    if (writesBound) return undefined;
    return "push";
  }
  if (pops > 0 && pushes === 0) return "pop";
  return undefined;
}

/** Whether values of this type live on the value stack, which a window covers. */
function windowed(t: TapeType): boolean {
  return t === "num" || t === "bool";
}

/** The value-stack pushes of statements and of the branches nested in them. */
function countPushes(b: Stmt[]): number {
  let n = 0;
  walk(b, (x) => {
    if (x.kind === "push" && windowed(x.type)) n++;
  });
  return n;
}

/** Value-stack entries popped by an expression. */
function countPops(e: Expr): number {
  return (e.kind === "pop" && windowed(e.type) ? 1 : 0) + subExprs(e).reduce((n, x) => n + countPops(x), 0);
}

/** Calls that may push or pop this function's tape themselves (another generated function, a user's). */
function mayUseTape(e: Expr): boolean {
  return someExpr(e, (x) => x.kind === "invoke" || x.kind === "user" || x.kind === "tape-call" || (x.kind === "pop" && x.cursor !== undefined));
}

/** A statement of a window's loop (with the branches nested in it), its value-stack pushes and pops going through the cursor. */
function throughCursor(s: Stmt, c: TapeCursor): Stmt {
  const t = s.kind === "push" && windowed(s.type) ? { ...s, cursor: c } : s;
  return mapBlocks(mapExprs(t, (e) => viaCursor(e, c)), (b) => b.map((x) => throughCursor(x, c)));
}

function viaCursor(e: Expr, c: TapeCursor): Expr {
  if (e.kind === "pop") return windowed(e.type) ? { ...e, cursor: c } : e;
  return mapSubExprs(e, (x) => viaCursor(x, c));
}
