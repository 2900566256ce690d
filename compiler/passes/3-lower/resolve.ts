/**
 * Callee and name resolution: what a call or an identifier in a differentiable function refers
 * to, from the TypeScript program alone (the checker's symbols and the source text; no disk).
 *
 * In:  a call expression or identifier, the type checker, and the specifiers the runtime is
 *      imported from.
 * Out: a Math primitive (or a scalar runtime function of the rule table, such as clampIndex,
 *      imported from the runtime), a runtime routine (a BLAS entry of the rule table), a function
 *      with user-supplied derivatives (`@pullback` / `@pushforward` in its JSDoc: called, never
 *      inlined), a helper (a function declaration with a body, or a `const` initialised with an
 *      arrow function or a function expression: at module level, imported, or local to the
 *      function calling it), or nothing; for identifiers, a module-level numeric constant.
 * Used by the fence (to check) and by lowering (to lower), so both agree on every callee.
 */
import ts from "typescript";
import { MATH_CONSTANTS, NUMBER_CONSTANTS, ruleFor, type ScalarRule } from "../../rules/index.ts";
import { arrayRuleFor, type ArrayRule } from "../../rules/blas.ts";
import { isIntArrayName } from "../../ir/types.ts";
import { irTypeOf } from "../1-parse/index.ts";

export type Callee =
  | { kind: "math"; op: string; rule: ScalarRule | undefined; callee: ts.Expression }
  | { kind: "routine"; name: string; rule: ArrayRule | undefined; callee: ts.Identifier }
  | { kind: "helper"; decl: HelperFn; callee: ts.Identifier }
  | { kind: "custom"; decl: ts.FunctionDeclaration; callee: ts.Identifier }
  | { kind: "unknown"; callee: ts.Expression };

/**
 * A function whose body lowering inlines: a function declaration, or an arrow function or
 * function expression (the initialiser of a `const`, or an inline callback of forEach, map or
 * reduce). An arrow's body may be an expression, which is its result.
 */
export type HelperFn = (ts.FunctionDeclaration | ts.ArrowFunction | ts.FunctionExpression) & { body: ts.ConciseBody };

/** The array methods taking a callback that lowering turns into loops. */
export const ITERATION_METHODS = ["forEach", "map", "reduce", "reduceRight"] as const;
export type IterationMethod = (typeof ITERATION_METHODS)[number];

/**
 * The array methods that search: a predicate callback (`some`, `every`, `findIndex`,
 * `findLastIndex`, and `find`/`findLast` before `?? fallback`) or a value (`indexOf`,
 * `lastIndexOf`, `includes`). Lowering turns each into a loop that stops at the first match.
 */
export const SEARCH_METHODS = ["some", "every", "find", "findLast", "findIndex", "findLastIndex", "indexOf", "lastIndexOf", "includes"] as const;
export type SearchMethod = (typeof SEARCH_METHODS)[number];

/** `xs.entries()`, `xs.keys()` or `xs.values()` (on anything: the caller checks it is an array), walked by a `for…of`. */
export function arrayIteration(e: ts.Expression): { recv: ts.Expression; name: "entries" | "keys" | "values" } | undefined {
  const c = skipParens(e);
  if (!ts.isCallExpression(c) || c.arguments.length > 0) return undefined;
  const callee = skipParens(c.expression);
  if (!ts.isPropertyAccessExpression(callee)) return undefined;
  const name = callee.name.text;
  return name === "entries" || name === "keys" || name === "values" ? { recv: callee.expression, name } : undefined;
}

/** Whether a search method takes a predicate (else a value to look for). */
export function takesPredicate(m: SearchMethod): boolean {
  return m !== "indexOf" && m !== "lastIndexOf" && m !== "includes";
}

/** Whether a search method walks from the last element to the first. */
export function searchesBackwards(m: SearchMethod): boolean {
  return m === "findLast" || m === "findLastIndex" || m === "lastIndexOf";
}

/** The search methods that return an element, or undefined when none matches. */
export function returnsElement(m: string): m is "find" | "findLast" {
  return m === "find" || m === "findLast";
}

/** Whether a node is an arrow function or a function expression. */
export function isFunctionValue(e: ts.Node): e is ts.ArrowFunction | ts.FunctionExpression {
  return ts.isArrowFunction(e) || ts.isFunctionExpression(e);
}

