/**
 * Inlining of functions: a call of a helper becomes its body, lowered in place with the arguments
 * bound to its parameters (a parameter the helper reassigns gets a local copy). The values a
 * helper computes are then ordinary intermediates of the caller: its reverse part reads them
 * instead of re-running the helper, and activity analysis sees through the call.
 *
 * A helper is a function declaration, or a `const` holding an arrow function or a function
 * expression (whose expression body is its result). A local closure is inlined the same way: the
 * variables it captures are read from the environment at the call, which holds their current
 * values there, as a JavaScript closure reads its variables when it runs.
 *
 * `xs.forEach(f)`, `xs.map(f)` and `xs.reduce(f, init?)`, with an inline callback or a helper's
 * name, are counted loops over the receiver whose body is the callback inlined with the element,
 * the index and the array bound to its parameters; a Math function as the callback
 * (`xs.map(Math.exp)`) is applied to as many of those as it takes. The searches (`some`, `every`,
 * `findIndex`, `indexOf`, `includes`, `find(p) ?? fallback`, …) are general loops that stop at the
 * first match, as JavaScript's do. `sort` and `toSorted` gather the elements in the order the
 * runtime's `sortOrder` finds for the comparator's keys (sorting.ts).
 */
import ts from "typescript";
import { type Stmt, type Operand, ref, num, bool, isVar } from "../../ir/types.ts";
import { SwitchLowerer } from "./switch.ts";
import { type Frame, type Rec, stripTypes } from "./env.ts";
import { type Shape, isShape, shapeOf } from "../../ir/shape.ts";
import type { ArrayRef } from "./arrays.ts";
import { methodCall } from "./arrays.ts";
import { writtenNames } from "./jumps.ts";
import {
  type HelperFn, type SearchMethod, blockBody, resultExpression, helperDeclaration, isFunctionValue, isEffectBody, lengthObject, mathMember, ITERATION_METHODS, SEARCH_METHODS,
  takesPredicate, searchesBackwards, returnsElement, skipParens,
} from "./resolve.ts";
import { ruleFor } from "../../rules/index.ts";
import { comparatorFunction, comparatorOf } from "./sorting.ts";

/** What a parameter is bound to at an inlined call. */
type Binding = { o: Operand } | { arr: ArrayRef } | { rec: Rec } | { mat: { array: string; rows: Operand; cols: Operand } } | { choice: Map<string, Operand> };

/** What an iteration walks: an array, or the elements of a list or the rows of a matrix (each bound at its index). */
type Walked = ArrayRef | { elements: (k: Operand, body: Stmt[]) => Binding };

/** A callback: a function inlined at each element, or a Math function applied to the first `arity` arguments it is passed. */
type Callback = HelperFn | { math: string; arity: number };

export abstract class HelperInliner extends SwitchLowerer {
  protected inlineHelper(decl: HelperFn, call: ts.CallExpression, out: Stmt[]): Operand | undefined {
    // the fence checked the helper's signature, arguments and body, and that it is not recursive.
    this.reserveIdentifiers(decl);
    return this.inlineFunction(decl, this.helperArguments(decl, call, out), out, call, false);
  }

  /**
   * A helper returning an array: its parameters bound, the statements before its one return
   * (its last statement, as the fence checked) lowered in place, and the array it returns (one
   * it created, so the caller's name for it aliases nothing of the caller's).
   */
  protected inlineArrayHelper(decl: HelperFn, call: ts.CallExpression, out: Stmt[]): ArrayRef {
    return this.inlineResultHelper(decl, call, out, (e) => this.lowerArrayValue(e, out));
  }

  /**
   * A helper returning a record of numbers: as `inlineArrayHelper`, and its one return's object
   * literal becomes a new record whose fields are locals (`base_field`), so the caller reads them
   * as it reads the fields of a literal of its own.
   */
  protected inlineRecordHelper(decl: HelperFn, call: ts.CallExpression, out: Stmt[], base: string): Rec {
    return this.inlineResultHelper(decl, call, out, (e) => this.lowerRecord(e, out, base));
  }

