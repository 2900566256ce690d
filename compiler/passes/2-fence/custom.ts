/**
 * The fence's checks of functions with user-supplied derivatives (`@pullback` / `@pushforward`).
 *
 * In:  a call of such a function from differentiable code (resolve.ts: a `custom` callee), and
 *      hooks into the fence for the call's arguments.
 * Out: one located diagnostic per problem, each with the fix: a tag without a name, a name that
 *      is neither declared nor imported in the function's module, a function generated code
 *      cannot import (not exported), a parameter or result whose type does not match.
 * Holds: the function's body is never checked (it is called, not differentiated); each function
 *      is checked once, however often it is called.
 *
 *   foo(...params): number
 *   fooPullback(...params, dResult: number): { [param]: number | Float64Array | number[] }
 *   fooPushforward(...params, tangents: { [param]: number | Float64Array }): { value: number; tangent: number }
 *
 * Whether a pullback can itself be differentiated (for Hvp) is `fenceRecordReturn`'s part: the
 * fence checks its body like a helper's, with this file checking its `return { … }`.
 */
import ts from "typescript";
import { Codes, type Code } from "../../diagnostics.ts";
import type { Type } from "../../ir/types.ts";
import { irTypeOf, isNumberArray } from "../1-parse/index.ts";
import { isIntArrayName } from "../../ir/types.ts";
import type { ResolveContext } from "../3-lower/resolve.ts";
import { ruleTags, findRule, calledFunction, type RuleTag } from "../3-lower/custom-rules.ts";

/** What the fence lends these checks: its expression checks and its reporter. */
export interface FenceHooks {
  /** The type of an expression (undefined once reported): an IR type, or "obj" for a record. */
  expr(e: ts.Expression): Type | "obj" | undefined;
  /** Whether an expression is an array value (reported otherwise). */
  arrayValue(e: ts.Expression): boolean;
  report(code: Code, message: string, node: ts.Node): undefined;
}

/** A parameter of a function with custom derivatives. */
interface Param {
  name: string;
  type: "num" | "arr";
}

const typeName = (t: "num" | "arr") => (t === "num" ? "number" : "Float64Array");
const signature = (ps: Param[]) => ps.map((p) => `${p.name}: ${typeName(p.type)}`).join(", ");
const record = (ps: Param[], arrays: string) => `{ ${ps.map((p) => `${p.name}: ${p.type === "num" ? "number" : arrays}`).join("; ")} }`;

export class CustomFence {
  /** Each function's parameters once checked (null: reported). */
  private checked = new Map<ts.FunctionDeclaration, Param[] | null>();
  /** Call sites' modules already checked for each function (generated code imports it as they do). */
  private importable = new Set<string>();

  constructor(private cx: ResolveContext, private style: string) {}

  private get checker(): ts.TypeChecker {
    return this.cx.checker;
  }

  /** A call of `decl` from differentiable code: its rules, then the call itself. Returns the call's type. */
  call(decl: ts.FunctionDeclaration, call: ts.CallExpression, callee: ts.Identifier, asStatement: boolean, hooks: FenceHooks): Type | undefined {
    const name = decl.name?.text ?? callee.text;
    let params = this.checked.get(decl);
    if (params === undefined) {
      params = this.rules(decl, name, hooks) ?? null;
      this.checked.set(decl, params);
    }
    if (params === null) return undefined;
    const site = `${decl.pos}:${decl.getSourceFile().fileName}:${callee.getSourceFile().fileName}`;
    if (!this.importable.has(site)) {
      this.importable.add(site);
      if (!calledFunction(callee, this.checker, this.style)) {
        return hooks.report(Codes.CustomDerivative, `'${name}' has its own derivatives, so the generated module calls it and must import it: export it from its module (export function ${name}(…)).`, callee);
      }
    }
    if (call.arguments.length !== params.length) {
      return hooks.report(Codes.UnsupportedSyntax, `'${name}' takes ${params.length} argument(s), but is called with ${call.arguments.length}: pass every argument.`, call);
    }
    for (const [i, a] of call.arguments.entries()) {
      const p = params[i]!;
      if (p.type === "arr") {
        if (!hooks.arrayValue(a)) return undefined;
        continue;
      }
      const t = hooks.expr(a);
      if (t === undefined) return undefined;
      if (t !== "num") return hooks.report(Codes.UnsupportedSyntax, `Argument ${i + 1} of '${name}' must be a number.`, a);
    }
    if (asStatement) return hooks.report(Codes.UnsupportedSyntax, `The result of '${name}(...)' is unused: assign it or remove the call.`, call);
    return "num";
  }

