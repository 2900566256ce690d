/**
 * The fence's checks of array values: a name of an array, a window of one, or a new array (a
 * literal, `new Float64Array(…)`, `new Int32Array(n)`, `from`/`of`, a copy, a `map`, a helper's
 * result); and of what a helper returning an array returns (an array it creates). Every other
 * expression is checked by expressions.ts, which this class lends `expr`.
 */
import ts from "typescript";
import { Codes } from "../../diagnostics.ts";
import { pushCall, pushSite } from "../3-lower/growth.ts";
import { isAssignmentOperator } from "../3-lower/jumps.ts";
import { ITERATION_METHODS, SEARCH_METHODS, resolveCallee, skipParens, isDeclaredIn, stopGradientArgument, isNewIntArray, isStraightLine, lengthObject, constantTable, isWritten, isUntypedNewArray } from "../3-lower/resolve.ts";
import { describeType } from "./names.ts";
import { methodCall } from "../3-lower/arrays.ts";
import { isReverseMethod, isSortMethod } from "../3-lower/sorting.ts";
import type { MatrixInit } from "../3-lower/matrices.ts";
import { type FType, type Scope, FenceState, stripTypes } from "./state.ts";
import { type IntArrayName, isIntArrayName, intArrayNoun } from "../../ir/types.ts";

/** What to write instead of an unsupported array method. */
export const ARRAY_METHODS_FIX = "use forEach, map or reduce with an inline callback, subarray, slice, fill or set, or a loop over the elements.";

/** A use of a name, with parentheses, casts and `!` around it (`e`), and what holds that (`p`). */
export function useInContext(u: ts.Identifier): { e: ts.Node; p: ts.Node } {
  let e: ts.Node = u;
  let p = e.parent;
  while (p && (ts.isParenthesizedExpression(p) || ts.isAsExpression(p) || ts.isNonNullExpression(p) || ts.isTypeAssertionExpression(p) || ts.isSatisfiesExpression(p))) {
    e = p;
    p = p.parent;
  }
  return { e, p };
}

export abstract class ArrayFence extends FenceState {
  protected abstract expr(e0: ts.Expression, scope: Scope): FType | undefined;
  protected abstract condition(e: ts.Expression, scope: Scope): void;
  protected abstract callback(e: ts.CallExpression, fnArg: ts.Expression, kind: "from", usage: string, scope: Scope, noElement?: boolean): FType | undefined;

  protected arrayInitializer(e: ts.Expression, scope: Scope): void {
    const choice = stripTypes(e);
    if (ts.isConditionalExpression(choice) && ts.isVariableDeclaration(e.parent)) return this.arrayChoice(choice, e.parent, scope);
    this.arrayValue(e, scope);
  }

  /**
   * `const h = c ? a : b`: h is an array of its own holding the chosen arm's elements, which is
   * JavaScript's meaning when nothing can tell: each arm is a new array, or a local holding one
   * that no other name refers to and that is not used after the declaration.
   */
  private arrayChoice(c: ts.ConditionalExpression, d: ts.VariableDeclaration, scope: Scope): void {
    this.chosenArms(c, scope, (arm) => {
      const value = stripTypes(arm);
      return ts.isIdentifier(value) ? this.armAlias(value, d, scope) : this.createsArray(value, scope) && !namesArray(value) ? undefined : `'${arm.getText()}' is not a new array`;
    }, (arm, why) => `'${d.name.getText()}' is given one of two arrays (${firstLine(c)}), which is supported when nothing else can refer to the array it takes, but ${why}: give it a copy (${stripTypes(arm).getText()}.slice()).`);
  }

  /** `y = c ? a : b` of an array `y`: as `if (c) y = a; else y = b;`, each arm a rebinding in a branch (arrayRebinding). */
  protected rebindingChoice(left: ts.Identifier, c: ts.ConditionalExpression, at: ts.Node, scope: Scope): void {
    this.chosenArms(c, scope, (arm) => this.arrayRebinding(left, arm, at, scope),
      (_, why) => `Reassigning the array '${left.text}' to one of two arrays (${firstLine(c)}) is supported when nothing else can refer to its array, but ${why}.`);
  }

  /** The condition of `c ? a : b`, then each arm an array value for which `why` finds nothing; the first it does is reported. */
  private chosenArms(c: ts.ConditionalExpression, scope: Scope, why: (arm: ts.Expression) => string | undefined, message: (arm: ts.Expression, why: string) => string): void {
    this.condition(c.condition, scope);
    for (const arm of [c.whenTrue, c.whenFalse]) {
      if (!this.arrayValue(arm, scope)) return;
      const w = why(arm);
      if (w === undefined) continue;
      this.report(Codes.UnsupportedSyntax, message(arm, w), arm);
      return;
    }
  }