  /** A helper returning an array literal (a tuple), destructured: the literal's element values. */
  protected inlineTupleHelper(decl: HelperFn, call: ts.CallExpression, out: Stmt[], elements: (literal: readonly ts.Expression[]) => Operand[]): Operand[] {
    return this.inlineResultHelper(decl, call, out, (e) => elements((stripTypes(e) as ts.ArrayLiteralExpression).elements));
  }

  /** A helper whose one return is its last statement (or its expression body), that result lowered by `result`. */
  private inlineResultHelper<T>(decl: HelperFn, call: ts.CallExpression, out: Stmt[], result: (e: ts.Expression) => T): T {
    this.reserveIdentifiers(decl);
    const args = this.helperArguments(decl, call, out);
    this.bindParameters(decl, args, out, call);
    const frame: Frame = { decl, sf: decl.getSourceFile(), loops: [] };
    this.frames.push(frame);
    const savedDepth = this.depth;
    const block = blockBody(decl);
    const returned = resultExpression(decl) ?? this.internal(decl);
    if (block) this.lowerStatements(block.statements.slice(0, -1), 0, out);
    const value = result(returned);
    this.depth = savedDepth;
    this.frames.pop();
    return value;
  }

  /**
   * The arguments of a helper call, evaluated first, in order; an array argument is passed by
   * reference (a window stays a window of its parent).
   */
  private helperArguments(decl: HelperFn, call: ts.CallExpression, out: Stmt[]): (Binding | undefined)[] {
    return call.arguments.map((a, i): Binding | undefined => {
      const p = decl.parameters[i];
      const hint = p && ts.isIdentifier(p.name) ? p.name.text : "";
      // a matrix built in the function: its flat array and sizes, by reference
      const mat = this.matrixOf(a);
      if (mat) return { mat };
      // a choice among strings: the booleans of its strings
      const choice = this.choiceOf(a);
      if (choice) return { choice };
      // one of its strings, written out (`pick("l1", x)`): that string's boolean is true
      const lit = skipParens(a);
      if (p && ts.isStringLiteralLike(lit)) {
        const shape = shapeOf(this.checker.getTypeAtLocation(p), this.checker);
        if (isShape(shape) && shape.k === "choice") return { choice: new Map(shape.values.map((v) => [v, bool(v === lit.text)])) };
      }
      const list = this.listOf(a) ?? this.elementList(a, out);
      if (list !== undefined) return { o: ref(list) };
      if (this.isRecordExpression(a)) return { rec: this.lowerRecord(a, out, hint) };
      if (this.isArrayExpression(a)) return { arr: this.lowerArrayValue(a, out) };
      const o = this.lowerExpr(a, out, hint);
      return o ? { o } : undefined;
    });
  }

  /**
   * The body of `fn` lowered in place with its parameters bound to `args`; its result, or
   * nothing when it returns nothing or `discard` (a forEach callback) drops it.
   */
  protected inlineFunction(fn: HelperFn, args: readonly (Binding | undefined)[], out: Stmt[], at: ts.Node, discard: boolean): Operand | undefined {
    const sig = this.checker.getSignatureFromDeclaration(fn);
    const retType = sig && this.checker.getReturnTypeOfSignature(sig);
    const isVoid = !!retType && (retType.flags & ts.TypeFlags.Void) !== 0;
    this.reserveIdentifiers(fn);
    this.bindParameters(fn, args, out, at);
    const frame: Frame = { decl: fn, sf: fn.getSourceFile(), loops: [] };
    this.frames.push(frame);
    const savedDepth = this.depth;
    let result: Operand | undefined;
    const block = blockBody(fn);
    if (!block) {
      const body = fn.body as ts.Expression;
      if ((isVoid || discard) && isEffectBody(body, this.checker)) this.lowerExpressionStatement(body, out);
      else if (ts.isCallExpression(stripTypes(body))) result = this.lowerCall(stripTypes(body) as ts.CallExpression, out, false);
      else result = this.lowerExpr(body, out, "value");
    } else if (isVoid) {
      this.lowerStatements(block.statements, 0, out);
    } else {
      result = this.lowerFunctionBody(fn, frame, out);
    }
    this.depth = savedDepth;
    this.frames.pop();
    return discard ? undefined : result;
  }

