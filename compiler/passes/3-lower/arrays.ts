/**
 * Lowering of arrays, with their JavaScript meaning. A Float64Array or `number[]` value is either
 * a whole array variable or a window of one (`x.subarray(b, e)`): a view is an offset and a
 * length into its parent, so reads, writes and gradients go to the parent. New arrays (array
 * literals, `new Float64Array(x)`, `Float64Array.from(x)`, `x.slice()`, `new Array(n).fill(v)`)
 * are allocations filled by element steps; `set` and `fill` are loops of stores; `stopGradient(x)`
 * is a new array filled by `stopGradientCopy`, through which no derivative flows.
 */
import ts from "typescript";
import { type Expr, type Stmt, type Operand, type IntArrayName, ref, num, isVar, isIntArrayName } from "../../ir/types.ts";
import { ExpressionLowerer } from "./expressions.ts";
import { stripTypes } from "./env.ts";
import { isReverseMethod, isSortMethod } from "./sorting.ts";
import { matrixInit } from "./matrices.ts";
import { type HelperFn, resolveCallee, returnsArray, skipParens, stopGradientArgument, resultExpression, constantTable } from "./resolve.ts";

/** An array value: a whole array variable, or a window of one. */
export interface ArrayRef {
  array: string;
  /** Where the window starts in `array` (absent: at 0, the whole array). */
  offset?: Operand;
  /** The window's length (absent: the array's). */
  length?: Operand;
}

const TYPED = new Set(["Float64Array"]);


/** `recv.method(args)`: the method's name and receiver, when `e` is such a call. */
export function methodCall(e: ts.Expression): { recv: ts.Expression; name: string; args: readonly ts.Expression[] } | undefined {
  e = stripTypes(e);
  if (!ts.isCallExpression(e)) return undefined;
  const c = skipParens(e.expression);
  if (!ts.isPropertyAccessExpression(c)) return undefined;
  return { recv: c.expression, name: c.name.text, args: e.arguments };
}

/** `Array(n)`: a call of the Array constructor without `new`, which JavaScript treats as `new Array(n)`. */
function isArrayCall(e: ts.Expression): e is ts.CallExpression {
  return ts.isCallExpression(e) && ts.isIdentifier(e.expression) && e.expression.text === "Array";
}

/** The array a plain copy copies: `[...xs]`, `xs.slice()`, `Float64Array.from(xs)`. */
function copied(e0: ts.Expression): ts.Expression | undefined {
  const e = stripTypes(e0);
  if (ts.isArrayLiteralExpression(e) && e.elements.length === 1 && ts.isSpreadElement(e.elements[0]!)) return e.elements[0].expression;
  const m = methodCall(e);
  if (m && m.name === "slice" && m.args.length === 0) return m.recv;
  if (m && m.name === "from" && m.args.length === 1 && ts.isIdentifier(m.recv) && (TYPED.has(m.recv.text) || m.recv.text === "Array")) return m.args[0];
  return undefined;
}

export abstract class ArrayLowerer extends ExpressionLowerer {
  protected abstract lowerMap(e: ts.Expression, out: Stmt[], target?: string): ArrayRef;
  /** A call of a helper that returns an array: its body inlined, and the array it returns. */
  protected abstract inlineArrayHelper(decl: HelperFn, call: ts.CallExpression, out: Stmt[]): ArrayRef;
  protected abstract lowerFrom(e: ts.CallExpression, out: Stmt[], target?: string): ArrayRef;
  protected abstract lowerFilter(e: ts.CallExpression, out: Stmt[]): ArrayRef;
  protected abstract lowerSorted(src: ArrayRef, comparator: ts.Expression | undefined, e: ts.CallExpression, out: Stmt[], target?: string): ArrayRef;
  protected abstract inlineTupleHelper(decl: HelperFn, call: ts.CallExpression, out: Stmt[], elements: (literal: readonly ts.Expression[]) => Operand[]): Operand[];