  /** Why the local array `x`, an arm of `const h = c ? x : …`, could be seen through another name, if it could. */
  private armAlias(x: ts.Identifier, d: ts.VariableDeclaration, scope: Scope): string | undefined {
    const own = this.localDeclaration(x, scope);
    if (!own?.initializer || !this.createsArray(own.initializer, scope) || namesArray(stripTypes(own.initializer))) return `'${x.text}' must be a local holding a new array`;
    const later = this.usesOf(x, scope.decl).find((u) => u.pos >= d.end);
    if (later) return `'${x.text}' is used after the declaration (line ${this.lineOf(later)}), when both names would refer to one array`;
    return this.aliasingUse(x, scope, d);
  }

  /**
   * An array-valued expression: a name of an array, a window (`subarray`), or a new array
   * (an array literal, `new Float64Array(n | xs | [..])`, `Float64Array.from(xs)`, `.of(..)`,
   * `xs.slice()`, `new Array(n).fill(v)`); whether it is one (reported otherwise).
   */
  protected arrayValue(e0: ts.Expression, scope: Scope): boolean {
    const e = stripTypes(e0);
    const bad = (what: string) => (this.report(Codes.UnsupportedSyntax, what, e0), false);
    const numbers = (xs: readonly ts.Expression[]) => {
      for (const x of xs) {
        if (ts.isSpreadElement(x)) {
          if (!this.arrayValue(x.expression, scope)) return false;
          continue;
        }
        if (ts.isOmittedExpression(x)) return bad("An array literal with holes is not supported: write every element.");
        const t = this.expr(x, scope);
        if (t === undefined) return false;
        if (t !== "num") return bad(`An array element must be a number, but '${x.getText()}' is ${describeType(t)}.`);
      }
      return true;
    };
    if (ts.isIdentifier(e)) return this.arrayReference(e, scope) !== undefined;
    if (ts.isArrayLiteralExpression(e)) return numbers(e.elements);
    if (ts.isNewExpression(e) && ts.isIdentifier(e.expression) && isIntArrayName(e.expression.text)) {
      // an integer array (indices, counts): allocated by its length, written element by element
      const args = e.arguments ?? [];
      const t = args.length === 1 && !this.looksLikeArray(args[0]) && !ts.isArrayLiteralExpression(stripTypes(args[0])) ? this.expr(args[0], scope) : "arr";
      if (t === undefined) return false;
      return t === "num" || bad(`new ${e.expression.text}(...) takes a length here: allocate new ${e.expression.text}(n) and set its elements in a loop.`);
    }
    if (ts.isNewExpression(e) && ts.isIdentifier(e.expression) && (e.expression.text === "Float64Array" || e.expression.text === "Array")) {
      const args = e.arguments ?? [];
      if (args.length > 1) return bad(`new ${e.expression.text}(...) takes one argument: a length, or for Float64Array an array to copy.`);
      if (args.length === 0) return true;
      const a = stripTypes(args[0]);
      if (e.expression.text === "Float64Array" && (ts.isArrayLiteralExpression(a) || this.looksLikeArray(a))) return ts.isArrayLiteralExpression(a) ? numbers(a.elements) : this.arrayValue(a, scope);
      const t = this.expr(args[0], scope);
      if (t === undefined) return false;
      return t === "num" || bad(`new ${e.expression.text}(...) takes a length or an array.`);
    }
    if (ts.isCallExpression(e) && ts.isIdentifier(e.expression) && e.expression.text === "Array" && e.arguments.length === 1) {
      const t = this.expr(e.arguments[0], scope);
      return t === "num" || (t !== undefined && bad("Array(n) takes a length."));
    }
    const m = methodCall(e);
    if (m && ts.isIdentifier(m.recv) && (m.recv.text === "Float64Array" || m.recv.text === "Array")) {
      if (m.name === "of") return numbers(m.args);
      if (m.name === "from" && m.args.length === 1) return this.arrayValue(m.args[0], scope);
      if (m.name === "from" && m.args.length === 2) {
        // from an array or a length ({ length: n }), each element through a callback (v, i) => …
        const length = lengthObject(m.args[0]);
        if (length) {
          if (this.expr(length, scope) !== "num") return bad("The length of Array.from({ length }) must be a number.");
        } else if (!this.arrayValue(m.args[0], scope)) return false;
        return this.callback(e as ts.CallExpression, m.args[1], "from", `${m.recv.text}.from(xs, (v, i) => …)`, scope, !!length) === "arr";
      }
      return bad(`'${m.recv.text}.${m.name}(...)' is not supported: use ${m.recv.text}.from(xs) or ${m.recv.text}.of(a, b, ...).`);
    }
    const ints = m && (m.name === "slice" || m.name === "map" || m.name === "filter") ? this.intArrayOf(m.recv) : undefined;
    if (ints) return bad(`'${m!.name}' of ${intArrayNoun(ints)} is not supported: allocate new ${ints}(n) and copy the elements in a loop.`);
    if (m && (m.name === "subarray" || m.name === "slice" || m.name === "fill")) {
      if (!this.arrayValue(m.recv, scope)) return false;
      if (m.args.length > (m.name === "fill" ? 3 : 2)) return bad(`'${m.name}' takes at most ${m.name === "fill" ? 3 : 2} arguments.`);
      for (const a of m.args) {
        const t = this.expr(a, scope);
        if (t === undefined) return false;
        if (t !== "num") return bad(`The arguments of '${m.name}' are numbers.`);
      }
      return true;
    }
    if (m && (m.name === "map" || m.name === "filter" || isSortMethod(m.name) || isReverseMethod(m.name)) && this.looksLikeArray(m.recv)) return this.expr(e, scope) === "arr";
    if (m && m.name === "concat" && this.looksLikeArray(m.recv)) return this.concat(e as ts.CallExpression, scope);
    if (m && this.looksLikeArray(m.recv)) {
      return bad(`The array method '${m.name}' is not supported here: ${ARRAY_METHODS_FIX}`);
    }
    const stopped = stopGradientArgument(e, this.cx);
    if (stopped && this.looksLikeArray(stopped)) return this.arrayValue(stopped, scope);
    const t = this.expr(e, scope);
    return t === "arr" || (t !== undefined && bad(`'${e0.getText()}' is not an array.`));
  }

