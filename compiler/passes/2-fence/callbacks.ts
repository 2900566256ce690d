/**
 * The fence's checks of the array methods that take callbacks: `forEach`, `map`, `reduce`,
 * `filter`, the searches (`some`, `findIndex`, `indexOf`, …), `sort`/`toSorted` with a
 * comparator (and `reverse`/`toReversed`, which reorder as sorts do) and `Float64Array.from(xs, f)`. A
 * callback is an inline function, checked as a loop body of the function around it, a helper's
 * name, or a Math function of a fixed arity (given the element and the index, as JavaScript
 * gives them).
 */
import ts from "typescript";
import { Codes } from "../../diagnostics.ts";
import { ruleFor, supportedMathFunctions } from "../../rules/index.ts";
import { irTypeOf } from "../1-parse/index.ts";
import { type HelperFn, mathMember, helperDeclaration, helperName, isFunctionValue, SEARCH_METHODS, type IterationMethod, type SearchMethod, takesPredicate, returnsElement } from "../3-lower/resolve.ts";
import { describeType } from "./names.ts";
import { methodCall } from "../3-lower/arrays.ts";
import { type FType, type Scope, stripTypes } from "./state.ts";
import { ExpressionFence } from "./expressions.ts";
import { comparatorFunction, comparatorOf, type ReverseMethod, type SortMethod } from "../3-lower/sorting.ts";
import { intArrayNoun } from "../../ir/types.ts";
import { type Shape, isShape, shapeOf } from "../../ir/shape.ts";
import { foundElementSearch, outermostParens } from "../3-lower/optional.ts";

/** A method that takes a callback: forEach, map, reduce, filter, a search with a predicate, or `from`. */
type CallbackKind = IterationMethod | SearchMethod | "filter" | "from" | SortMethod;

/** The types of the parameters an array method passes its callback: (element, index, array), after the accumulator for reduce. */
function callbackParams(kind: CallbackKind): readonly ("num" | "arr")[] {
  return kind === "reduce" || kind === "reduceRight" ? ["num", "num", "num", "arr"] : kind === "from" || kind === "sort" || kind === "toSorted" ? ["num", "num"] : ["num", "num", "arr"];
}
function callbackParamNames(kind: CallbackKind): readonly string[] {
  return kind === "reduce" || kind === "reduceRight" ? ["accumulator", "element", "index", "array"] : kind === "from" ? ["element", "index"]
    : kind === "sort" || kind === "toSorted" ? ["first element", "second element"] : ["element", "index", "array"];
}

export abstract class CallbackFence extends ExpressionFence {
  /**
   * `xs.forEach(f)`, `xs.map(f)`, `xs.reduce(f, init?)` on an array, where `f` is an inline arrow
   * function or function expression (a loop body: it may update the variables around it) or the
   * name of a helper; lowered to counted loops.
   */
  protected iteration(e: ts.CallExpression, kind: IterationMethod, scope: Scope, asStatement: boolean): FType | undefined {
    const m = methodCall(e)!;
    const folds = kind === "reduce" || kind === "reduceRight";
    const usage = folds ? `xs.${kind}((acc, v, i) => …, init)` : `xs.${kind}((v, i) => …)`;
    if (m.args.length < 1 || m.args.length > (folds ? 2 : 1)) {
      return this.report(Codes.UnsupportedSyntax, `'${kind}' takes a callback${folds ? " and an optional initial value" : " (and no thisArg)"}: write ${usage}.`, e);
    }
    if (kind === "forEach" && !asStatement) return this.report(Codes.UnsupportedSyntax, "forEach returns nothing: call it as a statement, or use map to build a new array.", e);
    if (kind !== "forEach" && asStatement) {
      return this.report(Codes.UnsupportedSyntax, `The result of '${kind}' is unused: ${kind === "map" ? "use forEach to run a function on every element" : "assign it or remove the call"}.`, e);
    }
    // over a list passed in (its elements) or a matrix built here (its rows), as for…of walks them
    const over = this.walkedAs(m.recv);
    if (over ? this.expr(m.recv, scope) === undefined : !this.arrayValue(m.recv, scope)) return undefined;
    if (over && folds && !m.args[1]) return this.report(Codes.UnsupportedSyntax, `'${kind}' over the ${over === "rows" ? "rows of a matrix" : "elements of a list"} takes an initial value: write ${m.recv.getText()}.${kind}((acc, v) => …, 0).`, e);
    if (folds && m.args[1]) {
      const t = this.expr(m.args[1], scope);
      if (t === undefined) return undefined;
      if (t !== "num") return this.report(Codes.UnsupportedSyntax, `The initial value of ${kind} must be a number.`, m.args[1]);
    }
    return this.callback(e, m.args[0], kind, usage, scope, false, over);
  }

