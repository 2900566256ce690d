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
  ts.SyntaxKind.ForStatement, ts.SyntaxKind.WhileStatement, ts.SyntaxKind.DoStatement, ts.SyntaxKind.ForOfStatement,
]);

/** A statement `break` can leave: a loop or a switch. */
export type Breakable = ts.IterationStatement | ts.SwitchStatement;

export function isBreakable(n: ts.Node): n is Breakable {
  return LOOP_KINDS.has(n.kind) || ts.isSwitchStatement(n);
}

/** The statement a `break` or `continue` leaves (the labelled one, or the innermost loop or switch). */
export function jumpTarget(j: ts.BreakStatement | ts.ContinueStatement): Breakable | undefined {
  for (let n: ts.Node = j.parent; n && !ts.isFunctionLike(n); n = n.parent) {
    if (j.label) {
      if (ts.isLabeledStatement(n) && n.label.text === j.label.text) return isBreakable(n.statement) ? n.statement : undefined;
    } else if (ts.isBreakStatement(j) ? isBreakable(n) : LOOP_KINDS.has(n.kind)) {
      return n as Breakable;
    }
  }
  return undefined;
}

/** Every return, break and continue inside `node` (not crossing nested functions). */
export function jumpsIn(node: ts.Node): (ts.ReturnStatement | ts.BreakStatement | ts.ContinueStatement)[] {
  const out: (ts.ReturnStatement | ts.BreakStatement | ts.ContinueStatement)[] = [];
  const visit = (n: ts.Node) => {
    if (ts.isFunctionLike(n) && n !== node) return;
    if (ts.isReturnStatement(n) || ts.isBreakStatement(n) || ts.isContinueStatement(n)) out.push(n);
    ts.forEachChild(n, visit);
  };
  visit(node);
  return out;
}

/** Whether `inner` is `outer` or inside it. */
export function within(inner: ts.Node, outer: ts.Node): boolean {
  for (let n: ts.Node | undefined = inner; n; n = n.parent) if (n === outer) return true;
  return false;
}

/**
 * Counts jumps of a kind inside `node`: returns (not crossing nested functions), or the breaks /
 * continues that leave `target`. A break or continue to a statement enclosing `target` leaves
 * `target` too, and counts as one of its breaks.
 */
export function countJumps(node: ts.Node, kind: JumpKind, target: Breakable | undefined): number {
  if (kind !== "return" && target === undefined) return 0;
  let count = 0;
  for (const j of jumpsIn(node)) {
    if (ts.isReturnStatement(j)) {
      if (kind === "return") count++;
      continue;
    }
    if (kind === "return") continue;
    const t = jumpTarget(j);
    if (!t) continue;
    if (t === target) {
      if ((kind === "break") === ts.isBreakStatement(j)) count++;
    } else if (kind === "break" && within(target!, t)) {
      count++; // leaves target on its way to an enclosing statement
    }
  }
  return count;
}

/** Continues inside `node` that reach `loop` from a nested loop or switch (labelled, or out of a switch). */
export function nestedContinues(node: ts.Node, loop: Breakable): number {
  let count = 0;
  for (const j of jumpsIn(node)) {
    if (!ts.isContinueStatement(j) || jumpTarget(j) !== loop) continue;
    for (let n: ts.Node = j.parent; n && n !== loop; n = n.parent) {
      if (isBreakable(n)) {
        count++;
        break;
      }
    }
  }
  return count;
}

/** An infinite loop (`for (;;)`, `while (true)`) that nothing breaks out of: it ends only by returning. */
export function neverEnds(s: ts.Statement): boolean {
  const always = (c: ts.Expression | undefined) => !c || skipParens(c).kind === ts.SyntaxKind.TrueKeyword;
  const loop = ts.isForStatement(s) ? always(s.condition) : ts.isWhileStatement(s) || ts.isDoStatement(s) ? always(s.expression) : false;
  return loop && countJumps((s as ts.IterationStatement).statement, "break", s as ts.IterationStatement) === 0;
}

/** Whether every path through `s` ends in a jump (a throw ends every path it is on). */
export function definitelyJumps(s: ts.Statement): boolean {
  if (ts.isReturnStatement(s) || ts.isBreakStatement(s) || ts.isContinueStatement(s) || ts.isThrowStatement(s)) return true;
  if (ts.isBlock(s)) return s.statements.some(definitelyJumps);
  if (ts.isIfStatement(s)) return !!s.elseStatement && definitelyJumps(s.thenStatement) && definitelyJumps(s.elseStatement);
  return false;
}