  /**
   * `const A = [[a, b], [c, d]]` or `const A = Array.from({ length: n }, () => new Float64Array(m))`
   * (3-lower/matrices.ts): a matrix of rows built here. Its elements and sizes are numbers (the
   * sizes may not read the callback's parameters); it is a `const`, whose rows stay, and every use
   * of it takes a row (`A[i]`, then read, written, passed or windowed as any array), its length,
   * or walks its rows (`for (const row of A)`, `forEach`, `map`, `reduce`): a use of the whole
   * matrix (passed to a call, another name for it, a row replaced) is reported once.
   */
  protected localMatrix(d: ts.VariableDeclaration & { name: ts.Identifier }, built: MatrixInit, scope: Scope): void {
    const name = d.name.text;
    const bad = (message: string, at: ts.Node) => {
      this.report(Codes.UnsupportedSyntax, message, at);
      const sym = this.checker.getSymbolAtLocation(d.name);
      if (sym) this.poisoned.add(sym);
    };
    if ((d.parent.flags & ts.NodeFlags.Const) === 0) return bad(`'${name}' is a matrix built in this function: declare it with const (its rows stay; write their elements).`, d);
    const numbers = (xs: readonly ts.Expression[]): boolean => xs.every((x) => {
      const t = this.expr(x, scope);
      if (t !== undefined && t !== "num") this.report(Codes.UnsupportedSyntax, `An element or size of the matrix '${name}' must be a number, but '${x.getText()}' is ${describeType(t)}.`, x);
      return t === "num";
    });
    if (built.kind === "literal") {
      if (!numbers(built.rows.flatMap((r) => r.elements))) return;
    } else {
      for (const p of built.callback.parameters) {
        const used = ts.isIdentifier(p.name) ? [built.cols, built.fill].some((x) => x && this.usesOf(p.name as ts.Identifier, x).length > 0) : true;
        if (used) return bad(`The rows of '${name}' must all have one length and value: '${p.name.getText()}' varies from row to row (build the rows in a loop instead: A[i][j] = …).`, p);
      }
      if (!numbers([built.rows, built.cols, ...(built.fill ? [built.fill] : [])])) return;
    }
    const sym = this.checker.getSymbolAtLocation(d.name);
    if (!sym) return;
    if (!this.matrixUses(d.name, scope.decl, bad)) return;
    this.matrices.add(sym);
    this.localTypes.set(sym, "list");
  }

  /**
   * Whether every use of the matrix `name` (declared here, or a helper's parameter it is passed
   * to) takes a row, its length or walks its rows, or passes it whole to a helper (whose uses of
   * it are checked at that call, helperCall); otherwise reports the first other use.
   */
  protected matrixUses(name: ts.Identifier, within: ts.Node, bad: (message: string, at: ts.Node) => void, subject = `'${name.text}' is a matrix built in this function`): boolean {
    const m = name.text;
    for (const u of this.usesOf(name, within)) {
      if (u === name) continue;
      const { e, p } = useInContext(u);
      if (ts.isElementAccessExpression(p) && p.expression === e) {
        let row: ts.Node = p;
        while (row.parent && (ts.isParenthesizedExpression(row.parent) || ts.isNonNullExpression(row.parent))) row = row.parent;
        const assigned = ts.isBinaryExpression(row.parent) && isAssignmentOperator(row.parent.operatorToken.kind) && row.parent.left === row;
        if (!assigned) continue;
        bad(`A row of the matrix '${m}' cannot be replaced (its rows stay): write its elements (${m}[i][j] = …), or copy into it (${m}[i].set(row)).`, row.parent);
        return false;
      }
      if (ts.isPropertyAccessExpression(p) && p.expression === e && p.name.text === "length") continue;
      // forEach, map and reduce over its rows; for…of over its entries(), keys() or values()
      const method = ts.isPropertyAccessExpression(p) && p.expression === e && ts.isCallExpression(p.parent) && p.parent.expression === p ? p.name.text : undefined;
      if (method && ((ITERATION_METHODS as readonly string[]).includes(method) || (SEARCH_METHODS as readonly string[]).includes(method))) continue;
      if (method && ["entries", "keys", "values"].includes(method) && ts.isForOfStatement(p.parent.parent) && p.parent.parent.expression === p.parent) continue;
      if (ts.isForOfStatement(p) && p.expression === e) continue;
      // passed whole to a helper, which takes it as an array of rows
      if (ts.isCallExpression(p) && p.arguments.includes(e as ts.Expression) && !methodCall(p) && resolveCallee(p, this.cx).kind === "helper") continue;
      bad(`${subject}: take its rows (${m}[i]), its elements (${m}[i][j]), its length, walk its rows (for (const row of ${m}), ${m}.forEach, map or reduce), or pass it to a helper; the matrix as a whole cannot be used here. Pass its rows, or keep it in one Float64Array (element (i, j) at [i * cols + j]).`, u);
      return false;
    }
    return true;
  }