/** The name a helper is known by: its declared name, or the name of the const holding it. */
export function helperName(fn: HelperFn): string {
  if (ts.isFunctionDeclaration(fn)) return fn.name?.text ?? "default";
  if (ts.isFunctionExpression(fn) && fn.name && !ts.isVariableDeclaration(fn.parent)) return fn.name.text;
  let p: ts.Node = fn.parent;
  while (ts.isParenthesizedExpression(p) || ts.isAsExpression(p) || ts.isSatisfiesExpression(p)) p = p.parent;
  if (ts.isVariableDeclaration(p) && ts.isIdentifier(p.name)) return p.name.text;
  return "callback";
}

/**
 * Whether the expression body of a function run for its effect (a forEach callback, a void
 * helper) is lowered as a statement: an assignment, an increment, a comma or a console call.
 * Any other expression body is a value, computed and dropped.
 */
export function isEffectBody(e0: ts.Expression, checker: ts.TypeChecker): boolean {
  const e = skipParens(e0);
  if (ts.isBinaryExpression(e)) return e.operatorToken.kind === ts.SyntaxKind.CommaToken || (e.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && e.operatorToken.kind <= ts.SyntaxKind.LastAssignment);
  if (ts.isPrefixUnaryExpression(e) || ts.isPostfixUnaryExpression(e)) return e.operator === ts.SyntaxKind.PlusPlusToken || e.operator === ts.SyntaxKind.MinusMinusToken;
  return ts.isCallExpression(e) && isHostCall(e, checker);
}

/** The statements of a block body, or undefined for an expression body. */
export function blockBody(fn: HelperFn): ts.Block | undefined {
  return ts.isBlock(fn.body) ? fn.body : undefined;
}

/** What a helper whose one return is its last statement returns: that return's value, or its expression body. */
export function resultExpression(fn: HelperFn): ts.Expression | undefined {
  const block = blockBody(fn);
  if (!block) return fn.body as ts.Expression;
  const last = block.statements[block.statements.length - 1];
  return last && ts.isReturnStatement(last) ? last.expression : undefined;
}

export interface ResolveContext {
  checker: ts.TypeChecker;
  runtimeSpecifiers: readonly string[];
}

export function skipParens(e: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(e)) e = e.expression;
  return e;
}

/**
 * `x === "l1"` (or `!==`, `==`, `!=`, either way round): what is compared with the string, the
 * string, and whether the test is for equality. Undefined for any other expression.
 */
export function stringComparison(e: ts.BinaryExpression): { subject: ts.Expression; text: string; equal: boolean } | undefined {
  const op = e.operatorToken.kind;
  const equal = op === ts.SyntaxKind.EqualsEqualsEqualsToken || op === ts.SyntaxKind.EqualsEqualsToken;
  if (!equal && op !== ts.SyntaxKind.ExclamationEqualsEqualsToken && op !== ts.SyntaxKind.ExclamationEqualsToken) return undefined;
  const right = skipParens(e.right);
  const [subject, lit] = ts.isStringLiteralLike(right) ? [e.left, right] : [e.right, skipParens(e.left)];
  if (!ts.isStringLiteralLike(lit)) return undefined;
  return { subject: skipParens(subject), text: lit.text, equal };
}

/**
 * `choice ?? "sum"` and `choice || "sum"`: a choice among strings with a fallback string, when the
 * expression has that form (whether its left side is a choice, the caller asks).
 */
export function choiceFallback(e0: ts.Expression): { choice: ts.Expression; text: string; op: "??" | "||" } | undefined {
  const e = skipParens(e0);
  if (!ts.isBinaryExpression(e)) return undefined;
  const k = e.operatorToken.kind;
  if (k !== ts.SyntaxKind.QuestionQuestionToken && k !== ts.SyntaxKind.BarBarToken) return undefined;
  const text = skipParens(e.right);
  if (!ts.isStringLiteralLike(text)) return undefined;
  return { choice: e.left, text: text.text, op: k === ts.SyntaxKind.QuestionQuestionToken ? "??" : "||" };
}

/** Whether `id` (spelled `Math`) is the global Math object, not a local of that name. */
export function isGlobalMath(id: ts.Identifier, checker: ts.TypeChecker): boolean {
  return id.text === "Math" && isGlobal(id, checker);
}