  /**
   * The values of an array literal of at least `count` plain elements, or of the one a helper
   * returns (lowered in order, as JavaScript evaluates them); undefined for any other array.
   */
  private tupleValues(init: ts.Expression, count: number, out: Stmt[]): Operand[] | undefined {
    const plain = (e: ts.Expression): readonly ts.Expression[] | undefined => {
      const x = stripTypes(e);
      return ts.isArrayLiteralExpression(x) && x.elements.length >= count && x.elements.every((el) => !ts.isSpreadElement(el) && !ts.isOmittedExpression(el)) ? x.elements : undefined;
    };
    const elements = (literal: readonly ts.Expression[]) => literal.map((x) => this.lowerExpr(x, out, ""));
    const lit = plain(init);
    if (lit) return elements(lit);
    const e = stripTypes(init);
    if (!ts.isCallExpression(e) || methodCall(e)) return undefined;
    const c = resolveCallee(e, this.cx);
    if (c.kind !== "helper") return undefined;
    const result = resultExpression(c.decl);
    if (!result || !plain(result)) return undefined;
    return this.inlineTupleHelper(c.decl, e, out, (l) => elements(l));
  }

  /** The matrix `A` of `A[i]`, when `A` is one built in the function. */
  protected matrixRow(e0: ts.Expression): { array: string; rows: Operand; cols: Operand; index: ts.Expression } | undefined {
    const e = stripTypes(e0);
    if (!ts.isElementAccessExpression(e)) return undefined;
    const m = this.matrixOf(e.expression);
    return m && { ...m, index: e.argumentExpression };
  }

  protected matrixOf(e0: ts.Expression): { array: string; rows: Operand; cols: Operand } | undefined {
    const e = stripTypes(e0);
    const sym = ts.isIdentifier(e) ? this.checker.getSymbolAtLocation(e) : undefined;
    return sym && this.matrices.get(sym);
  }

  /** Whether an expression is a list (a name, a field, an element of a list) or a matrix built here: what array methods walk besides arrays. */
  protected holdsElements(e: ts.Expression): boolean {
    return this.matrixOf(e) !== undefined || this.listOf(e) !== undefined || this.elementChain(e)?.shape.k === "list";
  }

  /** Row `k` of a matrix: the window of its flat array at `k·cols`. */
  protected matrixRowRef(m: { array: string; cols: Operand }, k: Operand, out: Stmt[], at: ts.Node): ArrayRef {
    const offset = k.kind === "const" && m.cols.kind === "const" ? num((k.value as number) * (m.cols.value as number)) : this.step(out, "*", [k, m.cols], at, "num", "");
    return { array: m.array, offset, length: m.cols };
  }

  /**
   * `const A = [[a, b], [c, d]]` or `Array.from({ length: n }, () => new Float64Array(m))`
   * (matrices.ts; the fence checked its uses): one flat array of n·m elements, filled row by row
   * as JavaScript evaluates the literal (or with the rows' fill value).
   */
  protected lowerMatrixDeclaration(d: ts.VariableDeclaration & { name: ts.Identifier }, sym: ts.Symbol, out: Stmt[]): boolean {
    const built = d.initializer && matrixInit(d.initializer);
    if (!built) return false;
    const array = this.newVar(d.name.text, "arr", "local", d.name.text);
    if (built.kind === "literal") {
      const cols = built.rows[0]!.elements.length;
      const values = built.rows.flatMap((r) => r.elements.map((x) => this.lowerExpr(x, out, "")));
      this.allocate(out, array, num(built.rows.length * cols), d);
      values.forEach((v, i) => this.arrayStore(out, { array }, num(i), v, d));
      this.matrices.set(sym, { array, rows: num(built.rows.length), cols: num(cols) });
      return true;
    }
    // Array.from({ length }) takes the length as JavaScript does (truncated, at least 0)
    const n0 = this.lowerExpr(built.rows, out, "rows");
    const rows = n0.kind === "const" ? num(Math.max(Math.trunc(n0.value as number), 0)) : this.step(out, "Math.max", [this.step(out, "Math.trunc", [n0], d, "num", ""), num(0)], d, "num", "rows");
    const cols = this.lowerExpr(built.cols, out, "cols");
    const size = rows.kind === "const" && cols.kind === "const" ? num((rows.value as number) * (cols.value as number)) : this.step(out, "*", [rows, cols], d, "num", "");
    this.allocate(out, array, size, d);
    if (built.fill) {
      const v = this.lowerExpr(built.fill, out, "v");
      if (!(v.kind === "const" && v.value === 0)) this.countedLoop(out, size, d, (k, body) => this.arrayStore(body, { array }, k, v, d));
    }
    this.matrices.set(sym, { array, rows, cols });
    return true;
  }