  /**
   * `xs.concat(ys, [a, b], c)` on a `number[]`: a new array of the receiver's elements and then
   * each argument's, an array's elements or a number. A typed array argument is not spread by
   * JavaScript's concat (it becomes one element), so it is reported with the spread that is meant.
   */
  protected concat(e: ts.CallExpression, scope: Scope): boolean {
    const m = methodCall(e)!;
    if (!this.arrayValue(m.recv, scope)) return false;
    for (const a of m.args) {
      if (ts.isSpreadElement(a)) return this.report(Codes.UnsupportedSyntax, `A spread argument of 'concat' is not supported: pass the arrays themselves, ${m.recv.getText()}.concat(${a.expression.getText()}).`, a), false;
      if (this.looksLikeArray(a)) {
        if (this.checker.getTypeAtLocation(a).getSymbol()?.name === "Float64Array") {
          return this.report(Codes.UnsupportedSyntax, `'concat' appends the Float64Array '${a.getText()}' as one element, not its numbers: spread it, [...${m.recv.getText()}, ...${a.getText()}].`, a), false;
        }
        if (!this.arrayValue(a, scope)) return false;
        continue;
      }
      const t = this.expr(a, scope);
      if (t === undefined) return false;
      if (t !== "num") return this.report(Codes.UnsupportedSyntax, `'concat' appends arrays and numbers, but '${a.getText()}' is ${describeType(t)}.`, a), false;
    }
    return true;
  }

  /**
   * Whether the array a helper returns is one it creates (a new array, a copy, a `map`, another
   * such helper's result, or a `const` of the helper holding one), so that the caller's name for
   * it aliases nothing of the caller's. Reported otherwise.
   */
  protected freshArray(e0: ts.Expression, scope: Scope): boolean {
    if (this.createsArray(e0, scope)) return true;
    this.report(Codes.UnsupportedSyntax, `'${scope.name}' returns '${e0.getText()}', which is not an array it creates: return a new array (a copy: ${e0.getText()}.slice()), or write into an array passed in.`, e0);
    return false;
  }

  /** Whether an array expression creates a new array (see `freshArray`); nothing is reported. */
  protected createsArray(x0: ts.Expression, scope: Scope): boolean {
    const x = stripTypes(x0);
    if (ts.isArrayLiteralExpression(x) || ts.isNewExpression(x)) return true;
    if (ts.isCallExpression(x)) {
      const m = methodCall(x);
      // fill returns the array it fills: new when that one is (new Array(n).fill(0))
      if (m && m.name === "fill") return this.createsArray(m.recv, scope);
      // sort and reverse return the array they reorder: new when that one is ([...xs].sort(…))
      if (m && (m.name === "sort" || m.name === "reverse")) return !ts.isIdentifier(stripTypes(m.recv)) && this.createsArray(m.recv, scope);
      if (m) return m.name === "slice" || m.name === "map" || m.name === "filter" || m.name === "toSorted" || m.name === "toReversed" || m.name === "concat" || ((m.name === "from" || m.name === "of") && ts.isIdentifier(m.recv));
      if (ts.isIdentifier(x.expression) && x.expression.text === "Array") return true;
      return resolveCallee(x, this.cx).kind === "helper";
    }
    if (ts.isIdentifier(x)) {
      const d = this.localDeclaration(x, scope);
      return !!d?.initializer && this.createsArray(d.initializer, scope);
    }
    return false;
  }