  /** Binds a helper's parameters to the call's arguments (a parameter the helper reassigns gets a local copy). */
  private bindParameters(fn: HelperFn, args: readonly (Binding | undefined)[], out: Stmt[], at: ts.Node): void {
    const written = writtenNames(fn.body);
    fn.parameters.forEach((p, i) => {
      // a parameter left out takes its default value, computed from the parameters before it
      const b = args[i] ?? (i >= args.length && p.initializer ? { o: this.lowerExpr(p.initializer, out, ts.isIdentifier(p.name) ? p.name.text : "") } : undefined);
      if (!b || !ts.isIdentifier(p.name)) return;
      const sym = this.symbolOf(p.name);
      const pname = p.name.text;
      // bound afresh at every call: what it was bound to at the last call is not this call's
      this.forget(sym);
      if ("mat" in b) {
        this.matrices.set(sym, b.mat);
        return;
      }
      if ("choice" in b) {
        this.choices.set(sym, b.choice);
        return;
      }
      if ("rec" in b) {
        this.records.set(sym, b.rec);
        return;
      }
      if ("arr" in b) {
        const arr = b.arr;
        if (arr.offset === undefined && arr.length === undefined) this.env.set(sym, ref(arr.array));
        else this.views.set(sym, arr);
        return;
      }
      if (written.has(pname)) {
        // the function reassigns its parameter: give it a local variable
        const v = this.newVar(pname, this.typeOfOperand(b.o), "local", pname);
        this.emitOp(out, v, "copy", [b.o], at);
        this.env.set(sym, ref(v));
      } else {
        this.env.set(sym, b.o);
      }
    });
  }

  // ---------------------------------------------------------------- forEach, map, reduce

  /** Whether `e` is `xs.forEach(…)`, `xs.map(…)` or `xs.reduce(…)` on an array. */
  protected isIteration(e: ts.Expression, name?: (typeof ITERATION_METHODS)[number]): boolean {
    const m = methodCall(e);
    return !!m && (name ? m.name === name : (ITERATION_METHODS as readonly string[]).includes(m.name))
      && (this.isArrayExpression(m.recv) || this.holdsElements(m.recv));
  }

  /**
   * What `forEach`, `map` and `reduce` walk, and how many: an array's elements, a list's elements
   * (records, arrays or lists of the caller's, as `for…of` reads them) or a matrix's rows.
   */
  private walkedArray(recv: ts.Expression, out: Stmt[], at: ts.Node): { a: ArrayRef; n: Operand } {
    const a = this.lowerArrayValue(recv, out);
    return { a, n: this.arrayLength(out, a, at) };
  }

  private walked(recv: ts.Expression, out: Stmt[], at: ts.Node): { a: Walked; n: Operand } {
    const matrix = this.matrixOf(recv);
    if (matrix) return { a: { elements: (k, body) => ({ arr: this.matrixRowRef(matrix, k, body, at) }) }, n: matrix.rows };
    const list = this.listOf(recv) ?? this.elementList(recv, out);
    if (list === undefined) return this.walkedArray(recv, out, at);
    const shape = this.vars.get(list)!.shape;
    if (!shape || shape.k !== "list") this.internal(at);
    const elements = (k: Operand, body: Stmt[]): Binding => {
      const v = this.elementValue(list, k, [], shape.elem, body, at);
      if ("rec" in v) return { rec: v.rec };
      return isVar(v.o) && this.vars.get(v.o.name)!.type === "arr" ? { arr: { array: v.o.name } } : { o: v.o };
    };
    return { a: { elements }, n: this.step(out, "length", [ref(list)], at, "num", "n") };
  }

  /** The function a callback argument is: an inline arrow or function expression, a helper's name, or a Math function. */
  private callbackOf(arg: ts.Expression): Callback {
    const e = stripTypes(arg);
    if (isFunctionValue(e)) return e as HelperFn;
    const math = mathMember(e, this.checker);
    if (math) {
      const op = `Math.${math.name.text}`;
      const arity = ruleFor(op)?.arity;
      return typeof arity === "number" ? { math: op, arity } : this.internal(arg);
    }
    const fn = ts.isIdentifier(e) ? helperDeclaration(e, this.checker) : undefined;
    return fn ?? this.internal(arg);
  }

  /** How many arguments a callback takes. */
  private static arity(fn: Callback): number {
    return "math" in fn ? fn.arity : fn.parameters.length;
  }