  /** What an array method walks when its receiver is not an array: a list's elements or a matrix's rows. */
  private walkedAs(recv: ts.Expression): "list" | "rows" | undefined {
    return this.isList(recv) ? (this.isMatrix(recv) ? "rows" : "list") : undefined;
  }

  /**
   * `xs.some(p)`, `every`, `findIndex`, `findLastIndex`, `find`/`findLast` (before `??`, checked
   * by `binary`) with a predicate as `forEach` takes its callback, or `xs.indexOf(x)`,
   * `lastIndexOf`, `includes` with a number to look for.
   */
  protected search(e: ts.CallExpression, kind: SearchMethod, scope: Scope, asStatement: boolean): FType | undefined {
    const m = methodCall(e)!;
    const predicate = takesPredicate(kind);
    const usage = predicate ? `xs.${kind}((v, i) => …)` : `xs.${kind}(x)`;
    if (m.args.length !== 1) {
      if (predicate || m.args.length === 0) return this.report(Codes.UnsupportedSyntax, `'${kind}' takes ${predicate ? "a predicate (and no thisArg)" : "the value to look for"}: write ${usage}.`, e);
      const instead = kind === "lastIndexOf" ? "xs.subarray(0, from + 1).lastIndexOf(x)" : kind === "includes" ? "xs.subarray(from).includes(x)" : "xs.subarray(from).indexOf(x), and add from to the index it returns unless that is −1";
      return this.report(Codes.UnsupportedSyntax, `'${kind}' with a start index is not supported: search a subarray instead, ${instead}.`, m.args[1]!);
    }
    if (asStatement) return this.report(Codes.UnsupportedSyntax, `The result of '${kind}' is unused: assign it, or use forEach to run a function on every element.`, e);
    // over a list passed in (its elements) or a matrix built here (its rows): a predicate, and no element returned
    const over = this.walkedAs(m.recv);
    // `const seg = segs.find(p)`: an element of a list of objects of numbers, undefined when none matches
    const findsElement = over === "list" && returnsElement(kind);
    if (findsElement && this.foundElement(e) === undefined) return undefined;
    if (over && !findsElement && (!predicate || returnsElement(kind))) {
      return this.report(Codes.UnsupportedSyntax, `'${kind}' over the ${over === "rows" ? "rows of a matrix" : "elements of a list"} is not supported: test them with a predicate (some, every, findIndex, findLastIndex), and read the element at the index found.`, e);
    }
    if (over ? this.expr(m.recv, scope) === undefined : !this.arrayValue(m.recv, scope)) return undefined;
    const result: FType = findsElement ? "obj" : kind === "some" || kind === "every" || kind === "includes" ? "bool" : "num";
    if (!predicate) {
      const t = this.expr(m.args[0], scope);
      if (t === undefined) return undefined;
      return t === "num" ? result : this.report(Codes.UnsupportedSyntax, `'${kind}' looks for a number, but '${m.args[0].getText()}' is ${describeType(t)}.`, m.args[0]);
    }
    return this.callback(e, m.args[0], kind, usage, scope, false, over) === undefined ? undefined : result;
  }

  /**
   * `const seg = segs.find((s) => x < s.end)` (or `findLast`) over a list of objects of numbers:
   * the element, undefined when none matches. It is bound to a constant, which is tested
   * (`if (seg)`, `seg !== undefined`) or read with a fallback (`seg?.slope ?? 0`).
   */
  private foundElement(e: ts.CallExpression): FType | undefined {
    const m = methodCall(e)!;
    const d = outermostParens(e).parent;
    const bound = ts.isVariableDeclaration(d) && ts.isIdentifier(d.name) && foundElementSearch(d.name, this.checker) === e;
    if (!bound) return this.report(Codes.UnsupportedSyntax, `The element '${m.name}' finds may be undefined: bind it to a constant (const el = ${m.recv.getText()}.${m.name}(…)), then test it (if (el) …) or read it with a fallback (el?.field ?? 0).`, e);
    const elem = this.checker.getNonNullableType(this.checker.getTypeAtLocation(e));
    const shape = shapeOf(elem, this.checker);
    const numbers = (sh: Shape): boolean => sh.k === "num" || (sh.k === "rec" && sh.fields.every((f) => numbers(f.shape)));
    if (!isShape(shape) || shape.k !== "rec" || !numbers(shape)) {
      return this.report(Codes.UnsupportedSyntax, `'${m.name}' returns elements of '${m.recv.getText()}' that hold arrays or lists, which is not supported: use ${m.name}Index and read the element at the index found.`, e);
    }
    return "obj";
  }