  /** Whether an expression is an array value (so a declaration from it declares an array). */
  protected isArrayExpression(e0: ts.Expression): boolean {
    const e = stripTypes(e0);
    if (ts.isIdentifier(e) && constantTable(e, this.checker)?.kind === "array") return true;
    if (this.matrixRow(e)) return true;
    if (ts.isIdentifier(e)) {
      const sym = this.checker.getSymbolAtLocation(e);
      if (sym && this.views.has(sym)) return true;
      const o = sym && this.env.get(sym);
      return !!o && isVar(o) && this.vars.get(o.name)?.type === "arr";
    }
    const slot = this.slotOf(e);
    if (slot) {
      if (this.views.has(slot)) return true;
      const o = this.env.get(slot);
      return !!o && isVar(o) && this.vars.get(o.name)?.type === "arr";
    }
    const ch = this.elementChain(e);
    if (ch) return ch.shape.k === "arr";
    if (ts.isArrayLiteralExpression(e)) return true;
    if (ts.isNewExpression(e) && ts.isIdentifier(e.expression) && (TYPED.has(e.expression.text) || isIntArrayName(e.expression.text) || e.expression.text === "Array")) return true;
    const stopped = stopGradientArgument(e, this.cx);
    if (stopped) return this.isArrayExpression(stopped);
    if (isArrayCall(e)) return true;
    if (ts.isCallExpression(e) && !methodCall(e)) {
      const c = resolveCallee(e, this.cx);
      return c.kind === "helper" && returnsArray(c.decl, this.checker);
    }
    const m = methodCall(e);
    if (!m) return false;
    if (ts.isIdentifier(m.recv) && (TYPED.has(m.recv.text) || m.recv.text === "Array") && (m.name === "from" || m.name === "of")) return true;
    // a map over a list's elements or a matrix's rows is a new array too
    if (m.name === "map" && this.holdsElements(m.recv)) return true;
    return ["subarray", "slice", "fill", "map", "filter", "sort", "toSorted", "reverse", "toReversed", "concat"].includes(m.name) && this.isArrayExpression(m.recv);
  }

  /** An expression naming an existing array or a window of one. */
  protected lowerArrayRef(e0: ts.Expression, out: Stmt[]): ArrayRef {
    const e = stripTypes(e0);
    const row = this.matrixRow(e);
    if (row) return this.matrixRowRef(row, this.lowerExpr(row.index, out, "i"), out, e);
    const table = ts.isIdentifier(e) ? constantTable(e, this.checker) : undefined;
    if (table?.kind === "array") return this.tableArray(e as ts.Identifier, table.values);
    if (ts.isIdentifier(e)) {
      const sym = this.checker.getSymbolAtLocation(e);
      const view = sym && this.views.get(sym);
      if (view) return view;
      const o = this.lowerIdentifier(e);
      if (!isVar(o) || this.vars.get(o.name)!.type !== "arr") this.internal(e);
      return { array: o.name };
    }
    const slot = this.slotOf(e);
    if (slot) {
      const view = this.views.get(slot);
      if (view) return view;
      const o = this.env.get(slot);
      if (!o || !isVar(o) || this.vars.get(o.name)!.type !== "arr") this.internal(e);
      return { array: o.name };
    }
    const ch = this.elementChain(e);
    if (ch && ch.shape.k === "arr") {
      const v = this.lowerElement(ch, out, e);
      if ("o" in v && isVar(v.o)) return { array: v.o.name };
    }
    const m = methodCall(e);
    if (m && m.name === "subarray") return this.window(this.lowerArrayRef(m.recv, out), m.args, out, e);
    // a new array read in place (`[...xs, ...ys][i]`, `xs.concat(ys).slice(1)`): a temporary
    if (!this.isReference(e) && this.isArrayExpression(e)) return this.lowerArrayValue(e, out);
    return this.internal(e);
  }