  /** A callback's result for `args` (the element, the index, the array, after `before`). */
  private callWith(fn: Callback, args: (Binding | undefined)[], body: Stmt[], at: ts.Node, discard: boolean): Operand | undefined {
    if (!("math" in fn)) return this.inlineFunction(fn, args, body, at, discard);
    const operands = args.slice(0, fn.arity).map((b) => (b && "o" in b ? b.o : this.internal(at)));
    return this.step(body, fn.math, operands, at, "num", "");
  }

  /**
   * `for (k = start; k < n; k++) { v = a[k]; <callback>(…before, v, k, a) }`: the callback's
   * result at each element goes to `each`.
   */
  private iterate(a: Walked | undefined, n: Operand, start: number, fn: Callback, before: Operand[], out: Stmt[], at: ts.Node, discard: boolean,
    each: (r: Operand | undefined, k: Operand, body: Stmt[]) => void, backwards = false): void {
    const k = this.newVar("i", "num", "local");
    this.defs.set(k, 1);
    const body: Stmt[] = [];
    this.depth++;
    const r = this.callWith(fn, this.callbackArgs(a, ref(k), fn, before, body, at), body, at, discard);
    each(r, ref(k), body);
    this.depth--;
    const loc = this.loc(this.stmtOf(at));
    // backwards (reduceRight): from element n − 1 − start down to 0
    if (backwards) out.push({ kind: "for", counter: k, start: this.step(out, "-", [n, num(1 + start)], at, "num", ""), end: num(0), cmp: ">=", step: -1, body, loc });
    else out.push({ kind: "for", counter: k, start: num(start), end: n, cmp: "<", step: 1, body, loc });
  }

  /** What a callback is passed at element `k`: `before`, the element (loaded only when the callback takes it), the index and the array. */
  private callbackArgs(a: Walked | undefined, k: Operand, fn: Callback, before: Operand[], body: Stmt[], at: ts.Node): (Binding | undefined)[] {
    const args: (Binding | undefined)[] = before.map((o) => ({ o }));
    const wanted = HelperInliner.arity(fn) > before.length;
    if (a && "elements" in a) {
      // a list's element or a matrix's row (the fence checked the callback takes no third argument)
      args.push(wanted ? a.elements(k, body) : undefined, { o: k });
      return args;
    }
    // none from a length: the fence checked the callback does not read it
    args.push(wanted ? { o: a ? this.arrayLoad(body, a, k, at) : num(NaN) } : undefined);
    args.push({ o: k }, a ? { arr: a } : undefined);
    return args;
  }

  /** `xs.forEach((v, i, a) => { … })`: a loop whose body is the callback. */
  protected lowerForEach(e: ts.CallExpression, out: Stmt[]): void {
    const m = methodCall(e)!;
    const { a, n } = this.walked(m.recv, out, e);
    this.iterate(a, n, 0, this.callbackOf(m.args[0]), [], out, e, true, () => {});
  }

  /** `xs.map((v, i, a) => …)`: a new array of the receiver's length holding the callback's results. */
  protected lowerMap(e: ts.Expression, out: Stmt[], target?: string): ArrayRef {
    const m = methodCall(e)!;
    const { a, n } = this.walked(m.recv, out, e);
    return this.mapInto(a, n, this.callbackOf(m.args[0]), e, out, target);
  }

  /**
   * `Float64Array.from(xs, (v, i) => …)` (as `xs.map`), or `Array.from({ length: n }, (_, i) => …)`:
   * n callback results, n made a length as JavaScript makes it (truncated, at least 0).
   */
  protected lowerFrom(e: ts.CallExpression, out: Stmt[], target?: string): ArrayRef {
    const m = methodCall(e)!;
    const fn = this.callbackOf(m.args[1]);
    const length = lengthObject(m.args[0]);
    if (!length) {
      const a = this.lowerArrayValue(m.args[0], out);
      return this.mapInto(a, this.arrayLength(out, a, e), fn, e, out, target);
    }
    const v = this.lowerExpr(length, out, "n");
    // an array's length is one already; a constant is made one here
    const l = stripTypes(length);
    const isLength = ts.isPropertyAccessExpression(l) && l.name.text === "length" && (this.isArrayExpression(l.expression) || this.listOf(l.expression) !== undefined);
    const n = isLength ? v : v.kind === "const" ? num(Math.max(Math.trunc(v.value as number), 0)) : this.step(out, "Math.max", [this.step(out, "Math.trunc", [v], e, "num", ""), num(0)], e, "num", "n");
    return this.mapInto(undefined, n, fn, e, out, target);
  }

