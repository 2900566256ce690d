/**
 * Pass 6, simplify: tidy a generated function without changing a single computed value.
 *
 * In:  a GenFunction (its body in the IR, with declarations placed).
 * Out: the same function where, for derivative variables (adjoints and tangents) only:
 *  - `let d = 0; …; d += e` (first mention) becomes `let d = e` (the first contribution assigns);
 *  - `let` becomes `const` when never reassigned;
 *  - an adjoint array element zeroed and then added to, with nothing else touching that element
 *    in between, is assigned instead (`d[i] = 0; …; d[i] += e` becomes `d[i] = e`), and when what
 *    is added back is the value just read from it, both statements go (`y[i] += …` leaves its
 *    adjoint as it is);
 *  - constants and copies are propagated (`const d = 1` makes `d * t` print as `t`);
 *  - a store to a variable its own block declares, read by nothing after it, is removed;
 *  - and for any declared variable: values never read are removed (an effect such as a tape pop
 *    stays as a statement), and regions left empty disappear;
 *  - last, a gradient buffer whose first writes are a loop over all of it is not cleared first
 *    (covering.ts), and a function that no longer uses its tape does not begin one.
 * Holds: primal computations that reach the result are left exactly as they are, so the value is
 * bit-identical to the source function's. Every rewrite is one linear pass over the body; rounds
 * repeat until nothing changes (a handful). Algebraic identities (`* 1`, `+ 0`) are dropped by
 * the IR's expression constructors as rewritten expressions are rebuilt.
 */
import { type Expr, type GenFunction, type Stmt, isVar } from "../../ir/types.ts";
import { childBlocks, mapBlocks, mapExprs, usesOf, varsOf, hasEffect, defOf, substituteVars, someExpr, walk } from "../../ir/walk.ts";
import { refold, not } from "../../ir/expr.ts";
import { coverFirstWrites } from "./covering.ts";

export function simplify(fn: GenFunction): GenFunction {
  const derived = new Set<string>();
  for (const [v, info] of fn.vars) if (info.kind === "adjoint" || info.kind === "tangent") derived.add(v);
  let body = fn.body;
  let result = fn.result;
  for (let round = 0; round < 50; round++) {
    const cx: Round = { changed: false };
    body = removeDead(body, result, derived, cx, fn.tape?.local);
    body = foldFirstContribution(body, derived, cx);
    const p = propagate(body, result, derived, cx);
    body = p.body;
    result = p.result;
    body = constify(body, derived, cx);
    body = deadStores(body, result, cx);
    // once the rest has settled, so that copies are propagated into what is added back
    if (!cx.changed) body = zeroThenAdd(body, derived, cx);
    if (!cx.changed) break;
  }
  body = coverFirstWrites(body, derived);
  if (fn.tape && !usesTape(body, fn.tape.local)) {
    // nothing left pushes or pops (a selection replaced the tape, say): no tape to begin
    const local = fn.tape.local;
    const { tape: _unused, ...rest } = fn;
    return { ...rest, body: body.filter((s) => !(s.kind === "assign" && s.target === local && s.value.kind === "tape-begin")), result };
  }
  return { ...fn, body, result };
}

interface Round {
  changed: boolean;
}

/** Whether anything but its `begin()` uses the function's tape. */
function usesTape(body: Stmt[], local: string): boolean {
  let used = false;
  const tapeExpr = (e: Expr): boolean => e.kind === "pop" || e.kind === "tape-call" || (e.kind === "var" && e.name === local);
  walk(body, (s) => {
    if (used) return;
    if (s.kind === "push") used = true;
    else if (!(s.kind === "assign" && s.target === local)) used = usesOf(s).some((e) => someExpr(e, tapeExpr));
  });
  return used;
}

// ------------------------------------------------------------------ facts

/** Variables a statement reads (its own expressions; `deep`: its children's too). */
function readsOf(s: Stmt, out: Set<string>, deep: boolean): Set<string> {
  for (const e of usesOf(s)) varsOf(e, out);
  if (s.kind === "for") out.add(s.counter);
  if (deep) for (const b of childBlocks(s)) for (const c of b) readsOf(c, out, true);
  return out;
}

