/**
 * Pass 1, parse: find the functions marked `/** @differentiable *\/` in a source file with the
 * TypeScript compiler API and its type checker, read their tags, and check their signatures.
 *
 * In:  a ts.Program and one of its source files.
 * Out: the annotated functions with typed parameters, or diagnostics. Bodies are checked by
 *      lowering, which reports each unsupported construct where it stands.
 */
import ts from "typescript";
import { Codes, type Diagnostic, diagnosticAt, diagnosticAtSpan } from "../../diagnostics.ts";
import { type IntArrayName, type Type, isIntArrayName, intArrayNoun } from "../../ir/types.ts";
import { MODES } from "../../naming.ts";
import { type Shape, shapeOf, isShape } from "../../ir/shape.ts";

/**
 * A differentiable function: a declaration, or an arrow function or function expression bound
 * to a module-level `const` (`export const loss = (w: Float64Array): number => …`).
 */
export type DifferentiableDecl = ts.FunctionDeclaration | ((ts.ArrowFunction | ts.FunctionExpression) & { body: ts.ConciseBody });

export interface AnnotatedFunction {
  name: string;
  decl: DifferentiableDecl;
  sourceFile: ts.SourceFile;
  /** Numbers, arrays, and records of them (`rec`, flattened by lowering; see ir/shape.ts). */
  /** `optional`: a number or array that may be left out (`scale?: number`, `bias?: Float64Array`, or `lambda = 0.01`, whose default the function's body applies). */
  /**
   * A parameter destructured in the signature (`{ w, b }: Params`) gives one entry per field it
   * names, keyed by the field (`w`, the key of its gradient), with `pattern`: the position of the
   * source parameter, the name the body knows it by (`local`, `weight` in `{ w: weight }`) and the
   * binding element, and the shape of the whole parameter (the generated signature's type).
   */
  /** `fallback`: the default of a choice among strings (`mode: "sum" | "mean" = "sum"`). */
  params: { name: string; type: Type | "rec" | "choice"; list?: boolean; ints?: IntArrayName; shape: Shape; optional?: boolean; pattern?: Pattern; fallback?: string }[];
  /** Parameters derivatives are taken for. */
  wrt: string[];
  /** Modes requested with `@modes`, if any. */
  modes?: string[];
  /** Float64Array parameters the function writes its results into (`@out y`). */
  outputs: string[];
}

export interface Pattern {
  param: number;
  local: string;
  element: ts.BindingElement;
  whole: Shape;
  /** The parameter has the default `{}` (every field optional): it may be left out. */
  settings?: boolean;
}

export interface ParseResult {
  functions: AnnotatedFunction[];
  diagnostics: Diagnostic[];
}

export function jsDocTags(node: ts.Node): ts.JSDocTag[] {
  return [...ts.getJSDocTags(node)];
}

function tagText(tag: ts.JSDocTag): string {
  const c = tag.comment;
  if (c === undefined) return "";
  return typeof c === "string" ? c : c.map((p) => p.text).join("");
}

export function isDifferentiable(node: ts.Node): boolean {
  return jsDocTags(node).some((t) => t.tagName.text === "differentiable");
}

/** Maps a parameter or variable type to an IR type, or undefined when it is not numeric. */
export function irTypeOf(type: ts.Type, checker: ts.TypeChecker): Type | undefined {
  if (type.flags & (ts.TypeFlags.Number | ts.TypeFlags.NumberLiteral)) return "num";
  if (type.flags & (ts.TypeFlags.Boolean | ts.TypeFlags.BooleanLiteral)) return "bool";
  const sym = type.getSymbol();
  if (sym && (sym.getName() === "Float64Array" || isIntArrayName(sym.getName()))) return "arr";
  if (isNumberArray(type, checker)) return "arr";
  // `ArrayLike<number>`, `Float64Array | number[]`: a helper's parameter that takes either
  if (sym?.getName() === "ArrayLike" && isNumberElement(type, checker)) return "arr";
  if (type.isUnion() && type.types.every((t) => irTypeOf(t, checker) === "arr")) return "arr";
  return undefined;
}

