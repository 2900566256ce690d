/**
 * Pass 5, simplify: tidy generated statements without changing a single computed value.
 *
 * In:  a function body in the output language, and the names of adjoint/tangent variables.
 * Out: the same body with, for those variables only:
 *  - `let d = 0; …; d += e` (first mention) folded into `let d = e` (first contribution assigns);
 *  - `let` turned into `const` when never reassigned;
 *  - constants and copies propagated (`const d = 1` makes `d * t` print as `t`);
 *  - dead adjoints (written, never read) removed.
 * Primal code is left exactly as lowered, so the value is bit-identical to the source function.
 * Algebraic identities (`* 1`, `+ 0`) are dropped by the expression constructors as rewritten
 * expressions are rebuilt.
 */
import { type Expr, type Stmt, refsOf, substitute } from "../../ast/js.ts";

export function simplify(body: Stmt[], derived: Set<string>): Stmt[] {
  let cur = body;
  for (let round = 0; round < 20; round++) {
    const before = JSON.stringify(cur);
    cur = removeDead(cur, derived);
    cur = foldFirstContribution(cur, derived);
    cur = propagate(cur, derived);
    cur = constify(cur, derived);
    if (JSON.stringify(cur) === before) break;
  }
  return cur;
}

// ------------------------------------------------------------------ traversal helpers

function childBlocks(s: Stmt): Stmt[][] {
  switch (s.k) {
    case "if": return [s.then, s.else];
    case "for": return [s.body];
    case "while": return [s.body];
    case "block": return [s.body];
    default: return [];
  }
}

function withBlocks(s: Stmt, f: (b: Stmt[]) => Stmt[]): Stmt {
  switch (s.k) {
    case "if": return { ...s, then: f(s.then), else: f(s.else) };
    case "for": return { ...s, body: f(s.body) };
    case "while": return { ...s, body: f(s.body) };
    case "block": return { ...s, body: f(s.body) };
    default: return s;
  }
}

/** Names read by a statement (not counting the variable a plain `=`/decl writes). */
function reads(s: Stmt, out: Set<string> = new Set(), deep = true): Set<string> {
  switch (s.k) {
    case "decl": if (s.init) refsOf(s.init, out); break;
    case "assign":
      if (s.target.k === "ref") { if (s.op !== "=") out.add(s.target.name); } else refsOf(s.target, out);
      refsOf(s.value, out);
      break;
    case "expr": refsOf(s.e, out); break;
    case "if": refsOf(s.c, out); break;
    case "for":
      if (s.init) reads(s.init, out);
      if (s.test) refsOf(s.test, out);
      if (s.update) { if ("k" in s.update && (s.update.k === "assign" || s.update.k === "expr" || s.update.k === "decl")) reads(s.update as Stmt, out); }
      break;
    case "while": refsOf(s.test, out); break;
    case "return": if (s.e) refsOf(s.e, out); break;
    default: break;
  }
  if (deep) for (const b of childBlocks(s)) for (const c of b) reads(c, out, true);
  return out;
}

/** Names written (whole-variable) by a statement, deeply. */
function writes(s: Stmt, out: Set<string> = new Set()): Set<string> {
  if (s.k === "assign" && s.target.k === "ref") out.add(s.target.name);
  if (s.k === "expr" && s.e.k === "inc") out.add(s.e.name);
  if (s.k === "for" && s.update && (s.update as Stmt).k === "expr") {
    const e = (s.update as Extract<Stmt, { k: "expr" }>).e;
    if (e.k === "inc") out.add(e.name);
  }
  if (s.k === "for" && s.update && (s.update as Stmt).k === "assign") writes(s.update as Stmt, out);
  for (const b of childBlocks(s)) for (const c of b) writes(c, out);
  return out;
}

function mentions(s: Stmt, name: string): boolean {
  return reads(s).has(name) || writes(s).has(name);
}

function mapExprs(s: Stmt, f: (e: Expr) => Expr): Stmt {
  switch (s.k) {
    case "decl": return s.init ? { ...s, init: f(s.init) } : s;
    case "assign": return { ...s, target: s.target.k === "ref" ? s.target : f(s.target), value: f(s.value) };
    case "expr": return { ...s, e: f(s.e) };
    case "if": return { ...s, c: f(s.c), then: s.then.map((x) => mapExprs(x, f)), else: s.else.map((x) => mapExprs(x, f)) };
    case "for": return {
      ...s,
      init: s.init ? mapExprs(s.init, f) : null,
      test: s.test ? f(s.test) : null,
      update: s.update && "k" in s.update && ["assign", "expr", "decl"].includes((s.update as Stmt).k) ? mapExprs(s.update as Stmt, f) : s.update,
      body: s.body.map((x) => mapExprs(x, f)),
    };
    case "while": return { ...s, test: f(s.test), body: s.body.map((x) => mapExprs(x, f)) };
    case "return": return s.e ? { ...s, e: f(s.e) } : s;
    case "block": return { ...s, body: s.body.map((x) => mapExprs(x, f)) };
    default: return s;
  }
}

function moveComment(removed: Stmt, next: Stmt | undefined): Stmt | undefined {
  const c = (removed as { comment?: string }).comment;
  if (!c || !next || (next as { comment?: string }).comment) return next;
  return { ...next, comment: c } as Stmt;
}

// ------------------------------------------------------------------ rewrites

function allReads(body: Stmt[]): Set<string> {
  const out = new Set<string>();
  for (const s of body) reads(s, out);
  return out;
}