/** `Number.EPSILON` and the other named constants of the global Number: the name and value. */
export function numberConstant(e: ts.Expression, checker: ts.TypeChecker): { text: string; value: number } | undefined {
  if (!ts.isPropertyAccessExpression(e) || !ts.isIdentifier(e.expression) || e.expression.text !== "Number" || !isGlobal(e.expression, checker)) return undefined;
  const value = NUMBER_CONSTANTS[e.name.text];
  return value === undefined ? undefined : { text: `Number.${e.name.text}`, value };
}

/** The rule-table name of a global test of a number the callee names (`Number.isNaN`, `isNaN`), if any. */
export function numberTest(e: ts.Expression, checker: ts.TypeChecker): string | undefined {
  const name = ts.isIdentifier(e) && isGlobal(e, checker) ? e.text
    : ts.isPropertyAccessExpression(e) && ts.isIdentifier(e.expression) && e.expression.text === "Number" && isGlobal(e.expression, checker) ? `Number.${e.name.text}` : undefined;
  return name !== undefined && ["Number.isFinite", "Number.isNaN", "Number.isInteger", "Number.isSafeInteger", "isFinite", "isNaN"].includes(name) ? name : undefined;
}

/** `Number(x)` or `Boolean(x)` with the global function: which conversion. */
export function conversion(e: ts.CallExpression, checker: ts.TypeChecker): "Number" | "Boolean" | undefined {
  const c = e.expression;
  return ts.isIdentifier(c) && (c.text === "Number" || c.text === "Boolean") && isGlobal(c, checker) ? c.text : undefined;
}

/** `Math.foo` with the global Math. */
export function mathMember(e: ts.Expression, checker: ts.TypeChecker): ts.PropertyAccessExpression | undefined {
  return ts.isPropertyAccessExpression(e) && ts.isIdentifier(e.expression) && isGlobalMath(e.expression, checker) ? e : undefined;
}

/** The name of the runtime routine `id` refers to (imported from the runtime's module), if any. */
export function runtimeRoutine(id: ts.Identifier, cx: ResolveContext): string | undefined {
  const sym = cx.checker.getSymbolAtLocation(id);
  if (!sym || !(sym.flags & ts.SymbolFlags.Alias)) return undefined;
  const spec = sym.declarations?.find(ts.isImportSpecifier);
  if (!spec) return undefined;
  const from = spec.parent.parent.parent.moduleSpecifier;
  if (!ts.isStringLiteral(from) || !cx.runtimeSpecifiers.includes(from.text)) return undefined;
  return (spec.propertyName ?? spec.name).text;
}

/**
 * The variable declaration `id` names when it holds a function value (`const f = (x) => …`,
 * `let g = function (x) { … }`), in this module, an imported one or the enclosing function;
 * `isConst` tells whether the binding can never change.
 */
export function functionVariable(id: ts.Identifier, checker: ts.TypeChecker): { decl: ts.VariableDeclaration; fn: HelperFn; isConst: boolean } | undefined {
  let sym = checker.getSymbolAtLocation(id);
  if (sym && sym.flags & ts.SymbolFlags.Alias) sym = checker.getAliasedSymbol(sym);
  const decl = sym?.valueDeclaration;
  if (!decl || !ts.isVariableDeclaration(decl) || !decl.initializer || decl.getSourceFile().isDeclarationFile) return undefined;
  let init = skipParens(decl.initializer);
  while (ts.isAsExpression(init) || ts.isSatisfiesExpression(init)) init = skipParens(init.expression);
  if (!isFunctionValue(init)) return undefined;
  const list = decl.parent;
  const isConst = ts.isVariableDeclarationList(list) && (list.flags & ts.NodeFlags.Const) !== 0;
  return { decl, fn: init as HelperFn, isConst };
}

/**
 * The helper `id` names: a function declaration with a body, or a `const` holding an arrow
 * function or function expression, in this module or an imported one (or, for a local closure,
 * in the enclosing function).
 */