  /**
   * `out.push(a, …)` as a statement, onto a growing array (3-lower/growth.ts): a `number[]` local
   * of this function declared with an array literal, never reassigned and never aliased, pushed
   * where the statement holding the push bounds how many times it runs.
   */
  protected push(e: ts.CallExpression, scope: Scope, asStatement: boolean): FType | undefined {
    const p = pushCall(e);
    const name = p?.recv.text ?? "xs";
    const fix = `declare it in this function as a number[] with an array literal (const ${name}: number[] = [])`;
    if (!p) return this.report(Codes.UnsupportedSyntax, `'push' is supported on a local array named directly: ${fix} and push onto that name.`, e);
    if (!asStatement) return this.report(Codes.UnsupportedSyntax, `The result of '${name}.push' (the new length) is not supported: call it as a statement, and read ${name}.length.`, e);
    const decl = this.localDeclaration(p.recv, scope);
    const init = decl?.initializer && stripTypes(decl.initializer);
    if (!decl || !init || !ts.isArrayLiteralExpression(init) || !ts.isVariableDeclarationList(decl.parent) || !ts.isBlock(decl.parent.parent.parent)) {
      const inClosure = !decl && scope.root !== undefined && scope.root !== scope.decl;
      return this.report(Codes.UnsupportedSyntax, `'${name}.push' ${inClosure ? "is inside a callback or closure: push in a loop of the function that declares it (for…of instead of forEach)" : `needs an array that grows: ${fix}`}.`, e);
    }
    if (this.checker.isTupleType(this.checker.getTypeAtLocation(decl.name))) return this.report(Codes.UnsupportedSyntax, `'${name}' is a tuple, which has a fixed length: declare it as number[].`, decl.name);
    const reassigned = this.usesOf(p.recv, scope.decl).find((u) => ts.isBinaryExpression(u.parent) && u.parent.left === u && isAssignmentOperator(u.parent.operatorToken.kind));
    if (reassigned) return this.report(Codes.UnsupportedSyntax, `'${name}' grows by push and is reassigned at line ${this.lineOf(reassigned)}: use a new name for the other array.`, reassigned);
    for (const a of p.call.arguments) {
      if (ts.isSpreadElement(a)) return this.report(Codes.UnsupportedSyntax, `A spread in '${name}.push' is not supported: push in a for…of loop over the array.`, a);
      const t = this.expr(a, scope);
      if (t === undefined) return undefined;
      if (t !== "num") return this.report(Codes.UnsupportedSyntax, `'${name}.push' takes numbers, but '${a.getText()}' is ${describeType(t)}.`, a);
    }
    const site = pushSite(p.call, decl);
    if ("why" in site) return this.report(Codes.UnsupportedSyntax, `'${name}' cannot be sized before its pushes run: ${site.why}. Or allocate new Float64Array(max) and count the elements.`, site.at);
    const alias = this.aliasingUse(p.recv, scope, e);
    if (alias) return this.report(Codes.UnsupportedSyntax, `'${name}' grows by push, so its array is replaced as it grows: ${alias}. Copy it (${name}.slice()) instead.`, e);
    return "num";
  }

  /** The declaration of a variable declared in `scope`'s function that `x` names, if it is one. */
  protected localDeclaration(x: ts.Identifier, scope: Scope): ts.VariableDeclaration | undefined {
    const sym = this.checker.getSymbolAtLocation(x);
    const d = sym?.valueDeclaration;
    return sym && d && ts.isVariableDeclaration(d) && isDeclaredIn(sym, scope.decl) ? d : undefined;
  }

  /**
   * `y = <array>` inside a loop or a branch, for an array `y`: the generated code keeps one array
   * per name there, so the new elements are copied into `y`'s array. That is JavaScript's meaning
   * when nothing else can see the difference: `y` is a `let` of the function holding a new array,
   * no other name, field or list ever refers to `y`'s array (every use of `y` reads or writes
   * its elements, takes its length, or passes it to a call), and the new array is a new one (a
   * helper's result, a copy, a `map`, a literal) or a `const` holding one, declared in the same
   * loop body and not used after the assignment. Why not, when it is not (undefined when it is).
   */
  protected arrayRebinding(left: ts.Identifier, right: ts.Expression, at: ts.Node, scope: Scope): string | undefined {
    const y = left.text;
    const own = this.localDeclaration(left, scope);
    if (!ts.isExpressionStatement(at.parent)) return `the assignment must be a statement of its own`;
    // a new array, not one another name holds (`z`, `z.fill(0)`: the same array as z)
    const fresh = (e: ts.Expression) => this.createsArray(e, scope) && !namesArray(e);
    if (!own || !own.initializer) return `'${y}' must be a let of this function holding a new array (let ${y} = new Float64Array(n), or a copy)`;
    const start = stripTypes(own.initializer);
    if (!fresh(start)) {
      // `let h = x`: h starts as x's array, which neither name may write (h then starts as a copy)
      const other = ts.isIdentifier(start) && (own.parent.flags & ts.NodeFlags.Let) !== 0 ? start : undefined;
      if (!other) return `'${y}' must be a let of this function holding a new array (let ${y} = new Float64Array(n), or a copy)`;
      for (const name of [left, other]) {
        const w = this.writesArray(name, scope.decl, 0);
        if (w) return `'${y}' starts as the array of '${other.text}', and '${w.getText().split("\n")[0].slice(0, 60)}' (line ${this.lineOf(w)}) writes it: start from a copy (let ${y} = ${other.text}.slice())`;
      }
    }
    if (this.intArrayOf(left)) return `'${y}' is ${intArrayNoun(this.intArrayOf(left)!)}`;
    const value = stripTypes(right);
    if (methodCall(value)?.name === "filter") return `'${right.getText()}' may be shorter than ${y}'s array, which keeps its length here: give it a name of its own (const kept = ${right.getText()})`;
    const loop = scope.loops.filter((l) => !ts.isSwitchStatement(l)).at(-1) as ts.IterationStatement | undefined;
    const region: ts.Node = loop ? loop.statement : (scope.decl.body as ts.Node);
    if (ts.isIdentifier(value)) {
      const d = this.localDeclaration(value, scope);
      // `prev = cur; cur = next`: prev takes over cur's array, which the next statement rebinds
      if (d?.initializer && (d.parent.flags & ts.NodeFlags.Let) !== 0 && fresh(d.initializer) && ts.isBinaryExpression(at) && this.handsOver(at, value)) {
        return this.aliasingUse(left, scope, at);
      }
      if (!d || !d.initializer || (d.parent.flags & ts.NodeFlags.Const) === 0 || !fresh(d.initializer)) return `'${value.text}' must be a const holding a new array`;
      if (d.pos < region.pos || d.end > region.end) return `'${value.text}' must be declared ${loop ? "in the loop's body" : "in the same block"}, so that it is a new array each time`;
      const later = this.usesOf(value, region).find((u) => u.pos >= at.end);
      if (later) return `'${value.text}' is used after the assignment (line ${this.lineOf(later)}), when both names would refer to one array`;
      const alias = this.aliasingUse(value, scope, at);
      if (alias) return alias;
    } else if (!fresh(value)) return `'${right.getText()}' is not a new array`;
    return this.aliasingUse(left, scope, at);
  }

