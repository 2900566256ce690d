/**
 * The printer's last step: JavaScript AST -> TypeScript nodes (ts.factory) -> text (ts.Printer)
 * -> prettier. Deterministic: the same module always prints to the same bytes.
 */
import ts from "typescript";
import * as prettier from "prettier";
import type { TypeSpec } from "../../ir/types.ts";
import type { Expr, Stmt, BinOp } from "./js.ts";

/** A function ready to print. */
export interface FunctionSpec {
  name: string;
  params: { name: string; type: TypeSpec; optional?: boolean }[];
  returnType: TypeSpec;
  body: Stmt[];
  doc?: string;
}

/** A module ready to print: runtime imports, module-level statements, functions. */
export interface ModuleSpec {
  header: string;
  runtimeImports: string[];
  runtimeSpecifier: string;
  moduleStmts: Stmt[];
  functions: FunctionSpec[];
}

const f = ts.factory;

const BIN: Record<BinOp, ts.BinaryOperator> = {
  "+": ts.SyntaxKind.PlusToken, "-": ts.SyntaxKind.MinusToken, "*": ts.SyntaxKind.AsteriskToken,
  "/": ts.SyntaxKind.SlashToken, "%": ts.SyntaxKind.PercentToken, "**": ts.SyntaxKind.AsteriskAsteriskToken,
  "<": ts.SyntaxKind.LessThanToken, "<=": ts.SyntaxKind.LessThanEqualsToken,
  ">": ts.SyntaxKind.GreaterThanToken, ">=": ts.SyntaxKind.GreaterThanEqualsToken,
  "===": ts.SyntaxKind.EqualsEqualsEqualsToken, "!==": ts.SyntaxKind.ExclamationEqualsEqualsToken,
  "&&": ts.SyntaxKind.AmpersandAmpersandToken, "||": ts.SyntaxKind.BarBarToken, "??": ts.SyntaxKind.QuestionQuestionToken,
};

function numberNode(v: number, text?: string): ts.Expression {
  if (text !== undefined) {
    if (text.startsWith("Math.")) return f.createPropertyAccessExpression(f.createIdentifier("Math"), text.slice(5));
    return f.createIdentifier(text);
  }
  if (Number.isNaN(v)) return f.createIdentifier("NaN");
  if (!Number.isFinite(v)) return v > 0 ? f.createIdentifier("Infinity") : f.createPrefixUnaryExpression(ts.SyntaxKind.MinusToken, f.createIdentifier("Infinity"));
  if (v < 0 || Object.is(v, -0)) return f.createPrefixUnaryExpression(ts.SyntaxKind.MinusToken, f.createNumericLiteral(String(-v)));
  return f.createNumericLiteral(String(v));
}

function dotted(name: string): ts.Expression {
  const parts = name.split(".");
  let e: ts.Expression = f.createIdentifier(parts[0]);
  for (const p of parts.slice(1)) e = f.createPropertyAccessExpression(e, p);
  return e;
}

/** Parenthesises operands the way precedence requires (the factory does not always). */
function paren(e: ts.Expression, prec: number, right = false): ts.Expression {
  const p = precedence(e);
  return p < prec || (right && p === prec) ? f.createParenthesizedExpression(e) : e;
}

function precedence(e: ts.Expression): number {
  if (ts.isBinaryExpression(e)) return binPrec(e.operatorToken.kind);
  if (ts.isConditionalExpression(e)) return 1;
  if (ts.isPrefixUnaryExpression(e)) return 15;
  return 20;
}

function binPrec(k: ts.SyntaxKind): number {
  switch (k) {
    case ts.SyntaxKind.QuestionQuestionToken: return 3;
    case ts.SyntaxKind.BarBarToken: return 3;
    case ts.SyntaxKind.AmpersandAmpersandToken: return 4;
    case ts.SyntaxKind.EqualsEqualsEqualsToken: case ts.SyntaxKind.ExclamationEqualsEqualsToken: return 8;
    case ts.SyntaxKind.LessThanToken: case ts.SyntaxKind.LessThanEqualsToken:
    case ts.SyntaxKind.GreaterThanToken: case ts.SyntaxKind.GreaterThanEqualsToken: return 9;
    case ts.SyntaxKind.PlusToken: case ts.SyntaxKind.MinusToken: return 11;
    case ts.SyntaxKind.AsteriskToken: case ts.SyntaxKind.SlashToken: case ts.SyntaxKind.PercentToken: return 12;
    case ts.SyntaxKind.AsteriskAsteriskToken: return 13;
    default: return 0;
  }
}