  /**
   * The array of a module's constant table (`const W = [0.2, 0.3] as const`), filled once at the
   * start of the function the first time the function indexes it by a value not known here.
   */
  protected tableArray(id: ts.Identifier, values: readonly number[]): ArrayRef {
    const sym = this.symbolOf(id);
    let name = this.tableArrays.get(sym);
    if (name === undefined) {
      name = this.newVar(id.text, "arr", "local");
      this.tableArrays.set(sym, name);
      this.allocate(this.prologue, name, num(values.length), id);
      values.forEach((v, i) => this.arrayStore(this.prologue, { array: name! }, num(i), num(v), id));
    }
    return { array: name };
  }

  /**
   * Any array-valued expression. A new array is allocated into `target` (a declared variable)
   * or a fresh temporary; a reference or window is returned as it is.
   */
  protected lowerArrayValue(e0: ts.Expression, out: Stmt[], target?: string): ArrayRef {
    const e = stripTypes(e0);
    const fresh = (size: Operand, ints?: IntArrayName): ArrayRef => {
      const name = target ?? this.newVar("a", "arr", "local");
      if (ints) this.vars.get(name)!.ints = ints;
      this.allocate(out, name, size, e, ints);
      return { array: name };
    };
    const literal = (elements: readonly ts.Expression[]): ArrayRef => {
      const spread = elements.length === 1 && ts.isSpreadElement(elements[0]) ? elements[0] : undefined;
      if (spread) return this.copyOf(this.lowerArrayValue(spread.expression, out), out, e, fresh);
      if (elements.some(ts.isSpreadElement)) return this.joined(elements.map((x) => (ts.isSpreadElement(x) ? { spread: x.expression } : { element: x })), out, e, fresh);
      const values = elements.map((x) => this.lowerExpr(x, out, ""));
      const a = fresh(num(values.length));
      values.forEach((v, i) => this.arrayStore(out, a, num(i), v, e));
      return a;
    };
    if (ts.isArrayLiteralExpression(e)) return literal(e.elements);
    if (ts.isNewExpression(e) && ts.isIdentifier(e.expression)) {
      const arg = e.arguments?.[0];
      if (e.expression.text === "Array") return fresh(arg ? this.lowerExpr(arg, out, "n") : num(0));
      // an integer array: `new Int32Array(length)` (the fence accepts no other form)
      if (isIntArrayName(e.expression.text)) return fresh(arg ? this.lowerExpr(arg, out, "n") : num(0), e.expression.text);
      if (!arg) return fresh(num(0));
      const a = stripTypes(arg);
      if (ts.isArrayLiteralExpression(a)) return literal(a.elements);
      if (this.isArrayExpression(a)) return this.copyOf(this.lowerArrayValue(a, out), out, e, fresh);
      return fresh(this.lowerExpr(a, out, "n"));
    }
    // `Array(n)`, as `new Array(n)`
    if (isArrayCall(e)) return fresh(e.arguments[0] ? this.lowerExpr(e.arguments[0], out, "n") : num(0));
    if (ts.isCallExpression(e) && !methodCall(e)) {
      const c = resolveCallee(e, this.cx);
      if (c.kind === "helper") return this.inlineArrayHelper(c.decl, e, out);
    }
    const m = methodCall(e);
    if (m && ts.isIdentifier(m.recv) && (TYPED.has(m.recv.text) || m.recv.text === "Array")) {
      if (m.name === "of") return literal(m.args);
      if (m.name === "from" && m.args.length === 2) return this.lowerFrom(e as ts.CallExpression, out, target);
      if (m.name === "from") return this.copyOf(this.lowerArrayValue(m.args[0], out), out, e, fresh);
    }
    if (m && m.name === "map") return this.lowerMap(e, out, target);
    // `xs.concat(ys, a)`: the receiver's elements, then each argument's (an array's, or the number)
    if (m && m.name === "concat") {
      const pieces = [m.recv, ...m.args].map((x) => (this.isArrayExpression(x) ? { spread: x } : { element: x }));
      return this.joined(pieces, out, e, fresh);
    }
    // the kept elements, gathered at the front of an array of the receiver's length, copied out
    if (m && m.name === "filter") return this.copyOf(this.lowerFilter(e as ts.CallExpression, out), out, e, fresh);
    // the elements in a sort's order, gathered into a new array (sort of a copy, [...xs].sort(…), reads xs)
    if (m && isSortMethod(m.name)) return this.lowerSorted(this.lowerArrayValue(copied(m.recv) ?? m.recv, out), m.args[0], e as ts.CallExpression, out, target);
    if (m && isReverseMethod(m.name)) return this.reversed(this.lowerArrayValue(copied(m.recv) ?? m.recv, out), e, out, target);
    const stopped = stopGradientArgument(e, this.cx);
    if (stopped) {
      // a copy through which no derivative flows
      const src = this.lowerArrayValue(stopped, out);
      const n = this.arrayLength(out, src, e);
      const dst = fresh(n);
      const args = [n, this.arrayArg(out, src, e), ref(dst.array)];
      this.loads.written(dst.array);
      out.push({ kind: "call", fn: "stopGradientCopy", args, loc: this.loc(this.stmtOf(e)) });
      return dst;
    }
    if (m && m.name === "slice") return this.copyOf(this.window(this.lowerArrayRef(m.recv, out), m.args, out, e), out, e, fresh);
    if (m && m.name === "fill") {
      // `new Array(n).fill(v)`, or a fill of an existing array, which is that array
      const created = !this.isReference(m.recv);
      const a = this.lowerArrayValue(m.recv, out, target);
      this.fill(a, m.args, out, e, created);
      return a;
    }
    return this.lowerArrayRef(e, out);
  }