  /** `xs.filter(p)`, a predicate as a search takes: a new array of the elements it keeps. */
  protected filter(e: ts.CallExpression, scope: Scope, asStatement: boolean): FType | undefined {
    const m = methodCall(e)!;
    if (m.args.length !== 1) return this.report(Codes.UnsupportedSyntax, "'filter' takes a predicate (and no thisArg): write xs.filter((v, i) => …).", e);
    if (asStatement) return this.report(Codes.UnsupportedSyntax, "The result of 'filter' is unused: assign it, or use forEach to run a function on every element.", e);
    if (!this.arrayValue(m.recv, scope)) return undefined;
    return this.callback(e, m.args[0], "filter", "xs.filter((v, i) => …)", scope) === undefined ? undefined : "arr";
  }

  /**
   * `xs.toSorted(cmp)`, `sort` of a new array (`[...xs].sort(cmp)`), or `ys.sort(cmp);` as a
   * statement on an array the function created: the comparator subtracts one key of its two
   * elements (3-lower/sorting.ts), or is left out for a Float64Array (which sorts numerically).
   */
  protected sort(e: ts.CallExpression, name: SortMethod, scope: Scope, asStatement: boolean): FType | undefined {
    const m = methodCall(e)!;
    const usage = `xs.${name}((a, b) => a - b)`;
    const what = m.recv.getText();
    if (m.args.length > 1) return this.report(Codes.UnsupportedSyntax, `'${name}' takes one comparator: write ${usage}.`, e);
    if (!this.reorderable(e, name, scope, asStatement, `a sorted copy, ${what}.toSorted(${m.args[0]?.getText() ?? ""})`)) return undefined;
    const arg = m.args[0];
    if (!arg) {
      const typed = this.checker.getTypeAtLocation(m.recv).getSymbol()?.name === "Float64Array";
      if (typed) return "arr";
      return this.report(Codes.UnsupportedSyntax, `'${name}' with no comparator sorts the numbers of '${what}' as strings (10 before 9): pass a comparator, ${what}.${name}((a, b) => a - b).`, e);
    }
    const fn = comparatorFunction(arg, this.checker);
    if (!fn || !comparatorOf(fn)) {
      return this.report(Codes.UnsupportedSyntax, `The comparator of '${name}' must subtract one key of its two elements: (a, b) => a - b (ascending), (a, b) => b - a (descending) or (a, b) => f(a) - f(b) for a key f; sort in another order in a loop.`, arg);
    }
    return this.callback(e, arg, name, usage, scope) === undefined ? undefined : "arr";
  }

  /** `xs.toReversed()`, `reverse` of a new array, or `ys.reverse();` on an array the function created. */
  protected reverse(e: ts.CallExpression, name: ReverseMethod, scope: Scope, asStatement: boolean): FType | undefined {
    const m = methodCall(e)!;
    if (m.args.length > 0) return this.report(Codes.UnsupportedSyntax, `'${name}' takes no arguments: write xs.${name}().`, e);
    return this.reorderable(e, name, scope, asStatement, `a reversed copy, ${m.recv.getText()}.toReversed()`) ? "arr" : undefined;
  }