export function exprNode(e: Expr): ts.Expression {
  switch (e.k) {
    case "num": return numberNode(e.v, e.text);
    case "bool": return e.v ? f.createTrue() : f.createFalse();
    case "ref": return f.createIdentifier(e.name);
    case "undef": return f.createIdentifier("undefined");
    case "bin": {
      const op = BIN[e.op];
      const prec = binPrec(op);
      const a = exprNode(e.a);
      const b = exprNode(e.b);
      // ** is right-associative, and a unary operand on its left is a syntax error
      const left = e.op === "**" ? (ts.isPrefixUnaryExpression(a) || precedence(a) <= prec ? f.createParenthesizedExpression(a) : a) : paren(a, prec);
      const right = e.op === "**" ? paren(b, prec) : paren(b, prec, true);
      return f.createBinaryExpression(left, op, right);
    }
    case "un": {
      const a = exprNode(e.a);
      const kind = e.op === "-" ? ts.SyntaxKind.MinusToken : e.op === "+" ? ts.SyntaxKind.PlusToken : ts.SyntaxKind.ExclamationToken;
      const needs = precedence(a) < 15 || (ts.isPrefixUnaryExpression(a));
      return f.createPrefixUnaryExpression(kind, needs ? f.createParenthesizedExpression(a) : a);
    }
    case "call": return f.createCallExpression(dotted(e.fn), undefined, e.args.map(exprNode));
    case "new": return f.createNewExpression(f.createIdentifier(e.ctor), undefined, e.args.map(exprNode));
    case "index": return f.createElementAccessExpression(paren(exprNode(e.arr), 20), exprNode(e.index));
    case "member": return e.optional
      ? f.createPropertyAccessChain(paren(exprNode(e.obj), 20), f.createToken(ts.SyntaxKind.QuestionDotToken), e.prop)
      : f.createPropertyAccessExpression(paren(exprNode(e.obj), 20), e.prop);
    case "cond": return f.createConditionalExpression(paren(exprNode(e.c), 2), undefined, exprNode(e.a), undefined, exprNode(e.b));
    case "object": return f.createObjectLiteralExpression(
      e.props.map(([k, v]) => (v.k === "ref" && v.name === k ? f.createShorthandPropertyAssignment(k) : f.createPropertyAssignment(k, exprNode(v)))),
      false,
    );
    case "arrow": return f.createArrowFunction(undefined, undefined,
      e.params.map((p) => f.createParameterDeclaration(undefined, undefined, p)), undefined, f.createToken(ts.SyntaxKind.EqualsGreaterThanToken), exprNode(e.body));
    case "inc": return f.createPostfixUnaryExpression(f.createIdentifier(e.name), e.op === "++" ? ts.SyntaxKind.PlusPlusToken : ts.SyntaxKind.MinusMinusToken);
  }
}

function withComment<T extends ts.Node>(node: T, comment: string | undefined): T {
  if (comment) ts.addSyntheticLeadingComment(node, ts.SyntaxKind.SingleLineCommentTrivia, ` ${comment}`, true);
  return node;
}

function typeNode(t: TypeSpec): ts.TypeNode {
  switch (t.k) {
    case "number": return f.createKeywordTypeNode(ts.SyntaxKind.NumberKeyword);
    case "boolean": return f.createKeywordTypeNode(ts.SyntaxKind.BooleanKeyword);
    case "Float64Array": return f.createTypeReferenceNode("Float64Array");
    case "object": return f.createTypeLiteralNode(t.props.map((p) =>
      f.createPropertySignature(undefined, p.name, p.optional ? f.createToken(ts.SyntaxKind.QuestionToken) : undefined, typeNode(p.type))));
  }
}

function block(stmts: Stmt[]): ts.Block {
  return f.createBlock(stmts.map(stmtNode), true);
}

