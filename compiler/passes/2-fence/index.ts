/**
 * Pass 2, fence: the supported language, in one place.
 *
 * In:  an annotated function (pass 1), the type checker and the runtime's specifiers.
 * Out: one located diagnostic for every unsupported construct in the function and in every
 *      helper it calls, each naming the construct and the fix; none when the function can be
 *      lowered.
 * Holds: lowering (pass 3) runs only on fenced functions and raises no diagnostic of its own:
 *      whatever this pass accepts, lowering can lower. A construct that is reported is not looked
 *      into further, so one mistake gives one message. Reads no file.
 *
 * The language: statements are `const`/`let` declarations, assignments and compound assignments,
 * increments, calls, `if`/`else`, `for`, `while`, `do…while`, `break`, `continue` and `return`;
 * values are numbers, booleans and Float64Arrays; expressions are arithmetic, comparisons, logic,
 * the ternary operator, element reads, `.length`, Math functions and constants, runtime BLAS
 * routines, and calls of helper functions (inlined): function declarations, `const` arrow
 * functions and function expressions, and local closures, which read the variables around them
 * but do not assign them; `forEach`, `map` and `reduce` on arrays with an inline callback (a loop
 * body, which may update the variables around it) or a helper's name.
 */
import ts from "typescript";
import { Codes, type Diagnostic } from "../../diagnostics.ts";
import type { Type } from "../../ir/types.ts";
import { type AnnotatedFunction, irTypeOf } from "../1-parse/index.ts";
import { type ResolveContext, arrayIteration, skipParens, isDeclaredIn, isStraightLine, annotatedType, isNewFloat64Array, isNewIntArray, isUntypedNewArray, isHostCall, isFunctionValue, isEffectBody } from "../3-lower/resolve.ts";
import { isOptionalParamRead } from "../3-lower/optional.ts";
import { countJumps, definitelyReturns, isAssignmentOperator, compoundOperator, jumpTarget, isBreakable } from "../3-lower/jumps.ts";
import { builtListFix, statementFix, describeSyntax, describeType } from "./names.ts";
import { methodCall } from "../3-lower/arrays.ts";
import { matrixInit } from "../3-lower/matrices.ts";
import { checkCheckpointTags } from "./checkpoint.ts";
import { type Scope, findReturn, isPure, isValue, stripTypes } from "./state.ts";
import { RecordFence } from "./records.ts";
import { fenceRecordReturn } from "./custom.ts";

export type FenceOptions = ResolveContext;

export function fence(fn: AnnotatedFunction, opts: FenceOptions): Diagnostic[] {
  const f = new Fence(fn, opts);
  f.run();
  return f.diagnostics;
}

/**
 * Whether a pullback's body can be differentiated (forward over reverse, for Hvp): checked like a
 * helper whose array parameters are inputs, ending in `return { field: value, … }` with one field
 * per parameter of the function it differentiates (`fields`, with their types).
 */
export function fencePullback(fn: AnnotatedFunction, fields: Map<string, Type>, opts: FenceOptions): Diagnostic[] {
  const f = new Fence(fn, opts);
  f.runRecord(fields);
  return f.diagnostics;
}

class Fence extends RecordFence {
  run(): void {
    const { decl } = this.fn;
    const inputs = new Set(this.fn.params.filter((p) => p.type === "arr" && !this.fn.outputs.includes(p.name)).map((p) => p.pattern?.local ?? p.name));
    const scope: Scope = { decl, name: this.fn.name, isVoid: this.fn.outputs.length > 0, isMain: true, loops: [], inputs };
    this.stack.push(decl);
    this.functionBody(scope);
    this.stack.pop();
  }

  runRecord(record: Map<string, Type>): void {
    const { decl } = this.fn;
    const body = decl.body as ts.Block; // a pullback is a function declaration
    const last = body.statements[body.statements.length - 1];
    if (countJumps(body, "return", undefined) !== 1 || !last || !ts.isReturnStatement(last)) {
      this.report(Codes.UnsupportedSyntax, `A pullback is differentiated (for Hvp) when its only return is its last statement: compute the fields first, then return { ${[...record.keys()].join(", ")} }.`, decl.name ?? decl);
      return;
    }
    const inputs = new Set(this.fn.params.filter((p) => p.type === "arr").map((p) => p.name));
    this.stack.push(decl);
    this.statements(body.statements, { decl, name: this.fn.name, isVoid: false, isMain: false, loops: [], inputs, record });
    this.stack.pop();
  }