  /**
   * Whether `y = x` (a statement in a block) is followed right away by a statement rebinding `x`:
   * then `y` takes over `x`'s array, and no code runs while both names refer to it.
   */
  protected handsOver(assign: ts.BinaryExpression, x: ts.Identifier): boolean {
    const stmt = assign.parent;
    if (!ts.isExpressionStatement(stmt) || !ts.isBlock(stmt.parent)) return false;
    const next = stmt.parent.statements[stmt.parent.statements.indexOf(stmt) + 1];
    const e = next && ts.isExpressionStatement(next) ? skipParens(next.expression) : undefined;
    if (!e || !ts.isBinaryExpression(e) || e.operatorToken.kind !== ts.SyntaxKind.EqualsToken) return false;
    const target = stripTypes(e.left);
    return ts.isIdentifier(target) && this.checker.getSymbolAtLocation(target) === this.checker.getSymbolAtLocation(x);
  }

  /**
   * A write into the array `name` holds, within `within`: an element assigned, an in-place
   * method, or a call that may write an argument (a helper writing its parameter, a BLAS
   * routine's output, any other call).
   */
  protected writesArray(name: ts.Identifier, within: ts.Node, depth: number): ts.Node | undefined {
    for (const u of this.usesOf(name, within)) {
      const { e, p } = useInContext(u);
      if (ts.isElementAccessExpression(p) && p.expression === e && isWritten(p)) return p;
      if (ts.isPropertyAccessExpression(p) && p.expression === e && IN_PLACE.includes(p.name.text)) return p.parent;
      if (ts.isCallExpression(p) && p.arguments.includes(e as ts.Expression)) {
        const c = resolveCallee(p, this.cx);
        const i = p.arguments.indexOf(e as ts.Expression);
        if (c.kind === "math" || c.kind === "custom") continue;
        if (c.kind === "routine" && c.rule && c.rule.writes !== i) continue;
        const param = c.kind === "helper" ? c.decl.parameters[i] : undefined;
        if (c.kind === "helper" && param && depth < 8 && ts.isIdentifier(param.name) && !param.dotDotDotToken && !this.writesArray(param.name, c.decl.body, depth + 1)) continue;
        return p;
      }
    }
    return undefined;
  }

  /** A use of the array `name` that lets another name, field or list refer to its array (described), if any. */
  protected aliasingUse(name: ts.Identifier, scope: Scope, rebinding: ts.Node): string | undefined {
    for (const u of this.usesOf(name, scope.decl)) {
      const { e, p } = useInContext(u);
      if (ts.isPropertyAccessExpression(p) && p.expression === e) {
        // y.length, y[i], y.set(…), y.map(…); a window (subarray) passed to a call, or a fill as a statement
        const m = p.name.text;
        const call = ts.isCallExpression(p.parent) && p.parent.expression === p ? p.parent : undefined;
        if (m !== "subarray" && m !== "fill") continue;
        if (call && m === "subarray" && ts.isCallExpression(call.parent) && call.parent.arguments.includes(call)) continue;
        if (call && m === "fill" && ts.isExpressionStatement(call.parent)) continue;
      } else if (ts.isElementAccessExpression(p) && p.expression === e) continue;
      else if (ts.isCallExpression(p) && p.arguments.includes(e as ts.Expression) && !stopGradientArgument(p, this.cx)) continue; // f(y)
      else if (ts.isReturnStatement(p) || ts.isSpreadElement(p)) continue; // return y, [...y]
      else if (ts.isVariableDeclaration(p) && p.name === e) continue; // its declaration
      // an arm of the rebinding checked, `y = c ? x : z`
      else if (ts.isConditionalExpression(p) && p.condition !== e && choiceOf(rebinding) === p) continue;
      else if (ts.isBinaryExpression(p) && p.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
        // the rebinding checked, or another one to a new array or to one of two (checked there)
        const other = stripTypes(p.right);
        if (p === rebinding || (p.left === e && (!isStraightLine(p, scope.decl) || ts.isConditionalExpression(other) || (!ts.isIdentifier(other) && this.createsArray(other, scope))))) continue;
        // `y = x` right before x is rebound: y takes over x's array (see arrayRebinding)
        if (p.right === e && ts.isIdentifier(e) && this.handsOver(p, e)) continue;
      }
      if (ts.isForOfStatement(p) && p.expression === e) {
        if (!(rebinding.pos >= p.statement.pos && rebinding.end <= p.statement.end)) continue;
        return `the for…of at line ${this.lineOf(p)} walks the array '${name.text}' named when it started`;
      }
      let stmt: ts.Node = u;
      while (stmt.parent && !ts.isBlock(stmt.parent) && !ts.isSourceFile(stmt.parent) && !ts.isIterationStatement(stmt.parent, false) && !ts.isIfStatement(stmt.parent)) stmt = stmt.parent;
      return `'${stmt.getText().split("\n")[0].slice(0, 60)}' (line ${this.lineOf(u)}) lets another name refer to the array of '${name.text}'`;
    }
    return undefined;
  }