  /**
   * `[a, ...xs, b, ...ys]` (and `concat`): a new array of the pieces' elements in order, each
   * piece evaluated left to right as JavaScript does, its length the elements' count plus the
   * spread arrays' lengths.
   */
  private joined(pieces: ({ spread: ts.Expression } | { element: ts.Expression })[], out: Stmt[], e: ts.Expression, fresh: (size: Operand) => ArrayRef): ArrayRef {
    const parts = pieces.map((p): { a: ArrayRef } | { v: Operand } => ("spread" in p ? { a: this.lowerArrayValue(p.spread, out) } : { v: this.lowerExpr(p.element, out, "") }));
    const zero = (x: Operand) => x.kind === "const" && x.value === 0;
    const plus = (x: Operand, y: Operand): Operand => (x.kind === "const" && y.kind === "const" ? num((x.value as number) + (y.value as number))
      : zero(x) ? y : zero(y) ? x : this.step(out, "+", [x, y], e, "num", ""));
    const lengths = parts.map((p) => ("a" in p ? this.arrayLength(out, p.a, e) : num(1)));
    const dst = fresh(lengths.reduce(plus, num(0)));
    let at: Operand = num(0);
    parts.forEach((p, i) => {
      if ("a" in p) this.copyInto(dst, p.a, at, lengths[i]!, out, e);
      else this.arrayStore(out, dst, at, p.v, e);
      at = plus(at, lengths[i]!);
    });
    return dst;
  }

  /** The elements of `src` last to first, in a new array (`target`, or a fresh one). */
  private reversed(src: ArrayRef, e: ts.Expression, out: Stmt[], target?: string): ArrayRef {
    const n = this.arrayLength(out, src, e);
    const dst: ArrayRef = { array: target ?? this.newVar("reversed", "arr", "local") };
    this.allocate(out, dst.array, n, e);
    const last = this.step(out, "-", [n, num(1)], e, "num", "");
    this.countedLoop(out, n, e, (k, body) => this.arrayStore(body, dst, k, this.arrayLoad(body, src, this.step(body, "-", [last, k], e, "num", ""), e), e));
    return dst;
  }

  /** The window `subarray(begin, end)` of an array, as JavaScript clamps it. */
  protected window(base: ArrayRef, args: readonly ts.Expression[], out: Stmt[], at: ts.Node): ArrayRef {
    const len = this.arrayLength(out, base, at);
    const bound = (x: ts.Expression | undefined, dflt: Operand): Operand => {
      if (x === undefined) return dflt;
      const v = this.lowerExpr(x, out, "");
      if (v.kind === "const" && v.value === 0) return v;
      return this.step(out, "clampIndex", [v, len], at, "num", "");
    };
    const begin = bound(args[0], num(0));
    const end = bound(args[1], len);
    const span = this.step(out, "-", [end, begin], at, "num", "");
    const length = this.step(out, "Math.max", [span, num(0)], at, "num", "");
    const offset = base.offset === undefined ? begin : begin.kind === "const" && begin.value === 0 ? base.offset : this.step(out, "+", [base.offset, begin], at, "num", "");
    return { array: base.array, offset, length };
  }