  /**
   * `xs.filter((v, i, a) => …)`: a counted loop that stores each element the predicate keeps at
   * the next place of an array of the receiver's length; the window of those places (which the
   * caller copies into an array of that length).
   */
  protected lowerFilter(e: ts.CallExpression, out: Stmt[]): ArrayRef {
    const m = methodCall(e)!;
    const a = this.lowerArrayValue(m.recv, out);
    const n = this.arrayLength(out, a, e);
    const kept = this.newVar("kept", "arr", "local");
    this.allocate(out, kept, n, e);
    const count = this.newVar("count", "num", "local");
    this.emitOp(out, count, "copy", [num(0)], e);
    this.iterate(a, n, 0, this.callbackOf(m.args[0]), [], out, e, false, (r, k, body) => {
      const v = this.arrayLoad(body, a, k, e);
      const keep = this.truth(r ?? this.internal(e), body, e);
      const then: Stmt[] = [];
      this.arrayStore(then, { array: kept }, ref(count), v, e);
      this.emitOp(then, count, "+", [ref(count), num(1)], e);
      body.push({ kind: "if", cond: keep, then, else: [], loc: this.loc(this.stmtOf(e)) });
    });
    return { array: kept, length: ref(count) };
  }

  /** A new array of length `n` holding `fn`'s result at each element of `a` (or each index, with no `a`). */
  private mapInto(a: Walked | undefined, n: Operand, fn: Callback, e: ts.Expression, out: Stmt[], target?: string): ArrayRef {
    const name = target ?? this.newVar("mapped", "arr", "local");
    this.allocate(out, name, n, e);
    const dst: ArrayRef = { array: name };
    this.iterate(a, n, 0, fn, [], out, e, false, (r, k, body) => this.arrayStore(body, dst, k, r ?? this.internal(e), e));
    return dst;
  }

  /**
   * `xs.reduce((acc, v, i, a) => …, init)`: an accumulator updated by the callback at every
   * element. Without an initial value it starts from element 0 (and the loop from 1); an empty
   * array then throws a TypeError, as in JavaScript. `reduceRight` runs from the last element
   * down (and without an initial value starts from the last).
   */
  protected lowerReduce(e: ts.CallExpression, out: Stmt[]): Operand {
    const m = methodCall(e)!;
    const right = m.name === "reduceRight";
    const { a, n } = this.walked(m.recv, out, e);
    const fn = this.callbackOf(m.args[0]);
    const acc = this.newVar("acc", "num", "local");
    let start = 0;
    if (m.args.length > 1) {
      const init = this.lowerExpr(m.args[1], out, "acc");
      this.emitOp(out, acc, "copy", [init], e);
    } else {
      const empty = this.step(out, "===", [n, num(0)], e, "bool", "");
      this.throwIf(out, empty, "TypeError", "Reduce of empty array with no initial value", e);
      // (over a list or a matrix the fence asks for an initial value)
      if ("elements" in a) this.internal(e);
      this.emitOp(out, acc, "copy", [this.arrayLoad(out, a, right ? this.step(out, "-", [n, num(1)], e, "num", "") : num(0), e)], e);
      start = 1;
    }
    this.iterate(a, n, start, fn, [ref(acc)], out, e, false, (r, _k, body) => {
      if (!r) this.internal(e);
      if (r.kind === "var" && r.name === acc) return;
      // `acc + e` and `acc - e` update the accumulator in place, as `s += e` does
      const last = body[body.length - 1];
      if (last && last.kind === "op" && r.kind === "var" && last.target === r.name && this.vars.get(r.name)?.kind === "temp"
        && (last.op === "+" || last.op === "-") && last.args[0]?.kind === "var" && last.args[0].name === acc
        && !(last.args[1]?.kind === "var" && last.args[1].name === acc)) {
        this.vars.delete(r.name);
        this.defs.delete(r.name);
        this.loads.renamed(r.name, acc);
        last.target = acc;
        this.defs.set(acc, (this.defs.get(acc) ?? 0) + 1);
        return;
      }
      this.emitOp(body, acc, "copy", [r], e);
    }, right);
    return ref(acc);
  }