export function helperDeclaration(id: ts.Identifier, checker: ts.TypeChecker): HelperFn | undefined {
  let sym = checker.getSymbolAtLocation(id);
  if (sym && sym.flags & ts.SymbolFlags.Alias) sym = checker.getAliasedSymbol(sym);
  const decl = sym?.declarations?.find((d): d is ts.FunctionDeclaration => ts.isFunctionDeclaration(d) && d.body !== undefined);
  if (decl && !decl.getSourceFile().isDeclarationFile) return decl as HelperFn;
  const v = functionVariable(id, checker);
  return v && v.isConst ? v.fn : undefined;
}

/** Whether `fn` is declared inside another function (a local closure), not at module level. */
export function isLocalFunction(fn: HelperFn): boolean {
  for (let n: ts.Node = fn.parent; n; n = n.parent) if (ts.isFunctionLike(n)) return true;
  return false;
}

/** The outermost function enclosing `node` (the module-level function a local closure lives in). */
export function outermostFunction(node: ts.Node): ts.SignatureDeclaration | undefined {
  let found: ts.SignatureDeclaration | undefined;
  for (let n: ts.Node | undefined = node; n; n = n.parent) if (ts.isFunctionLike(n)) found = n;
  return found;
}

/** The tags that give a function its own derivatives. */
export const CUSTOM_TAGS = ["pullback", "pushforward"] as const;

/**
 * The declaration of the function `id` names when its JSDoc gives it its own derivatives
 * (`@pullback` or `@pushforward`), in this module, an imported one or a declaration file.
 */
export function customDeclaration(id: ts.Identifier, checker: ts.TypeChecker): ts.FunctionDeclaration | undefined {
  let sym = checker.getSymbolAtLocation(id);
  if (sym && sym.flags & ts.SymbolFlags.Alias) sym = checker.getAliasedSymbol(sym);
  return sym?.declarations?.find((d): d is ts.FunctionDeclaration =>
    ts.isFunctionDeclaration(d) && ts.getJSDocTags(d).some((t) => (CUSTOM_TAGS as readonly string[]).includes(t.tagName.text)));
}

export function resolveCallee(call: ts.CallExpression, cx: ResolveContext): Callee {
  const callee = skipParens(call.expression);
  const math = mathMember(callee, cx.checker);
  if (math) {
    const op = `Math.${math.name.text}`;
    return { kind: "math", op, rule: ruleFor(op), callee: math };
  }
  // `Number.isFinite(x)` and the other tests of a number, and the global `isNaN` and `isFinite`
  const test = numberTest(callee, cx.checker);
  if (test) return { kind: "math", op: test, rule: ruleFor(test), callee };
  if (!ts.isIdentifier(callee)) return { kind: "unknown", callee };
  const routine = runtimeRoutine(callee, cx);
  if (routine !== undefined) {
    const scalar = ruleFor(routine);
    if (scalar && "runtime" in scalar.syntax && scalar.syntax.runtime === routine) return { kind: "math", op: routine, rule: scalar, callee };
    return { kind: "routine", name: routine, rule: arrayRuleFor(routine), callee };
  }
  const custom = customDeclaration(callee, cx.checker);
  if (custom) return { kind: "custom", decl: custom, callee };
  const decl = helperDeclaration(callee, cx.checker);
  if (decl) return { kind: "helper", decl, callee };
  return { kind: "unknown", callee };
}

/** The argument of `stopGradient(x)` (the runtime's, or any scalar rule that stops derivatives). */
export function stopGradientArgument(e: ts.Expression, cx: ResolveContext): ts.Expression | undefined {
  e = skipParens(e);
  if (!ts.isCallExpression(e) || e.arguments.length !== 1) return undefined;
  const c = resolveCallee(e, cx);
  return c.kind === "math" && c.rule?.stops ? e.arguments[0] : undefined;
}

/** The value of a numeric literal, possibly negated (`-2`). */
export function literalValue(e: ts.Expression): number | undefined {
  e = skipParens(e);
  if (ts.isNumericLiteral(e)) return Number(e.text);
  if (ts.isPrefixUnaryExpression(e) && e.operator === ts.SyntaxKind.MinusToken) {
    const v = literalValue(e.operand);
    return v === undefined ? undefined : -v;
  }
  return undefined;
}

/** What an identifier that is not a local names at module level. */
export type OuterName =
  | { kind: "constant"; value: number }
  | { kind: "module-constant" } // a const whose value is not a constant expression
  | { kind: "outer-variable" }
  | { kind: "other" };