  /** The identifiers in `within` that name the same variable as `name`. */
  protected usesOf(name: ts.Identifier, within: ts.Node): ts.Identifier[] {
    const sym = this.checker.getSymbolAtLocation(name);
    const uses: ts.Identifier[] = [];
    const visit = (n: ts.Node): void => {
      if (ts.isIdentifier(n) && n.text === name.text && this.checker.getSymbolAtLocation(n) === sym) uses.push(n);
      ts.forEachChild(n, visit);
    };
    visit(within);
    return uses;
  }

  protected lineOf(n: ts.Node): number {
    return n.getSourceFile().getLineAndCharacterOfPosition(n.getStart()).line + 1;
  }

  /** The constructor of an integer array an expression names (from its declared type), if it is one. */
  protected intArrayOf(e0: ts.Expression): IntArrayName | undefined {
    const e = stripTypes(e0);
    let type: ts.Type;
    const sym = ts.isIdentifier(e) ? this.checker.getSymbolAtLocation(e) : undefined;
    const d = sym?.valueDeclaration;
    if (sym && d && (ts.isVariableDeclaration(d) || ts.isParameter(d))) {
      if (ts.isVariableDeclaration(d) && !d.type && isNewIntArray(d.initializer)) return (skipParens(d.initializer!) as ts.NewExpression & { expression: ts.Identifier }).expression.text as IntArrayName;
      type = this.checker.getTypeOfSymbolAtLocation(sym, d);
    } else type = this.checker.getTypeAtLocation(e);
    const name = type.getSymbol()?.getName();
    return name !== undefined && isIntArrayName(name) ? name : undefined;
  }

  /** Whether an expression is typed as an array (Float64Array or number[]). */
  protected looksLikeArray(e: ts.Expression): boolean {
    if (constantTable(stripTypes(e), this.checker)?.kind === "array") return true;
    const stopped = stopGradientArgument(e, this.cx);
    if (stopped) return this.looksLikeArray(stopped);
    // a name's declared type: its type at a use would ask flow analysis (the length of the function)
    const id = stripTypes(e);
    const sym = ts.isIdentifier(id) ? this.checker.getSymbolAtLocation(id) : undefined;
    if (sym) return this.declaredType(sym) === "arr";
    const t = this.typeOfNode(e);
    if (t !== undefined || !ts.isCallExpression(id) || !isAnyArray(this.checker.getTypeAtLocation(id), this.checker)) return t === "arr";
    // TypeScript's `any[]` of an Array constructed without an element type, and of what is made
    // from it (`new Array(n).fill(0)`, `Array.from({ length: n }, (_, i) => y[i])`, `y.map(f)`):
    // the fence checks that its elements are numbers where it is made
    const m = methodCall(id);
    if (!m) return false;
    if (m.name === "fill") return isUntypedNewArray(id) || this.looksLikeArray(m.recv);
    if ((m.name === "from" || m.name === "of") && ts.isIdentifier(m.recv)) return m.recv.text === "Array";
    return ["map", "slice", "filter", "concat", "toSorted", "toReversed"].includes(m.name) && this.looksLikeArray(m.recv);
  }

  /**
   * Whether an array pattern is plain names, each with a default or none, and a last rest name
   * (reported otherwise).
   */
  protected arrayPatternShape(pattern: ts.ArrayBindingPattern): boolean {
    const last = pattern.elements.length - 1;
    const rest = pattern.elements.find((el, i) => !ts.isOmittedExpression(el) && ((el.dotDotDotToken && (i !== last || el.initializer)) || !ts.isIdentifier(el.name)));
    if (!rest) return true;
    this.report(Codes.UnsupportedSyntax, "Array destructuring takes plain names, each with a number as its default or none, and a last rest name: const [a, b = 0, ...others] = xs (no nesting: destructure an inner array in a declaration of its own).", rest);
    return false;
  }