/** An expression with no effect beyond its value (no tape traffic, no user calls). */
function pure(e: Expr): boolean {
  switch (e.k) {
    case "call": return e.fn.startsWith("Math.") && e.args.every(pure);
    case "new": return false;
    case "bin": return pure(e.a) && pure(e.b);
    case "un": return pure(e.a);
    case "index": return pure(e.arr) && pure(e.index);
    case "member": return pure(e.obj);
    case "cond": return pure(e.c) && pure(e.a) && pure(e.b);
    case "object": return e.props.every(([, x]) => pure(x));
    case "inc": return false;
    default: return true;
  }
}

/**
 * Drops adjoints that are never read, and any local never read whose writes have no effect
 * (an unread write with an effect, such as a tape pop, keeps the effect as a statement).
 */
function removeDead(body: Stmt[], derived: Set<string>): Stmt[] {
  const used = allReads(body);
  const declared = new Set<string>();
  const collect = (b: Stmt[]) => b.forEach((s) => { if (s.k === "decl") declared.add(s.name); childBlocks(s).forEach(collect); });
  collect(body);
  const dead = (name: string) => !used.has(name) && (derived.has(name) || declared.has(name));
  const go = (b: Stmt[]): Stmt[] => {
    const out: Stmt[] = [];
    let pendingComment: Stmt | undefined;
    for (const s of b) {
      const isDeadDecl = s.k === "decl" && dead(s.name);
      const isDeadAssign = s.k === "assign" && s.target.k === "ref" && dead(s.target.name);
      if (isDeadDecl || isDeadAssign) {
        const value = s.k === "decl" ? s.init : s.k === "assign" ? s.value : undefined;
        if (value && !pure(value)) {
          // keep the effect (a tape pop, an allocation is dropped only when it is pure)
          if (value.k !== "new") out.push({ k: "expr", e: value });
        }
        if ((s as { comment?: string }).comment) pendingComment = s;
        continue;
      }
      let t = withBlocks(s, go);
      const emptyRegion = (t.k === "if" || t.k === "for") && childBlocks(t).every((c) => c.length === 0);
      const initHasEffect = t.k === "for" && t.init?.k === "decl" && t.init.init !== undefined && !pure(t.init.init);
      if (emptyRegion && !initHasEffect) continue; // empty region of the reverse sweep
      if (pendingComment) { t = moveComment(pendingComment, t)!; pendingComment = undefined; }
      out.push(t);
    }
    return out;
  };
  return go(body);
}

/** `let d = 0; …; d += e` where the `+=` is the first mention: the declaration moves down to it. */
function foldFirstContribution(body: Stmt[], derived: Set<string>): Stmt[] {
  const go = (b: Stmt[]): Stmt[] => {
    const out = b.map((s) => withBlocks(s, go));
    for (let i = 0; i < out.length; i++) {
      const d = out[i];
      if (d.k !== "decl" || !derived.has(d.name) || !d.init || d.init.k !== "num" || d.init.v !== 0) continue;
      for (let j = i + 1; j < out.length; j++) {
        const s = out[j];
        if (!mentions(s, d.name)) continue;
        if (s.k === "assign" && s.target.k === "ref" && s.target.name === d.name && (s.op === "+=" || s.op === "=")
          && !refsOf(s.value).has(d.name)) {
          out[j] = { k: "decl", kw: "let", name: d.name, init: s.value, comment: s.comment };
          const next = moveComment(d, out[i + 1]);
          if (next && i + 1 !== j) out[i + 1] = next;
          out.splice(i, 1);
          i--;
        }
        break;
      }
    }
    return out;
  };
  return go(body);
}

function constify(body: Stmt[], derived: Set<string>): Stmt[] {
  const written = new Set<string>();
  for (const s of body) writes(s, written);
  const go = (b: Stmt[]): Stmt[] => b.map((s) => {
    if (s.k === "decl" && s.kw === "let" && derived.has(s.name) && !written.has(s.name) && s.init) return { ...s, kw: "const" as const };
    return withBlocks(s, go);
  });
  return go(body);
}

/** Substitutes `const d = <number>` and `const d = <const or unassigned name>` into later uses. */
function propagate(body: Stmt[], derived: Set<string>): Stmt[] {
  const written = new Set<string>();
  for (const s of body) writes(s, written);
  const constNames = new Set<string>();
  const collect = (b: Stmt[]) => {
    for (const s of b) {
      if (s.k === "decl" && s.kw === "const") constNames.add(s.name);
      childBlocks(s).forEach(collect);
    }
  };
  collect(body);
  const go = (b: Stmt[]): Stmt[] => {
    let out = b.map((s) => withBlocks(s, go));
    for (let i = 0; i < out.length; i++) {
      const d = out[i];
      if (d.k !== "decl" || d.kw !== "const" || !derived.has(d.name) || !d.init) continue;
      const init = d.init;
      const simple = init.k === "num" || (init.k === "ref" && (constNames.has(init.name) || !written.has(init.name)));
      if (!simple) continue;
      const sub = (e: Expr) => substitute(e, (x) => (x === d.name ? init : undefined));
      const rest = out.slice(i + 1).map((s) => mapExprs(s, sub));
      const removed = moveComment(d, rest[0]);
      if (removed) rest[0] = removed;
      out = [...out.slice(0, i), ...rest];
      i--;
    }
    return out;
  };
  return go(body);
}
