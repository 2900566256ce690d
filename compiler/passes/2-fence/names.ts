/**
 * How the fence names constructs and what it suggests instead: readable names for every syntax
 * kind (never TypeScript's internal ones) and the fix for each unsupported operator or value.
 */
import ts from "typescript";
import type { Type } from "../../ir/types.ts";
import { leavesOutMethods, isShape, nonDataMember, shapeOf } from "../../ir/shape.ts";
import { stripTypes } from "./state.ts";

export function describeType(t: Type | "obj"): string {
  return t === "arr" ? "a Float64Array" : t === "bool" ? "a boolean" : t === "obj" ? "an object" : t === "list" ? "a list" : "a number";
}

export function operatorFix(k: ts.SyntaxKind): string {
  switch (k) {
    case ts.SyntaxKind.QuestionQuestionToken:
      return "values here are never null or undefined; write the value itself, or choose with a comparison and the ternary operator (an element that may be missing takes a fallback where it is read, xs[i] ?? 0, or a default where it is destructured, const [a = 0] = xs).";
    case ts.SyntaxKind.InstanceOfKeyword: case ts.SyntaxKind.InKeyword:
      return "values here are numbers, booleans and Float64Arrays; remove the test.";
    default:
      return "use arithmetic, comparisons, && and ||.";
  }
}

/** What to write instead of an unsupported statement. */
export function statementFix(s: ts.Statement): string {
  switch (s.kind) {
    case ts.SyntaxKind.TryStatement:
      return "a derivative cannot be caught halfway; put the try/catch around the call to the function, or test for the failing case with if/else and throw.";
    case ts.SyntaxKind.ForInStatement:
      return "for-in walks an object's keys; loop over indices with for (let i = 0; i < xs.length; i++) or over values with for-of.";
    case ts.SyntaxKind.ClassDeclaration: case ts.SyntaxKind.InterfaceDeclaration: case ts.SyntaxKind.TypeAliasDeclaration:
    case ts.SyntaxKind.EnumDeclaration: case ts.SyntaxKind.ModuleDeclaration:
      return "declare it at module level, outside the differentiable function.";
    case ts.SyntaxKind.ImportDeclaration: case ts.SyntaxKind.ExportDeclaration:
      return "imports and exports belong at module level.";
    case ts.SyntaxKind.DebuggerStatement: case ts.SyntaxKind.WithStatement:
      return "remove it.";
    default:
      return "use if/else, switch, loops, and arithmetic on numbers, number[] and Float64Arrays.";
  }
}

const SYNTAX_NAMES: Partial<Record<ts.SyntaxKind, string>> = {
  [ts.SyntaxKind.SwitchStatement]: "A switch statement",
  [ts.SyntaxKind.TryStatement]: "A try/catch statement",
  [ts.SyntaxKind.ThrowStatement]: "A throw statement",
  [ts.SyntaxKind.ForOfStatement]: "A for-of loop",
  [ts.SyntaxKind.ForInStatement]: "A for-in loop",
  [ts.SyntaxKind.LabeledStatement]: "A labelled statement",
  [ts.SyntaxKind.ClassDeclaration]: "A class declaration",
  [ts.SyntaxKind.WithStatement]: "A with statement",
  [ts.SyntaxKind.DebuggerStatement]: "A debugger statement",
  [ts.SyntaxKind.InterfaceDeclaration]: "An interface declaration",
  [ts.SyntaxKind.TypeAliasDeclaration]: "A type alias declaration",
  [ts.SyntaxKind.EnumDeclaration]: "An enum declaration",
  [ts.SyntaxKind.ModuleDeclaration]: "A namespace declaration",
  [ts.SyntaxKind.ImportDeclaration]: "An import declaration",
  [ts.SyntaxKind.ExportDeclaration]: "An export declaration",
  [ts.SyntaxKind.StringLiteral]: "A string",
  [ts.SyntaxKind.TemplateExpression]: "A template string",
  [ts.SyntaxKind.NoSubstitutionTemplateLiteral]: "A template string",
  [ts.SyntaxKind.TaggedTemplateExpression]: "A tagged template",
  [ts.SyntaxKind.RegularExpressionLiteral]: "A regular expression",
  [ts.SyntaxKind.ArrayLiteralExpression]: "An array literal",
  [ts.SyntaxKind.ObjectLiteralExpression]: "An object literal",
  [ts.SyntaxKind.AwaitExpression]: "await",
  [ts.SyntaxKind.YieldExpression]: "yield",
  [ts.SyntaxKind.BigIntLiteral]: "A bigint literal",
  [ts.SyntaxKind.TypeOfExpression]: "typeof",
  [ts.SyntaxKind.DeleteExpression]: "delete",
  [ts.SyntaxKind.VoidExpression]: "void",
  [ts.SyntaxKind.ThisKeyword]: "'this'",
  [ts.SyntaxKind.SuperKeyword]: "'super'",
  [ts.SyntaxKind.NullKeyword]: "null",
  [ts.SyntaxKind.ClassExpression]: "A class expression",
  [ts.SyntaxKind.JsxElement]: "JSX",
  [ts.SyntaxKind.JsxSelfClosingElement]: "JSX",
  [ts.SyntaxKind.MetaProperty]: "A meta property",
  [ts.SyntaxKind.SpreadElement]: "A spread",
  [ts.SyntaxKind.OmittedExpression]: "An omitted expression",
};

