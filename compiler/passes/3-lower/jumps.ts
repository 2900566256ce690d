/**
 * Jump elimination, the analyses: where `return`, `break` and `continue` are, and whether a
 * statement always jumps. Lowering (statements.ts) uses them to remove every jump: the rest of a
 * block moves under the branch that does not jump, and where a branch only may jump, boolean
 * flags carry the exit and guard the rest. Pure functions of the syntax tree.
 *
 * Also the operator tables of TypeScript syntax that lowering and the fence share.
 */
import ts from "typescript";
import { skipParens, literalValue } from "./resolve.ts";

export type JumpKind = "return" | "break" | "continue";

export const LOOP_KINDS = new Set([
  ts.SyntaxKind.ForStatement, ts.SyntaxKind.WhileStatement, ts.SyntaxKind.DoStatement,
]);

/**
 * Counts jumps of a kind inside `node`: returns (not crossing nested functions), or
 * breaks/continues that target `loop` (unlabelled ones inside nested loops target those).
 */
export function countJumps(node: ts.Node, kind: JumpKind, loop: ts.IterationStatement | undefined): number {
  let count = 0;
  const visit = (n: ts.Node, inNestedLoop: boolean) => {
    if (ts.isFunctionLike(n) && n !== node) return;
    if (kind === "return" && ts.isReturnStatement(n)) count++;
    if (kind === "break" && ts.isBreakStatement(n) && !inNestedLoop) count++;
    if (kind === "continue" && ts.isContinueStatement(n) && !inNestedLoop) count++;
    const nested = inNestedLoop || (LOOP_KINDS.has(n.kind) && n !== loop);
    ts.forEachChild(n, (c) => visit(c, nested));
  };
  if (kind !== "return" && loop === undefined) return 0;
  visit(node, false);
  return count;
}

/** Whether every path through `s` ends in a jump. */
export function definitelyJumps(s: ts.Statement): boolean {
  if (ts.isReturnStatement(s) || ts.isBreakStatement(s) || ts.isContinueStatement(s)) return true;
  if (ts.isBlock(s)) return s.statements.some(definitelyJumps);
  if (ts.isIfStatement(s)) return !!s.elseStatement && definitelyJumps(s.thenStatement) && definitelyJumps(s.elseStatement);
  return false;
}

/** Whether every path through `s` ends in a return. */
export function definitelyReturns(s: ts.Statement): boolean {
  if (ts.isReturnStatement(s)) return true;
  if (ts.isBlock(s)) return s.statements.some(definitelyReturns);
  if (ts.isIfStatement(s)) return !!s.elseStatement && definitelyReturns(s.thenStatement) && definitelyReturns(s.elseStatement);
  return false;
}

export function blockOf(s: ts.Statement): readonly ts.Statement[] {
  return ts.isBlock(s) ? s.statements : [s];
}

/** Names assigned (=, op=, ++, --) anywhere inside a node. */
export function writtenNames(node: ts.Node): Set<string> {
  const out = new Set<string>();
  const visit = (n: ts.Node) => {
    if (ts.isBinaryExpression(n) && isAssignmentOperator(n.operatorToken.kind) && ts.isIdentifier(skipParens(n.left))) out.add((skipParens(n.left) as ts.Identifier).text);
    if ((ts.isPostfixUnaryExpression(n) || ts.isPrefixUnaryExpression(n)) && (n.operator === ts.SyntaxKind.PlusPlusToken || n.operator === ts.SyntaxKind.MinusMinusToken) && ts.isIdentifier(n.operand)) out.add(n.operand.text);
    ts.forEachChild(n, visit);
  };
  visit(node);
  return out;
}

/** The constant step of a `for` loop's update of `name` (`i++`, `i -= 2`), if it is one. */
export function stepOf(inc: ts.Expression | undefined, name: string): number | undefined {
  if (!inc) return undefined;
  inc = skipParens(inc);
  if ((ts.isPostfixUnaryExpression(inc) || ts.isPrefixUnaryExpression(inc)) && ts.isIdentifier(inc.operand) && inc.operand.text === name) {
    if (inc.operator === ts.SyntaxKind.PlusPlusToken) return 1;
    if (inc.operator === ts.SyntaxKind.MinusMinusToken) return -1;
  }
  if (ts.isBinaryExpression(inc) && ts.isIdentifier(inc.left) && inc.left.text === name) {
    const v = literalValue(inc.right);
    if (v === undefined || !Number.isInteger(v)) return undefined;
    if (inc.operatorToken.kind === ts.SyntaxKind.PlusEqualsToken) return v;
    if (inc.operatorToken.kind === ts.SyntaxKind.MinusEqualsToken) return -v;
  }
  return undefined;
}

// ---------------------------------------------------------------- operator tables

export const BINARY_OPS: Partial<Record<ts.SyntaxKind, string>> = {
  [ts.SyntaxKind.PlusToken]: "+",
  [ts.SyntaxKind.MinusToken]: "-",
  [ts.SyntaxKind.AsteriskToken]: "*",
  [ts.SyntaxKind.SlashToken]: "/",
  [ts.SyntaxKind.PercentToken]: "%",
  [ts.SyntaxKind.AsteriskAsteriskToken]: "**",
  [ts.SyntaxKind.LessThanToken]: "<",
  [ts.SyntaxKind.LessThanEqualsToken]: "<=",
  [ts.SyntaxKind.GreaterThanToken]: ">",
  [ts.SyntaxKind.GreaterThanEqualsToken]: ">=",
  [ts.SyntaxKind.EqualsEqualsEqualsToken]: "===",
  [ts.SyntaxKind.ExclamationEqualsEqualsToken]: "!==",
  [ts.SyntaxKind.EqualsEqualsToken]: "==",
  [ts.SyntaxKind.ExclamationEqualsToken]: "!=",
  [ts.SyntaxKind.AmpersandAmpersandToken]: "&&",
  [ts.SyntaxKind.BarBarToken]: "||",
};

/** The arithmetic of a compound assignment (`+=` -> `+`), undefined for `=`. */
export function compoundOperator(k: ts.SyntaxKind): string | undefined {
  switch (k) {
    case ts.SyntaxKind.EqualsToken: return undefined;
    case ts.SyntaxKind.PlusEqualsToken: return "+";
    case ts.SyntaxKind.MinusEqualsToken: return "-";
    case ts.SyntaxKind.AsteriskEqualsToken: return "*";
    case ts.SyntaxKind.SlashEqualsToken: return "/";
    case ts.SyntaxKind.AsteriskAsteriskEqualsToken: return "**";
    case ts.SyntaxKind.PercentEqualsToken: return "%";
    default: return "unsupported";
  }
}

export function isAssignmentOperator(k: ts.SyntaxKind): boolean {
  return k >= ts.SyntaxKind.FirstAssignment && k <= ts.SyntaxKind.LastAssignment;
}