export function outerName(sym: ts.Symbol, checker: ts.TypeChecker): OuterName {
  const decl = sym.valueDeclaration;
  if (decl && ts.isVariableDeclaration(decl) && decl.parent && ts.isVariableDeclarationList(decl.parent)) {
    const isConst = (decl.parent.flags & ts.NodeFlags.Const) !== 0;
    const init = decl.initializer && skipParens(decl.initializer);
    const atModule = ts.isSourceFile(decl.parent.parent?.parent);
    if (isConst && atModule && init) {
      const value = constantValue(init, checker, new Set([sym]));
      if (value !== undefined) return { kind: "constant", value };
    }
    if (isConst && atModule) return { kind: "module-constant" };
    if (!isConst) return { kind: "outer-variable" };
  }
  return { kind: "other" };
}

/** Whether `sym` is declared inside `fn` (a parameter or a local of its body). */
export function isDeclaredIn(sym: ts.Symbol, fn: ts.Node): boolean {
  const d = sym.valueDeclaration;
  if (!d || d.getSourceFile() !== fn.getSourceFile()) return false;
  return d.pos >= fn.pos && d.end <= fn.end && d !== fn;
}

/**
 * Whether the assignment `at` (`y = …`) is a statement of the straight-line code of `fn`'s body,
 * where rebinding an array's name is decided when compiling; elsewhere (in a loop or a branch) a
 * rebinding copies the new elements into the name's one array (the fence checks that nothing
 * else names it).
 */
export function isStraightLine(at: ts.Node, fn: ts.Node): boolean {
  return ts.isExpressionStatement(at.parent) && at.parent.parent === (fn as ts.FunctionLikeDeclaration).body;
}

/** Whether a helper's declared result is an array (a Float64Array, a `number[]` or an integer array). */
export function returnsArray(decl: HelperFn, checker: ts.TypeChecker): boolean {
  const sig = checker.getSignatureFromDeclaration(decl);
  const ret = sig && checker.getReturnTypeOfSignature(sig);
  return !!ret && irTypeOf(ret, checker) === "arr";
}

/**
 * The fields of a record of numbers (`{ r: number; th: number }`): an object type, not an array
 * or a function, whose properties are all required numbers. Undefined for any other type.
 */
export function numberRecordFields(type: ts.Type, checker: ts.TypeChecker): string[] | undefined {
  if (!(type.flags & ts.TypeFlags.Object) || irTypeOf(type, checker) !== undefined || checker.isArrayType(type) || checker.isTupleType(type)) return undefined;
  if (type.getCallSignatures().length > 0 || type.getConstructSignatures().length > 0) return undefined;
  const props = checker.getPropertiesOfType(type);
  if (props.length === 0) return undefined;
  for (const p of props) {
    const d = p.valueDeclaration ?? p.declarations?.[0];
    if (!d || (p.flags & ts.SymbolFlags.Optional) || irTypeOf(checker.getTypeOfSymbolAtLocation(p, d), checker) !== "num") return undefined;
  }
  return props.map((p) => p.getName());
}

/** The fields of the record of numbers a helper returns (`numberRecordFields`), if it returns one. */
export function returnsRecord(decl: HelperFn, checker: ts.TypeChecker): string[] | undefined {
  const sig = checker.getSignatureFromDeclaration(decl);
  const ret = sig && checker.getReturnTypeOfSignature(sig);
  return ret ? numberRecordFields(ret, checker) : undefined;
}

/** `new Int32Array(…)` or another integer array's constructor (ir/types.ts, INT_ARRAYS). */
export function isNewIntArray(e: ts.Expression | undefined): e is ts.NewExpression {
  if (!e) return false;
  e = skipParens(e);
  return ts.isNewExpression(e) && ts.isIdentifier(e.expression) && isIntArrayName(e.expression.text);
}

/**
 * `new Array(n)` or `Array(n)` without an element type, or its `fill(v)`: TypeScript types it
 * `any[]`; differentiable code, whose arrays hold numbers, takes it as a `number[]` (the fence
 * checks what is stored and filled).
 */
