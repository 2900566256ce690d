/**
 * The fence's checks of expressions: values, calls of Math functions, runtime routines and
 * helpers (whose bodies are checked as functions of their own), records; array values are
 * checked by arrays.ts, the array methods that take callbacks by callbacks.ts.
 */
import ts from "typescript";
import { Codes } from "../../diagnostics.ts";
import { MATH_CONSTANTS, ruleFor, supportedMathFunctions } from "../../rules/index.ts";
import { ARRAY_RULES } from "../../rules/blas.ts";
import { irTypeOf } from "../1-parse/index.ts";
import { isIntArrayName } from "../../ir/types.ts";
import {
  type HelperFn, resolveCallee, skipParens, mathMember, numberConstant, numberRecordFields, outerName, isDeclaredIn, isErrorConstruction, helperDeclaration, functionVariable,
  helperName, isFunctionValue, isLocalFunction, outermostFunction, ITERATION_METHODS, type IterationMethod,
  SEARCH_METHODS, type SearchMethod, returnsElement, tableValue, conversion, isWritten,
} from "../3-lower/resolve.ts";
import { foundElementSearch, isOptionalArray, isOptionalFieldRead, isOptionalParamRead, isOptionalRead, isTruthinessUse, undefinedTest, outermostParens } from "../3-lower/optional.ts";
import { isAssignmentOperator, BINARY_OPS } from "../3-lower/jumps.ts";
import { describeSyntax, describeType, fixFor, memberUse, operatorFix } from "./names.ts";
import { methodCall } from "../3-lower/arrays.ts";
import { isReverseMethod, isSortMethod, type ReverseMethod, type SortMethod } from "../3-lower/sorting.ts";
import { type FType, type Scope, stripTypes, isTextual } from "./state.ts";
import { ARRAY_METHODS_FIX } from "./arrays.ts";
import { ChoiceFence } from "./choices.ts";
import { CustomFence, type FenceHooks } from "./custom.ts";
import { importStyle } from "../3-lower/custom-rules.ts";


export abstract class ExpressionFence extends ChoiceFence {
  /** The checks of calls of functions with their own derivatives (custom.ts). */
  private custom = new CustomFence(this.cx, importStyle(this.fn.sourceFile));

  /** The fence's checks, lent to the checks of custom derivatives (custom.ts). */
  protected hooks(scope: Scope): FenceHooks {
    return { expr: (e) => this.expr(e, scope), arrayValue: (e) => this.arrayValue(e, scope), report: (c, m, n) => this.report(c, m, n) };
  }

  protected abstract functionBody(scope: Scope): void;
  protected abstract assignment(left0: ts.Expression, opKind: ts.SyntaxKind, right: ts.Expression | undefined, at: ts.Node, scope: Scope): void;
  protected abstract expressionStatement(e0: ts.Expression, scope: Scope): void;

  /** The call whose closure body is being checked (where its captures must already be declared). */
  protected callSite: { call: ts.Node; fn: HelperFn } | undefined;

  /** Whether a symbol is a parameter or local of the scope, or a variable a closure captures. */
  protected isVisible(sym: ts.Symbol, scope: Scope): boolean {
    return isDeclaredIn(sym, scope.decl) || (scope.root !== undefined && scope.root !== scope.decl && isDeclaredIn(sym, scope.root));
  }

