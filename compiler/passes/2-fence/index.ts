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
 * routines, and calls of helper functions (inlined).
 */
import ts from "typescript";
import { Codes, type Code, type Diagnostic, diagnosticAt } from "../../diagnostics.ts";
import type { Type } from "../../ir/types.ts";
import { MATH_CONSTANTS, ruleFor, supportedMathFunctions } from "../../rules/index.ts";
import { ARRAY_RULES } from "../../rules/blas.ts";
import { type AnnotatedFunction, irTypeOf } from "../1-parse/index.ts";
import {
  type ResolveContext, resolveCallee, skipParens, mathMember, outerName, isDeclaredIn, annotatedType, isNewFloat64Array,
  isHostCall, isErrorConstruction,
} from "../3-lower/resolve.ts";
import { countJumps, definitelyReturns, isAssignmentOperator, compoundOperator, BINARY_OPS, jumpTarget, isBreakable } from "../3-lower/jumps.ts";
import { statementFix, describeSyntax, describeType, fixFor, operatorFix } from "./names.ts";
import { methodCall } from "../3-lower/arrays.ts";
import { checkCheckpointTags } from "./checkpoint.ts";

export type FenceOptions = ResolveContext;

export function fence(fn: AnnotatedFunction, opts: FenceOptions): Diagnostic[] {
  const f = new Fence(fn, opts);
  f.run();
  return f.diagnostics;
}

/** The function being checked: the annotated one or a helper it calls. */
interface Scope {
  decl: ts.FunctionDeclaration;
  name: string;
  /** Returns nothing (a void helper, or a function with @out results). */
  isVoid: boolean;
  isMain: boolean;
  /** Loops enclosing the current statement, innermost last. */
  loops: (ts.IterationStatement | ts.SwitchStatement)[];
  /** Array parameters bound to the annotated function's inputs: writing them would mutate the caller's data. */
  inputs: Set<string>;
}

class Fence {
  readonly diagnostics: Diagnostic[] = [];
  private checker: ts.TypeChecker;
  private stack: ts.FunctionDeclaration[] = [];
  private checkedHelpers = new Set<string>();

  constructor(private fn: AnnotatedFunction, private cx: ResolveContext) {
    this.checker = cx.checker;
  }

  /** IR types of the locals declared so far (from their annotation or initialiser). */
  private localTypes = new Map<ts.Symbol, Type>();
  /** Declarations already reported: their uses are not reported again. */
  private poisoned = new Set<ts.Symbol>();

  private report(code: Code, message: string, node: ts.Node): undefined {
    if (!this.mentionsPoisoned(node)) this.diagnostics.push(diagnosticAt(code, message, node, node.getSourceFile()));
    const declared = ts.isVariableDeclaration(node) || ts.isClassDeclaration(node) || ts.isFunctionDeclaration(node) ? node
      : ts.isVariableDeclaration(node.parent) && node.parent.initializer === node ? node.parent : undefined;
    if (declared?.name && ts.isIdentifier(declared.name)) {
      const sym = this.checker.getSymbolAtLocation(declared.name);
      if (sym) this.poisoned.add(sym);
    }
    return undefined;
  }

  private mentionsPoisoned(node: ts.Node): boolean {
    if (this.poisoned.size === 0) return false;
    let found = false;
    const visit = (n: ts.Node) => {
      if (found) return;
      if (ts.isIdentifier(n)) {
        const sym = this.checker.getSymbolAtLocation(n);
        if (sym && this.poisoned.has(sym)) found = true;
      }
      ts.forEachChild(n, visit);
    };
    visit(node);
    return found;
  }

  run(): void {
    const { decl } = this.fn;
    const inputs = new Set(this.fn.params.filter((p) => p.type === "arr" && !this.fn.outputs.includes(p.name)).map((p) => p.name));
    const scope: Scope = { decl, name: this.fn.name, isVoid: this.fn.outputs.length > 0, isMain: true, loops: [], inputs };
    this.stack.push(decl);
    this.functionBody(scope);
    this.stack.pop();
  }