  protected arrayLength(out: Stmt[], a: ArrayRef, at: ts.Node): Operand {
    if (a.length) return a.length;
    const n = this.step(out, "length", [ref(a.array)], at, "num", "n");
    if (isVar(n)) this.lengthReads.set(n.name, { array: a.array, out, generation: this.generations.get(a.array) ?? 0 });
    return n;
  }

  /** The index into the parent array of element `index` of a window. */
  private absolute(out: Stmt[], a: ArrayRef, index: Operand, at: ts.Node): Operand {
    if (a.offset === undefined || (a.offset.kind === "const" && a.offset.value === 0)) return index;
    if (index.kind === "const" && index.value === 0) return a.offset;
    if (index.kind === "const" && a.offset.kind === "const") return num((a.offset.value as number) + (index.value as number));
    return this.step(out, "+", [a.offset, index], at, "num", "");
  }

  protected arrayLoad(out: Stmt[], a: ArrayRef, index: Operand, at: ts.Node): Operand {
    return this.load(out, a.array, this.absolute(out, a, index, at), at);
  }

  protected arrayStore(out: Stmt[], a: ArrayRef, index: Operand, value: Operand, at: ts.Node): void {
    const i = this.absolute(out, a, index, at);
    this.loads.written(a.array);
    out.push({ kind: "store", array: a.array, index: i, value, loc: this.loc(this.stmtOf(at)) });
  }

  /** An array as an argument of a BLAS routine: the variable, or `x.subarray(b, e)`. */
  protected arrayArg(out: Stmt[], a: ArrayRef, at: ts.Node): Expr {
    if (a.offset === undefined) return ref(a.array);
    const end = this.step(out, "+", [a.offset, this.arrayLength(out, a, at)], at, "num", "");
    return { kind: "view", array: a.array, begin: a.offset, end };
  }

  /**
   * `Math.max(a, ...xs, b)` for an op with a fold start (the rule table's `fold`): the arguments in
   * order, each spread's elements one by one, into a running value (`m = Math.max(m, xs[k])`).
   */
  protected lowerFold(op: string, start: number, e: ts.CallExpression, out: Stmt[]): Operand {
    const acc = this.newVar("m", "num", "local");
    let first = true;
    const take = (v: Operand, block: Stmt[]) => {
      this.emitOp(block, acc, "copy", [first ? v : this.step(block, op, [ref(acc), v], e, "num", "")], e);
      first = false;
    };
    for (const a of e.arguments) {
      if (!ts.isSpreadElement(a)) {
        take(this.lowerExpr(a, out, ""), out);
        continue;
      }
      const xs = this.lowerArrayValue(a.expression, out);
      if (first) take(num(start), out);
      this.countedLoop(out, this.arrayLength(out, xs, a), a, (k, body) => take(this.arrayLoad(body, xs, k, a), body));
    }
    return ref(acc);
  }

  /** `for (k = 0; k < n; k++) body(k)` as a counted loop. */
  protected countedLoop(out: Stmt[], n: Operand, at: ts.Node, body: (k: Operand, block: Stmt[]) => void): void {
    const k = this.newVar("k", "num", "local");
    this.defs.set(k, 1);
    this.counters.add(k);
    const block: Stmt[] = [];
    this.depth++;
    body(ref(k), block);
    this.depth--;
    out.push({ kind: "for", counter: k, start: num(0), end: n, cmp: "<", step: 1, body: block, loc: this.loc(this.stmtOf(at)) });
  }

  /** A new array holding the elements of `src`. */
  protected copyOf(src: ArrayRef, out: Stmt[], at: ts.Node, fresh: (size: Operand) => ArrayRef): ArrayRef {
    const n = this.arrayLength(out, src, at);
    const dst = fresh(n);
    this.copyInto(dst, src, num(0), n, out, at);
    return dst;
  }

  protected copyInto(dst: ArrayRef, src: ArrayRef, at0: Operand, n: Operand, out: Stmt[], at: ts.Node): void {
    this.countedLoop(out, n, at, (k, body) => {
      const v = this.arrayLoad(body, src, k, at);
      const i = at0.kind === "const" && at0.value === 0 ? k : this.step(body, "+", [at0, k], at, "num", "");
      this.arrayStore(body, dst, i, v, at);
    });
  }

