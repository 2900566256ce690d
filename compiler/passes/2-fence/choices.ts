/**
 * The fence's checks of choices among strings (`kind: "l1" | "l2"`, `opts.mode: "sum" | "mean"`).
 * In: an expression whose type is a union of strings, a switch on one, or a helper's argument for
 * a parameter of such a type. Out: the comparison's type (`kind === "l1"` is a boolean) where the
 * lowering reads the strings' booleans (3-lower/index.ts, `choices` in 3-lower/env.ts), or a
 * located diagnostic naming what is supported: comparisons with one of the strings, a switch
 * whose cases are strings, and passing the choice (or one of its strings) to a helper.
 */
import ts from "typescript";
import { Codes } from "../../diagnostics.ts";
import { isShape, shapeOf } from "../../ir/shape.ts";
import { choiceFallback, skipParens, stringComparison } from "../3-lower/resolve.ts";
import { type FType, type Scope, stripTypes } from "./state.ts";
import { OptionalFence } from "./optional.ts";
import { isTruthinessUse, signatureField } from "../3-lower/optional.ts";

export abstract class ChoiceFence extends OptionalFence {
  /**
   * Whether an expression is a choice among strings the lowering knows (`kind`, `opts.mode`): a
   * parameter of the differentiable function whose type is a union of strings, such a parameter
   * of a helper (bound to one at each call, checked there), or such a field of an object.
   */
  protected isChoice(e0: ts.Expression, seen = new Set<ts.Node>()): boolean {
    const e = stripTypes(e0);
    // `opts.mode ?? "sum"`: the choice, or the fallback string when it holds none of its strings
    const fallback = choiceFallback(e);
    if (fallback) return this.isChoice(fallback.choice, seen);
    if (!ts.isIdentifier(e) && !ts.isPropertyAccessExpression(e)) return false;
    // an optional field or destructured field may be undefined: none of the strings then
    const shape = shapeOf(this.checker.getNonNullableType(this.checker.getTypeAtLocation(e)), this.checker);
    if (!isShape(shape) || shape.k !== "choice") return false;
    if (ts.isPropertyAccessExpression(e)) return this.typeOfNode(e.expression) === "obj";
    const d = this.checker.getSymbolAtLocation(e)?.valueDeclaration;
    // a field destructured in the signature (`{ kind }: Options`) is one of its parameters
    if (d && signatureField(d)) return d.parent.parent.parent === this.fn.decl;
    // another name of one, `const mode = opts.mode ?? "sum"` (the lowering binds it to the same booleans)
    if (d && ts.isVariableDeclaration(d) && ts.isIdentifier(d.name) && d.initializer && !seen.has(d)) return this.isChoice(d.initializer, seen.add(d));
    // a field of an object passed in, destructured in the body: `const { mode = "sum" } = opts`
    if (d && ts.isBindingElement(d) && ts.isObjectBindingPattern(d.parent)) return !d.initializer || ts.isStringLiteralLike(skipParens(d.initializer));
    return !!d && ts.isParameter(d) && (d.parent === this.fn.decl || this.choiceParameter(d));
  }

  /** Whether a helper's parameter is a required choice among strings. */
  protected choiceParameter(p: ts.ParameterDeclaration): boolean {
    const shape = shapeOf(this.checker.getTypeAtLocation(p), this.checker);
    return isShape(shape) && shape.k === "choice" && !p.questionToken && !p.initializer && ts.isIdentifier(p.name);
  }

  /** The strings of a choice (an optional one may be undefined too). */
  private choiceValues(e: ts.Expression): string[] {
    return (shapeOf(this.checker.getNonNullableType(this.checker.getTypeAtLocation(e)), this.checker) as { values: string[] }).values;
  }

  /**
   * A read of a choice anywhere but a comparison with one of its strings: a truth test (`if
   * (opts.mode)`: it holds a non-empty string) is a boolean; any other use is reported.
   */
  protected choiceRead(e: ts.Expression): "bool" | undefined {
    return isTruthinessUse(e) ? "bool" : this.choiceUse(e);
  }

