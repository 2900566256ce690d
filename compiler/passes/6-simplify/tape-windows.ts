/**
 * Tape windows: innermost loops read and write the tape's buffer through local variables.
 *
 * In:  a simplified GenFunction.
 * Out: the same function where each counted loop whose body only pushes values (or only pops
 *      them), each of them unconditionally at the body's top level, reads the tape's buffer and
 *      top into two locals before the loop, writes `buffer[top++] = v` (reads `buffer[--top]`)
 *      inside it, and hands the top back after it. A pushing loop first makes room for all its
 *      values (its trip count times the pushes per trip), so the body needs no capacity check.
 *      Branches nested in the body may compute the values pushed, as long as they do not use
 *      the tape themselves; a nested loop keeps the method calls (a window held open across a
 *      hot inner loop costs it two registers, more than the calls it saves).
 * Holds: the tape holds the same values in the same order, so every computed value is unchanged;
 *      nothing else touches the tape while a window is open (no push or pop in a nested region,
 *      no call that may use a tape); loops that mix pushes and pops, or push in branches, keep
 *      the method calls.
 */
import { type Expr, type ForStmt, type GenFunction, type Stmt, type TapeCursor, num, ref } from "../../ir/types.ts";
import { childBlocks, defOf, hasEffect, mapBlocks, mapExprs, mapSubExprs, someExpr, subExprs, usesOf, varsOf, walk } from "../../ir/walk.ts";
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
      const w = s.kind === "for" ? windowOf(s) : undefined;
      if (!w || s.kind !== "for") {
        out.push(mapBlocks(s, go));
        continue;
      }
      const c = cursorFor();
      const loc = s.loc;
      const open: Expr = w === "push"
        ? { kind: "tape-call", method: "reserveF", args: [mul(num(countPushes(s.body)), { kind: "call", fn: "tripCount", args: [s.start, s.end, num(s.step), { kind: "text", value: s.cmp }] })] }
        : { kind: "tape-call", method: "bufferF", args: [] };
      out.push({ kind: "assign", target: c.buffer, op: "=", value: open, loc });
      out.push({ kind: "assign", target: c.top, op: "=", value: { kind: "tape-call", method: "topF", args: [] }, loc });
      out.push({ ...s, body: s.body.map((x) => throughCursor(x, c)) });
      out.push({ kind: "effect", value: { kind: "tape-call", method: "setTopF", args: [ref(c.top)] }, loc });
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

/** Whether a counted loop opens a window: for its pushes, for its pops, or not at all. */
function windowOf(s: ForStmt): "push" | "pop" | undefined {
  let pushes = 0;
  let pops = 0;
  for (const x of s.body) {
    if (x.kind === "custom" || x.kind === "for" || x.kind === "loop") return undefined;
    if (childBlocks(x).some(loopsOrUsesTape)) return undefined;
    if (x.kind === "push") {
      if (x.cursor) return undefined;
      if (x.type === "num") pushes++;
    }
    for (const e of usesOf(x)) {
      if (mayUseTape(e)) return undefined;
      pops += countPops(e);
    }
  }
  if (pushes > 0 && pops === 0) {
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

/** Whether a nested block loops, pushes, pops or calls anything that may use a tape. */
function loopsOrUsesTape(b: Stmt[]): boolean {
  let uses = false;
  walk(b, (x) => {
    if (x.kind === "push" || x.kind === "custom" || x.kind === "for" || x.kind === "loop") uses = true;
    for (const e of usesOf(x)) if (mayUseTape(e) || someExpr(e, (y) => y.kind === "pop")) uses = true;
  });
  return uses;
}

function countPushes(b: Stmt[]): number {
  return b.filter((x) => x.kind === "push" && x.type === "num").length;
}

/** Numbers popped by an expression. */
function countPops(e: Expr): number {
  return (e.kind === "pop" && e.type === "num" ? 1 : 0) + subExprs(e).reduce((n, x) => n + countPops(x), 0);
}

/** Calls that may push or pop this function's tape themselves (another generated function, a user's). */
function mayUseTape(e: Expr): boolean {
  return someExpr(e, (x) => x.kind === "invoke" || x.kind === "user" || x.kind === "tape-call" || (x.kind === "pop" && x.cursor !== undefined));
}

/** A statement of a window's loop, its number pushes and pops going through the cursor. */
function throughCursor(s: Stmt, c: TapeCursor): Stmt {
  const t = s.kind === "push" && s.type === "num" ? { ...s, cursor: c } : s;
  return mapExprs(t, (e) => viaCursor(e, c));
}

function viaCursor(e: Expr, c: TapeCursor): Expr {
  if (e.kind === "pop") return e.type === "num" ? { ...e, cursor: c } : e;
  return mapSubExprs(e, (x) => viaCursor(x, c));
}