  protected hostValue(e0: ts.Expression, scope: Scope): void {
    const e = skipParens(e0);
    if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return;
    if (ts.isTemplateExpression(e)) {
      for (const span of e.templateSpans) this.hostValue(span.expression, scope);
      return;
    }
    if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.PlusToken && (isTextual(e.left) || isTextual(e.right))) {
      this.hostValue(e.left, scope);
      this.hostValue(e.right, scope);
      return;
    }
    if (isErrorConstruction(e, this.checker)) {
      for (const a of (e as ts.NewExpression).arguments ?? []) this.hostValue(a, scope);
      return;
    }
    if (ts.isNewExpression(e)) {
      this.report(Codes.UnsupportedSyntax, "Only Error, RangeError and TypeError can be thrown here: throw new RangeError(message).", e);
      return;
    }
    const t = this.expr(e, scope);
    if (t === "arr") this.report(Codes.UnsupportedSyntax, "A Float64Array cannot be printed or thrown here: pass its elements, or format them in a message.", e);
    if (t === "obj") this.report(Codes.UnsupportedSyntax, "An object cannot be printed or thrown here: pass its fields, or format them in a message.", e);
  }

  /** A condition: a boolean, or a number tested for truthiness as JavaScript does. */
  protected condition(e: ts.Expression, scope: Scope): void {
    const t = this.expr(e, scope);
    if (t === "arr") this.report(Codes.UnsupportedSyntax, `The condition '${e.getText()}' is a Float64Array, which is always true: test its elements or its length.`, e);
    if (t === "obj") this.report(Codes.UnsupportedSyntax, `The condition '${e.getText()}' is an object, which is always true: test its fields.`, e);
  }

  protected numeric(e: ts.Expression, scope: Scope, what: string, message = `${what} must be a number.`): void {
    const t = this.expr(e, scope);
    if (t !== undefined && t !== "num") this.report(Codes.UnsupportedSyntax, message, e);
  }

  // ---------------------------------------------------------------- expressions

  protected expr(e0: ts.Expression, scope: Scope): FType | undefined {
    const e = skipParens(e0);
    if (ts.isNumericLiteral(e)) return "num";
    if (e.kind === ts.SyntaxKind.TrueKeyword || e.kind === ts.SyntaxKind.FalseKeyword) return "bool";
    if (ts.isIdentifier(e)) return this.identifier(e, scope);
    if (ts.isPrefixUnaryExpression(e)) {
      if (e.operator === ts.SyntaxKind.PlusPlusToken || e.operator === ts.SyntaxKind.MinusMinusToken) {
        this.assignment(e.operand, ts.SyntaxKind.PlusEqualsToken, undefined, e, scope);
        return "num";
      }
      if (e.operator === ts.SyntaxKind.MinusToken && ts.isNumericLiteral(skipParens(e.operand))) return "num";
      const op = e.operator === ts.SyntaxKind.MinusToken ? "-" : e.operator === ts.SyntaxKind.PlusToken ? "+" : e.operator === ts.SyntaxKind.ExclamationToken ? "!" : e.operator === ts.SyntaxKind.TildeToken ? "~" : undefined;
      if (!op) return this.report(Codes.UnsupportedSyntax, `The operator '${ts.tokenToString(e.operator)}' is not supported: use arithmetic and comparisons instead.`, e);
      const t = this.expr(e.operand, scope);
      if (t === undefined) return undefined;
      if (op === "!" && t !== "bool" && t !== "num") return this.report(Codes.UnsupportedSyntax, `'!' needs a boolean or a number (negating its truthiness): test ${describeType(t)} '${e.operand.getText()}' with an explicit comparison.`, e);
      if (op === "!") return "bool";
      if (t !== "num") return this.report(Codes.UnsupportedSyntax, `Unary '${op}' needs a number.`, e);
      return "num";
    }
    if (ts.isPostfixUnaryExpression(e)) {
      const before = this.diagnostics.length;
      this.assignment(e.operand, ts.SyntaxKind.PlusEqualsToken, undefined, e, scope);
      return this.diagnostics.length > before ? undefined : "num";
    }
    if (ts.isBinaryExpression(e)) return this.binary(e, scope);
    if (ts.isConditionalExpression(e)) {
      this.condition(e.condition, scope);
      const a = this.expr(e.whenTrue, scope);
      const b = this.expr(e.whenFalse, scope);
      if (a === undefined || b === undefined) return undefined;
      if (a === b && (a === "arr" || a === "obj")) {
        const what = a === "arr" ? "arrays" : "objects";
        const where = a === "arr" ? " here, only as an array name's value (const y = c ? a : b, or y = c ? a : b of a let holding a new array)" : "";
        return this.report(Codes.UnsupportedSyntax, `A conditional expression choosing between ${what} is not supported${where}: choose with an if statement instead (if (${e.condition.getText()}) y = ${e.whenTrue.getText()}; else y = ${e.whenFalse.getText()};), or choose the numbers inside them.`, e);
      }
      if (a !== b || a === "arr" || a === "obj") return this.report(Codes.UnsupportedSyntax, "Both arms of a conditional expression must be numbers (or both booleans).", e);
      return a;
    }
    if (ts.isCallExpression(e)) return this.call(e, scope, false);
    if (ts.isPropertyAccessExpression(e)) {
      if (numberConstant(e, this.checker)) return "num";
      if (mathMember(e, this.checker)) {
        if (MATH_CONSTANTS[e.name.text] === undefined) {
          return this.report(Codes.UnknownCallee, `'Math.${e.name.text}' is not a supported Math constant or is used as a value (constants: ${Object.keys(MATH_CONSTANTS).map((k) => "Math." + k).join(", ")}).`, e);
        }
        return "num";
      }
      // a field of a module's constant record (`CONFIG.tol`), or a constant table's length
      const tv = tableValue(e, this.checker);
      if (typeof tv === "number") return "num";
      if (tv) return this.report(Codes.UnsupportedSyntax, `'${e.getText()}' is a ${tv.kind === "record" ? "record" : "table"} of constants: read its ${tv.kind === "record" ? `fields (${e.getText()}.${[...tv.fields.keys()][0] ?? "x"})` : "elements"}.`, e);
      if (this.typeOfNode(e.expression) === "obj" || foundElementSearch(e.expression, this.checker)) return this.field(e, scope);
      if (e.name.text === "length" && this.isList(e.expression)) return this.expr(e.expression, scope) === undefined ? undefined : "num";
      if (e.name.text === "length") return this.arrayRead(e.expression, scope) ? "num" : undefined;
      return this.report(Codes.UnsupportedSyntax, `Property access '${e.getText()}' is not supported: only fields of objects, Math and Number constants and '.length' of an array can be read. Pass the value as a parameter instead.`, e);
    }
    if (ts.isObjectLiteralExpression(e)) return this.objectLiteral(e, scope);
    if (ts.isElementAccessExpression(e) && this.isList(e.expression)) {
      // an element of a list: a record or an array of the caller's
      if (this.expr(e.expression, scope) === undefined) return undefined;
      const t = this.expr(e.argumentExpression, scope);
      if (t === undefined) return undefined;
      if (t !== "num") return this.report(Codes.UnsupportedSyntax, "A list index must be a number.", e.argumentExpression);
      const el = this.typeOfNode(e);
      if (el === undefined || el === "bool") return this.report(Codes.NonNumericParameter, `The elements of '${e.expression.getText()}' have type '${this.checker.typeToString(this.checker.getTypeAtLocation(e))}': lists hold objects of numbers and arrays, or arrays.`, e);
      return el;
    }
    if (ts.isElementAccessExpression(e)) {
      if (!this.arrayRead(e.expression, scope)) return undefined;
      const t = this.expr(e.argumentExpression, scope);
      if (t === undefined) return undefined;
      if (t !== "num") return this.report(Codes.UnsupportedSyntax, "An array index must be a number.", e.argumentExpression);
      return "num";
    }
    if (ts.isAsExpression(e) || ts.isNonNullExpression(e) || ts.isTypeAssertionExpression(e) || ts.isSatisfiesExpression(e)) {
      return this.expr(e.expression, scope);
    }
    if (ts.isArrowFunction(e) || ts.isFunctionExpression(e)) {
      return this.report(Codes.Closure, "A function value is supported as the initialiser of a const (const f = (v: number) => …) or as the callback of forEach, map or reduce: declare it with const and call it, or write a module-level helper.", e);
    }
    if (ts.isNewExpression(e)) {
      const ctor = e.expression.getText();
      if (ctor === "Float64Array" || ctor === "Array" || isIntArrayName(ctor)) {
        return this.report(Codes.UnsupportedSyntax, `'new ${ctor}(…)' is supported only as the initialiser of a const or let declaration: declare the array first (const a = new ${ctor}(n)), then use it.`, e);
      }
      return this.report(Codes.UnsupportedSyntax, `'new ${ctor}(…)' is not supported in a differentiable function, which creates only arrays of numbers (new Float64Array(n), new Array(n).fill(0), new Int32Array(n)), Errors to throw and object literals: keep other data outside the function and pass in numbers, arrays or objects of them.`, e);
    }
    return this.report(Codes.UnsupportedSyntax, `${describeSyntax(e)} is not supported in a differentiable function: ${fixFor(e)}`, e);
  }

  /** `r.name` of a record `r`: the field's type. */
  protected field(e: ts.PropertyAccessExpression, scope: Scope): FType | undefined {
    if (e.questionDotToken && foundElementSearch(e.expression, this.checker)) {
      if (!this.foundFieldChain(e)) return undefined;
    } else if (e.questionDotToken) return this.report(Codes.UnsupportedSyntax, `'?.' is not needed here: the fields of '${e.expression.getText()}' are always there. Write '.'.`, e);
    if (this.expr(e.expression, scope) === undefined) return undefined;
    const member = memberUse(e, this.checker);
    if (member) return this.report(Codes.UnsupportedSyntax, member, e);
    // `(p as Other).c`: the lowering knows the fields of p's own type
    const own = stripTypes(e.expression);
    const ownType = own !== e.expression ? this.checker.getNonNullableType(this.checker.getTypeAtLocation(own)) : undefined;
    if (ownType && ownType.flags & ts.TypeFlags.Object && !ownType.getProperty(e.name.text)) {
      return this.report(Codes.UnsupportedSyntax, `'${e.getText()}' reads the field '${e.name.text}', which the type of '${own.getText()}' does not have: read the fields of its own type, without the cast.`, e);
    }
    const t = this.typeOfNode(e);
    // a choice among strings, optional or not (a write to one is reported by the assignment)
    if (t === undefined && this.isChoice(e)) return this.choiceRead(e);
    if (isOptionalFieldRead(e, this.checker)) {
      const text = e.getText();
      if (isWritten(e)) return this.report(Codes.UnsupportedSyntax, `'${text}' is an optional field, which differentiable code reads but does not write: keep the value in a local (let v = ${text} ?? 0) and write that.`, e);
      if (isOptionalArray(e, this.checker)) return this.optionalArray(e, "field", false);
      // absent, it is undefined, which a test and `|| fallback` treat as they treat NaN (its value here)
      if (t === undefined && isTruthinessUse(e)) return "num";
      // `opts.scale!`: undefined when absent, which arithmetic turns into NaN, as here
      if (t === undefined && ts.isNonNullExpression(outermostParens(e).parent)) return "num";
      if (t === undefined) return this.report(Codes.UnsupportedSyntax, `'${text}' is an optional field and may be undefined here: give a fallback (${text} ?? 1), or test it first (if (${text} !== undefined) …).`, e);
    }
    if (t === undefined) {
      return this.report(Codes.NonNumericParameter, `The field '${e.name.text}' of '${e.expression.getText()}' has type '${this.checker.typeToString(this.checker.getTypeAtLocation(e))}': differentiable code reads numbers, booleans, Float64Arrays, number[] and objects of them.`, e.name);
    }
    return t;
  }

  /** `{ a: x, b: xs, c: { … } }`: an object of numbers, arrays and objects. */
  protected objectLiteral(e: ts.ObjectLiteralExpression, scope: Scope): FType | undefined {
    for (const p of e.properties) {
      if (ts.isSpreadAssignment(p)) {
        // `{ ...s, v: 1 }`: the fields of an object of this function or a parameter, copied (arrays and objects in it shared)
        const t = this.expr(p.expression, scope);
        if (t === undefined) return undefined;
        if (t !== "obj") return this.report(Codes.UnsupportedSyntax, `A spread in an object literal copies the fields of an object, but '${p.expression.getText()}' is ${describeType(t)}.`, p);
        if (this.viaList(p.expression)) return this.report(Codes.UnsupportedSyntax, `'${p.expression.getText()}' is an element of a list passed in, whose arrays a copy would share: write the fields you need (name: ${p.expression.getText()}.name).`, p);
        continue;
      }
      if (ts.isShorthandPropertyAssignment(p)) {
        if (p.objectAssignmentInitializer) return this.report(Codes.UnsupportedSyntax, "A default in an object literal is not supported: write name: value.", p);
        const sym = this.checker.getShorthandAssignmentValueSymbol(p);
        const t = sym && this.isVisible(sym, scope) ? this.declaredType(sym) : undefined;
        if (t === undefined || t === "bool") return this.report(Codes.UnsupportedSyntax, `The field '${p.name.text}' must be a local number, array or object of this function.`, p);
        continue;
      }
      if (!ts.isPropertyAssignment(p) || !(ts.isIdentifier(p.name) || ts.isStringLiteral(p.name))) {
        const what = ts.isSpreadAssignment(p) ? "A spread" : ts.isMethodDeclaration(p) ? "A method" : ts.isGetAccessor(p) || ts.isSetAccessor(p) ? "An accessor" : "A computed field name";
        return this.report(Codes.UnsupportedSyntax, `${what} in an object literal is not supported: write each field as name: value.`, p);
      }
      const v = p.initializer;
      if (ts.isArrayLiteralExpression(stripTypes(v)) || this.looksLikeArray(v)) {
        if (!this.arrayValue(v, scope)) return undefined;
        continue;
      }
      const t = this.expr(v, scope);
      if (t === undefined) return undefined;
      if (t === "bool") return this.report(Codes.UnsupportedSyntax, `The field '${p.name.text}' is a boolean: fields of objects here are numbers, arrays and objects.`, v);
    }
    return "obj";
  }

  protected identifier(e: ts.Identifier, scope: Scope): FType | undefined {
    if (e.text === "undefined") return this.report(Codes.UnsupportedSyntax, "'undefined' is not a number: use a number (for example NaN) instead.", e);
    const sym = this.checker.getSymbolAtLocation(e);
    if ((e.text === "NaN" || e.text === "Infinity") && (!sym || !this.isVisible(sym, scope))) return "num";
    if (!sym) return this.symbol(e) as undefined;
    if (helperDeclaration(e, this.checker) || functionVariable(e, this.checker)) {
      return this.report(Codes.Closure, `'${e.text}' is a function used as a value: call it (${e.text}(…)), or pass it to forEach, map or reduce (xs.map(${e.text})).`, e);
    }
    if (this.isVisible(sym, scope)) {
      const d = sym.valueDeclaration;
      // a closure runs where it is called: what it reads must be declared by then
      const site = this.callSite;
      if (site && d && !isDeclaredIn(sym, site.fn) && d.getSourceFile() === e.getSourceFile() && d.getStart() > site.call.getStart()) {
        const fname = helperName(site.fn);
        return this.report(Codes.Closure, `'${fname}' reads '${e.text}', which is declared after the call of '${fname}' on line ${e.getSourceFile().getLineAndCharacterOfPosition(site.call.getStart()).line + 1}: declare '${e.text}' before that call.`, e);
      }
      if (isOptionalParamRead(e, this.checker)) return this.optionalParam(e, scope);
      // `if (seg)` of a list's element found by a search: whether one was found
      if (isTruthinessUse(e) && foundElementSearch(e, this.checker)) return "bool";
      const t = this.declaredType(sym);
      if (!t && this.isChoice(e)) return this.choiceRead(e);
      if (!t) return this.report(Codes.NonNumericParameter, `'${e.text}' has type '${this.checker.typeToString(this.checker.getTypeAtLocation(e))}': only number, boolean and Float64Array values are supported in a differentiable function.`, e);
      return t;
    }
    const outer = outerName(sym, this.checker);
    switch (outer.kind) {
      case "constant": return "num";
      case "module-constant": {
        const d = sym.valueDeclaration as ts.VariableDeclaration;
        const literal = d.initializer && stripTypes(d.initializer);
        if (literal && (ts.isArrayLiteralExpression(literal) || ts.isObjectLiteralExpression(literal))) {
          const what = ts.isArrayLiteralExpression(literal) ? "array" : "object";
          return this.report(Codes.Closure, `'${e.text}' is a module-level ${what} that could change while the function runs: to read it as a table of constants, declare it 'as const' (or leave it unexported and only read its ${what === "array" ? "elements" : "fields"} in its module), with constant expressions in it; or pass it as a parameter.`, e);
        }
        return this.report(Codes.Closure, `'${e.text}' is a module-level constant that is not a constant expression: reading outer values is not supported. Pass it as a parameter, or initialise it from literals, Math constants and other constants (numeric literal constant expressions).`, e);
      }
      case "outer-variable":
        return this.report(Codes.Closure, `'${e.text}' is a variable declared outside this function: reading outer mutable state is not supported. Pass it as a parameter.`, e);
      case "other":
        return this.report(Codes.Closure, `'${e.text}' is not a parameter or local variable of this function: pass it as a parameter.`, e);
    }
  }

  protected binary(e: ts.BinaryExpression, scope: Scope): FType | undefined {
    const k = e.operatorToken.kind;
    // `kind === "l1"` of a choice among strings (a parameter or a field of one)
    const chosen = this.choiceTest(e, scope);
    if (chosen !== false) return chosen;
    if (isAssignmentOperator(k)) {
      const before = this.diagnostics.length;
      this.assignment(e.left, k, e.right, e, scope);
      return this.diagnostics.length > before ? undefined : this.expr(e.left, scope);
    }
    if (k === ts.SyntaxKind.CommaToken) {
      this.expressionStatement(e.left, scope);
      return this.expr(e.right, scope);
    }
    // `opts.scale === undefined` and its kin, of an optional field
    const test = undefinedTest(e, this.checker);
    if (test) return this.optionalOperand(test.field, scope) ? "bool" : undefined;
    if (k === ts.SyntaxKind.QuestionQuestionToken && isOptionalRead(e.left, this.checker)) return this.optionalFallback(e, scope);
    if (k === ts.SyntaxKind.QuestionQuestionToken) {
      // `xs.find(p) ?? fallback` and `xs.at(i) ?? fallback`: the element, else the fallback
      const m = methodCall(e.left);
      if (m && (returnsElement(m.name) || m.name === "at") && this.looksLikeArray(m.recv)) {
        const left = stripTypes(e.left) as ts.CallExpression;
        if ((m.name === "at" ? this.call(left, scope, false) : this.search(left, m.name as SearchMethod, scope, false)) === undefined) return undefined;
        const t = this.expr(e.right, scope);
        if (t !== undefined && t !== "num") return this.report(Codes.UnsupportedSyntax, `The fallback of '${m.name}' must be a number, but '${e.right.getText()}' is ${describeType(t)}.`, e.right);
        return t;
      }
      // `xs[k] ?? fallback`: the element when k indexes one (an integer in range), else the fallback
      const el = stripTypes(e.left);
      // `p.bias?.[k] ?? fallback`, of an optional array: also the fallback when it is absent
      if (ts.isElementAccessExpression(el) && el.questionDotToken && isOptionalRead(el.expression, this.checker) && isOptionalArray(el.expression, this.checker)) {
        if (!this.optionalOperand(skipParens(el.expression), scope)) return undefined;
        const i = this.expr(el.argumentExpression, scope);
        if (i !== undefined && i !== "num") return this.report(Codes.UnsupportedSyntax, `The index '${el.argumentExpression.getText()}' must be a number, but it is ${describeType(i)}.`, el.argumentExpression);
        const t = this.expr(e.right, scope);
        if (t !== undefined && t !== "num") return this.report(Codes.UnsupportedSyntax, `The fallback of '${el.getText()}' must be a number, but '${e.right.getText()}' is ${describeType(t)}.`, e.right);
        return t;
      }
      if (ts.isElementAccessExpression(el) && this.looksLikeArray(el.expression) && !this.isList(el.expression)) {
        if (this.expr(el, scope) === undefined) return undefined;
        const t = this.expr(e.right, scope);
        if (t !== undefined && t !== "num") return this.report(Codes.UnsupportedSyntax, `The fallback of '${el.getText()}' must be a number, but '${e.right.getText()}' is ${describeType(t)}.`, e.right);
        return t;
      }
    }
    const op = BINARY_OPS[k];
    if (!op) return this.report(Codes.UnsupportedSyntax, `The operator '${e.operatorToken.getText()}' is not supported in a differentiable function: ${operatorFix(k)}`, e.operatorToken);
    const a = this.expr(e.left, scope);
    const b = this.expr(e.right, scope);
    if (a === undefined || b === undefined) return undefined;
    const rule = ruleFor(op)!;
    const logical = op === "&&" || op === "||";
    const equality = op === "===" || op === "!==" || op === "==" || op === "!=";
    if (equality && a === "bool" && b === "bool") return "bool";
    // `x || 1`, `d && 1 / d`: of numbers, the value JavaScript chooses by the left one's truthiness
    if (logical && a === "num" && b === "num") return "num";
    for (const [t, node] of [[a, e.left], [b, e.right]] as const) {
      if (logical && t !== "bool") return this.report(Codes.UnsupportedSyntax, `'${op}' needs two booleans or two numbers: write an explicit comparison for '${node.getText()}'.`, node);
      if (!logical && t !== "num") return this.report(Codes.UnsupportedSyntax, `'${op}' needs numbers${equality ? " (or two booleans)" : ""}, but '${node.getText()}' is ${describeType(t)}.`, node);
    }
    return rule.result;
  }

  // ---------------------------------------------------------------- calls

  protected call(e: ts.CallExpression, scope: Scope, asStatement: boolean): FType | undefined {
    const conv = conversion(e, this.checker);
    if (conv) {
      // Number(b) of a boolean is 1 or 0, Boolean(x) of a number its truthiness; of their own type, the value
      const arg = e.arguments[0];
      if (e.arguments.length !== 1 || !arg || ts.isSpreadElement(arg)) return this.report(Codes.UnsupportedSyntax, `'${conv}' takes one argument here: write ${conv}(x).`, e);
      const t = this.expr(arg, scope);
      if (t === undefined) return undefined;
      if (t !== "num" && t !== "bool") return this.report(Codes.UnsupportedSyntax, `'${conv}' converts a number or a boolean here, but '${arg.getText()}' is ${describeType(t)}.`, arg);
      if (asStatement) return this.report(Codes.UnsupportedSyntax, `The result of '${conv}(…)' is unused: assign it or remove the call.`, e);
      return conv === "Number" ? "num" : "bool";
    }
    const c = resolveCallee(e, this.cx);
    // Math.max(...xs) and Math.min(...xs): a fold over the array (rule.fold)
    const folds = c.kind === "math" && c.rule?.fold !== undefined;
    // Math.hypot(...xs): the norm of an array, the runtime's hypotOf
    const norm = c.kind === "math" && c.op === "Math.hypot" && e.arguments.length === 1 && ts.isSpreadElement(e.arguments[0]!);
    if (norm) {
      if (asStatement) return this.report(Codes.UnsupportedSyntax, "The result of 'Math.hypot(...)' is unused: assign it or remove the call.", e);
      return this.arrayValue((e.arguments[0] as ts.SpreadElement).expression, scope) ? "num" : undefined;
    }
    for (const a of e.arguments) {
      if (!ts.isSpreadElement(a)) continue;
      if (c.kind === "math" && c.op === "Math.hypot") return this.report(Codes.UnsupportedSyntax, "Math.hypot takes numbers, or one spread array (Math.hypot(...xs)): put the other values into the array, or write Math.hypot(Math.hypot(...xs), a).", a);
      if (!folds) return this.report(Codes.UnsupportedSyntax, "Spread arguments are not supported (but in Math.max, Math.min and Math.hypot): pass the arguments one by one, or use a loop over the array.", a);
      if (!this.arrayValue(a.expression, scope)) return undefined;
    }
    const m = methodCall(e);
    // forEach, map and reduce over a list's elements or a matrix's rows
    if (m && (ITERATION_METHODS as readonly string[]).includes(m.name) && this.isList(m.recv)) return this.iteration(e, m.name as IterationMethod, scope, asStatement);
    if (m && (SEARCH_METHODS as readonly string[]).includes(m.name) && this.isList(m.recv)) return this.search(e, m.name as SearchMethod, scope, asStatement);
    if (m && this.looksLikeArray(m.recv)) {
      if ((ITERATION_METHODS as readonly string[]).includes(m.name)) return this.iteration(e, m.name as IterationMethod, scope, asStatement);
      if (returnsElement(m.name)) {
        return this.report(Codes.UnsupportedSyntax, `'${m.name}' returns undefined when no element matches: write xs.${m.name}((v) => …) ?? fallback, or use ${m.name}Index.`, e);
      }
      if ((SEARCH_METHODS as readonly string[]).includes(m.name)) return this.search(e, m.name as SearchMethod, scope, asStatement);
      if (m.name === "filter") return this.filter(e, scope, asStatement);
      if (isSortMethod(m.name)) return this.sort(e, m.name, scope, asStatement);
      if (isReverseMethod(m.name)) return this.reverse(e, m.name, scope, asStatement);
      if (m.name === "push") return this.push(e, scope, asStatement);
      if (m.name === "at") {
        // `xs.at(i)`: undefined out of range, read as JavaScript reads it (`xs.at(-1)!`, or with `?? fallback`)
        if (m.args.length !== 1) return this.report(Codes.UnsupportedSyntax, "'at' takes one index: write xs.at(i).", e);
        if (asStatement) return this.report(Codes.UnsupportedSyntax, "The result of 'at' is unused: assign it or remove the call.", e);
        if (!this.arrayValue(m.recv, scope)) return undefined;
        return this.expr(m.args[0], scope) === "num" ? "num" : this.report(Codes.UnsupportedSyntax, "The index of 'at' must be a number.", m.args[0]);
      }
      return this.report(Codes.UnsupportedSyntax, `The array method '${m.name}' is not supported here: ${ARRAY_METHODS_FIX}`, e);
    }
    if (c.kind === "unknown" && ts.isIdentifier(c.callee)) {
      const v = functionVariable(c.callee, this.checker);
      if (v && !v.isConst) {
        return this.report(Codes.Closure, `'${c.callee.text}' is declared with '${v.decl.parent.flags & ts.NodeFlags.Let ? "let" : "var"}', so it may hold another function when it is called: declare it with const (const ${c.callee.text} = …).`, c.callee);
      }
    }
    switch (c.kind) {
      case "math": {
        const rule = c.rule;
        if (!rule) {
          return this.report(Codes.UnknownCallee, `'${c.op}' is not differentiable by adjoint. Supported: ${supportedMathFunctions().join(", ")}. Add an entry to compiler/rules/index.ts to support it, or move the call out of the differentiable function.`, c.callee);
        }
        if (rule.arity !== "variadic" && e.arguments.length !== rule.arity) return this.report(Codes.UnsupportedSyntax, `'${c.op}' takes ${rule.arity} argument(s).`, e);
        if (rule.arity === "variadic" && e.arguments.length === 0) return this.report(Codes.UnsupportedSyntax, `'${c.op}()' with no arguments is a constant: write the number instead.`, e);
        for (const a of e.arguments) {
          if (ts.isSpreadElement(a)) continue;
          const t = this.expr(a, scope);
          if (t === undefined) return undefined;
          if (t !== "num") return this.report(Codes.UnsupportedSyntax, `'${c.op}' needs numbers.`, a);
        }
        if (asStatement) return this.report(Codes.UnsupportedSyntax, `The result of '${c.op}(...)' is unused: assign it or remove the call.`, e);
        return rule.result;
      }
      case "routine": return this.routineCall(c.name, e, scope, asStatement);
      case "helper": return this.helperCall(c.decl, e, scope, asStatement);
      case "custom": return this.custom.call(c.decl, e, c.callee, asStatement, this.hooks(scope));
      case "unknown": {
        const callee = c.callee;
        if (ts.isIdentifier(callee)) {
          return this.report(Codes.UnknownCallee, `Cannot differentiate a call to '${callee.text}': it is not a function declared with a body (or a const arrow function) in this module or a relative import. Supported callees: helper functions, runtime BLAS routines, and Math functions.`, callee);
        }
        const member = ts.isPropertyAccessExpression(callee) ? memberUse(callee, this.checker) : undefined;
        if (member) return this.report(Codes.UnknownCallee, member, callee);
        if (isFunctionValue(stripTypes(callee))) {
          return this.report(Codes.UnknownCallee, "A function called where it is written is not supported: bind it to a const (const f = (v: number) => …) and call f(…), which is inlined.", callee);
        }
        const inMath = ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && callee.expression.text === "Math";
        return this.report(Codes.UnknownCallee, `Cannot differentiate a call to '${callee.getText()}': call Math functions or helper functions declared with 'function' in this module or a relative import${inMath ? `. Supported Math functions: ${supportedMathFunctions().join(", ")}` : ", or move the call out of the differentiable function"}.`, callee);
      }
    }
  }

  protected routineCall(fn: string, e: ts.CallExpression, scope: Scope, asStatement: boolean): FType | undefined {
    const rule = ARRAY_RULES[fn];
    if (!rule) return this.report(Codes.UnknownCallee, `The runtime function '${fn}' is not differentiable. Differentiable runtime routines: ${Object.keys(ARRAY_RULES).join(", ")}.`, e.expression);
    if (e.arguments.length !== rule.signature.length) return this.report(Codes.UnsupportedSyntax, `'${fn}' takes ${rule.signature.length} arguments.`, e);
    for (const [i, a] of e.arguments.entries()) {
      const want = rule.signature[i];
      if (want === "bool") {
        const lit = skipParens(a);
        if (lit.kind !== ts.SyntaxKind.TrueKeyword && lit.kind !== ts.SyntaxKind.FalseKeyword) {
          return this.report(Codes.UnsupportedSyntax, `The transpose flag of '${fn}' must be a literal true or false, so that the adjoint's transposes are known.`, a);
        }
        continue;
      }
      if (want === "arr") {
        if (this.arrayReference(a, scope) === undefined) return undefined;
        if (i === rule.writes && this.viaList(a)) return this.report(Codes.UnsupportedSyntax, this.listWrite(a), a);
        continue;
      }
      const t = this.expr(a, scope);
      if (t === undefined) return undefined;
      if (t !== want) return this.report(Codes.UnsupportedSyntax, `Argument ${i + 1} of '${fn}' must be a number.`, a);
    }
    if (rule.writes !== "result") return "num";
    if (asStatement) return this.report(Codes.UnsupportedSyntax, `The result of '${fn}(...)' is unused: assign it or remove the call.`, e);
    return "num";
  }

  protected helperCall(decl: HelperFn, call: ts.CallExpression, scope: Scope, asStatement: boolean): FType | undefined {
    const name = helperName(decl);
    if (this.stack.includes(decl)) return this.recursion(decl, call);
    if (!this.plainParameters(decl, name, true)) return undefined;
    // trailing parameters with a default value may be left out, as in JavaScript
    const required = decl.parameters.filter((p, i) => !decl.parameters.slice(i).every((q) => q.initializer)).length;
    if (call.arguments.length > decl.parameters.length || call.arguments.length < required) {
      const takes = required === decl.parameters.length ? `${required}` : `${required} to ${decl.parameters.length}`;
      const fix = call.arguments.length > decl.parameters.length ? `pass at most ${decl.parameters.length}` : `pass every argument${required < decl.parameters.length ? " without a default value" : ""}`;
      return this.report(Codes.UnsupportedSyntax, `'${name}' takes ${takes} argument(s), but is called with ${call.arguments.length}: ${fix}.`, call);
    }
    for (const a of call.arguments) {
      if (stripTypes(a).kind === ts.SyntaxKind.UndefinedKeyword || (ts.isIdentifier(stripTypes(a)) && (stripTypes(a) as ts.Identifier).text === "undefined")) {
        return this.report(Codes.UnsupportedSyntax, `Passing undefined to '${name}' is not supported: leave trailing arguments out to take their default values, or pass the value.`, a);
      }
    }
    const sig = this.checker.getSignatureFromDeclaration(decl);
    const retType = sig && this.checker.getReturnTypeOfSignature(sig);
    const isVoid = !!retType && (retType.flags & ts.TypeFlags.Void) !== 0;
    const returnsArray = !isVoid && !!retType && irTypeOf(retType, this.checker) === "arr";
    const record = !isVoid && !returnsArray && retType ? numberRecordFields(retType, this.checker) : undefined;
    const boolean = !!retType && irTypeOf(retType, this.checker) === "bool";
    if (!isVoid && !returnsArray && !record && !boolean && (!retType || irTypeOf(retType, this.checker) !== "num")) {
      return this.report(Codes.NonNumericReturn, `Helper '${name}' returns '${retType ? this.checker.typeToString(retType) : "unknown"}': helpers return a number, a boolean, an array they create, an object of numbers ({ r: number; th: number }), or nothing.`, call);
    }
    if (!isVoid && asStatement) return this.report(Codes.UnsupportedSyntax, `The result of '${name}(...)' is unused: assign it or remove the call.`, call);
    const inputs = new Set<string>();
    // parameters bound to parts of a list's elements, which the helper must not write
    const viaList: ts.ParameterDeclaration[] = [];
    // parameters bound to matrices built in the function, which the helper uses as such
    const matrices: ts.ParameterDeclaration[] = [];
    for (const [i, a] of call.arguments.entries()) {
      const p = decl.parameters[i];
      const pt = this.typeOfNode(p);
      // a choice among strings passed on (or one of its strings): the helper compares it as the caller would
      if (pt === undefined && this.choiceParameter(p)) {
        if (!this.choiceArgument(a, scope)) return undefined;
        continue;
      }
      if (pt !== "num" && pt !== "bool" && pt !== "arr" && pt !== "obj" && pt !== "list") return this.report(Codes.NonNumericParameter, `Parameter '${p.name.getText()}' of helper '${name}' must be a number, a boolean, a Float64Array, a number[], an object of them or an array of such objects.`, p);
      if (this.viaList(a)) viaList.push(p);
      if (pt === "list" && this.isMatrix(a)) matrices.push(p);
      if (pt === "arr") {
        if (!this.arrayValue(a, scope)) return undefined;
        const arg = stripTypes(a);
        if (ts.isIdentifier(arg) && scope.inputs.has(arg.text)) inputs.add((p.name as ts.Identifier).text);
        continue;
      }
      const t = this.expr(a, scope);
      if (t === undefined) return undefined;
      if (t !== pt) return this.report(Codes.UnsupportedSyntax, `Argument ${i + 1} of '${name}' must be ${describeType(pt)}.`, a);
    }
    if (!this.helperBody(decl, name, isVoid, inputs, call, viaList, returnsArray, record, boolean, matrices)) return undefined;
    return returnsArray ? "arr" : record ? "obj" : boolean ? "bool" : "num";
  }

  protected recursion(decl: HelperFn, call: ts.Node): undefined {
    const name = helperName(decl);
    return this.report(Codes.Recursion, `'${name}' is recursive (${[...this.stack.map((f) => helperName(f as HelperFn)), name].join(" -> ")}): recursion cannot be differentiated. Rewrite it as a loop.`, call);
  }

  /**
   * Parameters are plain names: no rest, optional or destructured parameters, and no default
   * values but a helper's number parameters' (`defaults`: `function f(x: number, k = 2)`).
   */
  protected plainParameters(decl: HelperFn, name: string, defaults = false): boolean {
    for (const p of decl.parameters) {
      const numberDefault = defaults && !!p.initializer && irTypeOf(this.checker.getTypeAtLocation(p), this.checker) === "num";
      if (!ts.isIdentifier(p.name) || p.dotDotDotToken || (p.initializer && !numberDefault) || p.questionToken) {
        const what = p.initializer ? "a default value" : p.questionToken ? "an optional parameter" : p.dotDotDotToken ? "a rest parameter" : "a destructured parameter";
        this.report(Codes.UnsupportedSyntax, `Parameter '${p.name.getText()}' of ${isFunctionValue(decl) && !isVariableInit(decl) ? "the callback" : `helper '${name}'`} has ${what}, which is not supported: ${p.questionToken && defaults ? `give it a default value (${p.name.getText()} = …), or ` : ""}declare it as a plain parameter and pass the value at every call.`, p);
        return false;
      }
    }
    return true;
  }

  /**
   * The body of a helper or closure, checked once per way its array parameters are bound to
   * inputs; a local closure captures the variables of the function it is declared in, which it
   * may read (at `call`, where they must be declared) but not assign.
   */
  protected helperBody(decl: HelperFn, name: string, isVoid: boolean, inputs: Set<string>, call: ts.Node, viaList: readonly ts.ParameterDeclaration[] = [], returnsArray = false, returnsRecord?: string[], predicate = false, matrices: readonly ts.ParameterDeclaration[] = []): boolean {
    const local = isLocalFunction(decl);
    const key = `${decl.pos}:${decl.getSourceFile().fileName}:${[...inputs].sort().join(",")}:${viaList.map((p) => p.pos).join(",")}:${matrices.map((p) => p.pos).join(",")}${local ? `@${call.pos}` : ""}${predicate ? "?" : ""}`;
    if (this.checkedHelpers.has(key)) return true;
    this.checkedHelpers.add(key);
    const before = this.diagnostics.length;
    // a matrix passed whole: its parameter is used as the matrix is, for this check only
    const asMatrix = matrices.map((p) => this.checker.getSymbolAtLocation(p.name)).filter((s): s is ts.Symbol => s !== undefined && !this.matrices.has(s));
    const bad = (message: string, at: ts.Node) => void this.report(Codes.UnsupportedSyntax, message, at);
    const subject = (p: ts.ParameterDeclaration) => `'${p.name.getText()}' of '${name}' is a matrix built in the function that calls it`;
    if (!matrices.every((p) => this.matrixUses(p.name as ts.Identifier, decl, bad, subject(p)))) return false;
    for (const s of asMatrix) this.matrices.add(s);
    const savedSite = this.callSite;
    if (local) this.callSite = { call, fn: decl };
    // parameters bound to parts of a list's elements, which the helper must not write
    const marked = viaList.map((p) => this.checker.getSymbolAtLocation(p.name)).filter((s): s is ts.Symbol => s !== undefined && !this.fromList.has(s));
    for (const s of marked) this.fromList.add(s);
    this.stack.push(decl);
    this.functionBody({
      decl, name, isVoid, isMain: false, loops: [], inputs,
      ...(returnsArray ? { returnsArray } : {}),
      ...(returnsRecord ? { returnsRecord } : {}),
      ...(predicate ? { predicate } : {}),
      ...(local ? { root: outermostFunction(decl), closure: "named" as const } : {}),
    });
    this.stack.pop();
    for (const s of marked) this.fromList.delete(s);
    for (const s of asMatrix) this.matrices.delete(s);
    this.callSite = savedSite;
    return this.diagnostics.length === before;
  }

  // the array methods that take callbacks (callbacks.ts)
  protected abstract iteration(e: ts.CallExpression, kind: IterationMethod, scope: Scope, asStatement: boolean): FType | undefined;
  protected abstract search(e: ts.CallExpression, kind: SearchMethod, scope: Scope, asStatement: boolean): FType | undefined;
  protected abstract filter(e: ts.CallExpression, scope: Scope, asStatement: boolean): FType | undefined;
  protected abstract sort(e: ts.CallExpression, name: SortMethod, scope: Scope, asStatement: boolean): FType | undefined;
  protected abstract reverse(e: ts.CallExpression, name: ReverseMethod, scope: Scope, asStatement: boolean): FType | undefined;
}

/** Whether a function value is the initialiser of a variable (a named closure or helper). */
function isVariableInit(fn: ts.Node): boolean {
  let p = fn.parent;
  while (ts.isParenthesizedExpression(p) || ts.isAsExpression(p) || ts.isSatisfiesExpression(p)) p = p.parent;
  return ts.isVariableDeclaration(p);
}