  private functionBody(scope: Scope): void {
    const body = scope.decl.body!;
    if (scope.isMain && scope.isVoid) {
      const early = findReturn(body);
      if (early) {
        this.report(Codes.UnsupportedSyntax, `'return' in '${scope.name}', which writes its results into @out parameters, is not supported: let control reach the end of the function.`, early);
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

  private statements(list: readonly ts.Statement[], scope: Scope): void {
    for (const s of list) this.statement(s, scope);
  }

  private statement(s: ts.Statement, scope: Scope): void {
    checkCheckpointTags(s, this.diagnostics);
    if (ts.isReturnStatement(s)) {
      if (scope.isVoid) {
        this.report(Codes.UnsupportedSyntax, `Early 'return' in the void helper '${scope.name}' is not supported: let control reach the end of the helper, or return a number from it.`, s);
        return;
      }
      if (!s.expression) {
        this.report(Codes.MissingReturn, "A differentiable function must return a number: write 'return <value>;'.", s);
        return;
      }
      this.numeric(s.expression, scope, "The returned value");
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
      if (!decl || !ts.isIdentifier(decl.name) || !(list.flags & (ts.NodeFlags.Let | ts.NodeFlags.Const)) || s.awaitModifier) {
        this.report(Codes.UnsupportedSyntax, "A for-of loop must declare one variable: write 'for (const v of values)'.", s.initializer);
        return;
      }
      if (this.arrayReference(s.expression, scope) === undefined) return;
      const sym = this.checker.getSymbolAtLocation(decl.name);
      if (sym) this.localTypes.set(sym, "num");
      scope.loops.push(s);
      this.statement(s.statement, scope);
      scope.loops.pop();
      return;
    }
    if (ts.isSwitchStatement(s)) {
      const d = this.expr(s.expression, scope);
      for (const c of s.caseBlock.clauses) {
        if (ts.isCaseClause(c)) {
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
      this.report(Codes.Closure, `Nested function '${s.name?.text ?? ""}' is a closure: move it to module level so it can be differentiated as a helper.`, s);
      return;
    }
    this.report(Codes.UnsupportedSyntax, `${describeSyntax(s)} is not supported in a differentiable function: ${statementFix(s)}`, s);
  }

  private declarations(list: ts.VariableDeclarationList, scope: Scope): void {
    for (const d of list.declarations) {
      if (ts.isArrayBindingPattern(d.name)) {
        if (!d.initializer) continue;
        const rest = d.name.elements.find((el) => !ts.isOmittedExpression(el) && (el.dotDotDotToken || !ts.isIdentifier(el.name) || el.initializer));
        if (rest) {
          this.report(Codes.UnsupportedSyntax, "Array destructuring takes plain names: const [a, b] = xs (no rest, defaults or nesting).", rest);
          continue;
        }
        if (this.arrayReference(d.initializer, scope) === undefined) continue;
        for (const el of d.name.elements) {
          if (ts.isOmittedExpression(el)) continue;
          const sym = this.checker.getSymbolAtLocation(el.name);
          if (sym) this.localTypes.set(sym, "num");
        }
        continue;
      }
      if (!ts.isIdentifier(d.name)) {
        this.report(Codes.UnsupportedSyntax, "Destructuring of objects is not supported here: read the fields one by one.", d);
        continue;
      }
      if (!(list.flags & (ts.NodeFlags.Let | ts.NodeFlags.Const))) {
        this.report(Codes.UnsupportedSyntax, "'var' declarations are not supported: use 'let' or 'const'.", d);
        continue;
      }
      const init = d.initializer && skipParens(d.initializer);
      if (init && (ts.isArrowFunction(init) || ts.isFunctionExpression(init))) {
        this.report(Codes.Closure, `'${d.name.text}' is a function expression (a closure), which cannot be differentiated: write a module-level helper function and call it.`, init);
        continue;
      }
      if (init && ts.isObjectLiteralExpression(init)) {
        this.report(Codes.UnsupportedSyntax, "An object literal is not supported in a differentiable function: use separate number variables, or a Float64Array.", init);
        continue;
      }
      const annotated = annotatedType(d, this.checker);
      const nonNumeric = () => this.report(Codes.NonNumericParameter, `Variable '${d.name.getText()}' has type '${this.checker.typeToString(this.checker.getTypeAtLocation(d.name))}': only number, boolean and Float64Array values are supported in a differentiable function.`, d);
      if (annotated === "other" || (annotated === undefined && !init)) {
        nonNumeric();
        continue;
      }
      const sym = this.checker.getSymbolAtLocation(d.name);
      if (annotated === "arr" || (annotated === undefined && init && (isNewFloat64Array(init) || this.looksLikeArray(init)))) {
        if (sym) this.localTypes.set(sym, "arr");
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

  private arrayInitializer(e: ts.Expression, scope: Scope): void {
    this.arrayValue(e, scope);
  }

  /**
   * An array-valued expression: a name of an array, a window (`subarray`), or a new array
   * (an array literal, `new Float64Array(n | xs | [..])`, `Float64Array.from(xs)`, `.of(..)`,
   * `xs.slice()`, `new Array(n).fill(v)`); whether it is one (reported otherwise).
   */
  private arrayValue(e0: ts.Expression, scope: Scope): boolean {
    const e = stripTypes(e0);
    const bad = (what: string) => (this.report(Codes.UnsupportedSyntax, what, e0), false);
    const numbers = (xs: readonly ts.Expression[]) => {
      for (const x of xs) {
        if (ts.isSpreadElement(x)) {
          if (xs.length !== 1) return bad("A spread in an array literal is supported alone, as a copy: [...xs]. Build longer arrays with new Float64Array(n) and set().");
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
      return bad(`'${m.recv.text}.${m.name}(...)' is not supported: use ${m.recv.text}.from(xs) or ${m.recv.text}.of(a, b, ...).`);
    }
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
    if (m && this.looksLikeArray(m.recv)) {
      return bad(`The array method '${m.name}' is not supported here: use subarray, slice, fill or set, or a loop over the elements.`);
    }
    const t = this.expr(e, scope);
    return t === "arr" || (t !== undefined && bad(`'${e0.getText()}' is not an array.`));
  }

  /** Whether an expression is typed as an array (Float64Array or number[]). */
  private looksLikeArray(e: ts.Expression): boolean {
    return this.typeOfNode(e) === "arr";
  }

  private expressionStatement(e0: ts.Expression, scope: Scope): void {
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

  /** A value of the forward computation only: a message, a console argument, an error to throw. */
  private hostValue(e0: ts.Expression, scope: Scope): void {
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
  }

  private assignment(left0: ts.Expression, opKind: ts.SyntaxKind, right: ts.Expression | undefined, at: ts.Node, scope: Scope): void {
    const left = skipParens(left0);
    if (compoundOperator(opKind) === "unsupported") {
      this.report(Codes.UnsupportedSyntax, `The assignment operator '${ts.tokenToString(opKind)}' is not supported: use =, +=, -=, *=, /=, %= or **=.`, at);
      return;
    }
    if (ts.isIdentifier(left)) {
      const sym = this.symbol(left);
      if (!sym) return;
      if (!isDeclaredIn(sym, scope.decl)) {
        this.report(Codes.Closure, `'${left.text}' is not a local variable: assigning to variables outside the function is a closure over mutable state. Return the value or pass it in.`, left);
        return;
      }
      const t = this.declaredType(sym);
      if (t === "arr") {
        this.report(Codes.UnsupportedSyntax, `Reassigning the array '${left.text}' is not supported: write its elements instead.`, left);
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
      if (this.arrayReference(left.expression, scope) === undefined) return;
      this.numeric(left.argumentExpression, scope, "An array index", "An array index must be a number.");
      if (right) this.numeric(right, scope, "A stored value", "Only numbers can be stored in a Float64Array.");
      return;
    }
    this.report(Codes.UnsupportedSyntax, `Assignment to '${left.getText()}' is not supported: assign to local variables or Float64Array elements.`, left);
  }

  /** An expression naming an array or a window of one (`xs`, `xs.subarray(b, e)`); its base name. */
  private arrayReference(e0: ts.Expression, scope: Scope): string | undefined {
    const e = stripTypes(e0);
    if (ts.isIdentifier(e)) {
      const t = this.expr(e, scope);
      if (t === undefined) return undefined;
      if (t === "arr") return e.text;
    } else {
      const m = methodCall(e);
      if (m && m.name === "subarray") return this.arrayValue(e, scope) ? this.arrayReference(m.recv, scope) : undefined;
      if (this.expr(e, scope) === undefined) return undefined;
    }
    this.report(Codes.UnsupportedSyntax, `'${e0.getText()}' is not a Float64Array or number[] variable (or a subarray of one).`, e0);
    return undefined;
  }

  /** A condition: a boolean, or a number tested for truthiness as JavaScript does. */
  private condition(e: ts.Expression, scope: Scope): void {
    const t = this.expr(e, scope);
    if (t === "arr") this.report(Codes.UnsupportedSyntax, `The condition '${e.getText()}' is a Float64Array, which is always true: test its elements or its length.`, e);
  }

  private numeric(e: ts.Expression, scope: Scope, what: string, message = `${what} must be a number.`): void {
    const t = this.expr(e, scope);
    if (t !== undefined && t !== "num") this.report(Codes.UnsupportedSyntax, message, e);
  }

  // ---------------------------------------------------------------- expressions

  private typeOfNode(n: ts.Node): Type | undefined {
    return irTypeOf(this.checker.getTypeAtLocation(n), this.checker);
  }

  /**
   * The type a local or parameter is declared with (not its narrowed type at a use, which asks
   * TypeScript's flow analysis: quadratic in the length of a function reassigning a variable).
   */
  private declaredType(sym: ts.Symbol): Type | undefined {
    const known = this.localTypes.get(sym);
    if (known) return known;
    const d = sym.valueDeclaration;
    const at = d && (ts.isVariableDeclaration(d) || ts.isParameter(d)) ? d.name : d;
    return at ? this.typeOfNode(at) : undefined;
  }

  private symbol(id: ts.Identifier): ts.Symbol | undefined {
    const s = this.checker.getSymbolAtLocation(id);
    if (!s) return this.report(Codes.UnsupportedSyntax, `Cannot resolve '${id.getText()}': declare it in this function, or pass it as a parameter.`, id);
    return s;
  }

  /** Checks an expression; returns its IR type, or undefined once it has been reported. */
  private expr(e0: ts.Expression, scope: Scope): Type | undefined {
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
      const op = e.operator === ts.SyntaxKind.MinusToken ? "-" : e.operator === ts.SyntaxKind.PlusToken ? "+" : e.operator === ts.SyntaxKind.ExclamationToken ? "!" : undefined;
      if (!op) return this.report(Codes.UnsupportedSyntax, `The operator '${ts.tokenToString(e.operator)}' is not supported: ${e.operator === ts.SyntaxKind.TildeToken ? "bitwise operators work on integers; use arithmetic (Math.floor, %, *)" : "use arithmetic and comparisons"} instead.`, e);
      const t = this.expr(e.operand, scope);
      if (t === undefined) return undefined;
      if (op === "!" && t !== "bool") return this.report(Codes.UnsupportedSyntax, `'!' needs a boolean: write an explicit comparison such as '${e.operand.getText()} === 0'.`, e);
      if (op !== "!" && t !== "num") return this.report(Codes.UnsupportedSyntax, `Unary '${op}' needs a number.`, e);
      return op === "!" ? "bool" : "num";
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
      if (a !== b || a === "arr") return this.report(Codes.UnsupportedSyntax, "Both arms of a conditional expression must be numbers (or both booleans).", e);
      return a;
    }
    if (ts.isCallExpression(e)) return this.call(e, scope, false);
    if (ts.isPropertyAccessExpression(e)) {
      if (mathMember(e, this.checker)) {
        if (MATH_CONSTANTS[e.name.text] === undefined) {
          return this.report(Codes.UnknownCallee, `'Math.${e.name.text}' is not a supported Math constant or is used as a value (constants: ${Object.keys(MATH_CONSTANTS).map((k) => "Math." + k).join(", ")}).`, e);
        }
        return "num";
      }
      if (e.name.text === "length") return this.arrayReference(e.expression, scope) === undefined ? undefined : "num";
      return this.report(Codes.UnsupportedSyntax, `Property access '${e.getText()}' is not supported: only Math constants and '.length' of a Float64Array can be read. Pass the value as a parameter instead.`, e);
    }
    if (ts.isElementAccessExpression(e)) {
      if (this.arrayReference(e.expression, scope) === undefined) return undefined;
      const t = this.expr(e.argumentExpression, scope);
      if (t === undefined) return undefined;
      if (t !== "num") return this.report(Codes.UnsupportedSyntax, "An array index must be a number.", e.argumentExpression);
      return "num";
    }
    if (ts.isAsExpression(e) || ts.isNonNullExpression(e) || ts.isTypeAssertionExpression(e) || ts.isSatisfiesExpression(e)) {
      return this.expr(e.expression, scope);
    }
    if (ts.isArrowFunction(e) || ts.isFunctionExpression(e)) {
      return this.report(Codes.Closure, "Function expressions (closures) are not supported in a differentiable function: write a module-level helper function and call it.", e);
    }
    if (ts.isNewExpression(e)) {
      return this.report(Codes.UnsupportedSyntax, "'new Float64Array(n)' is supported only as the initialiser of a const or let declaration.", e);
    }
    return this.report(Codes.UnsupportedSyntax, `${describeSyntax(e)} is not supported in a differentiable function: ${fixFor(e)}`, e);
  }

  private identifier(e: ts.Identifier, scope: Scope): Type | undefined {
    if (e.text === "undefined") return this.report(Codes.UnsupportedSyntax, "'undefined' is not a number: use a number (for example NaN) instead.", e);
    const sym = this.checker.getSymbolAtLocation(e);
    if ((e.text === "NaN" || e.text === "Infinity") && (!sym || !isDeclaredIn(sym, scope.decl))) return "num";
    if (!sym) return this.symbol(e) as undefined;
    if (isDeclaredIn(sym, scope.decl)) {
      const t = this.declaredType(sym);
      if (!t) return this.report(Codes.NonNumericParameter, `'${e.text}' has type '${this.checker.typeToString(this.checker.getTypeAtLocation(e))}': only number, boolean and Float64Array values are supported in a differentiable function.`, e);
      return t;
    }
    const outer = outerName(sym, this.checker);
    switch (outer.kind) {
      case "constant": return "num";
      case "module-constant":
        return this.report(Codes.Closure, `'${e.text}' is a module-level constant that is not a constant expression: reading outer values is not supported. Pass it as a parameter, or initialise it from literals, Math constants and other constants (numeric literal constant expressions).`, e);
      case "outer-variable":
        return this.report(Codes.Closure, `'${e.text}' is a variable declared outside this function: reading outer mutable state is not supported. Pass it as a parameter.`, e);
      case "other":
        return this.report(Codes.Closure, `'${e.text}' is not a parameter or local variable of this function: pass it as a parameter.`, e);
    }
  }

  private binary(e: ts.BinaryExpression, scope: Scope): Type | undefined {
    const k = e.operatorToken.kind;
    if (isAssignmentOperator(k)) {
      const before = this.diagnostics.length;
      this.assignment(e.left, k, e.right, e, scope);
      return this.diagnostics.length > before ? undefined : this.expr(e.left, scope);
    }
    if (k === ts.SyntaxKind.CommaToken) {
      this.expressionStatement(e.left, scope);
      return this.expr(e.right, scope);
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
    for (const [t, node] of [[a, e.left], [b, e.right]] as const) {
      if (logical && t !== "bool") return this.report(Codes.UnsupportedSyntax, `'${op}' needs booleans: write an explicit comparison for '${node.getText()}'.`, node);
      if (!logical && t !== "num") return this.report(Codes.UnsupportedSyntax, `'${op}' needs numbers${equality ? " (or two booleans)" : ""}, but '${node.getText()}' is ${describeType(t)}.`, node);
    }
    return rule.result;
  }

  // ---------------------------------------------------------------- calls

  private call(e: ts.CallExpression, scope: Scope, asStatement: boolean): Type | undefined {
    const c = resolveCallee(e, this.cx);
    for (const a of e.arguments) {
      if (ts.isSpreadElement(a)) return this.report(Codes.UnsupportedSyntax, "Spread arguments are not supported: pass the arguments one by one, or use a loop over the array.", a);
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
          const t = this.expr(a, scope);
          if (t === undefined) return undefined;
          if (t !== "num") return this.report(Codes.UnsupportedSyntax, `'${c.op}' needs numbers.`, a);
        }
        if (asStatement) return this.report(Codes.UnsupportedSyntax, `The result of '${c.op}(...)' is unused: assign it or remove the call.`, e);
        return "num";
      }
      case "routine": return this.routineCall(c.name, e, scope, asStatement);
      case "helper": return this.helperCall(c.decl, e, scope, asStatement);
      case "unknown": {
        const callee = c.callee;
        if (ts.isIdentifier(callee)) {
          return this.report(Codes.UnknownCallee, `Cannot differentiate a call to '${callee.text}': it is not a function declared with a body in this module or a relative import. Supported callees: helper functions, runtime BLAS routines, and Math functions.`, callee);
        }
        const inMath = ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && callee.expression.text === "Math";
        return this.report(Codes.UnknownCallee, `Cannot differentiate a call to '${callee.getText()}': call Math functions or helper functions declared with 'function' in this module or a relative import${inMath ? `. Supported Math functions: ${supportedMathFunctions().join(", ")}` : ", or move the call out of the differentiable function"}.`, callee);
      }
    }
  }

  private routineCall(fn: string, e: ts.CallExpression, scope: Scope, asStatement: boolean): Type | undefined {
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

  private helperCall(decl: ts.FunctionDeclaration, call: ts.CallExpression, scope: Scope, asStatement: boolean): Type | undefined {
    const name = decl.name?.text ?? "helper";
    if (this.stack.includes(decl)) {
      return this.report(Codes.Recursion, `'${name}' is recursive (${[...this.stack.map((f) => f.name?.text), name].join(" -> ")}): recursion cannot be differentiated. Rewrite it as a loop.`, call);
    }
    for (const p of decl.parameters) {
      if (!ts.isIdentifier(p.name) || p.dotDotDotToken || p.initializer || p.questionToken) {
        const what = p.initializer ? "a default value" : p.questionToken ? "an optional parameter" : p.dotDotDotToken ? "a rest parameter" : "a destructured parameter";
        return this.report(Codes.UnsupportedSyntax, `Parameter '${p.name.getText()}' of helper '${name}' has ${what}, which is not supported: declare it as a plain parameter and pass the value at every call.`, p);
      }
    }
    if (decl.parameters.length !== call.arguments.length) {
      return this.report(Codes.UnsupportedSyntax, `'${name}' takes ${decl.parameters.length} argument(s), but is called with ${call.arguments.length}: pass every argument.`, call);
    }
    const sig = this.checker.getSignatureFromDeclaration(decl);
    const retType = sig && this.checker.getReturnTypeOfSignature(sig);
    const isVoid = !!retType && (retType.flags & ts.TypeFlags.Void) !== 0;
    if (!isVoid && (!retType || irTypeOf(retType, this.checker) !== "num")) {
      return this.report(Codes.NonNumericReturn, `Helper '${name}' returns '${retType ? this.checker.typeToString(retType) : "unknown"}': helpers must return a number (or nothing).`, call);
    }
    if (!isVoid && asStatement) return this.report(Codes.UnsupportedSyntax, `The result of '${name}(...)' is unused: assign it or remove the call.`, call);
    const inputs = new Set<string>();
    for (const [i, a] of call.arguments.entries()) {
      const p = decl.parameters[i];
      const pt = irTypeOf(this.checker.getTypeAtLocation(p), this.checker);
      if (pt !== "num" && pt !== "arr") return this.report(Codes.NonNumericParameter, `Parameter '${p.name.getText()}' of helper '${name}' must be a number, a Float64Array or a number[].`, p);
      if (pt === "arr") {
        if (!this.arrayValue(a, scope)) return undefined;
        const arg = stripTypes(a);
        if (ts.isIdentifier(arg) && scope.inputs.has(arg.text)) inputs.add((p.name as ts.Identifier).text);
        continue;
      }
      const t = this.expr(a, scope);
      if (t === undefined) return undefined;
      if (t !== pt) return this.report(Codes.UnsupportedSyntax, `Argument ${i + 1} of '${name}' must be a number.`, a);
    }
    // each helper is checked once per way its array parameters are bound to inputs
    const key = `${decl.pos}:${decl.getSourceFile().fileName}:${[...inputs].sort().join(",")}`;
    if (!this.checkedHelpers.has(key)) {
      this.checkedHelpers.add(key);
      const before = this.diagnostics.length;
      this.stack.push(decl);
      this.functionBody({ decl, name, isVoid, isMain: false, loops: [], inputs });
      this.stack.pop();
      if (this.diagnostics.length > before) return undefined;
    }
    return isVoid ? "num" : "num";
  }
}

// ---------------------------------------------------------------- utilities

function stripTypes(e: ts.Expression): ts.Expression {
  e = skipParens(e);
  while (ts.isAsExpression(e) || ts.isNonNullExpression(e) || ts.isTypeAssertionExpression(e) || ts.isSatisfiesExpression(e)) e = skipParens(e.expression);
  return e;
}

/** Whether an expression has no effects: no calls, assignments or increments. */
function isPure(e: ts.Node): boolean {
  if (ts.isCallExpression(e) || ts.isNewExpression(e)) return false;
  if (ts.isBinaryExpression(e) && (isAssignmentOperator(e.operatorToken.kind) || e.operatorToken.kind === ts.SyntaxKind.CommaToken)) return false;
  if ((ts.isPrefixUnaryExpression(e) || ts.isPostfixUnaryExpression(e)) && (e.operator === ts.SyntaxKind.PlusPlusToken || e.operator === ts.SyntaxKind.MinusMinusToken)) return false;
  let pure = true;
  ts.forEachChild(e, (c) => { if (pure && !isPure(c)) pure = false; });
  return pure;
}

/** Whether an expression's value is used (it is not a statement of its own, or a part of a comma there). */
function isValue(e: ts.Node): boolean {
  const p = e.parent;
  if (ts.isExpressionStatement(p) || (ts.isForStatement(p) && (p.incrementor === e || p.initializer === e))) return false;
  if (ts.isParenthesizedExpression(p)) return isValue(p);
  if (ts.isBinaryExpression(p) && p.operatorToken.kind === ts.SyntaxKind.CommaToken) return p.right === e ? isValue(p) : false;
  return true;
}

/** A string-valued piece of a message. */
function isTextual(e: ts.Expression): boolean {
  e = skipParens(e);
  return ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e) || ts.isTemplateExpression(e)
    || (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.PlusToken && (isTextual(e.left) || isTextual(e.right)));
}

function findReturn(node: ts.Node): ts.ReturnStatement | undefined {
  let found: ts.ReturnStatement | undefined;
  const visit = (n: ts.Node) => {
    if (found || (ts.isFunctionLike(n) && n !== node)) return;
    if (ts.isReturnStatement(n)) found = n;
    else ts.forEachChild(n, visit);
  };
  ts.forEachChild(node, visit);
  return found;
}