  /** The function's own signature and its tags' functions; its parameters, or undefined once reported. */
  private rules(decl: ts.FunctionDeclaration, name: string, hooks: FenceHooks): Param[] | undefined {
    const params: Param[] = [];
    let ok = true;
    for (const p of decl.parameters) {
      if (!ts.isIdentifier(p.name) || p.dotDotDotToken || p.initializer || p.questionToken) {
        hooks.report(Codes.UnsupportedSyntax, `Parameter '${p.name.getText()}' of '${name}', which has its own derivatives: declare plain parameters typed number or Float64Array (no destructuring, rest, optional or default parameters).`, p);
        ok = false;
        continue;
      }
      const t = this.checker.getTypeAtLocation(p);
      const ir = irTypeOf(t, this.checker);
      const ints = t.getSymbol()?.getName();
      if ((ir !== "num" && ir !== "arr") || isNumberArray(t, this.checker) || (ints !== undefined && isIntArrayName(ints))) {
        hooks.report(Codes.NonNumericParameter, `Parameter '${p.name.text}' of '${name}' has type '${this.checker.typeToString(t)}': a function with its own derivatives takes number and Float64Array parameters.`, p.type ?? p);
        ok = false;
        continue;
      }
      params.push({ name: p.name.text, type: ir });
    }
    const sig = this.checker.getSignatureFromDeclaration(decl);
    const ret = sig && this.checker.getReturnTypeOfSignature(sig);
    if (!ret || irTypeOf(ret, this.checker) !== "num") {
      hooks.report(Codes.NonNumericReturn, `'${name}' returns '${ret ? this.checker.typeToString(ret) : "unknown"}': a function with its own derivatives must return a number.`, decl.type ?? decl.name ?? decl);
      ok = false;
    }
    if (!ok) return undefined;

    const tags = ruleTags(decl);
    const seen = new Map<string, RuleTag>();
    for (const t of tags) {
      if (seen.has(t.kind)) {
        hooks.report(Codes.BadTag, `'${name}' has more than one @${t.kind}: keep one.`, t.tag);
        ok = false;
        continue;
      }
      seen.set(t.kind, t);
      if (!t.name) {
        hooks.report(Codes.BadTag, `@${t.kind} needs the name of the function that computes it: @${t.kind} ${name}${t.kind === "pullback" ? "Pullback" : "Pushforward"}.`, t.tag);
        ok = false;
        continue;
      }
      if (!this.rule(decl, name, params, t, hooks)) ok = false;
    }
    return ok ? params : undefined;
  }