/** A readable name for any construct (never TypeScript's internal kind names). */
export function describeSyntax(n: ts.Node): string {
  const known = SYNTAX_NAMES[n.kind];
  if (known) return known;
  if (ts.isStatement(n)) return "This statement";
  return `The expression '${n.getText().split("\n")[0].slice(0, 40)}'`;
}

/** What to write instead of an unsupported expression. */
export function fixFor(n: ts.Node): string {
  switch (n.kind) {
    case ts.SyntaxKind.StringLiteral:
    case ts.SyntaxKind.TemplateExpression:
    case ts.SyntaxKind.NoSubstitutionTemplateLiteral:
    case ts.SyntaxKind.TaggedTemplateExpression:
      return "only numbers, booleans and Float64Arrays are values here; move string handling out of the function.";
    case ts.SyntaxKind.ThisKeyword:
      return "pass the value as a parameter instead.";
    case ts.SyntaxKind.ArrayLiteralExpression:
      return "allocate a 'new Float64Array(n)' and assign its elements.";
    case ts.SyntaxKind.ObjectLiteralExpression:
      return "use separate number variables, or a Float64Array.";
    case ts.SyntaxKind.NullKeyword:
      return "use a number (for example NaN) instead.";
    default:
      return "rewrite it with numbers, Float64Arrays, arithmetic, Math functions and helper calls.";
  }
}

/**
 * The fix for a list of objects or arrays built in the function (`const ps: Point[] = []`): for
 * objects, an array per field; for rows, a matrix built here or one flat array; else pass it in.
 */
export function builtListFix(name: string, type: ts.Type, init: ts.Expression | undefined, checker: ts.TypeChecker): string {
  const e = init && stripTypes(init);
  const elem = checker.isArrayType(type) ? checker.getTypeArguments(type as ts.TypeReference)[0] : undefined;
  const shape = elem && shapeOf(elem, checker);
  if (shape && isShape(shape) && shape.k === "rec") {
    return ` Keep each field in an array of its own, one element per object (const xs: number[] = [], ys: number[] = []; then xs.push(a); ys.push(b), and read xs[i]), or pass the list in as a parameter (${name}: ${checker.typeToString(type)}).`;
  }
  const matrix = checker.isArrayType(type) && e !== undefined && (ts.isArrayLiteralExpression(e) || ts.isCallExpression(e));
  if (matrix) return ` A matrix built here is a literal of rows of one length ([[a, b], [c, d]]) or Array.from({ length: n }, () => new Float64Array(m)); or keep its rows in one array, row after row (element (i, j) at ${name}[i * cols + j]), or pass it in as a parameter (${name}: Float64Array[]).`;
  return " Build the values as numbers and Float64Arrays, or pass the list in.";
}

/**
 * The message for a read of a member of an object that is none of its data fields (ir/shape.ts,
 * `nonDataMember`): a class's method (called or read), an accessor, a private field. Undefined for
 * a data field.
 */
export function memberUse(e: ts.PropertyAccessExpression | ts.BindingElement, checker: ts.TypeChecker): string | undefined {
  const key = ts.isBindingElement(e) ? e.propertyName ?? e.name : e.name;
  const name = ts.isIdentifier(key) || ts.isStringLiteral(key) ? key.text : undefined;
  // `(p as Other).c` reads p's field
  const objectNode = ts.isBindingElement(e) ? e.parent : stripTypes(e.expression);
  const type = checker.getNonNullableType(checker.getTypeAtLocation(objectNode));
  const sym = name === undefined || !leavesOutMethods(type) ? undefined : type.getProperty(name);
  const what = sym && nonDataMember(sym, checker);
  if (!what || name === undefined) return undefined;
  const owner = checker.typeToString(checker.getTypeAtLocation(objectNode));
  const obj = ts.isBindingElement(e) ? (ts.isVariableDeclaration(e.parent.parent) && e.parent.parent.initializer?.getText()) || "it" : e.expression.getText();
  const text = ts.isBindingElement(e) ? `${obj}.${name}` : e.getText();
  switch (what) {
    case "a method":
      return `'${text}' is a method of '${owner}': differentiable code calls functions, not methods. Write it as a function that takes the object (function ${name}(${obj}: ${owner}, …)) and call ${name}(${obj}, …).`;
    case "an accessor":
      return `'${text}' is an accessor of '${owner}', which differentiable code does not run: compute it here, or in a function that takes the object (function ${name}(${obj}: ${owner})).`;
    case "a private field":
      return `'${text}' is a private field of '${owner}': differentiable code reads an object's public data fields, which its gradient has. Make the field public, or pass the value as a parameter.`;
  }
}