  /** The message for a use of a choice among strings other than a comparison with one of them. */
  protected choiceUse(e: ts.Expression): undefined {
    const text = e.getText();
    const values = this.choiceValues(e);
    const first = values[0] ?? "";
    return this.report(Codes.UnsupportedSyntax, `'${text}' is a choice among strings (${values.map((v) => JSON.stringify(v)).join(" | ")}): compare it with one of them (${text} === ${JSON.stringify(first)}), switch on it, or pass it to a helper's parameter of its type.`, e);
  }

  /** The object a field of a choice is read from (`opts` of `opts.mode`) is checked as any object is; false when reported. */
  private choiceObject(e: ts.Expression, scope: Scope): boolean {
    const inner = stripTypes(skipParens(e));
    const fallback = choiceFallback(inner);
    if (fallback) return this.choiceObject(fallback.choice, scope);
    return !ts.isPropertyAccessExpression(inner) || this.expr(inner.expression, scope) !== undefined;
  }

  /**
   * `kind === "l1"` (`!==`, `==`, `!=`, either way round) of a choice: a boolean (undefined when
   * reported); false when the expression is no such comparison.
   */
  protected choiceTest(e: ts.BinaryExpression, scope: Scope): FType | undefined | false {
    const c = stringComparison(e);
    if (!c || !this.isChoice(c.subject)) return false;
    return this.choiceObject(c.subject, scope) ? "bool" : undefined;
  }

  /** A helper's argument for a parameter that is a choice: a choice, or one of its strings; false when reported. */
  protected choiceArgument(a: ts.Expression, scope: Scope): boolean {
    if (ts.isStringLiteralLike(skipParens(a))) return true;
    if (!this.isChoice(a)) {
      this.report(Codes.UnsupportedSyntax, `'${a.getText()}' is passed for a choice among strings: pass a choice of the same strings (a parameter, or a field of one), or one of them ("…").`, a);
      return false;
    }
    return this.choiceObject(a, scope);
  }

  /** `const mode = opts.mode ?? "sum"`, another name of a choice: its object checked; false when the declaration is of something else. */
  protected choiceLocal(d: ts.VariableDeclaration, scope: Scope): boolean {
    if (!d.initializer || !this.isChoice(d.initializer)) return false;
    this.choiceObject(d.initializer, scope);
    return true;
  }

  /** `{ mode = "sum" } = opts`, a choice destructured from an object: whether the element is one (nothing to report). */
  protected choiceElement(el: ts.BindingElement): boolean {
    return ts.isIdentifier(el.name) && !el.dotDotDotToken && this.isChoice(el.name);
  }

  /** A write to a choice among strings (`mode = "max"`), which is read, not written: reported (true), or false for other targets. */
  protected choiceWrite(target: ts.Expression): boolean {
    if (!this.isChoice(target)) return false;
    const text = target.getText();
    const first = this.choiceValues(target)[0] ?? "";
    const flag = `is${first.charAt(0).toUpperCase()}${first.slice(1).replace(/[^A-Za-z0-9_$]/g, "")}`;
    this.report(Codes.UnsupportedSyntax, `'${text}' is a choice among strings, which differentiable code reads but does not write: keep what it decides in a boolean (let ${flag} = ${text} === ${JSON.stringify(first)}) and write that.`, target);
    return true;
  }

  /**
   * `switch (kind)` of a choice: its object checked, and each case one of its strings. False when
   * the switch is on something else (checked as any switch is).
   */
  protected choiceSwitch(s: ts.SwitchStatement, scope: Scope): boolean {
    if (!this.isChoice(skipParens(s.expression))) return false;
    this.choiceObject(s.expression, scope);
    for (const c of s.caseBlock.clauses) {
      if (ts.isCaseClause(c) && !ts.isStringLiteralLike(skipParens(c.expression))) {
        this.report(Codes.UnsupportedSyntax, `The switch compares the choice '${s.expression.getText()}': its cases are its strings (case "…":).`, c.expression);
      }
    }
    return true;
  }
}
