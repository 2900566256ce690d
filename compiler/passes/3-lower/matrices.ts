/**
 * Matrices built in a function as arrays of rows, for the fence and for lowering: a literal of
 * rows of one length (`[[c, -s], [s, c]]`), or `Array.from({ length: n }, () => new Float64Array(m))`
 * (also `new Array(m).fill(v)` rows). Lowering keeps one flat array, row after row, and a row is a
 * window of it: `A[i][j]` is element `i·m + j`, `A[i]` the window at `i·m` of length `m`.
 */
import ts from "typescript";
import { stripTypes } from "./env.ts";
import { blockBody, type HelperFn, isFunctionValue, lengthObject } from "./resolve.ts";

export type MatrixInit =
  | { kind: "literal"; rows: ts.ArrayLiteralExpression[] }
  /** `Array.from({ length: rows }, () => <a row of cols elements, each fill>)`, and the callback (whose parameters the sizes may not read). */
  | { kind: "from"; rows: ts.Expression; cols: ts.Expression; fill: ts.Expression | undefined; callback: HelperFn };

/** The matrix an initialiser builds, when it is one of the forms above (the elements are not checked). */
export function matrixInit(e0: ts.Expression): MatrixInit | undefined {
  const e = stripTypes(e0);
  if (ts.isArrayLiteralExpression(e)) {
    const rows = e.elements.map((r) => stripTypes(r as ts.Expression));
    if (rows.length === 0 || !rows.every((r): r is ts.ArrayLiteralExpression => ts.isArrayLiteralExpression(r) && !r.elements.some((x) => ts.isSpreadElement(x) || ts.isOmittedExpression(x)))) return undefined;
    const cols = rows[0]!.elements.length;
    return cols > 0 && rows.every((r) => r.elements.length === cols) ? { kind: "literal", rows } : undefined;
  }
  if (!ts.isCallExpression(e) || e.arguments.length !== 2 || !ts.isPropertyAccessExpression(e.expression)) return undefined;
  const callee = e.expression;
  if (!ts.isIdentifier(callee.expression) || callee.expression.text !== "Array" || callee.name.text !== "from") return undefined;
  const rows = lengthObject(e.arguments[0]!);
  const fn = stripTypes(e.arguments[1]!);
  if (!rows || !isFunctionValue(fn)) return undefined;
  const block = blockBody(fn as HelperFn);
  const only = block?.statements.length === 1 ? block.statements[0] : undefined;
  const body = block ? (only && ts.isReturnStatement(only) ? only.expression : undefined) : (fn.body as ts.Expression);
  const row = body && rowOf(stripTypes(body));
  return row ? { kind: "from", rows, cols: row.cols, fill: row.fill, callback: fn as HelperFn } : undefined;
}

/** `new Float64Array(m)`, or `new Array(m).fill(v)` / `Array(m).fill(v)` / `new Float64Array(m).fill(v)`. */
function rowOf(e: ts.Expression): { cols: ts.Expression; fill: ts.Expression | undefined } | undefined {
  const sized = (x0: ts.Expression, typedOnly: boolean): ts.Expression | undefined => {
    const x = stripTypes(x0);
    if (!ts.isNewExpression(x) && !ts.isCallExpression(x)) return undefined;
    const args = x.arguments;
    if (!args || args.length !== 1 || !ts.isIdentifier(x.expression)) return undefined;
    const name = x.expression.text;
    if (name === "Float64Array" && ts.isNewExpression(x)) return args[0];
    return !typedOnly && name === "Array" ? args[0] : undefined;
  };
  const typed = sized(e, true);
  if (typed) return { cols: typed, fill: undefined };
  if (!ts.isCallExpression(e) || e.arguments.length !== 1 || !ts.isPropertyAccessExpression(e.expression) || e.expression.name.text !== "fill") return undefined;
  const cols = sized(e.expression.expression, false);
  return cols ? { cols, fill: e.arguments[0] } : undefined;
}
