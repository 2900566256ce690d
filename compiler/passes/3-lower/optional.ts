/**
 * What may be undefined in differentiable code, shared by the fence and lowering: optional
 * number and array fields of objects (`opts.scale` of `{ scale?: number }`), optional
 * parameters (`scale?: number`, `bias?: Float64Array`) and the element a search finds in a list
 * (`const seg = segs.find(p)`); the tests against undefined that read them (`undefinedTest`); the
 * uses that only test their truthiness; and destructuring defaults of optional fields.
 */
import ts from "typescript";
import { skipParens, returnsElement } from "./resolve.ts";
import { irTypeOf } from "../1-parse/index.ts";

/** Whether `e` reads an optional field of an object (`opts.scale` of `{ scale?: number }`). */
export function isOptionalFieldRead(e0: ts.Expression, checker: ts.TypeChecker): e0 is ts.PropertyAccessExpression {
  const e = skipParens(e0);
  if (!ts.isPropertyAccessExpression(e) || e.questionDotToken) return false;
  const sym = checker.getSymbolAtLocation(e.name);
  return !!sym && (sym.flags & ts.SymbolFlags.Property) !== 0 && (sym.flags & ts.SymbolFlags.Optional) !== 0;
}

/**
 * Whether `e` names a parameter declared optional without a default (`scale?: number`), or such
 * a field destructured in the signature (`{ scale }` of `scale?: number`).
 */
export function isOptionalParamRead(e0: ts.Expression, checker: ts.TypeChecker): boolean {
  const e = skipParens(e0);
  if (!ts.isIdentifier(e)) return false;
  const d = checker.getSymbolAtLocation(e)?.valueDeclaration;
  if (d && signatureField(d)) return !d.initializer && isOptionalBinding(d, checker);
  return !!d && ts.isParameter(d) && !!d.questionToken && !d.initializer;
}

/** A field of a parameter destructured in the signature (`w` of `{ w, b }: Line`). */
export function signatureField(d: ts.Node): d is ts.BindingElement & { parent: ts.ObjectBindingPattern & { parent: ts.ParameterDeclaration } } {
  return ts.isBindingElement(d) && ts.isObjectBindingPattern(d.parent) && ts.isParameter(d.parent.parent);
}

/**
 * The search whose element a constant is bound to (`const seg = segs.find((s) => x < s.end)`,
 * or `findLast`), over a list of objects: undefined when nothing matches.
 */
export function foundElementSearch(e0: ts.Expression, checker: ts.TypeChecker): ts.CallExpression | undefined {
  const e = skipParens(e0);
  if (!ts.isIdentifier(e)) return undefined;
  const d = checker.getSymbolAtLocation(e)?.valueDeclaration;
  if (!d || !ts.isVariableDeclaration(d) || !d.initializer || !ts.isVariableDeclarationList(d.parent) || !(d.parent.flags & ts.NodeFlags.Const)) return undefined;
  const init = skipParens(d.initializer);
  if (!ts.isCallExpression(init) || !ts.isPropertyAccessExpression(init.expression) || !returnsElement(init.expression.name.text)) return undefined;
  const t = checker.getNonNullableType(checker.getTypeAtLocation(d.name));
  return t.flags & ts.TypeFlags.Object && irTypeOf(t, checker) === undefined ? init : undefined;
}

/**
 * The element a field read through `?.` starts from (`seg` of `seg?.slope`, `seg?.line.slope`),
 * when it is a list's element found by a search (`foundElementSearch`).
 */
export function foundFieldRoot(e0: ts.Expression, checker: ts.TypeChecker): ts.Identifier | undefined {
  let e = skipParens(e0);
  let chained = false;
  while (ts.isPropertyAccessExpression(e)) {
    chained ||= !!e.questionDotToken;
    e = skipParens(e.expression);
  }
  return chained && ts.isIdentifier(e) && foundElementSearch(e, checker) ? e : undefined;
}

/** `seg?.slope` (or `seg?.line.slope`) of a list's element found by a search. */
export function isFoundFieldRead(e: ts.Expression, checker: ts.TypeChecker): e is ts.PropertyAccessExpression {
  return foundFieldRoot(e, checker) !== undefined;
}

/**
 * What may be undefined: an optional field (`opts.scale`), an optional parameter (`scale`), or
 * a list's element found by a search (`seg`, and `seg?.slope`).
 */