/** Variables a statement writes as a whole (deeply). */
function writesOf(s: Stmt, out: Set<string>): Set<string> {
  const d = defOf(s);
  if (d !== undefined && !("decl" in s && s.decl)) out.add(d);
  if (s.kind === "for") out.add(s.counter);
  for (const b of childBlocks(s)) for (const c of b) writesOf(c, out);
  return out;
}



/** The value a removable definition computes (undefined: the statement is not a plain definition). */
function definedValue(s: Stmt): Expr | undefined {
  switch (s.kind) {
    case "assign": return s.value;
    case "op": return { kind: "apply", op: s.op, args: s.args };
    case "load": return { kind: "index", array: s.array, index: s.index };
    case "get": return { kind: "at", list: s.list, index: s.index, path: s.path };
    case "alloc": return { kind: "new-array", size: s.size, ...(s.ints ? { ints: s.ints } : {}) };
    case "call": return s.target !== undefined ? { kind: "call", fn: s.fn, args: s.args } : undefined;
    default: return undefined;
  }
}

// ------------------------------------------------------------------ rewrites

/**
 * Drops definitions of variables never read (derivative variables, and locals declared in the
 * body), with everything only they needed: a worklist over read counts handles whole chains in
 * one pass. Regions left empty are dropped too (a loop whose start pops the tape keeps the pop).
 */
/** One declaration of a name (names are block-scoped: a loop's `t2` and its reverse's `t2` differ). */
interface Binding {
  name: string;
  /** Declared in the body (not a parameter or the tape). */
  declared: boolean;
}

/** Resolves every read and definition to its binding, following block scoping. */
function bind(body: Stmt[], result: Expr): { reads: Map<Stmt, Binding[]>; defs: Map<Binding, Stmt[]>; resultReads: Binding[] } {
  const outer = new Map<string, Binding>();
  const lookup = (scopes: Map<string, Binding>[], name: string): Binding => {
    for (let i = scopes.length - 1; i >= 0; i--) {
      const x = scopes[i].get(name);
      if (x) return x;
    }
    let x = outer.get(name);
    if (!x) outer.set(name, (x = { name, declared: false }));
    return x;
  };
  const reads = new Map<Stmt, Binding[]>();
  const defs = new Map<Binding, Stmt[]>();
  const walkBlock = (block: Stmt[], scopes: Map<string, Binding>[]) => {
    const here = new Map<string, Binding>();
    const inner = [...scopes, here];
    for (const st of block) {
      const names = readsOf(st, new Set(), false);
      if (st.kind === "for") names.delete(st.counter);
      reads.set(st, [...names].map((n) => lookup(inner, n)));
      const d = defOf(st);
      if (d !== undefined) {
        let x: Binding;
        if ("decl" in st && st.decl) here.set(d, (x = { name: d, declared: true }));
        else x = lookup(inner, d);
        if (definedValue(st) !== undefined) {
          const l = defs.get(x);
          if (l) l.push(st);
          else defs.set(x, [st]);
        }
      }
      if (st.kind === "for") {
        // the counter is declared by the loop and read by its test and update
        const loop = new Map<string, Binding>([[st.counter, { name: st.counter, declared: false }]]);
        walkBlock(st.body, [...inner, loop]);
      } else {
        for (const c of childBlocks(st)) walkBlock(c, inner);
      }
    }
    return inner;
  };
  const root = walkBlock(body, []);
  const resultReads = [...varsOf(result)].map((n) => lookup(root, n));
  return { reads, defs, resultReads };
}