  // ---------------------------------------------------------------- sorting

  /**
   * The elements of `src` in the order a sort with `comparator` puts them (none: a typed array's
   * numeric order): the runtime's `sortOrder` orders the keys (the elements, or each element's
   * key computed in a loop), and a counted loop gathers the elements in that order into a new
   * array. The gather is what is differentiated: each element's adjoint goes back to where the
   * element came from, and nothing flows through the keys.
   */
  protected lowerSorted(src: ArrayRef, comparator: ts.Expression | undefined, e: ts.CallExpression, out: Stmt[], target?: string): ArrayRef {
    const n = this.arrayLength(out, src, e);
    const fn = comparator && comparatorFunction(comparator, this.checker);
    const cmp = fn ? comparatorOf(fn) ?? this.internal(comparator!) : undefined;
    let keys = src;
    if (cmp && !(ts.isIdentifier(cmp.key) && cmp.key.text === cmp.param.name.text)) {
      // each element's key, as the comparator computes it
      const name = this.newVar("keys", "arr", "local");
      this.allocate(out, name, n, e);
      keys = { array: name };
      this.reserveIdentifiers(cmp.fn);
      this.countedLoop(out, n, e, (k, body) => {
        this.env.set(this.symbolOf(cmp.param.name), this.arrayLoad(body, src, k, e));
        this.frames.push({ decl: cmp.fn, sf: cmp.fn.getSourceFile(), loops: [] });
        const v = this.lowerExpr(cmp.key, body, "key");
        this.frames.pop();
        this.arrayStore(body, keys, k, v, e);
      });
    }
    const order = this.newVar("order", "arr", "local");
    this.vars.get(order)!.ints = "Int32Array";
    this.allocate(out, order, n, e, "Int32Array");
    // the sort the source runs: an Array's, or a typed array's (they differ where a comparator is not consistent, at NaN)
    const typed = this.checker.getTypeAtLocation(methodCall(e)!.recv).getSymbol()?.name === "Float64Array";
    const direction = num(cmp ? (cmp.descending ? -1 : 1) : 0);
    this.emitRoutineCall("sortOrder", [n, this.arrayArg(out, keys, e), ref(order), direction, { kind: "const", value: typed }], e, out);
    const sorted: ArrayRef = { array: target ?? this.newVar("sorted", "arr", "local") };
    this.allocate(out, sorted.array, n, e);
    this.countedLoop(out, n, e, (k, body) => {
      const j = this.arrayLoad(body, { array: order }, k, e);
      this.arrayStore(body, sorted, k, this.arrayLoad(body, src, j, e), e);
    });
    return sorted;
  }

  // ---------------------------------------------------------------- searches

  /** Whether `e` is a search (`xs.some(…)`, `xs.indexOf(…)`, …) on an array. */
  protected isSearch(e: ts.Expression): boolean {
    const m = methodCall(e);
    if (!m || !(SEARCH_METHODS as readonly string[]).includes(m.name)) return false;
    return this.isArrayExpression(m.recv) || (this.holdsElements(m.recv) && takesPredicate(m.name as SearchMethod) && !returnsElement(m.name));
  }

  /**
   * `xs.some(p)`, `every`, `findIndex`, `findLastIndex`, `indexOf`, `lastIndexOf`, `includes`:
   * from the index of the first match (see `searchIndex`), the method's result.
   */
  protected lowerSearch(e: ts.CallExpression, out: Stmt[]): Operand {
    const m = methodCall(e)!;
    const kind = m.name as SearchMethod;
    const { index } = this.searchIndex(e, out);
    switch (kind) {
      case "some": case "includes": return this.step(out, ">=", [index, num(0)], e, "bool", "");
      case "every": return this.step(out, "<", [index, num(0)], e, "bool", "");
      case "findIndex": case "findLastIndex": case "indexOf": case "lastIndexOf": return index;
      case "find": case "findLast": return this.internal(e);
    }
  }