export function stmtNode(s: Stmt): ts.Statement {
  switch (s.k) {
    case "decl": {
      const decl = f.createVariableDeclaration(s.name, undefined, s.type ? f.createTypeReferenceNode(s.type) : undefined, s.init ? exprNode(s.init) : undefined);
      return withComment(f.createVariableStatement(undefined, f.createVariableDeclarationList([decl], s.kw === "const" ? ts.NodeFlags.Const : ts.NodeFlags.Let)), s.comment);
    }
    case "assign": {
      if (s.op === "+=" && s.value.k === "un" && s.value.op === "-") return stmtNode({ ...s, op: "-=", value: s.value.a });
      const op = s.op === "=" ? ts.SyntaxKind.EqualsToken : s.op === "+=" ? ts.SyntaxKind.PlusEqualsToken : s.op === "-=" ? ts.SyntaxKind.MinusEqualsToken : ts.SyntaxKind.AsteriskEqualsToken;
      return withComment(f.createExpressionStatement(f.createBinaryExpression(exprNode(s.target), op, exprNode(s.value))), s.comment);
    }
    case "expr": return withComment(f.createExpressionStatement(exprNode(s.e)), s.comment);
    case "if": {
      const elseBlock = s.else.length ? (s.else.length === 1 && s.else[0].k === "if" ? stmtNode(s.else[0]) : block(s.else)) : undefined;
      return withComment(f.createIfStatement(exprNode(s.c), block(s.then), elseBlock), s.comment);
    }
    case "for": {
      let init: ts.ForInitializer | undefined;
      if (s.init && s.init.k === "decl") {
        init = f.createVariableDeclarationList([f.createVariableDeclaration(s.init.name, undefined, undefined, s.init.init ? exprNode(s.init.init) : undefined)], s.init.kw === "const" ? ts.NodeFlags.Const : ts.NodeFlags.Let);
      }
      let update: ts.Expression | undefined;
      if (s.update) {
        const u = s.update as Stmt;
        if (u.k === "expr") update = exprNode(u.e);
        else if (u.k === "assign") update = (stmtNode(u) as ts.ExpressionStatement).expression;
      }
      return withComment(f.createForStatement(init, s.test ? exprNode(s.test) : undefined, update, block(s.body)), s.comment);
    }
    case "while":
      return withComment(s.doWhile ? f.createDoStatement(block(s.body), exprNode(s.test)) : f.createWhileStatement(exprNode(s.test), block(s.body)), s.comment);
    case "break": return f.createBreakStatement();
    case "return": return f.createReturnStatement(s.e ? exprNode(s.e) : undefined);
    case "block": return withComment(block(s.body), s.comment);
  }
}

function functionNode(fn: FunctionSpec): ts.FunctionDeclaration {
  const node = f.createFunctionDeclaration(
    [f.createModifier(ts.SyntaxKind.ExportKeyword)],
    undefined,
    fn.name,
    undefined,
    fn.params.map((p) => f.createParameterDeclaration(undefined, undefined, p.name, p.optional ? f.createToken(ts.SyntaxKind.QuestionToken) : undefined, typeNode(p.type))),
    typeNode(fn.returnType),
    block(fn.body),
  );
  if (fn.doc) ts.addSyntheticLeadingComment(node, ts.SyntaxKind.MultiLineCommentTrivia, `*\n${fn.doc.split("\n").map((l) => ` * ${l}`).join("\n")}\n `, true);
  return node;
}

export async function printModule(m: ModuleSpec): Promise<string> {
  const nodes: ts.Statement[] = [];
  if (m.runtimeImports.length > 0) {
    nodes.push(f.createImportDeclaration(
      undefined,
      f.createImportClause(false, undefined, f.createNamedImports([...m.runtimeImports].sort().map((n) => f.createImportSpecifier(false, undefined, f.createIdentifier(n))))),
      f.createStringLiteral(m.runtimeSpecifier),
    ));
  }
  nodes.push(...m.moduleStmts.map(stmtNode));
  nodes.push(...m.functions.map(functionNode));
  const sf = ts.createSourceFile("out.ts", "", ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
  const printer = ts.createPrinter({ newLine: ts.NewLineKind.LineFeed, removeComments: false });
  const body = nodes.map((n) => printer.printNode(ts.EmitHint.Unspecified, n, sf)).join("\n\n");
  const text = `${m.header}\n${body}\n`;
  return prettier.format(text, { parser: "typescript", printWidth: 100 });
}