function removeDead(body: Stmt[], result: Expr, derived: Set<string>, cx: Round, tape: string | undefined): Stmt[] {
  const b = bind(body, result);
  const counts = new Map<Binding, number>();
  for (const l of b.reads.values()) for (const x of l) counts.set(x, (counts.get(x) ?? 0) + 1);
  for (const x of b.resultReads) counts.set(x, (counts.get(x) ?? 0) + 1);
  const removable = (x: Binding) => x.declared || derived.has(x.name);
  const removed = new Set<Stmt>();
  const work: Binding[] = [];
  for (const x of b.defs.keys()) if (!counts.get(x) && removable(x) && x.name !== tape) work.push(x);
  const queued = new Set(work);
  while (work.length > 0) {
    const x = work.pop()!;
    for (const st of b.defs.get(x) ?? []) {
      if (removed.has(st)) continue;
      removed.add(st);
      // a `+=` reads its own target: that read goes away with it
      for (const u of b.reads.get(st) ?? []) {
        const c = (counts.get(u) ?? 0) - 1;
        counts.set(u, c);
        if (c <= 0 && !queued.has(u) && removable(u) && b.defs.has(u) && u.name !== tape) {
          queued.add(u);
          work.push(u);
        }
      }
    }
  }
  const go = (b: Stmt[]): Stmt[] => {
    const out: Stmt[] = [];
    for (const s of b) {
      if (removed.has(s)) {
        cx.changed = true;
        const value = definedValue(s)!;
        // keep the effect (a tape pop, a call); an allocation nobody reads is dropped
        if (hasEffect(value) && value.kind !== "new-array") out.push({ kind: "effect", value, loc: s.loc, note: s.note });
        continue;
      }
      let t = mapBlocks(s, go);
      // `if (c) {} else { … }` reads better as `if (!c) { … }`
      if (t.kind === "if" && t.then.length === 0 && t.else.length > 0) {
        t = { ...t, cond: not(t.cond), then: t.else, else: [] };
        cx.changed = true;
      }
      // an empty region of the reverse sweep (a loop whose start pops the tape still runs)
      if ((t.kind === "if" || t.kind === "for") && childBlocks(t).every((c) => c.length === 0) && !(t.kind === "for" && hasEffect(t.start))) {
        cx.changed = true;
        continue;
      }
      out.push(t);
    }
    return out;
  };
  return go(body);
}

/** `let d = 0; …; d += e` where the `+=` is the first mention: the declaration moves down to it. */
function foldFirstContribution(body: Stmt[], derived: Set<string>, cx: Round): Stmt[] {
  const go = (b: Stmt[]): Stmt[] => {
    const out = b.map((s) => mapBlocks(s, go));
    /** Zero-initialised declarations not mentioned since: name -> index in `out`. */
    const pending = new Map<string, number>();
    const drop = new Set<number>();
    for (let j = 0; j < out.length; j++) {
      const s = out[j];
      if (pending.size > 0) {
        const mentioned = readsOf(s, new Set(), true);
        writesOf(s, mentioned);
        const d = defOf(s);
        if (d !== undefined) mentioned.add(d);
        for (const v of mentioned) {
          const i = pending.get(v);
          if (i === undefined) continue;
          pending.delete(v);
          if (s.kind === "assign" && s.target === v && (s.op === "+=" || s.op === "=") && !s.decl && !varsOf(s.value).has(v)) {
            out[j] = { ...s, op: "=", decl: "let" };
            drop.add(i);
            cx.changed = true;
          }
        }
      }
      if (s.kind === "assign" && s.decl && derived.has(s.target) && s.value.kind === "const" && s.value.value === 0 && s.op === "=") {
        pending.set(s.target, j);
      }
    }
    return drop.size === 0 ? out : out.filter((_, i) => !drop.has(i));
  };
  return go(body);
}

/** Derivative `let`s never reassigned become `const`. */
function constify(body: Stmt[], derived: Set<string>, cx: Round): Stmt[] {
  const written = new Set<string>();
  for (const s of body) writesOf(s, written);
  const go = (b: Stmt[]): Stmt[] => b.map((s) => {
    if (s.kind === "assign" && s.decl === "let" && derived.has(s.target) && !written.has(s.target)) {
      cx.changed = true;
      return { ...s, decl: "const" as const };
    }
    return mapBlocks(s, go);
  });
  return go(body);
}

