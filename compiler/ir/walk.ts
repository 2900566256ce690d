/**
 * Traversals of the IR shared by the passes: children of regions, the variable a step defines,
 * the expressions it reads, and the variables an expression reads.
 */
import { type Expr, type Stmt, type Operand, assertNever, ref } from "./types.ts";

/** The blocks directly inside a statement, in program order. */
export function childBlocks(s: Stmt): Stmt[][] {
  switch (s.kind) {
    case "if": return [s.then, s.else];
    case "for": return [s.body];
    case "loop": return [s.header, s.body, s.update];
    case "op": case "load": case "store": case "alloc": case "call": case "get": case "custom":
    case "assign": case "assign-elem": case "assign-at": case "push": case "effect": case "throw":
      return [];
    default: return assertNever(s);
  }
}

/** The same region with each child block replaced by `f(block)`; leaves are returned as they are. */
export function mapBlocks(s: Stmt, f: (b: Stmt[]) => Stmt[]): Stmt {
  switch (s.kind) {
    case "if": return { ...s, then: f(s.then), else: f(s.else) };
    case "for": return { ...s, body: f(s.body) };
    case "loop": return { ...s, header: f(s.header), body: f(s.body), update: f(s.update) };
    case "op": case "load": case "store": case "alloc": case "call": case "get": case "custom":
    case "assign": case "assign-elem": case "assign-at": case "push": case "effect": case "throw":
      return s;
    default: return assertNever(s);
  }
}

/** Visits every statement in the tree, regions first then their children. */
export function walk(stmts: Stmt[], fn: (s: Stmt) => void): void {
  for (const s of stmts) {
    fn(s);
    for (const b of childBlocks(s)) walk(b, fn);
  }
}

/** The variable a step writes as a whole (stores write an element). */
export function defOf(s: Stmt): string | undefined {
  switch (s.kind) {
    case "op": case "load": case "alloc": case "assign": case "get":
      return s.target;
    case "call":
      return s.target;
    case "custom":
      return s.target;
    case "store": case "assign-elem": case "assign-at": case "push": case "effect": case "throw": case "if": case "for": case "loop":
      return undefined;
    default:
      return assertNever(s);
  }
}

/** Expressions a leaf step, or a region's own test, reads (not its children's). */
export function usesOf(s: Stmt): Expr[] {
  switch (s.kind) {
    case "op": return s.args;
    case "load": return [ref(s.array), s.index];
    case "get": return [ref(s.list), s.index];
    case "store": return [ref(s.array), s.index, s.value];
    case "alloc": return [s.size];
    case "call": return s.args;
    case "custom": return s.args;
    case "if": return [s.cond];
    case "for": return [s.start, s.end];
    case "loop": return [s.cond];
    case "assign": return s.op === "=" ? [s.value] : [ref(s.target), s.value];
    case "assign-elem": return [ref(s.array), s.index, s.value];
    case "assign-at": return [ref(s.list), s.index, s.value];
    case "push": return s.cursor ? [s.value, ref(s.cursor.buffer), ref(s.cursor.top)] : [s.value];
    case "effect": case "throw": return [s.value];
    default: return assertNever(s);
  }
}

/** Variables an expression reads, in order of first appearance. */
export function varsOf(e: Expr, out: Set<string> = new Set()): Set<string> {
  switch (e.kind) {
    case "var": out.add(e.name); break;
    case "const": case "tape-begin": break;
    case "pop": if (e.cursor) out.add(e.cursor.buffer).add(e.cursor.top); break;
    case "apply": case "call": case "invoke": case "tape-call": for (const a of e.args) varsOf(a, out); break;
    case "select": varsOf(e.cond, out); varsOf(e.then, out); varsOf(e.else, out); break;
    case "index": out.add(e.array); varsOf(e.index, out); break;
    case "at": out.add(e.list); varsOf(e.index, out); break;
    case "field": varsOf(e.object, out); break;
    case "coalesce": varsOf(e.a, out); varsOf(e.b, out); break;
    case "new-array": varsOf(e.size, out); break;
    case "view": out.add(e.array); varsOf(e.begin, out); varsOf(e.end, out); break;
    case "record": for (const [, x] of e.fields) varsOf(x, out); break;
    case "lambda": varsOf(e.body, out); for (const p of e.params) out.delete(p); break;
    case "text": break;
    case "template": for (const v of e.values) varsOf(v, out); break;
    case "host": case "construct": case "user": for (const a of e.args) varsOf(a, out); break;
    default: assertNever(e);
  }
  return out;
}

/** Whether an expression has an effect beyond its value (a tape pop, a call, an allocation). */
export function hasEffect(e: Expr): boolean {
  switch (e.kind) {
    case "var": case "const": return false;
    case "pop": case "tape-begin": case "tape-call": case "call": case "invoke": case "new-array": return true;
    case "apply": return e.args.some(hasEffect);
    case "select": return hasEffect(e.cond) || hasEffect(e.then) || hasEffect(e.else);
    case "index": case "at": return hasEffect(e.index);
    case "view": return hasEffect(e.begin) || hasEffect(e.end);
    case "field": return hasEffect(e.object);
    case "coalesce": return hasEffect(e.a) || hasEffect(e.b);
    case "record": return e.fields.some(([, x]) => hasEffect(x));
    case "lambda": case "text": return false;
    case "template": return e.values.some(hasEffect);
    case "host": case "construct": case "user": return true;
    default: return assertNever(e);
  }
}