  /** What a function returns: a number, or for a predicate also a boolean. */
  private result(e: ts.Expression, scope: Scope, message: string): void {
    const t = this.expr(e, scope);
    if (t !== undefined && t !== "num" && !(scope.predicate && t === "bool")) this.report(Codes.UnsupportedSyntax, message, e);
  }

  protected functionBody(scope: Scope): void {
    // default values, also of fields destructured in the signature, are computed in the function's
    // scope from the parameters before them (settings `opts: Options = {}`, `{ … }: Options = {}`,
    // and a choice's string, `mode: Mode = "sum"`, the parser checks)
    const settings = (p: ts.ParameterDeclaration) => scope.isMain && (ts.isObjectBindingPattern(p.name) || this.fn.params.some((q) => q.name === p.name.getText() && (q.type === "rec" || q.fallback !== undefined)));
    for (const p of [...scope.decl.parameters, ...(scope.isMain ? scope.decl.parameters.flatMap((q) => (ts.isObjectBindingPattern(q.name) ? q.name.elements : [])) : [])]) {
      if (!p.initializer || (ts.isParameter(p) ? settings(p) : this.fn.params.some((q) => q.pattern?.element === p && q.fallback !== undefined))) continue;
      // a flag's default is a boolean (`normalize = true`), any other's a number
      if (this.typeOfNode(p.name) === "bool") {
        const t = this.expr(p.initializer, scope);
        if (t !== undefined && t !== "bool") this.report(Codes.UnsupportedSyntax, `The default value of '${p.name.getText()}' must be a boolean.`, p.initializer);
      } else this.numeric(p.initializer, scope, `The default value of '${p.name.getText()}'`);
    }
    const concise = scope.decl.body!;
    if (!ts.isBlock(concise)) {
      // an arrow's expression body is its result, or a statement when the result is dropped
      if ((scope.isVoid || scope.discard) && isEffectBody(concise, this.checker)) this.expressionStatement(concise, scope);
      else if (scope.isVoid || scope.discard) this.expr(concise, scope);
      else if (scope.returnsArray) {
        if (this.arrayValue(concise, scope)) this.freshArray(concise, scope);
      } else if (scope.returnsRecord) this.recordResult(concise, scope.returnsRecord, scope);
      else this.result(concise, scope, `'${scope.name}' must return a number${scope.predicate ? " or a boolean" : ""}.`);
      return;
    }
    const body = concise;
    if (scope.isMain && scope.isVoid) {
      const early = findReturn(body);
      if (early) {
        this.report(Codes.UnsupportedSyntax, `'return' in '${scope.name}', which writes its results into @out parameters, is not supported: let control reach the end of the function.`, early);
        return;
      }
    }
    if (scope.returnsArray || scope.returnsRecord) {
      const last = body.statements[body.statements.length - 1];
      if (countJumps(body, "return", undefined) !== 1 || !last || !ts.isReturnStatement(last)) {
        const what = scope.returnsArray ? "an array" : "an object";
        this.report(Codes.UnsupportedSyntax, `'${scope.name}' returns ${what}, which it must do once, as its last statement: build ${scope.returnsArray ? "the array" : "its fields"}, then return it at the end.`, scope.decl.name ?? scope.decl);
        return;
      }
    }
    const before = this.diagnostics.length;
    this.statements(body.statements, scope);
    // a path without a return, once every construct on the paths is known to be supported
    if (!scope.isVoid && this.diagnostics.length === before) {
      const stmts = body.statements;
      const last = stmts[stmts.length - 1];
      const fast = countJumps(body, "return", undefined) === 1 && last !== undefined && ts.isReturnStatement(last);
      if (!fast && !definitelyReturns(body)) {
        this.report(Codes.MissingReturn, `Not every path through '${scope.name}' returns a value: add a return at the end.`, scope.decl.name ?? scope.decl);
      }
    }
  }

  // ---------------------------------------------------------------- statements

  protected statements(list: readonly ts.Statement[], scope: Scope): void {
    for (const s of list) this.statement(s, scope);
  }