  /** One tag: the function it names exists in the module, can be imported, and has the right signature. */
  private rule(decl: ts.FunctionDeclaration, name: string, params: Param[], t: RuleTag, hooks: FenceHooks): boolean {
    const file = decl.getSourceFile().fileName.split("/").pop();
    const want = t.kind === "pullback"
      ? `export function ${t.name}(${signature(params)}${params.length ? ", " : ""}dResult: number): ${record(params, "Float64Array")}`
      : `export function ${t.name}(${signature(params)}${params.length ? ", " : ""}tangents: ${record(params, "Float64Array")}): { value: number; tangent: number }`;
    const found = findRule(decl, t.name, this.checker, this.style);
    if (found === undefined) {
      hooks.report(Codes.MissingFunction, `@${t.kind} of '${name}' names '${t.name}', which is neither declared nor imported in ${file}: declare it there (${want} { … }) or import it.`, t.tag);
      return false;
    }
    if (found === "not-a-function") {
      hooks.report(Codes.BadTag, `@${t.kind} of '${name}' names '${t.name}', which is not a function: name a function declared as ${want} { … }.`, t.tag);
      return false;
    }
    const rd = found.decl;
    const at = rd.name ?? rd;
    if (found.local && !rd.body && !rd.getSourceFile().isDeclarationFile) {
      hooks.report(Codes.CustomDerivative, `'${t.name}', the ${t.kind} of '${name}', has no body: give it one (${want} { … }).`, at);
      return false;
    }
    if (!found.ref) {
      hooks.report(Codes.CustomDerivative, `'${t.name}', the ${t.kind} of '${name}', is not exported, but the generated module calls it: export it (export function ${t.name}(…)).`, at);
      return false;
    }
    const ps = rd.parameters;
    if (ps.length !== params.length + 1) {
      hooks.report(Codes.CustomDerivative, `'${t.name}' takes ${ps.length} parameter(s), but the ${t.kind} of '${name}(${params.map((p) => p.name).join(", ")})' takes ${params.length + 1}: ${want}.`, at);
      return false;
    }
    for (const [i, p] of params.entries()) {
      const q = ps[i]!;
      const qt = this.checker.getTypeAtLocation(q);
      const ir = irTypeOf(qt, this.checker);
      if (ir !== p.type || isNumberArray(qt, this.checker) || q.dotDotDotToken) {
        hooks.report(Codes.CustomDerivative, `Parameter ${i + 1} of '${t.name}' has type '${this.checker.typeToString(qt)}', but '${name}' passes its parameter '${p.name}' there, a ${typeName(p.type)}: ${want}.`, q.type ?? q);
        return false;
      }
    }
    const last = ps[params.length]!;
    const lastType = this.checker.getTypeAtLocation(last);
    const sig = this.checker.getSignatureFromDeclaration(rd);
    const ret = sig && this.checker.getReturnTypeOfSignature(sig);
    const retAt = rd.type ?? at;
    if (t.kind === "pullback") {
      if (irTypeOf(lastType, this.checker) !== "num") {
        hooks.report(Codes.CustomDerivative, `The last parameter of '${t.name}' is the cotangent of '${name}''s result, a number, but has type '${this.checker.typeToString(lastType)}': ${want}.`, last.type ?? last);
        return false;
      }
      return this.fields(ret, params, `'${t.name}' returns`, want, retAt, hooks, (p, ft) => {
        const ir = irTypeOf(ft, this.checker);
        return p.type === "num" ? ir === "num" : ir === "arr";
      }, p => (p.type === "num" ? "number" : "Float64Array or number[]"), true);
    }
    if (!this.fields(lastType, params, `The tangents parameter of '${t.name}' has`, want, last.type ?? last, hooks, (p, ft) => {
      const ir = irTypeOf(this.checker.getNonNullableType(ft), this.checker);
      return p.type === "num" ? ir === "num" : ir === "arr" && !isNumberArray(this.checker.getNonNullableType(ft), this.checker);
    }, (p) => typeName(p.type), false)) return false;
    for (const field of ["value", "tangent"]) {
      const prop = ret && this.checker.getPropertyOfType(ret, field);
      const ft = prop && this.checker.getTypeOfSymbolAtLocation(prop, rd);
      if (!ft || irTypeOf(ft, this.checker) !== "num" || prop.flags & ts.SymbolFlags.Optional) {
        hooks.report(Codes.CustomDerivative, `'${t.name}' must return { value: number; tangent: number } (the value of '${name}' and its tangent), but returns '${ret ? this.checker.typeToString(ret) : "unknown"}': ${want}.`, retAt);
        return false;
      }
    }
    return true;
  }