/** Rewrites every expression a statement holds (not its children's statements) with `f`. */
export function mapExprs(s: Stmt, f: (e: Expr) => Expr): Stmt {
  const op = (o: Operand): Operand => {
    const e = f(o);
    if (e.kind !== "var" && e.kind !== "const") throw new Error("internal: an operand must stay a variable or a constant");
    return e;
  };
  switch (s.kind) {
    case "op": return { ...s, args: s.args.map(op) };
    case "load": return { ...s, index: op(s.index) };
    case "get": return { ...s, index: op(s.index) };
    case "store": return { ...s, index: op(s.index), value: op(s.value) };
    case "alloc": return { ...s, size: op(s.size) };
    case "call": return { ...s, args: s.args.map(f) };
    case "custom": return { ...s, args: s.args.map(f) };
    case "if": return { ...s, cond: f(s.cond) };
    case "for": return { ...s, start: f(s.start), end: f(s.end) };
    case "loop": return { ...s, cond: f(s.cond) };
    case "assign": return { ...s, value: f(s.value) };
    case "assign-elem": return { ...s, index: f(s.index), value: f(s.value) };
    case "assign-at": return { ...s, index: f(s.index), value: f(s.value) };
    case "push": return { ...s, value: f(s.value) };
    case "effect": return { ...s, value: f(s.value) };
    case "throw": return { ...s, value: f(s.value) };
    default: return assertNever(s);
  }
}

/** Replaces variables in an expression (`f` returns undefined to keep one). */
export function substituteVars(e: Expr, f: (name: string) => Expr | undefined, rebuild: (e: Expr) => Expr = (x) => x): Expr {
  const go = (x: Expr): Expr => substituteVars(x, f, rebuild);
  switch (e.kind) {
    case "var": return f(e.name) ?? e;
    case "const": case "pop": case "tape-begin": return e;
    case "apply": return rebuild({ ...e, args: e.args.map(go) });
    case "call": case "invoke": case "tape-call": return { ...e, args: e.args.map(go) };
    case "select": return rebuild({ ...e, cond: go(e.cond), then: go(e.then), else: go(e.else) });
    case "index": {
      const to = f(e.array);
      return { ...e, array: to && to.kind === "var" ? to.name : e.array, index: go(e.index) };
    }
    case "at": {
      const to = f(e.list);
      return { ...e, list: to && to.kind === "var" ? to.name : e.list, index: go(e.index) };
    }
    case "field": return { ...e, object: go(e.object) };
    case "coalesce": return { ...e, a: go(e.a), b: go(e.b) };
    case "new-array": return { ...e, size: go(e.size) };
    case "view": {
      const to = f(e.array);
      return { ...e, array: to && to.kind === "var" ? to.name : e.array, begin: go(e.begin), end: go(e.end) };
    }
    case "record": return { ...e, fields: e.fields.map(([k, x]) => [k, go(x)] as [string, Expr]) };
    case "lambda": return { ...e, body: go(e.body) };
    case "text": return e;
    case "template": return { ...e, values: e.values.map(go) };
    case "host": case "construct": case "user": return { ...e, args: e.args.map(go) };
    default: return assertNever(e);
  }
}

/** The expressions directly inside an expression, in evaluation order. */
export function subExprs(e: Expr): Expr[] {
  switch (e.kind) {
    case "var": case "const": case "pop": case "tape-begin": case "text": return [];
    case "apply": case "call": case "invoke": case "tape-call": case "host": case "construct": case "user": return e.args;
    case "select": return [e.cond, e.then, e.else];
    case "index": case "at": return [e.index];
    case "view": return [e.begin, e.end];
    case "field": return [e.object];
    case "coalesce": return [e.a, e.b];
    case "new-array": return [e.size];
    case "record": return e.fields.map(([, x]) => x);
    case "lambda": return [e.body];
    case "template": return e.values;
    default: return assertNever(e);
  }
}

/** The same expression with each expression directly inside it replaced by `f(sub)`. */
export function mapSubExprs(e: Expr, f: (e: Expr) => Expr): Expr {
  switch (e.kind) {
    case "var": case "const": case "pop": case "tape-begin": case "text": return e;
    case "apply": case "call": case "invoke": case "tape-call": case "host": case "construct": case "user": return { ...e, args: e.args.map(f) };
    case "select": return { ...e, cond: f(e.cond), then: f(e.then), else: f(e.else) };
    case "index": case "at": return { ...e, index: f(e.index) };
    case "view": return { ...e, begin: f(e.begin), end: f(e.end) };
    case "field": return { ...e, object: f(e.object) };
    case "coalesce": return { ...e, a: f(e.a), b: f(e.b) };
    case "new-array": return { ...e, size: f(e.size) };
    case "record": return { ...e, fields: e.fields.map(([k, x]) => [k, f(x)] as [string, Expr]) };
    case "lambda": return { ...e, body: f(e.body) };
    case "template": return { ...e, values: e.values.map(f) };
    default: return assertNever(e);
  }
}

/** Whether an expression, or one inside it, satisfies `p`. */
export function someExpr(e: Expr, p: (e: Expr) => boolean): boolean {
  return p(e) || subExprs(e).some((x) => someExpr(x, p));
}

/** The array an argument of a BLAS call names: a variable, or a window of one. */
export function arrayOfArg(e: Expr): string | undefined {
  if (e.kind === "var") return e.name;
  if (e.kind === "view") return e.array;
  return undefined;
}