  /**
   * `const seg = segs.find(p)` over a list of objects of numbers: the index of the first match
   * (see `searchIndex`), whether there is one, and the element as a record whose numbers are read
   * when there is (NaN otherwise, as reads of undefined give in arithmetic).
   */
  protected lowerFoundElement(e: ts.CallExpression, out: Stmt[]): { rec: Rec; found: Operand } {
    const m = methodCall(e)!;
    const list = this.listOf(m.recv) ?? this.internal(e);
    const shape = this.vars.get(list)!.shape;
    if (!shape || shape.k !== "list" || shape.elem.k !== "rec") return this.internal(e);
    const { index: k } = this.searchIndex(e, out);
    const found = this.step(out, ">=", [k, num(0)], e, "bool", "");
    // the index, held once for every read (the reverse sweep reads the element again there)
    const index = isVar(k) ? this.step(out, "copy", [k], e, "num", "") : k;
    // one branch reads every number of the element; the other gives each NaN
    const then: Stmt[] = [];
    const otherwise: Stmt[] = [];
    this.depth++;
    const record = (fields: Extract<Shape, { k: "rec" }>["fields"], path: string[]): Rec => {
      const rec: Rec = { fields: new Map(), input: true };
      for (const f of fields) {
        const at = [...path, f.name];
        if (f.shape.k === "rec") {
          rec.fields.set(f.name, { rec: record(f.shape.fields, at) });
          continue;
        }
        const v = this.elementValue(list, index, at, f.shape, then, e);
        const t = this.newVar(f.name, "num", "local");
        this.emitOp(then, t, "copy", ["o" in v ? v.o : this.internal(e)], e);
        this.emitOp(otherwise, t, "copy", [num(NaN)], e);
        const slot = { name: `${list}[].${at.join(".")}` };
        this.env.set(slot, ref(t));
        rec.fields.set(f.name, { slot });
      }
      return rec;
    };
    const rec = record(shape.elem.fields, []);
    this.depth--;
    out.push({ kind: "if", cond: found, then, else: otherwise, loc: this.loc(this.stmtOf(e)) });
    return { rec, found };
  }

  /** Whether `e` is `xs.at(i)` on an array. */
  protected isAt(e: ts.Expression): boolean {
    const m = methodCall(e);
    return !!m && m.name === "at" && this.isArrayExpression(m.recv);
  }

  /** The index `xs.at(i)` reads (out of range when there is no such element), and the array. */
  protected atIndex(e: ts.CallExpression, out: Stmt[]): { index: Operand; array: ArrayRef } {
    const m = methodCall(e)!;
    const array = this.lowerArrayValue(m.recv, out);
    const n = this.arrayLength(out, array, e);
    return { index: this.step(out, "atIndex", [this.lowerExpr(m.args[0], out, "i"), n], e, "num", ""), array };
  }

  /**
   * `xs.find(p) ?? fallback` (or `findLast`), `xs.at(i) ?? fallback`, `xs[k] ?? fallback`: the
   * element found, else the fallback, evaluated only then.
   */
  protected lowerFound(e: ts.BinaryExpression, out: Stmt[], hint: string): Operand {
    const left = stripTypes(e.left);
    const at = ts.isCallExpression(left) && this.isAt(left);
    const element = ts.isElementAccessExpression(left) ? left : undefined;
    const { index, array } = element ? { array: this.lowerArrayRef(element.expression, out), index: this.lowerExpr(element.argumentExpression, out, "i") }
      : at ? this.atIndex(left as ts.CallExpression, out) : this.searchIndex(left as ts.CallExpression, out);
    // (a find over a list's elements is not allowed: a search here has an array)
    if (!array) return this.internal(e);
    // an index of `at` or of an element may be out of range either way (an element's also if it
    // is not an integer: xs[1.5] is undefined); a search's is −1 or in range
    const inRange = at || element ? this.step(out, "<", [index, this.arrayLength(out, array, e)], e, "bool", "") : undefined;
    // a constant index (`xs[0] ?? 1`) is tested here for what it is: only its range is left
    const constant = index.kind === "const" ? index.value : undefined;
    const atLeast0 = typeof constant === "number" ? bool(constant >= 0) : this.step(out, ">=", [index, num(0)], e, "bool", "");
    const both = (a: Operand, b: Operand): Operand => (a.kind === "const" ? (a.value ? b : a) : this.step(out, "&&", [a, b], e, "bool", ""));
    const inside = inRange ? both(atLeast0, inRange) : atLeast0;
    const integer = () => (typeof constant === "number" ? bool(Number.isInteger(constant)) : this.step(out, "Number.isInteger", [index], e, "bool", ""));
    const found = element ? both(integer(), inside) : inside;
    if (found.kind === "const") return found.value ? this.arrayLoad(out, array, index, e) : this.lowerExpr(e.right, out, hint);
    return this.chosen(out, found, (o) => this.arrayLoad(o, array, index, e), (o) => this.lowerExpr(e.right, o, ""), hint || "found", e);
  }