export function isUntypedNewArray(e: ts.Expression | undefined): boolean {
  if (!e) return false;
  e = skipParens(e);
  if (ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression) && e.expression.name.text === "fill") e = skipParens(e.expression.expression);
  return (ts.isNewExpression(e) || ts.isCallExpression(e)) && ts.isIdentifier(e.expression) && e.expression.text === "Array" && !e.typeArguments;
}

/** `new Float64Array(…)`. */
export function isNewFloat64Array(e: ts.Expression | undefined): e is ts.NewExpression {
  if (!e) return false;
  e = skipParens(e);
  return ts.isNewExpression(e) && ts.isIdentifier(e.expression) && e.expression.text === "Float64Array";
}

/**
 * The IR type a declaration's annotation gives, or undefined without one. Unannotated locals take
 * the type of their initialiser, computed by the caller from its structure: asking TypeScript for
 * an inferred type runs its flow analysis, quadratic in the length of a function.
 */
export function annotatedType(d: ts.VariableDeclaration | ts.ParameterDeclaration, checker: ts.TypeChecker): import("../../ir/types.ts").Type | "other" | undefined {
  if (!d.type) return undefined;
  const t = checker.getTypeFromTypeNode(d.type);
  if (t.flags & (ts.TypeFlags.Number | ts.TypeFlags.NumberLiteral)) return "num";
  if (t.flags & (ts.TypeFlags.Boolean | ts.TypeFlags.BooleanLiteral)) return "bool";
  if (t.getSymbol()?.getName() === "Float64Array") return "arr";
  if (checker.isArrayType(t)) {
    const [el] = checker.getTypeArguments(t as ts.TypeReference);
    if (el && el.flags & (ts.TypeFlags.Number | ts.TypeFlags.NumberLiteral)) return "arr";
  }
  return "other";
}

/** Global functions a differentiable function may call for their effect, run as written. */
export const HOST_FUNCTIONS = ["console.log", "console.info", "console.warn", "console.error", "console.debug", "console.assert"];

/** Error types a differentiable function may throw (`throw new RangeError(…)`). */
export const ERROR_TYPES = ["Error", "RangeError", "TypeError"];

/** Whether `id` names a global (declared only in .d.ts files), not a local of that name. */
function isGlobal(id: ts.Identifier, checker?: ts.TypeChecker): boolean {
  const s = checker?.getSymbolAtLocation(id);
  return !s || !s.declarations || s.declarations.every((d) => d.getSourceFile().isDeclarationFile);
}

/** `console.log(…)` and its kin, with the global console. */
export function isHostCall(e: ts.CallExpression, checker?: ts.TypeChecker): boolean {
  const c = skipParens(e.expression);
  return ts.isPropertyAccessExpression(c) && ts.isIdentifier(c.expression) && HOST_FUNCTIONS.includes(`${c.expression.text}.${c.name.text}`)
    && isGlobal(c.expression, checker);
}

/** `new RangeError(…)` of a global error type. */
export function isErrorConstruction(e: ts.Expression, checker?: ts.TypeChecker): e is ts.NewExpression {
  e = skipParens(e);
  return ts.isNewExpression(e) && ts.isIdentifier(e.expression) && ERROR_TYPES.includes(e.expression.text) && isGlobal(e.expression, checker);
}

