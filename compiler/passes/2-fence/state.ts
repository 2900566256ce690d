/**
 * The fence's state: the diagnostics found so far, the types of the locals checked so far, the
 * declarations already reported (their uses are not reported again), and the utilities every
 * part of the fence shares.
 */
import ts from "typescript";
import { Codes, type Code, type Diagnostic, diagnosticAt } from "../../diagnostics.ts";
import type { Type } from "../../ir/types.ts";
import { type AnnotatedFunction, irTypeOf } from "../1-parse/index.ts";
import { shapeOf, isShape } from "../../ir/shape.ts";
import { type ResolveContext, type HelperFn, skipParens } from "../3-lower/resolve.ts";
import { isAssignmentOperator } from "../3-lower/jumps.ts";
import { foundFieldRoot } from "../3-lower/optional.ts";

/** Types as the fence checks them: the IR's, and records (objects of numbers and arrays). */
export type FType = Type | "obj";

/** The function being checked: the annotated one or a helper it calls. */
export interface Scope {
  decl: ts.FunctionDeclaration | HelperFn;
  /**
   * The module-level function whose body holds `decl` (`decl` itself unless it is a local
   * closure or an inline callback): a closure reads (captures) the variables declared there.
   */
  root?: ts.Node;
  /** A closure declared in a function (`named`) or an inline callback of forEach, map or reduce. */
  closure?: "named" | "callback";
  /** A forEach callback: its result, if any, is dropped. */
  discard?: boolean;
  /** A search's predicate (`xs.some(p)`) or a helper declared to return a boolean: it may return a boolean. */
  predicate?: boolean;
  name: string;
  /** Returns nothing (a void helper, or a function with @out results). */
  isVoid: boolean;
  /** A helper returning an array: its only return, at its end, returns an array it creates. */
  returnsArray?: boolean;
  /** A helper returning a record of numbers: its only return, at its end, is an object literal of these fields. */
  returnsRecord?: string[];
  isMain: boolean;
  /** Loops enclosing the current statement, innermost last. */
  loops: (ts.IterationStatement | ts.SwitchStatement)[];
  /** Array parameters bound to the annotated function's inputs: writing them would mutate the caller's data. */
  inputs: Set<string>;
  /** A pullback's fields: its return is an object literal of them (custom.ts). */
  record?: Map<string, Type>;
}

export abstract class FenceState {
  readonly diagnostics: Diagnostic[] = [];
  protected checker: ts.TypeChecker;
  protected stack: (ts.FunctionDeclaration | HelperFn)[] = [];
  protected checkedHelpers = new Set<string>();
  /** Records of this function that it may write: object literals, and other names of them. */
  protected localRecords = new Set<ts.Symbol>();
  /** Locals naming an element of a list, or part of one (its records and arrays are the caller's). */
  protected fromList = new Set<ts.Symbol>();
  /** Matrices built in the function (arrays.ts, localMatrix): lists whose rows may be written. */
  protected matrices = new Set<ts.Symbol>();

  /**
   * Whether an expression is a list, from the declared types of the names and fields in it: a
   * name's narrowed type at a use would ask flow analysis, which costs the length of the function.
   */
  protected isList(e0: ts.Expression): boolean {
    const e = stripTypes(e0);
    if (ts.isIdentifier(e) || ts.isPropertyAccessExpression(e)) {
      const sym = this.checker.getSymbolAtLocation(ts.isIdentifier(e) ? e : e.name);
      if (!sym) return false;
      if (ts.isIdentifier(e)) return this.declaredType(sym) === "list";
      const d = sym.valueDeclaration ?? sym.declarations?.[0];
      const t = d ? this.checker.getTypeOfSymbolAtLocation(sym, d) : this.checker.getTypeOfSymbol(sym);
      const shape = shapeOf(t, this.checker);
      return isShape(shape) && shape.k === "list";
    }
    return ts.isElementAccessExpression(e) && this.typeOfNode(e) === "list";
  }

  /** Whether an expression names a matrix built in the function. */
  protected isMatrix(e0: ts.Expression): boolean {
    const e = stripTypes(e0);
    const sym = ts.isIdentifier(e) ? this.checker.getSymbolAtLocation(e) : undefined;
    return !!sym && this.matrices.has(sym);
  }

  /** The message for a write into something of a list's element. */
  protected listWrite(e: ts.Expression): string {
    return `'${e.getText()}' is part of an element of a list passed in, which differentiable code does not change: copy it into a local first (const w = ${e.getText()}.slice()) and write the copy.`;
  }