  /**
   * The receiver of a method that reorders an array: `toSorted` and `toReversed` take any array;
   * `sort` and `reverse` change theirs in place, so as a statement they take an array the
   * function created (not the caller's), and as a value only a new one (`[...xs].sort(…)`), never
   * a name (the result would be a second name for it). `copy` is the fix: the copying method.
   */
  private reorderable(e: ts.CallExpression, name: SortMethod | ReverseMethod, scope: Scope, asStatement: boolean, copy: string): boolean {
    const m = methodCall(e)!;
    const recv = stripTypes(m.recv);
    const what = m.recv.getText();
    const inPlace = name === "sort" || name === "reverse";
    const verb = name === "sort" || name === "toSorted" ? "sort" : "reverse";
    const bad = (message: string): boolean => {
      this.report(Codes.UnsupportedSyntax, message, e);
      return false;
    };
    if (asStatement && !inPlace) return bad(`The result of '${name}' is unused: assign it, or ${verb} in place with ys.${verb}(…) on an array the function created.`);
    if (inPlace && asStatement && !(ts.isIdentifier(recv) && this.createsArray(recv, scope))) {
      return bad(`'${e.getText()}' ${verb}s '${what}' in place, but '${what}' is not an array this function created (it may be the caller's): take ${copy}.`);
    }
    if (inPlace && !asStatement && (ts.isIdentifier(recv) || !this.createsArray(recv, scope))) {
      const statement = ts.isIdentifier(recv) && this.createsArray(recv, scope);
      return bad(`'${name}' ${verb}s '${what}' in place and returns it: ${statement ? `call it as a statement (${what}.${name}(${verb === "sort" ? "…" : ""});) and use '${what}', or take` : "take"} ${copy}.`);
    }
    if (!this.arrayValue(m.recv, scope)) return false;
    const ints = this.intArrayOf(m.recv);
    return !ints || bad(`'${name}' of ${intArrayNoun(ints)} is not supported: ${verb} a Float64Array of its values.`);
  }