/** The value of a constant expression of literals, Math constants and functions, and module constants. */
export function constantValue(e0: ts.Expression, checker: ts.TypeChecker, seen: Set<ts.Symbol> = new Set()): number | undefined {
  const e = skipParens(e0);
  if (ts.isNumericLiteral(e)) return Number(e.text);
  if (ts.isPrefixUnaryExpression(e)) {
    const v = constantValue(e.operand, checker, seen);
    if (v === undefined) return undefined;
    if (e.operator === ts.SyntaxKind.MinusToken) return -v;
    if (e.operator === ts.SyntaxKind.PlusToken) return v;
    return undefined;
  }
  if (ts.isBinaryExpression(e)) {
    const a = constantValue(e.left, checker, seen), b = constantValue(e.right, checker, seen);
    if (a === undefined || b === undefined) return undefined;
    switch (e.operatorToken.kind) {
      case ts.SyntaxKind.PlusToken: return a + b;
      case ts.SyntaxKind.MinusToken: return a - b;
      case ts.SyntaxKind.AsteriskToken: return a * b;
      case ts.SyntaxKind.SlashToken: return a / b;
      case ts.SyntaxKind.PercentToken: return a % b;
      case ts.SyntaxKind.AsteriskAsteriskToken: return a ** b;
      default: return undefined;
    }
  }
  const math = mathMember(e, checker);
  if (math) return MATH_CONSTANTS[math.name.text];
  const nc = numberConstant(e, checker);
  if (nc) return nc.value;
  if (ts.isCallExpression(e)) {
    const callee = mathMember(skipParens(e.expression), checker);
    const rule = callee && ruleFor(`Math.${callee.name.text}`);
    if (!rule || rule.arrayArgument) return undefined;
    const args = e.arguments.map((a) => constantValue(a, checker, seen));
    if (args.some((a) => a === undefined)) return undefined;
    return rule.eval(...(args as number[]));
  }
  if (ts.isIdentifier(e)) {
    if (e.text === "Infinity" || e.text === "NaN") return isGlobal(e, checker) ? (e.text === "NaN" ? NaN : Infinity) : undefined;
    const sym = checker.getSymbolAtLocation(e);
    const decl = sym?.valueDeclaration;
    if (!sym || seen.has(sym) || !decl || !ts.isVariableDeclaration(decl) || !decl.initializer) return undefined;
    const list = decl.parent;
    if (!ts.isVariableDeclarationList(list) || !(list.flags & ts.NodeFlags.Const) || !ts.isSourceFile(list.parent?.parent)) return undefined;
    seen.add(sym);
    return constantValue(decl.initializer, checker, seen);
  }
  return undefined;
}

/** The length of an array-like `{ length: n }` (the source of `Array.from({ length: n }, f)`), if `e` is one. */
export function lengthObject(e0: ts.Expression): ts.Expression | undefined {
  const e = skipParens(e0);
  if (!ts.isObjectLiteralExpression(e) || e.properties.length !== 1) return undefined;
  const p = e.properties[0]!;
  return ts.isPropertyAssignment(p) && ts.isIdentifier(p.name) && p.name.text === "length" ? p.initializer : undefined;
}

// ------------------------------------------------------------------ constant tables

/** A module-level table of constants: an array of numbers, or a record of numbers and records. */
export type Table = { kind: "array"; values: number[] } | { kind: "record"; fields: Map<string, number | Table> };

/** The array methods that read a table without changing it. */
const READING_METHODS = new Set([
  "map", "forEach", "reduce", "reduceRight", "filter", "some", "every", "find", "findLast", "findIndex", "findLastIndex", "indexOf", "lastIndexOf", "includes", "at", "slice",
  "entries", "keys", "values",
]);

const tables = new WeakMap<ts.Symbol, Table | null>();

/**
 * The table a module-level `const` holds, when reading it is reading constants: its initializer
 * is an array literal of constant expressions or an object literal of them (nested), and either
 * it is `as const`, or it is not exported and every use of it in its module reads it (an
 * element, a field, `.length`, a `for…of`, a spread, a method that does not change it). Then
 * nothing can change it while a function runs, and its values are the compiler's to use.
 */
export function constantTable(e: ts.Expression, checker: ts.TypeChecker): Table | undefined {
  const id = skipParens(e);
  if (!ts.isIdentifier(id)) return undefined;
  let sym = checker.getSymbolAtLocation(id);
  if (sym && sym.flags & ts.SymbolFlags.Alias) sym = checker.getAliasedSymbol(sym);
  if (!sym) return undefined;
  const hit = tables.get(sym);
  if (hit !== undefined) return hit ?? undefined;
  const table = findTable(sym, checker);
  tables.set(sym, table ?? null);
  return table;
}

