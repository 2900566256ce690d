/**
 * Covering writes: a gradient buffer whose first writes cover it is not cleared first.
 *
 * In:  a simplified function body.
 * Out: the same body where `const d = zeros(len, reuse)` followed, with nothing in between
 *      mentioning `d`, by a counted loop over every index of `d` (`0 ≤ i < len`, either way, step
 *      1) whose body, free of `throw`, mentions `d` only in one top-level `d[i] += e` becomes
 *      `const d = gradBuffer(len, reuse)` and `d[i] = e`; so does a first `axpy(len, 1, g, d)`,
 *      which becomes `copy(len, g, d)`.
 * Holds: every element of `d` is assigned before anything reads it, the value it would have had
 *      (`0 + e` is `e`; only for e = −0 does the element become −0 instead of +0, which compare
 *      equal). Lengths are compared after resolving the block's `const` definitions, so
 *      `t = x.length; … i < t` matches `zeros(x.length)`.
 */
import { type CallStmt, type Expr, type ForStmt, type Stmt, isVar, num } from "../../ir/types.ts";
import { childBlocks, walk, usesOf, varsOf, defOf } from "../../ir/walk.ts";

export function coverFirstWrites(body: Stmt[], derived: Set<string>): Stmt[] {
  const defs = new Map<string, Expr>();
  const out = body.slice();
  for (let j = 0; j < out.length; j++) {
    const s = out[j]!;
    if (s.kind === "assign" && s.decl === "const" && s.op === "=") defs.set(s.target, s.value);
    if (s.kind === "op" && s.decl !== "let") defs.set(s.target, { kind: "apply", op: s.op, args: s.args });
    if (!(s.kind === "assign" && s.decl === "const" && derived.has(s.target))) continue;
    const v = s.value;
    if (v.kind !== "call" || v.fn !== "zeros" || v.args.length < 1) continue;
    const d = s.target;
    const len = resolve(v.args[0]!, defs);
    for (let k = j + 1; k < out.length; k++) {
      const t = out[k]!;
      if (!mentions(t, d)) continue;
      const covered = t.kind === "for" ? coveringLoop(t, d, len, defs) : t.kind === "call" ? coveringAxpy(t, d, len, defs) : undefined;
      if (covered) {
        out[j] = { ...s, value: { ...v, fn: "gradBuffer" } };
        out[k] = covered;
      }
      break;
    }
  }
  return out;
}

const same = (a: Expr, b: Expr, defs: Map<string, Expr>): boolean => JSON.stringify(resolve(a, defs)) === JSON.stringify(b);

/** `axpy(len, 1, g, d)` into the zeroed `d` is `copy(len, g, d)`. */
function coveringAxpy(c: CallStmt, d: string, len: Expr, defs: Map<string, Expr>): Stmt | undefined {
  const [n, alpha, x, y] = c.args;
  if (c.fn !== "axpy" || !n || !x || !y || c.target !== undefined) return undefined;
  if (!(alpha?.kind === "const" && alpha.value === 1) || !isVar(y) || y.name !== d || !isVar(x) || x.name === d) return undefined;
  return same(n, len, defs) ? { ...c, fn: "copy", args: [n, x, y] } : undefined;
}

/** The loop with its one `d[i] += e` made `d[i] = e`, when the loop covers `d` (else undefined). */
function coveringLoop(f: ForStmt, d: string, len: Expr, defs: Map<string, Expr>): Stmt | undefined {
  const zero = (e: Expr): boolean => e.kind === "const" && e.value === 0;
  const up = f.step === 1 && f.cmp === "<" && zero(f.start) && same(f.end, len, defs);
  const down = f.step === -1 && f.cmp === ">=" && zero(f.end) && same(f.start, { kind: "apply", op: "-", args: [len, num(1)] }, defs);
  if (!up && !down) return undefined;
  let throws = false;
  walk(f.body, (s) => { if (s.kind === "throw") throws = true; });
  if (throws) return undefined;
  let add: (Stmt & { kind: "assign-elem" }) | undefined;
  for (const s of f.body) {
    if (!mentions(s, d)) continue;
    if (add || s.kind !== "assign-elem" || s.array !== d || s.op !== "+=" || varsOf(s.value).has(d)) return undefined;
    if (s.index.kind !== "var" || s.index.name !== f.counter) return undefined;
    add = s;
  }
  if (!add) return undefined;
  const found = add;
  return { ...f, body: f.body.map((s) => (s === found ? { ...found, op: "=" } : s)) };
}

/** Whether a statement (with its children) reads or writes `d`. */
function mentions(s: Stmt, d: string): boolean {
  if (defOf(s) === d) return true;
  if ((s.kind === "assign-elem" && s.array === d)) return true;
  for (const e of usesOf(s)) if (varsOf(e).has(d)) return true;
  for (const b of childBlocks(s)) for (const c of b) if (mentions(c, d)) return true;
  return false;
}

/** An expression with the block's constants substituted (to a bounded depth). */
function resolve(e: Expr, defs: Map<string, Expr>, depth = 0): Expr {
  if (e.kind === "var") {
    const v = defs.get(e.name);
    return v !== undefined && depth < 8 ? resolve(v, defs, depth + 1) : e;
  }
  if (e.kind === "apply") return { ...e, args: e.args.map((a) => resolve(a, defs, depth)) };
  return e;
}