  /** Whether an expression reaches into an element of a list (`layer.W`, `p.layers[i].W`, `W` after `const W = layer.W`). */
  protected viaList(e0: ts.Expression): boolean {
    const e = stripTypes(e0);
    if (ts.isIdentifier(e)) {
      const sym = this.checker.getSymbolAtLocation(e);
      return !!sym && this.fromList.has(sym);
    }
    if (ts.isElementAccessExpression(e)) return (this.isList(e.expression) && !this.isMatrix(e.expression)) || this.viaList(e.expression);
    if (ts.isPropertyAccessExpression(e)) return this.viaList(e.expression);
    const m = ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression) && e.expression.name.text === "subarray" ? e.expression.expression : undefined;
    return m !== undefined && this.viaList(m);
  }

  constructor(protected fn: AnnotatedFunction, protected cx: ResolveContext) {
    this.checker = cx.checker;
  }

  /** IR types of the locals declared so far (from their annotation or initialiser). */
  protected localTypes = new Map<ts.Symbol, FType>();
  /** Declarations already reported: their uses are not reported again. */
  protected poisoned = new Set<ts.Symbol>();

  protected report(code: Code, message: string, node: ts.Node): undefined {
    // within an expression that reads a declaration already reported (`best === undefined` of a
    // `let best: number | undefined`), a problem is that declaration's, reported once
    let whole: ts.Node = node;
    while (whole.parent && (ts.isExpression(whole.parent) || ts.isToken(whole)) && !ts.isFunctionLike(whole.parent)) whole = whole.parent;
    if (!this.mentionsPoisoned(whole)) this.diagnostics.push(diagnosticAt(code, message, node, node.getSourceFile()));
    const declared = ts.isVariableDeclaration(node) || ts.isClassDeclaration(node) || ts.isFunctionDeclaration(node) ? node
      : ts.isVariableDeclaration(node.parent) && node.parent.initializer === node ? node.parent : undefined;
    if (declared?.name && ts.isIdentifier(declared.name)) {
      const sym = this.checker.getSymbolAtLocation(declared.name);
      if (sym) this.poisoned.add(sym);
    }
    return undefined;
  }

  protected mentionsPoisoned(node: ts.Node): boolean {
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

  protected typeOfNode(n: ts.Node): FType | undefined {
    let t = this.checker.getTypeAtLocation(n);
    // `p.layers[i]` under noUncheckedIndexedAccess is `Layer | undefined`: the element is there
    if (ts.isElementAccessExpression(n) && t.isUnion()) t = this.checker.getNonNullableType(t);
    // `seg?.line` of a list's element a search found: undefined only when it found none (tested apart)
    if (ts.isPropertyAccessExpression(n) && foundFieldRoot(n, this.checker)) t = this.checker.getNonNullableType(t);
    const ir = irTypeOf(t, this.checker);
    if (ir) return ir;
    const shape = shapeOf(t, this.checker);
    return isShape(shape) && shape.k === "rec" ? "obj" : isShape(shape) && shape.k === "list" ? "list" : undefined;
  }

  /**
   * The type a local or parameter is declared with (not its narrowed type at a use, which asks
   * TypeScript's flow analysis: quadratic in the length of a function reassigning a variable).
   */
  protected declaredType(sym: ts.Symbol): FType | undefined {
    const known = this.localTypes.get(sym);
    if (known) return known;
    const d = sym.valueDeclaration;
    const at = d && (ts.isVariableDeclaration(d) || ts.isParameter(d)) ? d.name : d;
    return at ? this.typeOfNode(at) : undefined;
  }

  protected symbol(id: ts.Identifier): ts.Symbol | undefined {
    const s = this.checker.getSymbolAtLocation(id);
    if (!s) return this.report(Codes.UnsupportedSyntax, `Cannot resolve '${id.getText()}': declare it in this function, or pass it as a parameter.`, id);
    return s;
  }

}

// ---------------------------------------------------------------- utilities

export function stripTypes(e: ts.Expression): ts.Expression {
  e = skipParens(e);
  while (ts.isAsExpression(e) || ts.isNonNullExpression(e) || ts.isTypeAssertionExpression(e) || ts.isSatisfiesExpression(e)) e = skipParens(e.expression);
  return e;
}

/** Whether an expression has no effects: no calls, assignments or increments. */
export function isPure(e: ts.Node): boolean {
  if (ts.isCallExpression(e) || ts.isNewExpression(e)) return false;
  if (ts.isBinaryExpression(e) && (isAssignmentOperator(e.operatorToken.kind) || e.operatorToken.kind === ts.SyntaxKind.CommaToken)) return false;
  if ((ts.isPrefixUnaryExpression(e) || ts.isPostfixUnaryExpression(e)) && (e.operator === ts.SyntaxKind.PlusPlusToken || e.operator === ts.SyntaxKind.MinusMinusToken)) return false;
  let pure = true;
  ts.forEachChild(e, (c) => { if (pure && !isPure(c)) pure = false; });
  return pure;
}

/** Whether an expression's value is used (it is not a statement of its own, or a part of a comma there). */
export function isValue(e: ts.Node): boolean {
  const p = e.parent;
  if (ts.isExpressionStatement(p) || (ts.isForStatement(p) && (p.incrementor === e || p.initializer === e))) return false;
  if (ts.isParenthesizedExpression(p)) return isValue(p);
  if (ts.isBinaryExpression(p) && p.operatorToken.kind === ts.SyntaxKind.CommaToken) return p.right === e ? isValue(p) : false;
  return true;
}

/** A string-valued piece of a message. */
export function isTextual(e: ts.Expression): boolean {
  e = skipParens(e);
  return ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e) || ts.isTemplateExpression(e)
    || (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.PlusToken && (isTextual(e.left) || isTextual(e.right)));
}

export function findReturn(node: ts.Node): ts.ReturnStatement | undefined {
  let found: ts.ReturnStatement | undefined;
  const visit = (n: ts.Node) => {
    if (found || (ts.isFunctionLike(n) && n !== node)) return;
    if (ts.isReturnStatement(n)) found = n;
    else ts.forEachChild(n, visit);
  };
  ts.forEachChild(node, visit);
  return found;
}