function findTable(sym: ts.Symbol, checker: ts.TypeChecker): Table | undefined {
  const decl = sym.valueDeclaration;
  if (!decl || !ts.isVariableDeclaration(decl) || !decl.initializer || !ts.isVariableDeclarationList(decl.parent)) return undefined;
  if ((decl.parent.flags & ts.NodeFlags.Const) === 0 || !ts.isVariableStatement(decl.parent.parent) || !ts.isSourceFile(decl.parent.parent.parent)) return undefined;
  let init: ts.Expression = decl.initializer;
  let frozen = false;
  for (;;) {
    if (ts.isAsExpression(init) && ts.isTypeReferenceNode(init.type) && init.type.typeName.getText() === "const") frozen = true;
    if (ts.isAsExpression(init) || ts.isSatisfiesExpression(init) || ts.isParenthesizedExpression(init)) init = init.expression;
    else break;
  }
  const table = tableOf(init, checker);
  if (!table) return undefined;
  if (frozen) return table;
  if (decl.parent.parent.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) return undefined;
  let reads = true;
  const visit = (n: ts.Node) => {
    if (!reads) return;
    if (ts.isIdentifier(n) && n !== decl.name && checker.getSymbolAtLocation(n) === sym && !isRead(n)) reads = false;
    ts.forEachChild(n, visit);
  };
  visit(decl.getSourceFile());
  return reads ? table : undefined;
}

function tableOf(e0: ts.Expression, checker: ts.TypeChecker): Table | undefined {
  const e = skipParens(e0);
  if (ts.isArrayLiteralExpression(e)) {
    const values = e.elements.map((x) => (ts.isSpreadElement(x) || ts.isOmittedExpression(x) ? undefined : constantValue(x, checker)));
    return values.every((v) => v !== undefined) ? { kind: "array", values: values as number[] } : undefined;
  }
  if (!ts.isObjectLiteralExpression(e)) return undefined;
  const fields = new Map<string, number | Table>();
  for (const p of e.properties) {
    if (!ts.isPropertyAssignment(p) || !(ts.isIdentifier(p.name) || ts.isStringLiteral(p.name))) return undefined;
    const inner = skipParens(p.initializer);
    const v = ts.isObjectLiteralExpression(inner) ? tableOf(inner, checker) : constantValue(inner, checker);
    if (v === undefined || (typeof v !== "number" && v.kind !== "record")) return undefined;
    fields.set(p.name.text, v);
  }
  return { kind: "record", fields };
}

/** Whether a use of a table's name (or of a field of it, `T.a`) only reads it. */
function isRead(n: ts.Expression): boolean {
  let e: ts.Expression = n;
  while (ts.isParenthesizedExpression(e.parent) || ts.isNonNullExpression(e.parent) || ts.isAsExpression(e.parent)) e = e.parent;
  const p = e.parent;
  if (ts.isElementAccessExpression(p) && p.expression === e) return !isWritten(p);
  if (ts.isPropertyAccessExpression(p) && p.expression === e) {
    if (ts.isCallExpression(p.parent) && p.parent.expression === p) return READING_METHODS.has(p.name.text);
    return p.name.text === "length" || isRead(p);
  }
  if ((ts.isForOfStatement(p) && p.expression === e) || ts.isSpreadElement(p)) return true;
  // a field's value (the name itself, as a value, would let another name change the table)
  return ts.isPropertyAccessExpression(n) && !isWritten(e);
}

/** Whether an element or field access is assigned, incremented or deleted. */
export function isWritten(a: ts.Expression): boolean {
  let e: ts.Expression = a;
  while (ts.isParenthesizedExpression(e.parent) || ts.isNonNullExpression(e.parent)) e = e.parent;
  const p = e.parent;
  if (ts.isBinaryExpression(p) && p.left === e && p.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && p.operatorToken.kind <= ts.SyntaxKind.LastAssignment) return true;
  if ((ts.isPrefixUnaryExpression(p) || ts.isPostfixUnaryExpression(p)) && (p.operator === ts.SyntaxKind.PlusPlusToken || p.operator === ts.SyntaxKind.MinusMinusToken)) return true;
  return ts.isDeleteExpression(p) || ts.isArrayLiteralExpression(p) && ts.isBinaryExpression(p.parent) && p.parent.left === p;
}

/** What `T`, `T.a`, `T.a.b` or `T.length` reads of a table: a number, or a table. */
export function tableValue(e0: ts.Expression, checker: ts.TypeChecker): number | Table | undefined {
  const e = skipParens(e0);
  if (ts.isIdentifier(e)) return constantTable(e, checker);
  if (!ts.isPropertyAccessExpression(e)) return undefined;
  const base = tableValue(e.expression, checker);
  if (base === undefined || typeof base === "number") return undefined;
  if (base.kind === "array") return e.name.text === "length" ? base.values.length : undefined;
  return base.fields.get(e.name.text);
}