export function isOptionalRead(e: ts.Expression, checker: ts.TypeChecker): boolean {
  return isOptionalFieldRead(e, checker) || isOptionalParamRead(e, checker) || foundElementSearch(e, checker) !== undefined || isFoundFieldRead(e, checker);
}

/** Whether an optional field or parameter holds an array (`bias?: Float64Array`, `shift?: number[]`). */
export function isOptionalArray(e: ts.Expression, checker: ts.TypeChecker): boolean {
  return irTypeOf(checker.getNonNullableType(checker.getTypeAtLocation(e)), checker) === "arr";
}

function isNullish(e0: ts.Expression): "undefined" | "null" | undefined {
  const e = skipParens(e0);
  if (ts.isIdentifier(e) && e.text === "undefined") return "undefined";
  if (e.kind === ts.SyntaxKind.NullKeyword) return "null";
  if (ts.isVoidExpression(e) && ts.isNumericLiteral(skipParens(e.expression))) return "undefined";
  return undefined;
}

/**
 * `opts.scale === undefined` and its kin, for an optional field or parameter: whether the test holds when the
 * field is given (`given`: false for `=== undefined`, true for `!== undefined`, `!= null`), or a
 * constant when the answer does not depend on it (`opts.scale === null` is always false).
 */
export function undefinedTest(e: ts.BinaryExpression, checker: ts.TypeChecker): { field: ts.Expression; given: boolean; constant?: boolean } | undefined {
  const k = e.operatorToken.kind;
  const strict = k === ts.SyntaxKind.EqualsEqualsEqualsToken || k === ts.SyntaxKind.ExclamationEqualsEqualsToken;
  const negated = k === ts.SyntaxKind.ExclamationEqualsEqualsToken || k === ts.SyntaxKind.ExclamationEqualsToken;
  if (!strict && k !== ts.SyntaxKind.EqualsEqualsToken && k !== ts.SyntaxKind.ExclamationEqualsToken) return undefined;
  const [field, other] = isOptionalRead(e.left, checker) ? [e.left, e.right] : isOptionalRead(e.right, checker) ? [e.right, e.left] : [];
  const nullish = other && isNullish(other);
  if (!field || !nullish) return undefined;
  const f = skipParens(field);
  // a number field is never null: `=== null` is false whether or not it is given
  if (strict && nullish === "null") return { field: f, given: negated, constant: negated };
  return { field: f, given: negated };
}

/**
 * Whether an expression's value is only tested for truthiness (`if (x)`, `x ? a : b`, `!x`, the
 * operands of `&&` and `||` in such a test), or is the left side of `x || fallback`: where an
 * absent optional field (undefined) and NaN behave alike.
 */
export function isTruthinessUse(e0: ts.Expression): boolean {
  const e = outermostParens(e0);
  const p = e.parent;
  if ((ts.isIfStatement(p) || ts.isWhileStatement(p) || ts.isDoStatement(p)) && p.expression === e) return true;
  if (ts.isForStatement(p) && p.condition === e) return true;
  if (ts.isConditionalExpression(p) && p.condition === e) return true;
  if (ts.isPrefixUnaryExpression(p) && p.operator === ts.SyntaxKind.ExclamationToken) return true;
  if (ts.isBinaryExpression(p) && p.left === e && p.operatorToken.kind === ts.SyntaxKind.BarBarToken) return true;
  if (ts.isBinaryExpression(p) && (p.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken || p.operatorToken.kind === ts.SyntaxKind.BarBarToken)) return isTruthinessUse(p);
  return false;
}

/** Whether a binding element of an object pattern binds an optional field (`{ scale = 1 } = opts`). */
export function isOptionalBinding(el: ts.BindingElement, checker: ts.TypeChecker): boolean {
  const key = el.propertyName ?? el.name;
  const name = ts.isIdentifier(key) || ts.isStringLiteral(key) ? key.text : undefined;
  const prop = name === undefined ? undefined : checker.getTypeAtLocation(el.parent).getProperty(name);
  return !!prop && (prop.flags & ts.SymbolFlags.Optional) !== 0;
}

/** The outermost of the parentheses around `e` (`e` itself when there are none). */
export function outermostParens(e: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(e.parent)) e = e.parent;
  return e;
}