  /** An object type with one field per parameter, each of the type `fits` accepts. */
  private fields(
    t: ts.Type | undefined, params: Param[], what: string, want: string, at: ts.Node, hooks: FenceHooks,
    fits: (p: Param, ft: ts.Type) => boolean, expected: (p: Param) => string, exact: boolean,
  ): boolean {
    const text = t ? this.checker.typeToString(t) : "unknown";
    if (!t || irTypeOf(t, this.checker) !== undefined || !(t.flags & ts.TypeFlags.Object)) {
      hooks.report(Codes.CustomDerivative, `${what} type '${text}', but it must be an object with one field per parameter: ${want}.`, at);
      return false;
    }
    for (const p of params) {
      const prop = this.checker.getPropertyOfType(t, p.name);
      if (!prop) {
        hooks.report(Codes.CustomDerivative, `${what} type '${text}', which has no field '${p.name}' (${expected(p)}): ${want}.`, at);
        return false;
      }
      const ft = this.checker.getTypeOfSymbolAtLocation(prop, at);
      if (exact && prop.flags & ts.SymbolFlags.Optional) {
        hooks.report(Codes.CustomDerivative, `${what} type '${text}', whose field '${p.name}' is optional: make it required (${expected(p)}).`, at);
        return false;
      }
      if (!fits(p, ft)) {
        hooks.report(Codes.CustomDerivative, `${what} type '${text}', whose field '${p.name}' is '${this.checker.typeToString(ft)}', but '${p.name}' needs ${expected(p)}: ${want}.`, at);
        return false;
      }
    }
    const names = new Set(params.map((p) => p.name));
    for (const prop of this.checker.getPropertiesOfType(t)) {
      if (names.has(prop.name) || (!exact && prop.flags & ts.SymbolFlags.Optional)) continue;
      hooks.report(Codes.CustomDerivative, `${what} type '${text}', whose field '${prop.name}' is not a parameter (the parameters are ${params.map((p) => p.name).join(", ") || "none"}): remove it.`, at);
      return false;
    }
    return true;
  }
}

/**
 * `return { x: …, xs: … }` at the end of a pullback checked for differentiation (Hvp): an object
 * literal with one plain field per parameter, each a number or an array as the parameter is.
 */
export function fenceRecordReturn(s: ts.ReturnStatement, fields: Map<string, Type>, hooks: FenceHooks): void {
  const e = s.expression && stripParens(s.expression);
  if (!e || !ts.isObjectLiteralExpression(e)) {
    hooks.report(Codes.UnsupportedSyntax, `A pullback is differentiated (for Hvp) when it returns an object literal with one field per parameter: return { ${[...fields.keys()].join(", ")} }.`, s);
    return;
  }
  for (const prop of e.properties) {
    const pname = prop.name && ts.isIdentifier(prop.name) ? prop.name.text : undefined;
    const type = pname === undefined ? undefined : fields.get(pname);
    if (type === undefined || !(ts.isPropertyAssignment(prop) || ts.isShorthandPropertyAssignment(prop))) {
      hooks.report(Codes.UnsupportedSyntax, `The field '${prop.getText()}' of a pullback's result is not supported here: write one plain field per parameter (${[...fields.keys()].join(", ")}).`, prop);
      return;
    }
    const value = ts.isPropertyAssignment(prop) ? prop.initializer : prop.name;
    if (type === "arr") {
      if (!hooks.arrayValue(value)) return;
      continue;
    }
    const t = hooks.expr(value);
    if (t === undefined) return;
    if (t !== "num") {
      hooks.report(Codes.UnsupportedSyntax, `The field '${pname}' of a pullback's result must be a number.`, value);
      return;
    }
  }
}

function stripParens(e: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isSatisfiesExpression(e)) e = e.expression;
  return e;
}