  /** Whether an array expression names an existing array (or a window of one) rather than creating one. */
  private isReference(e0: ts.Expression): boolean {
    const e = stripTypes(e0);
    if (ts.isIdentifier(e) || this.slotOf(e) || this.elementChain(e)) return true;
    const m = methodCall(e);
    return !!m && (m.name === "subarray" || m.name === "fill") && this.isReference(m.recv);
  }

  /** `a.fill(value, begin?, end?)`; a fill with 0 of a new allocation does nothing. */
  private fill(a: ArrayRef, args: readonly ts.Expression[], out: Stmt[], at: ts.Node, created = false): void {
    const value = args[0] ? this.lowerExpr(args[0], out, "v") : num(NaN);
    if (created && value.kind === "const" && value.value === 0 && args.length <= 1) return;
    const w = args.length > 1 ? this.window(a, args.slice(1), out, at) : a;
    this.countedLoop(out, this.arrayLength(out, w, at), at, (k, body) => this.arrayStore(body, w, k, value, at));
  }

  /**
   * `y = <new array>` inside a loop or a branch: the new elements are copied into an array of
   * `y`'s (the fence checked that no other name can refer to it, so JavaScript's rebinding and
   * the copy differ in nothing else). When the new array is as long as `y`'s by construction
   * (`new Float64Array(y.length)`, `y.map(…)`, in the same block with `y` not rebound since), the
   * copy goes into `y`'s array; otherwise `y` is given a new array of the new length first (a
   * network's activations, layer by layer), whose predecessor the reverse sweep takes back.
   */
  protected rebindByCopy(left: ts.Identifier, right: ts.Expression, out: Stmt[], at: ts.Node): string {
    const dst = this.lowerArrayRef(left, out);
    const src = this.lowerArrayValue(right, out);
    if (dst.offset !== undefined || dst.length !== undefined) this.internal(left);
    const size = src.length ?? this.sizes.get(src.array);
    const read = size && isVar(size) ? this.lengthReads.get(size.name) : undefined;
    const same = read !== undefined && read.array === dst.array && read.out === out && read.generation === (this.generations.get(dst.array) ?? 0);
    const n = same ? this.arrayLength(out, dst, at) : this.arrayLength(out, src, at);
    if (!same && this.handsOverLet(right)) {
      // `prev = cur; cur = next`: the time levels of a scheme, which keep their length
      const differs = this.step(out, "!==", [n, this.arrayLength(out, dst, at)], at, "bool", "");
      this.throwIf(out, differs, "RangeError", `'${left.text}' takes over the array of '${right.getText()}', which has another length: the generated code copies it into the array of '${left.text}', so the lengths must be the same.`, at);
    } else if (!same) {
      this.allocate(out, dst.array, n, at);
      this.generations.set(dst.array, (this.generations.get(dst.array) ?? 0) + 1);
    }
    this.copyInto(dst, src, num(0), n, out, at);
    return dst.array;
  }

  /** Whether a rebinding's new array is another `let`'s (a hand-over, see the fence's `handsOver`). */
  private handsOverLet(right: ts.Expression): boolean {
    const e = stripTypes(right);
    const d = ts.isIdentifier(e) ? this.checker.getSymbolAtLocation(e)?.valueDeclaration : undefined;
    return !!d && ts.isVariableDeclaration(d) && (d.parent.flags & ts.NodeFlags.Let) !== 0;
  }

  /** The array and block of each `length` step, and how often the array had been given a new one then. */
  private lengthReads = new Map<string, { array: string; out: Stmt[]; generation: number }>();
  /** How many times each array name has been given a new array by a rebinding (`rebindByCopy`). */
  private generations = new Map<string, number>();

  /** A forward-only guard: `if (cond) throw new <ctor>(message)`. */
  protected throwIf(out: Stmt[], cond: Operand, ctor: string, message: string, at: ts.Node): void {
    const loc = this.loc(this.stmtOf(at));
    out.push({ kind: "if", cond, then: [{ kind: "throw", value: { kind: "construct", ctor, args: [{ kind: "text", value: message }] }, loc }], else: [], loc });
  }