/** Whether every path through `s` ends in a return (or a throw, or an endless loop that returns). */
export function definitelyReturns(s: ts.Statement): boolean {
  if (ts.isReturnStatement(s) || ts.isThrowStatement(s) || neverEnds(s)) return true;
  if (ts.isBlock(s)) return s.statements.some(definitelyReturns);
  if (ts.isIfStatement(s)) return !!s.elseStatement && definitelyReturns(s.thenStatement) && definitelyReturns(s.elseStatement);
  if (ts.isSwitchStatement(s)) return switchReturns(s);
  if (ts.isLabeledStatement(s)) return definitelyReturns(s.statement);
  return false;
}

/** A switch with a default clause, no break out of it, and a return at the end of its last clause. */
function switchReturns(s: ts.SwitchStatement): boolean {
  const clauses = s.caseBlock.clauses;
  if (!clauses.some(ts.isDefaultClause) || countJumps(s, "break", s) > 0) return false;
  const last = clauses[clauses.length - 1];
  return last.statements.some(definitelyReturns);
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
  [ts.SyntaxKind.AmpersandToken]: "&",
  [ts.SyntaxKind.BarToken]: "|",
  [ts.SyntaxKind.CaretToken]: "^",
  [ts.SyntaxKind.LessThanLessThanToken]: "<<",
  [ts.SyntaxKind.GreaterThanGreaterThanToken]: ">>",
  [ts.SyntaxKind.GreaterThanGreaterThanGreaterThanToken]: ">>>",
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
    case ts.SyntaxKind.AmpersandEqualsToken: return "&";
    case ts.SyntaxKind.BarEqualsToken: return "|";
    case ts.SyntaxKind.CaretEqualsToken: return "^";
    case ts.SyntaxKind.LessThanLessThanEqualsToken: return "<<";
    case ts.SyntaxKind.GreaterThanGreaterThanEqualsToken: return ">>";
    case ts.SyntaxKind.GreaterThanGreaterThanGreaterThanEqualsToken: return ">>>";
    // `x ||= e` is `x = x || e`, `e` evaluated only when x is falsy (3-lower/statements.ts)
    case ts.SyntaxKind.BarBarEqualsToken: return "||";
    case ts.SyntaxKind.AmpersandAmpersandEqualsToken: return "&&";
    default: return "unsupported";
  }
}

export function isAssignmentOperator(k: ts.SyntaxKind): boolean {
  return k >= ts.SyntaxKind.FirstAssignment && k <= ts.SyntaxKind.LastAssignment;
}

/** Recognises `for (let i = a; i < b; i += k)` with i and b untouched by the body. */
/** The comparisons a counted loop tests its counter with, by operator token. */
export const COMPARISONS: Partial<Record<ts.SyntaxKind, "<" | "<=" | ">" | ">=">> = {
  [ts.SyntaxKind.LessThanToken]: "<", [ts.SyntaxKind.LessThanEqualsToken]: "<=",
  [ts.SyntaxKind.GreaterThanToken]: ">", [ts.SyntaxKind.GreaterThanEqualsToken]: ">=",
};

export function countedFor(s: ts.ForStatement): { decl: ts.VariableDeclaration & { name: ts.Identifier }; cmp: "<" | "<=" | ">" | ">="; step: number; end: ts.Expression } | undefined {
  const init = s.initializer;
  if (!init || !ts.isVariableDeclarationList(init) || init.declarations.length !== 1) return undefined;
  if (!(init.flags & ts.NodeFlags.Let)) return undefined;
  const decl = init.declarations[0];
  if (!ts.isIdentifier(decl.name) || !decl.initializer) return undefined;
  const name = decl.name.text;
  const c = s.condition && skipParens(s.condition);
  if (!c || !ts.isBinaryExpression(c) || !ts.isIdentifier(skipParens(c.left)) || (skipParens(c.left) as ts.Identifier).text !== name) return undefined;
  const cmp = COMPARISONS[c.operatorToken.kind];
  if (!cmp) return undefined;
  const step = stepOf(s.incrementor, name);
  if (step === undefined || step === 0) return undefined;
  if ((cmp === "<" || cmp === "<=") !== step > 0) return undefined;
  // the counter and everything the bound reads must not be written in the body
  const written = writtenNames(s.statement);
  if (written.has(name)) return undefined;
  let boundOk = true;
  const visit = (n: ts.Node) => {
    if (ts.isIdentifier(n) && written.has(n.text)) boundOk = false;
    if (ts.isCallExpression(n) || ts.isElementAccessExpression(n)) boundOk = false;
    ts.forEachChild(n, visit);
  };
  visit(c.right);
  if (!boundOk) return undefined;
  return { decl: decl as ts.VariableDeclaration & { name: ts.Identifier }, cmp, step, end: c.right };
}