  protected statement(s: ts.Statement, scope: Scope): void {
    checkCheckpointTags(s, this.diagnostics);
    if (ts.isReturnStatement(s)) {
      if (scope.isVoid && scope.closure === "callback") {
        this.report(Codes.UnsupportedSyntax, "'return' in a forEach callback is not supported: put the rest of the callback's body under if/else instead.", s);
        return;
      }
      if (scope.record) return fenceRecordReturn(s, scope.record, this.hooks(scope));
      if (scope.isVoid) {
        this.report(Codes.UnsupportedSyntax, `Early 'return' in the void helper '${scope.name}' is not supported: let control reach the end of the helper, or return a number from it.`, s);
        return;
      }
      if (!s.expression) {
        this.report(Codes.MissingReturn, `${scope.returnsArray ? `'${scope.name}' must return an array` : "A differentiable function must return a number"}: write 'return <value>;'.`, s);
        return;
      }
      if (scope.returnsArray) {
        if (this.arrayValue(s.expression, scope)) this.freshArray(s.expression, scope);
        return;
      }
      if (scope.returnsRecord) return this.recordResult(s.expression, scope.returnsRecord, scope);
      this.result(s.expression, scope, `The returned value must be a number${scope.predicate ? " or a boolean" : ""}.`);
      return;
    }
    if (ts.isBreakStatement(s) || ts.isContinueStatement(s)) {
      if (!jumpTarget(s)) {
        const what = ts.isBreakStatement(s) ? "break" : "continue";
        this.report(Codes.UnsupportedSyntax, s.label
          ? `'${what} ${s.label.text}' must name a loop${what === "break" ? " or a switch" : ""} it is inside: label the loop itself.`
          : `'${what}' outside a loop${what === "break" ? " or switch" : ""}: remove it.`, s);
      }
      return;
    }
    if (ts.isThrowStatement(s)) {
      if (s.expression) this.hostValue(s.expression, scope);
      return;
    }
    if (ts.isVariableStatement(s)) {
      this.declarations(s.declarationList, scope);
      return;
    }
    if (ts.isExpressionStatement(s)) {
      this.expressionStatement(s.expression, scope);
      return;
    }
    if (ts.isIfStatement(s)) {
      this.condition(s.expression, scope);
      this.statement(s.thenStatement, scope);
      if (s.elseStatement) this.statement(s.elseStatement, scope);
      return;
    }
    if (ts.isBlock(s)) {
      this.statements(s.statements, scope);
      return;
    }
    if (ts.isEmptyStatement(s)) return;
    if (ts.isForStatement(s) || ts.isWhileStatement(s) || ts.isDoStatement(s)) {
      if (ts.isForStatement(s) && s.initializer) {
        if (ts.isVariableDeclarationList(s.initializer)) this.declarations(s.initializer, scope);
        else this.expressionStatement(s.initializer, scope);
      }
      const cond = ts.isForStatement(s) ? s.condition : s.expression;
      if (cond) this.condition(cond, scope);
      if (ts.isForStatement(s) && s.incrementor) this.expressionStatement(s.incrementor, scope);
      scope.loops.push(s);
      this.statement(s.statement, scope);
      scope.loops.pop();
      return;
    }
    if (ts.isForOfStatement(s)) {
      const list = s.initializer;
      const decl = ts.isVariableDeclarationList(list) && list.declarations.length === 1 ? list.declarations[0] : undefined;
      // `xs.entries()`, `xs.keys()`, `xs.values()` of an array or a list: the index, the element or both
      const call = arrayIteration(s.expression);
      const walk = call && (this.looksLikeArray(call.recv) || this.isList(call.recv)) ? call : undefined;
      const source = walk ? walk.recv : s.expression;
      // `for (const [i, v] of xs.entries())`: the index and the element, either left out
      const pair = walk?.name === "entries" && decl && ts.isArrayBindingPattern(decl.name) && decl.name.elements.length <= 2
        && decl.name.elements.every((el) => ts.isOmittedExpression(el) || (ts.isIdentifier(el.name) && !el.dotDotDotToken && !el.initializer));
      // `for (const [x, y] of points)`, `for (const { w, b } of layers)`: each element destructured
      const pattern = decl && walk?.name !== "entries" && walk?.name !== "keys" && (ts.isArrayBindingPattern(decl.name) || ts.isObjectBindingPattern(decl.name)) ? decl.name : undefined;
      if (!decl || !(pair || pattern || (ts.isIdentifier(decl.name) && walk?.name !== "entries")) || !(list.flags & (ts.NodeFlags.Let | ts.NodeFlags.Const)) || s.awaitModifier) {
        const entries = walk?.name === "entries";
        this.report(Codes.UnsupportedSyntax, `A for-of loop must declare one variable${entries ? " (over entries(), a pair [index, element])" : ""}: write '${entries ? "for (const [i, v] of xs.entries())" : "for (const v of values)"}'.`, s.initializer);
        return;
      }
      if (pattern) {
        if (!this.isList(source)) {
          if (this.arrayValue(source, scope)) this.report(Codes.UnsupportedSyntax, `The elements of '${source.getText()}' are numbers, which cannot be destructured: write 'for (const v of ${source.getText()})'.`, pattern);
          return;
        }
        if (this.expr(source, scope) === undefined) return;
        if (ts.isObjectBindingPattern(pattern)) this.objectPattern(pattern, false, scope, !this.isMatrix(source));
        else if (this.arrayPatternShape(pattern)) this.arrayPatternNames(pattern, scope);
        else return;
        scope.loops.push(s);
        this.statement(s.statement, scope);
        scope.loops.pop();
        return;
      }
      const names = ts.isArrayBindingPattern(decl.name) ? decl.name.elements.map((el) => (ts.isBindingElement(el) ? el.name as ts.Identifier : undefined)) : [decl.name as ts.Identifier];
      const [index, element] = walk?.name === "entries" ? names : walk?.name === "keys" ? [names[0], undefined] : [undefined, names[0]];
      const symOf = (n: ts.Identifier | undefined) => n && this.checker.getSymbolAtLocation(n);
      const indexSym = symOf(index);
      if (indexSym) this.localTypes.set(indexSym, "num");
      const sym = symOf(element);
      if (this.isList(source)) {
        // over a list: the variable names each element, a record or an array of the caller's
        if (this.expr(source, scope) === undefined) return;
        const t = element && this.typeOfNode(element);
        if (element && (t === undefined || t === "bool")) {
          this.report(Codes.NonNumericParameter, `The elements of '${source.getText()}' have type '${this.checker.typeToString(this.checker.getTypeAtLocation(element))}': lists hold objects of numbers and arrays, or arrays.`, element);
          return;
        }
        if (sym && t) {
          this.localTypes.set(sym, t);
          // a list's elements are the caller's; a matrix's rows (built here) may be written
          if (!this.isMatrix(source)) this.fromList.add(sym);
        }
      } else {
        // an array, or a new one (`for (const v of xs.filter(p))`), made once before the loop
        if (!this.arrayValue(source, scope)) return;
        if (sym) this.localTypes.set(sym, "num");
      }
      scope.loops.push(s);
      this.statement(s.statement, scope);
      scope.loops.pop();
      return;
    }
    if (ts.isSwitchStatement(s)) {
      // `switch (kind)` of a choice among strings: its cases are its strings
      const choice = this.choiceSwitch(s, scope);
      const d = choice ? undefined : this.expr(s.expression, scope);
      for (const c of s.caseBlock.clauses) {
        if (ts.isCaseClause(c) && !choice) {
          if (!isPure(c.expression)) {
            this.report(Codes.UnsupportedSyntax, "A case expression must be a value without effects (a literal, a constant or a variable): compute it before the switch.", c.expression);
            continue;
          }
          const t = this.expr(c.expression, scope);
          if (t !== undefined && d !== undefined && t !== d) this.report(Codes.UnsupportedSyntax, `The case is ${describeType(t)} but the switch compares ${describeType(d)}: cases compare with ===.`, c.expression);
        }
      }
      scope.loops.push(s);
      for (const c of s.caseBlock.clauses) this.statements(c.statements, scope);
      scope.loops.pop();
      return;
    }
    if (ts.isLabeledStatement(s)) {
      if (!isBreakable(s.statement)) {
        this.report(Codes.UnsupportedSyntax, "A label is supported on a loop or a switch: move it to the loop that 'break' or 'continue' leaves.", s.label);
        return;
      }
      this.statement(s.statement, scope);
      return;
    }
    if (ts.isFunctionDeclaration(s)) {
      // a local closure like a const arrow function: checked, with what it captures, at each call
      if (s.body && s.name && !s.asteriskToken && !s.modifiers?.some((x) => x.kind === ts.SyntaxKind.AsyncKeyword)) return;
      this.report(Codes.Closure, `Nested function '${s.name?.text ?? ""}' is ${s.body ? "a generator or async" : "a declaration without a body"}: write it as a plain function (function ${s.name?.text ?? "f"}(…) { … }), or move it to module level.`, s);
      return;
    }
    this.report(Codes.UnsupportedSyntax, `${describeSyntax(s)} is not supported in a differentiable function: ${statementFix(s)}`, s);
  }

