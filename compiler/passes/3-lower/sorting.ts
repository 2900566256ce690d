/**
 * The methods that reorder an array, `sort`/`toSorted` and `reverse`/`toReversed`, and what a
 * sort's comparator says, for the fence and for lowering: `(a, b) => k(a) - k(b)` sorts
 * by the key `k` ascending, `(a, b) => k(b) - k(a)` descending. The key is an expression of one
 * element (the element itself in `a - b`); the runtime's `sortOrder` orders the keys exactly as
 * JavaScript's sort would with that comparator, and the sorted array gathers the elements.
 */
import ts from "typescript";
import { blockBody, type HelperFn, helperDeclaration, isFunctionValue, skipParens } from "./resolve.ts";

export const SORT_METHODS = ["sort", "toSorted"] as const;
export type SortMethod = (typeof SORT_METHODS)[number];

export function isSortMethod(name: string): name is SortMethod {
  return (SORT_METHODS as readonly string[]).includes(name);
}

export const REVERSE_METHODS = ["reverse", "toReversed"] as const;
export type ReverseMethod = (typeof REVERSE_METHODS)[number];

export function isReverseMethod(name: string): name is ReverseMethod {
  return (REVERSE_METHODS as readonly string[]).includes(name);
}

export interface Comparator {
  fn: HelperFn;
  /** The parameter the key reads (the first for ascending, the second for descending). */
  param: ts.ParameterDeclaration & { name: ts.Identifier };
  /** The key of one element: an expression of `param` (the identifier itself when the key is the element). */
  key: ts.Expression;
  descending: boolean;
}

/** The function a comparator argument is: an inline function or a helper's name. */
export function comparatorFunction(arg: ts.Expression, checker: ts.TypeChecker): HelperFn | undefined {
  const e = skipParens(arg);
  if (isFunctionValue(e)) return e as HelperFn;
  return ts.isIdentifier(e) ? helperDeclaration(e, checker) : undefined;
}

/** The comparator `fn` as a key and a direction, when it is `k(a) - k(b)` or `k(b) - k(a)`. */
export function comparatorOf(fn: HelperFn): Comparator | undefined {
  const [p, q] = fn.parameters;
  if (fn.parameters.length !== 2 || !p || !q || !ts.isIdentifier(p.name) || !ts.isIdentifier(q.name)) return undefined;
  const block = blockBody(fn);
  const only = block?.statements.length === 1 ? block.statements[0] : undefined;
  const body = block ? (only && ts.isReturnStatement(only) ? only.expression : undefined) : (fn.body as ts.Expression);
  const diff = body && skipParens(body);
  if (!diff || !ts.isBinaryExpression(diff) || diff.operatorToken.kind !== ts.SyntaxKind.MinusToken) return undefined;
  const a = p.name.text, b = q.name.text;
  const left = skipParens(diff.left), right = skipParens(diff.right);
  if (mirrors(left, right, a, b)) return { fn, param: p as Comparator["param"], key: left, descending: false };
  if (mirrors(left, right, b, a)) return { fn, param: q as Comparator["param"], key: left, descending: true };
  return undefined;
}

/** Whether `r` is `l` with the identifier `x` written `y` (and neither mentions the other's). */
function mirrors(l: ts.Node, r: ts.Node, x: string, y: string): boolean {
  if (l.kind !== r.kind) return false;
  if (ts.isIdentifier(l)) {
    const t = (r as ts.Identifier).text;
    return l.text === x ? t === y : l.text !== y && t !== x && t === l.text;
  }
  const lc = l.getChildren(), rc = r.getChildren();
  if (lc.length === 0) return rc.length === 0 && l.getText() === r.getText();
  return lc.length === rc.length && lc.every((c, i) => mirrors(c, rc[i]!, x, y));
}