  /**
   * The callback of an array method, or of `from` (`Float64Array.from(xs, (v, i) => …)`): an inline
   * function, checked as a loop body of the function around it, or a helper's name. `noElement`:
   * `from` a length (`{ length: n }`), which passes no element, so the callback may not read it.
   */
  protected callback(e: ts.CallExpression, fnArg: ts.Expression, kind: CallbackKind, usage: string, scope: Scope, noElement = false, over?: "list" | "rows"): FType | undefined {
    const arg = stripTypes(fnArg);
    const made = kind === "map" || kind === "from" || kind === "filter" ? "arr" : "num";
    const math = mathMember(arg, this.checker);
    if (math && over) return this.report(Codes.UnsupportedSyntax, `'${kind}' passes each ${over === "rows" ? "row" : "element"} of '${methodCall(e)!.recv.getText()}', not a number, to '${arg.getText()}': write ${usage}.`, arg);
    if (math) {
      // `xs.map(Math.exp)`: the function gets (element, index, array), as a callback does
      const op = `Math.${math.name.text}`;
      const rule = ruleFor(op);
      if (!rule) return this.report(Codes.UnknownCallee, `'${op}' is not differentiable by adjoint. Supported: ${supportedMathFunctions().join(", ")}.`, arg);
      const names = callbackParamNames(kind);
      if (rule.arity === "variadic" || rule.arity > names.length - (names[names.length - 1] === "array" ? 1 : 0)) {
        return this.report(Codes.UnsupportedSyntax, `'${kind}' passes ${names.join(", ")} to '${op}', which would ${rule.arity === "variadic" ? "take them all" : `take ${rule.arity}`}: write ${usage.replace("…", `${op}(…)`)}.`, arg);
      }
      if (rule.result !== "num") return this.report(Codes.UnsupportedSyntax, `'${op}' does not return a number: write ${usage}.`, arg);
      return made;
    }
    const inline = isFunctionValue(arg);
    const fn = inline ? (arg as HelperFn) : ts.isIdentifier(arg) ? helperDeclaration(arg, this.checker) : undefined;
    if (!fn || (ts.isIdentifier(arg) && this.poisoned.has(this.checker.getSymbolAtLocation(arg)!))) {
      if (fn) return undefined;
      return this.report(Codes.UnsupportedSyntax, `The callback of '${kind}' must be an inline function, the name of a helper function or a Math function: write ${usage}${ts.isIdentifier(arg) ? "" : `, calling '${fnArg.getText()}' inside`}.`, fnArg);
    }
    const name = inline ? `the ${kind} callback` : helperName(fn);
    if (this.stack.includes(fn)) return this.recursion(fn, e);
    if (ts.isFunctionExpression(fn) && fn.asteriskToken || fn.modifiers?.some((x) => x.kind === ts.SyntaxKind.AsyncKeyword)) {
      return this.report(Codes.UnsupportedSyntax, `An async or generator callback is not supported: write ${usage}.`, fn);
    }
    if (!this.plainParameters(fn, name)) return undefined;
    const want = callbackParams(kind);
    // the position of the element among the callback's parameters (after the accumulator of a fold)
    const at = kind === "reduce" || kind === "reduceRight" ? 1 : 0;
    if (over && fn.parameters.length > at + 2) {
      return this.report(Codes.UnsupportedSyntax, `The callback of '${kind}' over the ${over === "rows" ? "rows of a matrix" : "elements of a list"} takes ${at ? "the accumulator, " : ""}the element and the index, not the ${over === "rows" ? "matrix" : "list"}: remove '${fn.parameters[at + 2]!.name.getText()}'.`, fn.parameters[at + 2]!);
    }
    if (fn.parameters.length > want.length) {
      return this.report(Codes.UnsupportedSyntax, `${inline ? "The callback" : `'${name}'`} of '${kind}' takes ${fn.parameters.length} parameters, but '${kind}' passes ${want.length} (${callbackParamNames(kind).join(", ")}): remove the others.`, fn.parameters[want.length]);
    }
    for (const [i, p] of fn.parameters.entries()) {
      if (i === 0 && noElement) {
        const used = ts.isIdentifier(p.name) && fn.body !== undefined && this.usesOf(p.name, fn.body).length > 0;
        if (used) return this.report(Codes.UnsupportedSyntax, `'${p.name.getText()}' is undefined here: from a length ({ length: n }) the callback gets no element, only the index (write (_, i) => …).`, p);
        continue;
      }
      const t = this.typeOfNode(p);
      // a list's element is a record or an array (TypeScript checked it is the list's element type)
      if (over && i === at && (t === "arr" || t === "obj" || t === "list")) continue;
      // unannotated and inferred `any` from an `any[]` the fence takes as numbers (new Array(n).fill(0))
      if (inline && !p.type && t === undefined && ts.isIdentifier(p.name) && (this.checker.getTypeAtLocation(p).flags & ts.TypeFlags.Any) !== 0) {
        const sym = this.checker.getSymbolAtLocation(p.name);
        if (sym) this.localTypes.set(sym, want[i]!);
        continue;
      }
      if (t !== want[i]) {
        return this.report(Codes.NonNumericParameter, `Parameter '${p.name.getText()}' of ${inline ? "the callback" : `'${name}'`} receives the ${callbackParamNames(kind)[i]}, ${describeType(want[i])}, but is declared '${this.checker.typeToString(this.checker.getTypeAtLocation(p))}': declare it as ${want[i] === "num" ? "number" : "an array"}.`, p);
      }
    }
    const sig = this.checker.getSignatureFromDeclaration(fn);
    const retType = sig && this.checker.getReturnTypeOfSignature(sig);
    const isVoid = !!retType && (retType.flags & ts.TypeFlags.Void) !== 0;
    const predicate = kind === "filter" || (SEARCH_METHODS as readonly string[]).includes(kind);
    const returned = retType && irTypeOf(retType, this.checker);
    // `any` from an element of an `any[]` the fence takes as numbers (new Array(n).fill(0)): an
    // inline callback's returns are checked with its body below
    const anyReturn = inline && !!retType && (retType.flags & ts.TypeFlags.Any) !== 0;
    if (kind !== "forEach" && !anyReturn && !(returned === "num" || (predicate && returned === "bool"))) {
      return this.report(Codes.NonNumericReturn, `The callback of '${kind}' returns '${retType ? this.checker.typeToString(retType) : "unknown"}': it must return ${predicate ? "a boolean (or a number, tested for truthiness)" : "a number"}.`, inline ? fn : fnArg);
    }
    if (!inline) {
      if (kind === "forEach" && !isVoid && retType && irTypeOf(retType, this.checker) !== "num") {
        return this.report(Codes.NonNumericReturn, `'${name}' returns '${this.checker.typeToString(retType)}': a helper returns a number or nothing.`, fnArg);
      }
      const fromList = over === "list" && fn.parameters[at] ? [fn.parameters[at]] : [];
      if (!this.helperBody(fn, name, isVoid, new Set(), e, fromList, false, undefined, predicate)) return undefined;
      return made;
    }
    // a list's elements are the caller's, read and not changed (a matrix's rows may be written)
    const element = over === "list" ? fn.parameters[at] : undefined;
    const elementSym = element && ts.isIdentifier(element.name) ? this.checker.getSymbolAtLocation(element.name) : undefined;
    if (elementSym) this.fromList.add(elementSym);
    // an inline callback: checked here, as a loop body of the function around it
    const before = this.diagnostics.length;
    this.stack.push(fn);
    this.functionBody({
      decl: fn, name, isVoid, isMain: false, loops: [], inputs: scope.inputs,
      root: scope.root ?? scope.decl, closure: "callback", discard: kind === "forEach", ...(predicate ? { predicate } : {}),
    });
    this.stack.pop();
    if (this.diagnostics.length > before) return undefined;
    return made;
  }
}