  /** `a.set(src, offset?)` and `a.fill(v, …)` as statements; whether `e` was one. */
  protected lowerArrayStatement(e: ts.CallExpression, out: Stmt[]): boolean {
    const m = methodCall(e);
    if (!m || !this.isArrayExpression(m.recv)) return false;
    if (m.name === "set") {
      const dst = this.lowerArrayRef(m.recv, out);
      const src = this.lowerArrayValue(m.args[0], out);
      const offset = m.args[1] ? this.lowerExpr(m.args[1], out, "") : num(0);
      this.copyInto(dst, src, offset, this.arrayLength(out, src, e), out, e);
      return true;
    }
    if (m.name === "fill") {
      this.fill(this.lowerArrayRef(m.recv, out), m.args, out, e);
      return true;
    }
    if (m.name === "sort" || m.name === "reverse") {
      // in place, on an array the function created: reordered into a new array, copied back
      const a = this.lowerArrayRef(m.recv, out);
      const b = m.name === "sort" ? this.lowerSorted(a, m.args[0], e, out) : this.reversed(a, e, out);
      this.copyInto(a, b, num(0), this.arrayLength(out, a, e), out, e);
      return true;
    }
    return false;
  }

  /**
   * `const [a, b] = xs`: one element per name, and for a name with a default (`b = 0`) the
   * default where `xs` has no element. From a literal, or a helper returning one (a tuple:
   * `const [s, c] = sincos(t)`), the names take the elements' values with no array between (the
   * literal has an element for each name, so no default is evaluated).
   */
  protected lowerArrayDestructuring(pattern: ts.ArrayBindingPattern, init: ts.Expression, out: Stmt[]): void {
    const restOf = pattern.elements.at(-1);
    const rest = restOf && !ts.isOmittedExpression(restOf) && restOf.dotDotDotToken ? restOf : undefined;
    const values = rest ? undefined : this.tupleValues(init, pattern.elements.length, out);
    if (values) {
      pattern.elements.forEach((el, i) => {
        if (ts.isOmittedExpression(el) || !ts.isIdentifier(el.name)) return;
        const v = this.newVar(el.name.text, "num", "local", el.name.text);
        this.env.set(this.symbolOf(el.name), ref(v));
        this.emitOp(out, v, "copy", [values[i]!], el);
      });
      return;
    }
    this.destructureArray(pattern, this.lowerArrayValue(init, out), out);
  }

  /** The names of `const [a, b = 0, ...others] = src` bound to `src`'s elements (see above). */
  protected destructureArray(pattern: ts.ArrayBindingPattern, src: ArrayRef, out: Stmt[]): void {
    const restOf = pattern.elements.at(-1);
    const rest = restOf && !ts.isOmittedExpression(restOf) && restOf.dotDotDotToken ? restOf : undefined;
    pattern.elements.forEach((el, i) => {
      if (ts.isOmittedExpression(el) || !ts.isIdentifier(el.name)) return;
      if (el === rest) {
        // `...others`: a new array of the elements from i on (none when there are fewer)
        const len = this.arrayLength(out, src, el);
        const length = this.step(out, "Math.max", [this.step(out, "-", [len, num(i)], el, "num", ""), num(0)], el, "num", "");
        const from = this.absolute(out, src, num(i), el);
        const name = this.newVar(el.name.text, "arr", "local", el.name.text);
        this.env.set(this.symbolOf(el.name), ref(name));
        this.copyOf({ array: src.array, offset: from, length }, out, el, (size) => {
          this.allocate(out, name, size, el);
          return { array: name };
        });
        return;
      }
      if (el.initializer) {
        // `b = 0`: the element when the array has one there, else the default, evaluated only then
        const init = el.initializer;
        const has = this.step(out, "<", [num(i), this.arrayLength(out, src, el)], el, "bool", "");
        this.env.set(this.symbolOf(el.name), this.chosen(out, has, (o) => this.arrayLoad(o, src, num(i), el), (o) => this.lowerExpr(init, o, ""), el.name.text, el, undefined, el.name.text));
        return;
      }
      const v = this.newVar(el.name.text, "num", "local", el.name.text);
      this.env.set(this.symbolOf(el.name), ref(v));
      const index = this.absolute(out, src, num(i), el);
      this.loads.written(v);
      out.push({ kind: "load", target: v, array: src.array, index, loc: this.loc(this.stmtOf(el)) });
      this.defs.set(v, 1);
    });
  }
}