  /** The names of an array pattern over an array's elements: numbers, a rest name an array; defaults numbers. */
  protected arrayPatternNames(pattern: ts.ArrayBindingPattern, scope: Scope): void {
    for (const el of pattern.elements) {
      if (ts.isOmittedExpression(el)) continue;
      // a default, evaluated where the array has no element at that place
      const t = el.initializer && this.expr(el.initializer, scope);
      if (t !== undefined && t !== "num") this.report(Codes.UnsupportedSyntax, `The default of '${el.name.getText()}' must be a number, but '${el.initializer!.getText()}' is ${describeType(t)}: write a number there, as the elements are numbers.`, el.initializer!);
      const sym = this.checker.getSymbolAtLocation(el.name);
      if (sym) this.localTypes.set(sym, el.dotDotDotToken ? "arr" : "num");
    }
  }

  /** `const { length } = xs` (or `{ length: n }`): an array's one field, a number. */
  protected lengthPattern(pattern: ts.ObjectBindingPattern, init: ts.Expression): void {
    const other = pattern.elements.find((el) => el.dotDotDotToken || el.initializer || !ts.isIdentifier(el.name) || (el.propertyName ?? el.name).getText() !== "length");
    if (other) {
      this.report(Codes.UnsupportedSyntax, `The only field of the array '${init.getText()}' to destructure is its length (const { length } = ${init.getText()}, or { length: n }): read its elements by index, or destructure them with const [a, b] = ${init.getText()}.`, other);
      return;
    }
    for (const el of pattern.elements) {
      const sym = this.checker.getSymbolAtLocation(el.name);
      if (sym) this.localTypes.set(sym, "num");
    }
  }

  /**
   * An array read where it stands (`.length`, `[i]`): a name or window of one, as
   * arrayReference, or a new array read in place (`[...xs, ...ys][i]`, `xs.filter(f).length`,
   * `xs.map(f).slice(1)[0]`), which the lowering allocates as a temporary.
   */
  protected arrayRead(e0: ts.Expression, scope: Scope): boolean {
    const e = stripTypes(e0);
    if (!ts.isIdentifier(e) && !ts.isNewExpression(e) && this.createsArray(e, scope)) return this.arrayValue(e, scope);
    return this.arrayReference(e0, scope) !== undefined;
  }

  protected arrayReference(e0: ts.Expression, scope: Scope): string | undefined {
    const e = stripTypes(e0);
    // a module's constant table (`const W = [0.2, 0.3] as const`), read only
    if (ts.isIdentifier(e) && constantTable(e, this.checker)?.kind === "array") return e.text;
    if (ts.isIdentifier(e)) {
      const t = this.expr(e, scope);
      if (t === undefined) return undefined;
      if (t === "arr") return e.text;
    } else {
      const m = methodCall(e);
      if (m && m.name === "subarray") return this.arrayValue(e, scope) ? this.arrayReference(m.recv, scope) : undefined;
      const t = this.expr(e, scope);
      if (t === undefined) return undefined;
      // an array field of a record (`p.w`), or an array of a list (`xs[i]`, `p.layers[i].W`)
      if (t === "arr" && (ts.isPropertyAccessExpression(e) || ts.isElementAccessExpression(e))) return e.getText();
    }
    const call = ts.isCallExpression(e) && !methodCall(e) && resolveCallee(e, this.cx).kind === "helper";
    this.report(Codes.UnsupportedSyntax, `'${e0.getText()}' is not a Float64Array or number[] variable (or a subarray of one)${call ? `: name the helper's result first (const y = ${e0.getText()}) and use y` : ""}.`, e0);
    return undefined;
  }
}

/** The array methods that change the array they are called on. */
const IN_PLACE = ["fill", "set", "sort", "reverse", "copyWithin"];

/** Whether `e` is an array another name holds: the name itself, or its `fill` (which returns it). */
function namesArray(e0: ts.Expression): boolean {
  const e = stripTypes(e0);
  if (ts.isIdentifier(e)) return true;
  const m = ts.isCallExpression(e) ? methodCall(e) : undefined;
  return m?.name === "fill" && namesArray(m.recv);
}

/** Whether a type is `any[]`. */
function isAnyArray(t: ts.Type, checker: ts.TypeChecker): boolean {
  if (!checker.isArrayType(t)) return false;
  const el = checker.getTypeArguments(t as ts.TypeReference)[0];
  return !!el && (el.flags & ts.TypeFlags.Any) !== 0;
}

/** The conditional a rebinding or declaration chooses its array with (`y = c ? a : b`, `const y = c ? a : b`), if it does. */
function choiceOf(n: ts.Node): ts.Node | undefined {
  const value = ts.isBinaryExpression(n) ? n.right : ts.isVariableDeclaration(n) ? n.initializer : undefined;
  const e = value && stripTypes(value);
  return e && ts.isConditionalExpression(e) ? e : undefined;
}

/** The first line of a node's text, at most 60 characters (for a message). */
function firstLine(n: ts.Node): string {
  return n.getText().split("\n")[0]!.slice(0, 60);
}