  protected declarations(list: ts.VariableDeclarationList, scope: Scope): void {
    for (const d of list.declarations) {
      if (ts.isArrayBindingPattern(d.name)) {
        if (!d.initializer) continue;
        // plain names, each with a default or not, and a rest name last (const [first = 0, ...rest]
        // = xs: the first element, or 0 when there is none, and a new array of the others)
        if (!this.arrayPatternShape(d.name)) continue;
        // from an array, or a new one (a helper's tuple: const [s, c] = sincos(t))
        if (!this.arrayValue(d.initializer, scope)) continue;
        this.arrayPatternNames(d.name, scope);
        continue;
      }
      if (!(list.flags & (ts.NodeFlags.Let | ts.NodeFlags.Const))) {
        this.report(Codes.UnsupportedSyntax, "'var' declarations are not supported: use 'let' or 'const'.", d);
        continue;
      }
      if (ts.isObjectBindingPattern(d.name)) {
        if (!d.initializer) continue; // a syntax error TypeScript reports
        const t = this.expr(d.initializer, scope);
        if (t === undefined) continue;
        if (t === "arr") {
          this.lengthPattern(d.name, d.initializer);
          continue;
        }
        if (t !== "obj") {
          this.report(Codes.UnsupportedSyntax, `'${d.initializer.getText()}' is ${describeType(t)}, not an object: destructure objects with const { a, b } = p.`, d.initializer);
          continue;
        }
        this.objectPattern(d.name, this.isLocalRecord(d.initializer), scope, this.viaList(d.initializer));
        continue;
      }
      if (!ts.isIdentifier(d.name) || this.choiceLocal(d, scope)) continue; // array patterns above
      const init = d.initializer && skipParens(d.initializer);
      if (init && isFunctionValue(stripTypes(init))) {
        // a local closure: checked, like a helper, at each call
        if (!(list.flags & ts.NodeFlags.Const)) {
          this.report(Codes.Closure, `'${d.name.text}' holds a function but is declared with 'let', so a call may run another function: declare it with const.`, d);
        }
        continue;
      }
      const sym = this.checker.getSymbolAtLocation(d.name);
      // an arithmetic initialiser is a number (or a boolean): no need to ask the checker, whose
      // answer for a name's type at a use costs the length of the function
      const plain = init !== undefined && d.type === undefined && isArithmetic(init);
      const declared = plain ? undefined : this.typeOfNode(d.name);
      if (declared === "list") {
        // a matrix of rows built here (localMatrix, arrays.ts)
        const built = init && matrixInit(init);
        if (built) {
          this.localMatrix(d as ts.VariableDeclaration & { name: ts.Identifier }, built, scope);
          continue;
        }
        // another name of a list passed in
        const e = init && stripTypes(init);
        if (!e || !(ts.isIdentifier(e) || ts.isPropertyAccessExpression(e) || ts.isElementAccessExpression(e))) {
          const fix = builtListFix(d.name.text, this.checker.getTypeAtLocation(d.name), init, this.checker);
          this.report(Codes.UnsupportedSyntax, `'${d.name.text}' is a list of objects or arrays built in the function, which is not supported: lists are parameters (or fields of parameters).${fix}`, d);
          continue;
        }
        const t = this.expr(init, scope);
        if (t === undefined) continue;
        if (t !== "list") {
          this.report(Codes.UnsupportedSyntax, `'${d.name.text}' is a list but initialised with ${describeType(t)}.`, init);
          continue;
        }
        if (sym) this.localTypes.set(sym, "list");
        continue;
      }
      if (init && (ts.isObjectLiteralExpression(stripTypes(init)) || declared === "obj")) {
        const t = this.expr(init, scope);
        if (t === undefined) {
          if (sym) this.poisoned.add(sym);
          continue;
        }
        if (t !== "obj") {
          this.report(Codes.UnsupportedSyntax, `'${d.name.text}' is an object but initialised with ${describeType(t)}.`, init);
          continue;
        }
        if (sym) {
          this.localTypes.set(sym, "obj");
          if (this.isLocalRecord(init)) this.localRecords.add(sym);
          if (this.viaList(init)) this.fromList.add(sym);
        }
        continue;
      }
      const annotated = annotatedType(d, this.checker);
      const nonNumeric = () => {
        const type = this.checker.getTypeAtLocation(d.name);
        const name = d.name.getText();
        // `let best: number | undefined`: a number that may be missing
        const maybe = type.isUnion() && type.types.some((t) => (t.flags & ts.TypeFlags.Undefined) !== 0) && irTypeOf(this.checker.getNonNullableType(type), this.checker) === "num";
        const fix = maybe ? ` Keep it a number: start it where it cannot be missing (let ${name} = -Infinity, or NaN), or keep a boolean beside it (let found = false) and test that.` : "";
        this.report(Codes.NonNumericParameter, `Variable '${name}' has type '${this.checker.typeToString(type)}': only number, boolean and Float64Array values are supported in a differentiable function.${fix}`, d);
      };
      if (annotated === "other" || (annotated === undefined && !init)) {
        nonNumeric();
        continue;
      }
      if (annotated === "arr" || (annotated === undefined && init && !plain && (isNewFloat64Array(init) || isNewIntArray(init) || isUntypedNewArray(init) || this.looksLikeArray(init)))) {
        if (sym) this.localTypes.set(sym, "arr");
        if (sym && init && this.viaList(init)) this.fromList.add(sym);
        if (init) this.arrayInitializer(init, scope);
        else this.report(Codes.UnsupportedSyntax, "A Float64Array variable must be initialised with 'new Float64Array(length)'.", d);
        continue;
      }
      const t = init ? this.expr(init, scope) : annotated;
      if (t === undefined) {
        if (sym) this.poisoned.add(sym);
        continue;
      }
      if (t === "arr") {
        this.arrayInitializer(init!, scope);
        continue;
      }
      if (annotated !== undefined && t !== annotated) {
        this.report(Codes.UnsupportedSyntax, `'${d.name.text}' is declared ${describeType(annotated)} but initialised with ${describeType(t)}.`, init!);
        continue;
      }
      if (sym) this.localTypes.set(sym, t);
    }
  }