  /**
   * The index of a search's first match, −1 if none: `found = −1; k = 0 (or n − 1); while (k in
   * range && found < 0) { if (match at k) found = k; k ± 1 }`. A match is the predicate's result
   * tested for truthiness (its negation for `every`), `xs[k] === x` for `indexOf` and
   * `lastIndexOf`, and SameValueZero for `includes` (NaN finds NaN). The value looked for is
   * evaluated once, before the loop, as an argument is.
   */
  private searchIndex(e: ts.CallExpression, out: Stmt[]): { index: Operand; array: ArrayRef | undefined } {
    const m = methodCall(e)!;
    const kind = m.name as SearchMethod;
    const backwards = searchesBackwards(kind);
    // a predicate may test a list's elements or a matrix's rows (the fence allows no find there)
    const { a, n } = takesPredicate(kind) ? this.walked(m.recv, out, e) : this.walkedArray(m.recv, out, e);
    const array = "elements" in a ? undefined : a;
    const fn = takesPredicate(kind) ? this.callbackOf(m.args[0]) : undefined;
    const x = fn ? undefined : this.lowerExpr(m.args[0], out, "x");
    // a NaN is never === an element: indexOf(NaN) is −1 (but includes(NaN) looks for one)
    if (x && x.kind === "const" && Number.isNaN(x.value) && kind !== "includes") return { index: num(-1), array };
    const found = this.newVar("found", "num", "local");
    this.emitOp(out, found, "copy", [num(-1)], e);
    const k = this.newVar("i", "num", "local");
    this.emitOp(out, k, "copy", [backwards ? this.step(out, "-", [n, num(1)], e, "num", "") : num(0)], e);
    const header: Stmt[] = [];
    const inRange = backwards ? this.step(header, ">=", [ref(k), num(0)], e, "bool", "") : this.step(header, "<", [ref(k), n], e, "bool", "");
    const cond = this.step(header, "&&", [inRange, this.step(header, "<", [ref(found), num(0)], e, "bool", "")], e, "bool", "");
    const body: Stmt[] = [];
    this.depth++;
    let match: Operand;
    if (fn) {
      const r = this.callWith(fn, this.callbackArgs(a, ref(k), fn, [], body, e), body, e, false) ?? this.internal(e);
      const truth = this.truth(r, body, e);
      match = kind === "every" ? this.step(body, "!", [truth], e, "bool", "") : truth;
    } else {
      const v = this.arrayLoad(body, array ?? this.internal(e), ref(k), e);
      const isNaN = (o: Operand) => this.step(body, "!==", [o, o], e, "bool", "");
      if (x!.kind === "const") {
        // includes(NaN) looks for a NaN; any other constant is compared (NaN === NaN would never hold)
        match = Number.isNaN(x!.value) ? isNaN(v) : this.step(body, "===", [v, x!], e, "bool", "");
      } else {
        match = this.step(body, "===", [v, x!], e, "bool", "");
        // SameValueZero: NaN matches NaN
        if (kind === "includes") match = this.step(body, "||", [match, this.step(body, "&&", [isNaN(v), isNaN(x!)], e, "bool", "")], e, "bool", "");
      }
    }
    const hit: Stmt[] = [];
    this.emitOp(hit, found, "copy", [ref(k)], e);
    body.push({ kind: "if", cond: match, then: hit, else: [], loc: this.loc(this.stmtOf(e)) });
    const update: Stmt[] = [];
    this.emitOp(update, k, backwards ? "-" : "+", [ref(k), num(1)], e);
    this.depth--;
    out.push({ kind: "loop", header, cond, body, update, doWhile: false, loc: this.loc(this.stmtOf(e)) });
    return { index: ref(found), array };
  }
}