/**
 * Substitutes `const d = <number>` and `const d = <const or never-written name>` (d a derivative
 * variable) into the rest of its block, and drops the declaration.
 */
function propagate(body: Stmt[], result: Expr, derived: Set<string>, cx: Round): { body: Stmt[]; result: Expr } {
  const written = new Set<string>();
  for (const s of body) writesOf(s, written);
  const constNames = new Set<string>();
  const collect = (b: Stmt[]) => {
    for (const s of b) {
      if ("decl" in s && s.decl === "const") constNames.add(defOf(s)!);
      childBlocks(s).forEach(collect);
    }
  };
  collect(body);
  const subst = new Map<string, Expr>();
  const rewrite = (e: Expr): Expr => (subst.size === 0 ? e : substituteVars(e, (x) => subst.get(x), refold));
  const renameArray = (a: string): string => {
    const to = subst.get(a);
    return to && isVar(to) ? to.name : a;
  };
  const rewriteStmt = (s: Stmt): Stmt => {
    if (subst.size === 0) return s;
    let t = mapExprs(s, rewrite);
    if (t.kind === "load" || t.kind === "store" || t.kind === "assign-elem") t = { ...t, array: renameArray(t.array) };
    if (t.kind === "get" || t.kind === "assign-at") t = { ...t, list: renameArray(t.list) };
    return t;
  };
  let newResult = result;
  const go = (b: Stmt[], root: boolean): Stmt[] => {
    const added: string[] = [];
    const out: Stmt[] = [];
    for (const s0 of b) {
      const s = rewriteStmt(s0);
      if (s.kind === "assign" && s.decl === "const" && derived.has(s.target)) {
        const init = s.value;
        const simple = (init.kind === "const" && typeof init.value === "number") || (init.kind === "var" && (constNames.has(init.name) || !written.has(init.name)));
        if (simple) {
          subst.set(s.target, init);
          added.push(s.target);
          cx.changed = true;
          continue;
        }
      }
      out.push(mapBlocks(s, (c) => go(c, false)));
    }
    if (root) newResult = rewrite(result);
    for (const v of added) subst.delete(v);
    return out;
  };
  const newBody = go(body, true);
  return { body: newBody, result: newResult };
}

/**
 * `x = e` in the block that declares `x`, with nothing after it in that block reading `x`: the
 * value dies with the block (the restore of a running maximum whose variable the block declares).
 */
function deadStores(body: Stmt[], result: Expr, cx: Round): Stmt[] {
  const go = (b: Stmt[]): Stmt[] => {
    const out = b.map((s) => mapBlocks(s, go));
    const root = b === body;
    const declared = new Set<string>();
    for (const s of out) if ((s.kind === "assign" || s.kind === "op" || s.kind === "load") && s.decl !== undefined) declared.add(defOf(s)!);
    if (declared.size === 0) return out;
    // the function's result is read after its body
    const readLater = root ? varsOf(result) : new Set<string>();
    const drop = new Set<number>();
    for (let j = out.length - 1; j >= 0; j--) {
      const s = out[j]!;
      if (s.kind === "assign" && s.decl === undefined && s.op === "=" && declared.has(s.target) && !readLater.has(s.target) && !hasEffect(s.value)) {
        drop.add(j);
        continue;
      }
      readsOf(s, readLater, true);
    }
    if (drop.size === 0) return out;
    cx.changed = true;
    return out.filter((_, i) => !drop.has(i));
  };
  return go(body);
}

/**
 * `d[i] = 0; …; d[i] += e` in one block, `d` an adjoint array and nothing in between touching
 * `d[i]` (other elements of `d` may be written: indices `j` and `j ± c` are told apart), becomes
 * `d[i] = e`. When `d[i]` was read into `v` just before the zeroing and `e` is `v`, both go.
 */