  protected expressionStatement(e0: ts.Expression, scope: Scope): void {
    const e = skipParens(e0);
    if (ts.isBinaryExpression(e) && isAssignmentOperator(e.operatorToken.kind)) {
      this.assignment(e.left, e.operatorToken.kind, e.right, e, scope);
      return;
    }
    if ((ts.isPostfixUnaryExpression(e) || ts.isPrefixUnaryExpression(e))
      && (e.operator === ts.SyntaxKind.PlusPlusToken || e.operator === ts.SyntaxKind.MinusMinusToken)) {
      this.assignment(e.operand, ts.SyntaxKind.PlusEqualsToken, undefined, e, scope);
      return;
    }
    if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.CommaToken) {
      this.expressionStatement(e.left, scope);
      this.expressionStatement(e.right, scope);
      return;
    }
    if (ts.isCallExpression(e) && isHostCall(e, this.checker)) {
      for (const a of e.arguments) this.hostValue(a, scope);
      return;
    }
    const m = ts.isCallExpression(e) ? methodCall(e) : undefined;
    if (m && (m.name === "set" || m.name === "fill") && this.looksLikeArray(m.recv)) {
      if (this.arrayReference(m.recv, scope) === undefined) return;
      if (this.viaList(m.recv)) return void this.report(Codes.UnsupportedSyntax, this.listWrite(m.recv), m.recv);
      if (m.name === "set") {
        if (m.args.length < 1 || m.args.length > 2 || !this.arrayValue(m.args[0], scope)) return void (m.args.length < 1 && this.report(Codes.UnsupportedSyntax, "set takes an array and an offset.", e));
        if (m.args[1]) this.numeric(m.args[1], scope, "The offset of set");
        return;
      }
      for (const a of m.args) this.numeric(a, scope, "An argument of fill");
      return;
    }
    if (ts.isCallExpression(e)) {
      this.call(e, scope, true);
      return;
    }
    this.report(Codes.UnsupportedSyntax, `The expression statement '${e.getText()}' has no effect or is not supported: statements must be assignments, increments or calls.`, e);
  }

  protected assignment(left0: ts.Expression, opKind: ts.SyntaxKind, right: ts.Expression | undefined, at: ts.Node, scope: Scope): void {
    const left = skipParens(left0);
    const binop = compoundOperator(opKind);
    if (binop === "unsupported") {
      const fix = opKind === ts.SyntaxKind.QuestionQuestionEqualsToken ? ": values in differentiable code are never null or undefined, so it changes nothing. Remove it (or, for an optional parameter or field, keep the value in a local: let v = x ?? 1)" : ": use =, +=, -=, *=, /=, %=, **=, ||= or &&=";
      this.report(Codes.UnsupportedSyntax, `The assignment operator '${ts.tokenToString(opKind)}' is not supported${fix}.`, at);
      return;
    }
    if ((binop === "||" || binop === "&&") && !ts.isIdentifier(left) && !ts.isPropertyAccessExpression(left)) {
      this.report(Codes.UnsupportedSyntax, `'${ts.tokenToString(opKind)}' assigns variables and fields here: write the element's assignment out (${left.getText()} = ${left.getText()} ${binop} …).`, at);
      return;
    }
    if (this.choiceWrite(left)) return;
    if (ts.isIdentifier(left)) {
      const sym = this.symbol(left);
      if (!sym) return;
      if (isOptionalParamRead(left, this.checker)) {
        this.report(Codes.UnsupportedSyntax, `'${left.text}' is an optional parameter, which differentiable code reads but does not write: keep the value in a local (let v = ${left.text} ?? 0) and write that, or give the parameter a default (${left.text} = 0).`, left);
        return;
      }
      if (!isDeclaredIn(sym, scope.decl) && scope.closure === "named" && scope.root && isDeclaredIn(sym, scope.root)) {
        this.report(Codes.Closure, `The closure '${scope.name}' assigns '${left.text}', a variable of the function around it: a closure may read those variables but not change them. Return the new value and assign it at the call (${left.text} = ${scope.name}(…)).`, left);
        return;
      }
      // an inline callback of forEach, map or reduce is a loop body: it may update the variables around it
      if (!isDeclaredIn(sym, scope.decl) && !(scope.closure === "callback" && scope.root && isDeclaredIn(sym, scope.root))) {
        this.report(Codes.Closure, `'${left.text}' is not a local variable: assigning to variables outside the function is a closure over mutable state. Return the value or pass it in.`, left);
        return;
      }
      const t = this.declaredType(sym);
      if (t === "arr") {
        // in the straight-line code of the function's body the name is bound to the new array,
        // as JavaScript rebinds it; in a loop or a branch, where which array it names would depend
        // on the path, the new elements are copied into its one array (arrayRebinding, arrays.ts)
        const plain = opKind === ts.SyntaxKind.EqualsToken && right !== undefined && isDeclaredIn(sym, scope.decl);
        // `y = c ? a : b`: as `if (c) y = a; else y = b;` (rebindingChoice, arrays.ts)
        const choice = plain ? stripTypes(right) : undefined;
        if (choice && ts.isConditionalExpression(choice)) return this.rebindingChoice(left, choice, at, scope);
        if (plain && isStraightLine(at, scope.decl)) {
          if (this.arrayValue(right, scope)) scope.inputs.delete(left.text);
          return;
        }
        if (plain && !this.arrayValue(right, scope)) return;
        const why = plain ? this.arrayRebinding(left, right, at, scope) : "it must be a plain assignment (=) to an array of this function";
        if (why === undefined) return;
        const value = right ? stripTypes(right) : undefined;
        const copy = value && ts.isIdentifier(value) ? ` (${left.text}.set(${value.text}) copies the new values in)` : "";
        this.report(Codes.UnsupportedSyntax, `Reassigning the array '${left.text}' inside a loop or a branch is supported when nothing else can refer to its array, but ${why}: write its elements instead${copy}, or declare a new const for the new array.`, left);
        return;
      }
      if (t === "obj") {
        // a record of numbers rebound to a new one: its fields take the new values (recordRebinding)
        const plain = opKind === ts.SyntaxKind.EqualsToken && right !== undefined;
        const why = plain ? this.recordRebinding(left, right, at, scope) : "it must be a plain assignment (=)";
        if (why === "reported") return;
        if (why !== undefined) this.report(Codes.UnsupportedSyntax, `Reassigning the object '${left.text}' is supported when it is a new object of numbers that nothing else refers to, but ${why}: assign its fields (${left.text}.a = …) instead.`, left);
        return;
      }
      if (right) {
        const rt = this.expr(right, scope);
        if (rt !== undefined && t !== undefined && rt !== t) this.report(Codes.UnsupportedSyntax, `'${left.text}' holds ${describeType(t)}, but is assigned ${describeType(rt)}.`, right);
      }
      return;
    }
    if (ts.isElementAccessExpression(left)) {
      if ((ts.isPostfixUnaryExpression(at) || ts.isPrefixUnaryExpression(at)) && !isPure(left.argumentExpression) && isValue(at)) {
        this.report(Codes.UnsupportedSyntax, "An increment of an element used as a value needs an index without effects: update the index in its own statement.", left.argumentExpression);
        return;
      }
      if (this.isList(left.expression)) {
        this.report(Codes.UnsupportedSyntax, `Writing an element of the list '${left.expression.getText()}' is not supported: lists passed in are read, not changed. Write into fields of local objects or arrays instead.`, left);
        return;
      }
      if (this.arrayReference(left.expression, scope) === undefined) return;
      if (this.viaList(left.expression)) {
        this.report(Codes.UnsupportedSyntax, this.listWrite(left.expression), left);
        return;
      }
      this.numeric(left.argumentExpression, scope, "An array index", "An array index must be a number.");
      if (right) this.numeric(right, scope, "A stored value", "Only numbers can be stored in a Float64Array.");
      return;
    }
    if (ts.isPropertyAccessExpression(left) && this.typeOfNode(left.expression) === "obj") {
      const t = this.field(left, scope);
      if (t === undefined) return;
      if (!this.isLocalRecord(left.expression)) {
        this.report(Codes.UnsupportedSyntax, `Writing '${left.getText()}' would change an object passed in: copy the field into a local (let ${left.name.text} = ${left.getText()}) and write that, or build a new object.`, left);
        return;
      }
      if (t !== "num") {
        this.report(Codes.UnsupportedSyntax, `Reassigning the ${t === "arr" ? "array" : "object"} field '${left.getText()}' is not supported: write its ${t === "arr" ? "elements" : "fields"} instead.`, left);
        return;
      }
      if (right) this.numeric(right, scope, "The assigned value", `'${left.getText()}' holds a number.`);
      return;
    }
    if (ts.isArrayLiteralExpression(left) && opKind === ts.SyntaxKind.EqualsToken && right && ts.isExpressionStatement(at.parent)) return this.destructuringAssignment(left, right, at, scope);
    this.report(Codes.UnsupportedSyntax, `Assignment to '${left.getText()}' is not supported: assign to local variables, fields of local objects and array elements.`, left);
  }

  /**
   * `[a, b] = [b, a]` or `[x, y[i]] = xs`, as a statement: the values (a literal's elements, or an
   * array's) are all read first, then assigned to the targets in order, as JavaScript does.
   */
  private destructuringAssignment(left: ts.ArrayLiteralExpression, right: ts.Expression, at: ts.Node, scope: Scope): void {
    const targets = left.elements;
    const bad = targets.find((t) => ts.isSpreadElement(t) || (ts.isBinaryExpression(t) && t.operatorToken.kind === ts.SyntaxKind.EqualsToken));
    if (bad) return this.report(Codes.UnsupportedSyntax, "Destructuring assignment takes plain targets: [a, b] = [b, a] (no rest or defaults).", bad);
    const array = targets.find((t) => !ts.isOmittedExpression(t) && this.looksLikeArray(t));
    if (array) {
      return this.report(Codes.UnsupportedSyntax, `Destructuring assignment to the array '${array.getText()}' is not supported: it would change which array a name refers to. Copy elements instead (${array.getText()}.set(…)), or use new names (const [p, q] = …).`, array);
    }
    const value = stripTypes(right);
    if (ts.isArrayLiteralExpression(value)) {
      if (value.elements.length < targets.length || value.elements.some((v) => ts.isSpreadElement(v) || ts.isOmittedExpression(v))) {
        return this.report(Codes.UnsupportedSyntax, `Destructuring assignment needs a value for each of the ${targets.length} targets: write them all ([${targets.map((t) => t.getText()).join(", ")}] = [${targets.map(() => "…").join(", ")}]).`, right);
      }
      for (const v of value.elements) this.numeric(v, scope, "A destructured value");
    } else if (!this.arrayValue(right, scope)) return;
    for (const t of targets) if (!ts.isOmittedExpression(t)) this.assignment(t, ts.SyntaxKind.EqualsToken, undefined, at, scope);
  }

}

/** An expression whose value is a number or a boolean by its syntax: literals and arithmetic, comparison and logical operators on anything. */
function isArithmetic(e0: ts.Expression): boolean {
  const e = skipParens(e0);
  if (ts.isNumericLiteral(e) || e.kind === ts.SyntaxKind.TrueKeyword || e.kind === ts.SyntaxKind.FalseKeyword) return true;
  if (ts.isPrefixUnaryExpression(e) || ts.isPostfixUnaryExpression(e)) return true;
  if (!ts.isBinaryExpression(e)) return false;
  const k = e.operatorToken.kind;
  // `a || b`, `a && b` and `a ?? b` are one of their operands; `a = b` and `a, b` are b
  if (k === ts.SyntaxKind.BarBarToken || k === ts.SyntaxKind.AmpersandAmpersandToken || k === ts.SyntaxKind.QuestionQuestionToken) return isArithmetic(e.left) && isArithmetic(e.right);
  if (k === ts.SyntaxKind.CommaToken || (k >= ts.SyntaxKind.FirstAssignment && k <= ts.SyntaxKind.LastAssignment)) return false;
  // `+` of two non-numbers would be a string, which the fence reports where it stands
  return true;
}
