/**
 * The fence's checks of what may be undefined (the predicates are in 3-lower/optional.ts, shared
 * with lowering). In: a read of an optional field or parameter (`opts.scale`, `scale?: number`,
 * `bias?: Float64Array`), or of a list's element a search found (`const seg = segs.find(p)`).
 * Out: its type where the read is defined (narrowed, tested, asserted, or with a fallback), or a
 * located diagnostic naming the fix.
 */
import ts from "typescript";
import { Codes } from "../../diagnostics.ts";
import { foundElementSearch, isOptionalArray, isTruthinessUse, outermostParens, signatureField } from "../3-lower/optional.ts";
import { describeType } from "./names.ts";
import { type FType, type Scope, stripTypes } from "./state.ts";
import { ArrayFence } from "./arrays.ts";

export abstract class OptionalFence extends ArrayFence {
  /**
   * What `??` and a test against undefined read: an optional field of an object (checked as its
   * object is) or an optional parameter of the function; false when reported.
   */
  protected optionalOperand(e: ts.Expression, scope: Scope): boolean {
    if (ts.isIdentifier(e)) return foundElementSearch(e, this.checker) ? this.expr(e, scope) !== undefined : this.optionalParam(e, scope, true) !== undefined;
    return this.expr((e as ts.PropertyAccessExpression).expression, scope) !== undefined;
  }

  /**
   * A read of a parameter declared `scale?: number`: a number where TypeScript narrows it to
   * one (after `if (scale !== undefined)`), tested for truthiness, asserted (`scale!`), or read by
   * `??` and tests against undefined (`guarded`); reported elsewhere.
   */
  protected optionalParam(e: ts.Identifier, scope: Scope, guarded = false): FType | undefined {
    const d = this.checker.getSymbolAtLocation(e)?.valueDeclaration;
    const array = isOptionalArray(e, this.checker);
    if (!d || (signatureField(d) ? d.parent.parent.parent : d.parent) !== this.fn.decl) return this.report(Codes.UnsupportedSyntax, `'${e.text}' is an optional parameter of a helper: ${array ? "make it required" : `give it a default (${e.text} = 1), or make it required`}.`, e);
    if (array) return this.optionalArray(e, "parameter", guarded);
    if (guarded || isTruthinessUse(e) || ts.isNonNullExpression(outermostParens(e).parent)) return "num";
    if (this.typeOfNode(e) === "num") return "num";
    return this.report(Codes.UnsupportedSyntax, `'${e.text}' is an optional parameter and may be undefined here: give a fallback (${e.text} ?? 1) or a default (${e.text} = 1), or test it first (if (${e.text} !== undefined) …).`, e);
  }

  /**
   * A read of an optional array (`p.bias`, `bias` of `bias?: Float64Array`): the array where
   * TypeScript narrows it to one (after `if (p.bias)`) or where it is asserted (`p.bias!`); a
   * boolean, whether it is given, where it is tested (`if (p.bias)`, `p.bias !== undefined`).
   */
  protected optionalArray(e: ts.Expression, what: "field" | "parameter", guarded: boolean): FType | undefined {
    if (guarded || isTruthinessUse(e)) return "bool";
    if (this.typeOfNode(e) === "arr" || ts.isNonNullExpression(outermostParens(e).parent)) return "arr";
    const text = e.getText();
    return this.report(Codes.UnsupportedSyntax, `'${text}' is an optional ${what} and may be undefined here: test it first (if (${text}) …, or ${text} ? … : …) and read it where it is given, or read an element with a fallback (${text}?.[i] ?? 0).`, e);
  }

  /** `opts.scale ?? fallback`: the field (or parameter) when it is given, else the fallback, a number. */
  protected optionalFallback(e: ts.BinaryExpression, scope: Scope): FType | undefined {
    const left = stripTypes(e.left);
    if (isOptionalArray(left, this.checker)) {
      return this.report(Codes.UnsupportedSyntax, `'${e.getText()}' chooses between two arrays, which differentiable code does not do: test '${left.getText()}' instead (if (${left.getText()}) …) and read it where it is given.`, e);
    }
    if (!this.optionalOperand(left, scope)) return undefined;
    const t = this.expr(e.right, scope);
    if (t !== undefined && t !== "num") return this.report(Codes.UnsupportedSyntax, `The fallback of '${left.getText()}' must be a number, but '${e.right.getText()}' is ${describeType(t)}.`, e.right);
    return t;
  }

  /**
   * `seg?.slope` (or `seg?.line.slope`) of a list's element found by a search, undefined when
   * none was: read with a fallback (`?? 0`) or tested; false when reported.
   */
  protected foundFieldChain(e: ts.PropertyAccessExpression): boolean {
    let chain: ts.Expression = e;
    while (ts.isPropertyAccessExpression(chain.parent) && chain.parent.expression === chain) chain = chain.parent;
    const top = outermostParens(chain);
    const p = top.parent;
    const fallback = ts.isBinaryExpression(p) && p.left === top && p.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken;
    if (fallback || isTruthinessUse(chain)) return true;
    const el = e.expression.getText();
    this.report(Codes.UnsupportedSyntax, `'${chain.getText()}' is undefined when '${el}' finds nothing: give a fallback (${chain.getText()} ?? 0), or test '${el}' first (if (${el}) …).`, chain);
    return false;
  }
}