/** Whether a generic type's one type argument is `number` (`ArrayLike<number>`). */
function isNumberElement(type: ts.Type, checker: ts.TypeChecker): boolean {
  const args = (type.flags & ts.TypeFlags.Object) !== 0 && ((type as ts.ObjectType).objectFlags & ts.ObjectFlags.Reference) !== 0 ? checker.getTypeArguments(type as ts.TypeReference) : type.aliasTypeArguments ?? [];
  return args.length === 1 && (args[0]!.flags & ts.TypeFlags.Number) !== 0;
}


/** `number[]`, `Array<number>`, tuples of numbers (`[number, number]`) and their readonly forms. */
export function isNumberArray(type: ts.Type, checker: ts.TypeChecker): boolean {
  const isNumber = (t: ts.Type) => (t.flags & (ts.TypeFlags.Number | ts.TypeFlags.NumberLiteral)) !== 0;
  if (checker.isTupleType(type)) {
    const els = checker.getTypeArguments(type as ts.TypeReference);
    return els.length > 0 && els.every(isNumber);
  }
  if (!checker.isArrayType(type)) return false;
  const [el] = checker.getTypeArguments(type as ts.TypeReference);
  return !!el && isNumber(el);
}

export function parse(program: ts.Program, sourceFile: ts.SourceFile): ParseResult {
  const checker = program.getTypeChecker(); // before reading JSDoc, or an empty result is cached
  const functions: AnnotatedFunction[] = [];
  const diagnostics: Diagnostic[] = [];

  const visit = (node: ts.Node): void => {
    if (ts.isFunctionDeclaration(node) && isDifferentiable(node)) {
      const fn = checkSignature(node, sourceFile, checker, diagnostics);
      if (fn) functions.push(fn);
      return;
    }
    const bound = ts.isVariableStatement(node) && isDifferentiable(node) ? boundFunction(node) : undefined;
    if (bound) {
      const fn = checkSignature(bound.fn, sourceFile, checker, diagnostics, bound.name);
      if (fn) functions.push(fn);
      return;
    }
    if ((ts.isVariableStatement(node) || ts.isArrowFunction(node) || ts.isFunctionExpression(node) || ts.isMethodDeclaration(node)) && isDifferentiable(node)) {
      const fix = ts.isMethodDeclaration(node) ? "write it as a top-level `function name(...) { ... }` declaration"
        : "write it as a top-level `function name(...) { ... }` declaration, or bind one arrow function or function expression to a module-level const (export const name = (x: number): number => ...)";
      diagnostics.push(diagnosticAt(Codes.UnsupportedSyntax,
        `@differentiable on ${ts.isMethodDeclaration(node) ? "a method" : ts.isVariableStatement(node) ? "this declaration" : "a function expression or arrow function"} is not supported: ${fix}.`,
        node, sourceFile));
      return;
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  diagnostics.push(...misplacedTags(sourceFile));
  return { functions, diagnostics };
}

/**
 * The function of `const name = (…) => …` or `const name = function (…) { … }` at module level,
 * one declarator, a `const` (a `let` could be rebound, and the generated code would not follow).
 */
function boundFunction(s: ts.VariableStatement): { name: ts.Identifier; fn: DifferentiableDecl } | undefined {
  const list = s.declarationList;
  const d = list.declarations[0];
  if (!ts.isSourceFile(s.parent) || !(list.flags & ts.NodeFlags.Const) || list.declarations.length !== 1 || !d || !ts.isIdentifier(d.name) || !d.initializer) return undefined;
  const init = skipTypes(d.initializer);
  if ((!ts.isArrowFunction(init) && !ts.isFunctionExpression(init)) || init.asteriskToken || init.typeParameters) return undefined;
  return { name: d.name, fn: init };
}

/**
 * `@differentiable` in a comment before a function that TypeScript does not read as JSDoc
 * (`// @differentiable`, `/* @differentiable *\/`): the tag would be silently ignored.
 */
function misplacedTags(sf: ts.SourceFile): Diagnostic[] {
  if (!sf.text.includes("@differentiable")) return [];
  const out: Diagnostic[] = [];
  const visit = (node: ts.Node) => {
    if ((ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node) || ts.isVariableStatement(node)) && !isDifferentiable(node)) {
      for (const c of ts.getLeadingCommentRanges(sf.text, node.pos) ?? []) {
        const text = sf.text.slice(c.pos, c.end);
        if (text.startsWith("/**") || !/^(\/\/|\/\*)[\s*]*@differentiable\b/.test(text)) continue;
        const kind = c.kind === ts.SyntaxKind.SingleLineCommentTrivia ? "a // comment" : "a /* */ comment";
        out.push(diagnosticAtSpan(Codes.BadTag, `'@differentiable' in ${kind} is ignored: mark the function with a JSDoc comment, /** @differentiable */, right before its declaration.`, sf, c.pos, c.end));
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

function checkSignature(
  decl: ts.FunctionDeclaration | DifferentiableDecl,
  sf: ts.SourceFile,
  checker: ts.TypeChecker,
  diagnostics: Diagnostic[],
  boundTo?: ts.Identifier,
): AnnotatedFunction | undefined {
  const before = diagnostics.length;
  const id = boundTo ?? decl.name;
  if (!id || !ts.isIdentifier(id) || !decl.body) {
    diagnostics.push(diagnosticAt(Codes.UnsupportedSyntax, "A @differentiable function needs a name and a body.", decl, sf));
    return undefined;
  }
  const name = id.text;
  if (decl.modifiers?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword)) {
    diagnostics.push(diagnosticAt(Codes.UnsupportedSyntax, `'${name}' is async: a differentiable function computes its value synchronously. Remove 'async' (await the data before calling it).`, decl, sf));
    return undefined;
  }
  const params: AnnotatedFunction["params"] = [];
  for (const p of decl.parameters) {
    if (ts.isIdentifier(p.name) && p.name.text === "this") {
      diagnostics.push(diagnosticAt(Codes.UnsupportedSyntax,
        `'${name}' declares a 'this' parameter: differentiable functions are plain functions of their arguments. Remove it and pass the value as an ordinary parameter.`, p, sf));
      continue;
    }
    if (ts.isObjectBindingPattern(p.name) && !p.dotDotDotToken) {
      params.push(...patternParams(p, p.name, decl.parameters.indexOf(p), name, sf, checker, diagnostics));
      continue;
    }
    if (!ts.isIdentifier(p.name) || p.dotDotDotToken) {
      diagnostics.push(diagnosticAt(Codes.UnsupportedSyntax,
        p.dotDotDotToken
          ? `Parameter '${p.name.getText(sf)}' of '${name}': rest parameters are not supported; declare plain parameters (number, Float64Array, number[], or an object of them), or one array (xs: number[]).`
          : `Parameter '${p.name.getText(sf)}' of '${name}': array destructuring in the signature is not supported; declare a plain parameter (xs: number[]) and read its elements in the body (const [a, b] = xs).`, p, sf));
      continue;
    }
    // `lambda = 0.01`, `scale?: number` and `bias?: Float64Array`: a number or an array that may be
    // left out (undefined, or the default)
    const optional = !!(p.initializer || p.questionToken);
    const declared = checker.getTypeAtLocation(p);
    const type = optional ? checker.getNonNullableType(declared) : declared;
    const shape = shapeOf(type, checker);
    const isNumber = !!(type.flags & (ts.TypeFlags.Number | ts.TypeFlags.NumberLiteral | ts.TypeFlags.Boolean | ts.TypeFlags.BooleanLiteral));
    const isArray = isShape(shape) && shape.k === "arr" && !shape.ints;
    // `opts: Options = {}`: settings whose fields are all optional, none of them when left out
    const settings = isShape(shape) && shape.k === "rec" && shape.fields.every((f) => f.optional) && !!p.initializer && isEmptyObject(p.initializer);
    // `mode: "sum" | "mean" = "sum"`: a choice whose default is one of its strings
    const fallback = isShape(shape) ? choiceDefault(shape, p.initializer) : undefined;
    if (optional && !isNumber && !(isArray && !p.initializer) && !settings && fallback === undefined) {
      if (isShape(shape) && shape.k === "choice") {
        const first = JSON.stringify(shape.values[0] ?? "");
        diagnostics.push(diagnosticAt(Codes.UnsupportedSyntax, p.initializer
          ? `Parameter '${p.name.text}' of '${name}' is a choice among strings whose default is not one of them: give it one of its strings (${p.name.text}: ${checker.typeToString(type)} = ${first}).`
          : `Parameter '${p.name.text}' of '${name}' is a choice among strings that may be left out without a default, which is not supported: give it a default (${p.name.text}: ${checker.typeToString(type)} = ${first}), or make it required.`, p, sf));
        continue;
      }
      if (isShape(shape) && shape.k === "rec") {
        diagnostics.push(diagnosticAt(Codes.UnsupportedSyntax, `Parameter '${p.name.text}' of '${name}' is an object that may be left out: give it the default {} with every field optional (${p.name.text}: { scale?: number } = {}), or make it required.`, p, sf));
        continue;
      }
      diagnostics.push(diagnosticAt(Codes.UnsupportedSyntax, p.initializer
        ? `Parameter '${p.name.text}' of '${name}' is given a default and has type '${checker.typeToString(declared)}': default values are numbers and booleans. Make it optional (${p.name.text}?: …) and test it (if (${p.name.text}) …), or pass it.`
        : `Parameter '${p.name.text}' of '${name}' is optional and has type '${checker.typeToString(declared)}': optional parameters are numbers, booleans, Float64Arrays and number[]. Make it required.`, p, sf));
      continue;
    }
    if (!isShape(shape)) {
      const why = `: ${shape.reason}`;
      diagnostics.push(diagnosticAt(Codes.NonNumericParameter,
        `Parameter '${p.name.text}' of '${name}' has type '${checker.typeToString(type)}'${why}. Differentiable functions take numbers, Float64Arrays, number[], objects of them (nested objects too) and arrays of objects or arrays. Pass other data as numbers or arrays, or move the non-numeric work out of the function.`,
        p.type ?? p, sf));
      continue;
    }
    const t = shape.k === "rec" ? "rec" : shape.k;
    params.push({ name: p.name.text, type: t, shape, ...(shape.k === "arr" && shape.list ? { list: true } : {}), ...(shape.k === "arr" && shape.ints ? { ints: shape.ints } : {}), ...(optional ? { optional: true } : {}), ...(fallback !== undefined ? { fallback } : {}) });
  }
  // a destructured field is keyed by its name, which no other parameter may have
  for (const [i, q] of params.entries()) {
    const other = params.slice(0, i).find((o) => o.name === q.name);
    const pattern = q.pattern ?? other?.pattern;
    if (other && pattern) {
      diagnostics.push(diagnosticAt(Codes.UnsupportedSyntax,
        `Field '${q.name}' of parameter '${decl.parameters[pattern.param]!.name.getText(sf)}' of '${name}' has the name of ${other.pattern && q.pattern ? "a field of another destructured parameter" : "another parameter"}, and its derivative is keyed by that name: rename one, or declare the object as a plain parameter.`, pattern.element, sf));
    }
  }
  // an arrow function's tags are its `const` statement's
  const tags = jsDocTags(boundTo ? boundTo.parent.parent.parent : decl);
  const outputs: string[] = [];
  for (const tag of tags.filter((t) => t.tagName.text === "out")) {
    for (const o of tagText(tag).split(/[\s,]+/).filter(Boolean)) {
      const p = params.find((q) => q.name === o);
      if (!p || p.type !== "arr" || p.ints || p.optional) {
        const what = p?.optional ? "an optional parameter" : "not a Float64Array parameter";
        diagnostics.push(diagnosticAt(Codes.BadTag, `@out names '${o}', which is ${what} of '${name}': outputs are Float64Array parameters the function writes its results into${p?.optional ? " (make it required)" : ""}.`, tag, sf));
      } else outputs.push(o);
    }
  }
  const sig = checker.getSignatureFromDeclaration(decl);
  const ret = sig ? checker.getReturnTypeOfSignature(sig) : undefined;
  const isVoid = !!ret && (ret.flags & ts.TypeFlags.Void) !== 0;
  if (outputs.length > 0 && !ts.isBlock(decl.body)) {
    diagnostics.push(diagnosticAt(Codes.UnsupportedSyntax,
      `'${name}' writes its results into @out parameters with an expression body: give it a block body ({ …; }) that writes them.`, decl.body, sf));
  } else if (outputs.length > 0 && !isVoid) {
    diagnostics.push(diagnosticAt(Codes.NonNumericReturn,
      `'${name}' writes its results into @out parameters, so it must return nothing ('void'); return values and @out outputs cannot be mixed.`,
      decl.type ?? id, sf));
  } else if (outputs.length === 0 && (!ret || irTypeOf(ret, checker) !== "num")) {
    diagnostics.push(diagnosticAt(Codes.NonNumericReturn,
      `'${name}' returns '${ret ? checker.typeToString(ret) : "unknown"}': a differentiable function must return a 'number' (the value to differentiate), or write Float64Array results into parameters declared with '@out name'.`,
      decl.type ?? id, sf));
  }

  // integer arrays hold indices and counts: nothing to differentiate with respect to
  const integer = (w: string) => params.find((p) => p.name === w)?.ints;
  // and a boolean is a flag
  const flag = (w: string) => ["bool", "choice"].includes(params.find((p) => p.name === w)?.type ?? "");
  let wrt = params.map((p) => p.name).filter((p) => !outputs.includes(p) && !integer(p) && !flag(p));
  let modes: string[] | undefined;
  for (const tag of tags) {
    const tname = tag.tagName.text;
    if (tname === "wrt") {
      const names = tagText(tag).split(/[\s,]+/).filter(Boolean);
      for (const w of names) {
        const renamed = params.find((p) => p.pattern?.local === w && p.name !== w);
        if (renamed) {
          diagnostics.push(diagnosticAt(Codes.BadTag,
            `@wrt names '${w}', the name the body gives field '${renamed.name}' of a destructured parameter; derivatives are keyed by the field: @wrt ${renamed.name}.`, tag, sf));
        } else if (!params.some((p) => p.name === w) || outputs.includes(w)) {
          diagnostics.push(diagnosticAt(Codes.BadTag,
            `@wrt names '${w}', which is not a numeric input parameter of '${name}' (inputs: ${params.filter((p) => !outputs.includes(p.name)).map((p) => p.name).join(", ") || "none"}).`, tag, sf));
        } else if (integer(w)) {
          diagnostics.push(diagnosticAt(Codes.BadTag,
            `@wrt names '${w}', ${intArrayNoun(integer(w)!)}: its elements are integers, which have no derivative. Remove it from @wrt (it stays an input), or make it a Float64Array if its values are real numbers.`, tag, sf));
        } else if (flag(w)) {
          diagnostics.push(diagnosticAt(Codes.BadTag,
            `@wrt names '${w}', ${params.find((p) => p.name === w)?.type === "bool" ? "a boolean" : "a choice among strings"}: a flag has no derivative. Remove it from @wrt (it stays an input).`, tag, sf));
        }
      }
      wrt = params.map((p) => p.name).filter((p) => names.includes(p) && !outputs.includes(p) && !integer(p) && !flag(p));
    } else if (tname === "modes") {
      modes = tagText(tag).split(/[\s,]+/).filter(Boolean);
      for (const m of modes) {
        if (!(MODES as readonly string[]).includes(m)) {
          diagnostics.push(diagnosticAt(Codes.BadTag, `@modes names '${m}': the modes are ${MODES.slice(0, -1).join(", ")} and ${MODES[MODES.length - 1]}.`, tag, sf));
        }
      }
    }
  }
  if (diagnostics.length > before) return undefined;
  return { name, decl: decl as DifferentiableDecl, sourceFile: sf, params, wrt, modes, outputs };
}

/**
 * The fields an object parameter destructured in the signature names (`{ w, b: bias }: Params`),
 * each a parameter of its own keyed by its field. The parameter's type is a record of numbers
 * and arrays as a record parameter's is; each element a field, plain or renamed, optional or
 * with a default (nested patterns and rest elements are reported, with the fix).
 */
function patternParams(
  p: ts.ParameterDeclaration, pattern: ts.ObjectBindingPattern, index: number, name: string,
  sf: ts.SourceFile, checker: ts.TypeChecker, diagnostics: Diagnostic[],
): AnnotatedFunction["params"] {
  const text = p.name.getText(sf);
  const type = checker.getNonNullableType(checker.getTypeAtLocation(p));
  const whole = shapeOf(type, checker);
  // `{ gain, offset = 0.25 }: Options = {}`: settings whose fields are all optional, none given when left out
  const settings = !!p.initializer && isEmptyObject(p.initializer) && !p.questionToken && isShape(whole) && whole.k === "rec" && whole.fields.every((f) => f.optional);
  if ((p.initializer || p.questionToken) && !settings) {
    diagnostics.push(diagnosticAt(Codes.UnsupportedSyntax, `Parameter '${text}' of '${name}' is destructured and may be left out, which is supported only with the default {} and every field optional ({ gain = 1 }: { gain?: number } = {}): give it that, or make it required.`, p, sf));
    return [];
  }
  if (!isShape(whole) || whole.k !== "rec") {
    const why = isShape(whole) ? "it is not an object" : whole.reason;
    diagnostics.push(diagnosticAt(Codes.NonNumericParameter, `Parameter '${text}' of '${name}' has type '${checker.typeToString(type)}': ${why}. A parameter destructured in the signature is an object of numbers and arrays (nested objects too), as an object parameter is.`, p.type ?? p, sf));
    return [];
  }
  const out: AnnotatedFunction["params"] = [];
  for (const el of pattern.elements) {
    const bad = (why: string, fix: string) => diagnostics.push(diagnosticAt(Codes.UnsupportedSyntax, `'${el.getText(sf)}' in parameter '${text}' of '${name}': ${why} ${fix}`, el, sf));
    if (el.dotDotDotToken) { bad("a rest element in a destructured parameter is not supported.", "Name each field (or declare a plain parameter and read its fields in the body)."); continue; }
    if (!ts.isIdentifier(el.name)) { bad("a nested pattern in a destructured parameter is not supported.", `Bind the field to a name and destructure it in the body (const { … } = ${el.propertyName?.getText(sf) ?? "field"}).`); continue; }
    const prop = el.propertyName;
    const field = !prop ? el.name.text : ts.isIdentifier(prop) || ts.isStringLiteral(prop) ? prop.text : undefined;
    const f = whole.fields.find((q) => q.name === field);
    if (field === undefined || !f) { bad("a computed field name is not supported.", "Name the field."); continue; }
    // `{ gain }` of `gain?: number`, or `{ offset = 0.25 }`: a field that may be left out (a
    // number, boolean or array, as an optional parameter is), whose default the body applies
    const isNumber = f.shape.k === "num" || f.shape.k === "bool";
    // `{ mode = "sum" }` of a choice among strings: one of its strings, which the prologue applies
    const fallback = choiceDefault(f.shape, el.initializer);
    if (el.initializer && !isNumber && fallback === undefined) { bad(`field '${field}' is given a default, and default values are numbers, booleans and, for a choice among strings, one of its strings.`, `Leave out the default and test the field in the body (if (${el.name.text}) …).`); continue; }
    const optional = !!f.optional || !!el.initializer;
    const t = f.shape.k === "rec" ? "rec" : f.shape.k;
    out.push({
      name: field, type: t, shape: f.shape,
      ...(f.shape.k === "arr" && f.shape.list ? { list: true } : {}), ...(f.shape.k === "arr" && f.shape.ints ? { ints: f.shape.ints } : {}),
      ...(optional ? { optional: true } : {}), ...(fallback !== undefined ? { fallback } : {}),
      pattern: { param: index, local: el.name.text, element: el, whole, ...(settings ? { settings: true } : {}) },
    });
  }
  return out;
}

/** The default of a choice among strings, when it is one of its strings (`mode: Mode = "sum"`). */
function choiceDefault(shape: Shape, initializer: ts.Expression | undefined): string | undefined {
  const init = initializer && skipTypes(initializer);
  return shape.k === "choice" && init && ts.isStringLiteralLike(init) && shape.values.includes(init.text) ? init.text : undefined;
}

/** `e` without parentheses and type assertions. */
function skipTypes(e: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isSatisfiesExpression(e) || ts.isTypeAssertionExpression(e)) e = e.expression;
  return e;
}

/** `{}`, through parentheses and type assertions. */
function isEmptyObject(e: ts.Expression): boolean {
  const o = skipTypes(e);
  return ts.isObjectLiteralExpression(o) && o.properties.length === 0;
}