function zeroThenAdd(body: Stmt[], derived: Set<string>, cx: Round): Stmt[] {
  const key = (e: Expr): string | undefined => (e.kind === "var" ? `v:${e.name}` : e.kind === "const" && typeof e.value === "number" ? `c:${e.value}` : undefined);
  const go = (b: Stmt[]): Stmt[] => {
    const out = b.map((s) => mapBlocks(s, go));
    /** `t = x ± c` defined earlier in this block: t -> [x, ±c]. */
    const offsets = new Map<string, [string, number]>();
    /** Zeroed elements not touched since: array -> its index, statement position and the variable read from it. */
    const pending = new Map<string, { index: Expr; at: number; loaded?: string }>();
    const drop = new Set<number>();
    const distinct = (a: Expr, c: Expr): boolean => {
      if (a.kind === "const" && c.kind === "const") return a.value !== c.value;
      if (a.kind !== "var" || c.kind !== "var") return false;
      const oa = offsets.get(a.name), oc = offsets.get(c.name);
      if (oa && oa[0] === c.name) return oa[1] !== 0;
      if (oc && oc[0] === a.name) return oc[1] !== 0;
      return !!oa && !!oc && oa[0] === oc[0] && oa[1] !== oc[1];
    };
    for (let j = 0; j < out.length; j++) {
      const s = out[j];
      // a candidate closing a pending zeroing
      if (s.kind === "assign-elem" && s.op === "+=" && pending.has(s.array)) {
        const p = pending.get(s.array)!;
        if (key(p.index) === key(s.index) && !varsOf(s.value).has(s.array)) {
          pending.delete(s.array);
          drop.add(p.at);
          if (p.loaded !== undefined && s.value.kind === "var" && s.value.name === p.loaded) drop.add(j);
          else out[j] = { ...s, op: "=" };
          cx.changed = true;
          continue;
        }
      }
      const written = writesOf(s, new Set());
      const d = defOf(s);
      if (d !== undefined) written.add(d);
      for (const [t, [x]] of [...offsets]) if (written.has(t) || written.has(x)) offsets.delete(t);
      if (pending.size > 0) {
        for (const [a, p] of [...pending]) {
          if (p.index.kind === "var" && written.has(p.index.name)) { pending.delete(a); continue; }
          if (p.loaded !== undefined && written.has(p.loaded)) p.loaded = undefined;
          if (!readsOf(s, new Set(), true).has(a) && !written.has(a)) continue;
          // another element of the same array, told apart by its index
          const other = s.kind === "assign-elem" && s.array === a && !varsOf(s.value).has(a) && distinct(s.index, p.index)
            || s.kind === "assign" && s.value.kind === "index" && s.value.array === a && distinct(s.value.index, p.index);
          if (!other) pending.delete(a);
        }
      }
      if (s.kind === "assign" && s.decl === "const" && s.value.kind === "apply" && (s.value.op === "+" || s.value.op === "-")) {
        const [x, c] = s.value.args;
        if (x?.kind === "var" && c?.kind === "const" && typeof c.value === "number") offsets.set(s.target, [x.name, s.value.op === "+" ? c.value : -c.value]);
      }
      if (s.kind === "op" && (s.op === "+" || s.op === "-")) {
        const [x, c] = s.args;
        if (x?.kind === "var" && c?.kind === "const" && typeof c.value === "number") offsets.set(s.target, [x.name, s.op === "+" ? c.value : -c.value]);
      }
      if (s.kind === "assign-elem" && s.op === "=" && derived.has(s.array) && s.value.kind === "const" && s.value.value === 0 && key(s.index) !== undefined) {
        const prev = out[j - 1];
        const loaded = prev?.kind === "assign" && prev.op === "=" && prev.value.kind === "index" && prev.value.array === s.array && key(prev.value.index) === key(s.index) ? prev.target
          : prev?.kind === "load" && prev.array === s.array && key(prev.index) === key(s.index) ? prev.target : undefined;
        pending.set(s.array, { index: s.index, at: j, ...(loaded !== undefined ? { loaded } : {}) });
      }
    }
    return drop.size === 0 ? out : out.filter((_, i) => !drop.has(i));
  };
  return go(body);
}
