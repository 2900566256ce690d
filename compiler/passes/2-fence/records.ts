/**
 * The fence's checks of objects of numbers that are made and rebound: what a helper returning
 * one returns (an object literal, spreads allowed), and `p = <new object>` for a local one, which
 * the generated code lowers to copies into `p`'s fields (3-lower/statements.ts, rebindRecord);
 * and the fields an object pattern binds (`const { a, b: c } = p`).
 */
import ts from "typescript";
import { Codes } from "../../diagnostics.ts";
import { numberRecordFields, resolveCallee, returnsRecord } from "../3-lower/resolve.ts";
import { type Scope, stripTypes } from "./state.ts";
import { CallbackFence } from "./callbacks.ts";
import { useInContext } from "./arrays.ts";
import { describeType, memberUse } from "./names.ts";
import { isOptionalBinding } from "../3-lower/optional.ts";

export abstract class RecordFence extends CallbackFence {
  /** Whether a record expression is an object of this function (which it may write), not a parameter's. */
  protected isLocalRecord(e0: ts.Expression): boolean {
    let e = stripTypes(e0);
    if (ts.isObjectLiteralExpression(e)) return true;
    while (ts.isPropertyAccessExpression(e)) e = stripTypes(e.expression);
    if (!ts.isIdentifier(e)) return false;
    const sym = this.checker.getSymbolAtLocation(e);
    return !!sym && this.localRecords.has(sym);
  }

  /** What a helper returning a record of numbers returns: an object literal with a number for each field. */
  protected recordResult(e0: ts.Expression, fields: string[], scope: Scope): void {
    const e = stripTypes(e0);
    const shape = `{ ${fields.join(", ")} }`;
    if (!ts.isObjectLiteralExpression(e)) {
      this.report(Codes.UnsupportedSyntax, `'${scope.name}' returns an object: return an object literal of its fields (return ${shape}), so that each field is a value of its own.`, e0);
      return;
    }
    const seen = new Set<string>();
    for (const p of e.properties) {
      if (ts.isSpreadAssignment(p)) {
        // `return { ...s, x: s.x + h }`: s's numbers, then the fields written after it
        const given = this.typeOfNode(p.expression) === "obj" ? numberRecordFields(this.checker.getTypeAtLocation(p.expression), this.checker) : undefined;
        if (!given || !given.every((f) => fields.includes(f))) {
          this.report(Codes.UnsupportedSyntax, `The spread '${p.getText()}' in what '${scope.name}' returns must copy an object of numbers of the fields ${shape}.`, p);
          return;
        }
        if (this.expr(p.expression, scope) === undefined) return;
        continue;
      }
      const name = (ts.isPropertyAssignment(p) || ts.isShorthandPropertyAssignment(p)) && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) ? p.name.text : undefined;
      if (name === undefined || !fields.includes(name) || seen.has(name)) {
        this.report(Codes.UnsupportedSyntax, `The field '${p.getText().split("\n")[0]}' of what '${scope.name}' returns is not supported here: write one plain field for each of ${shape}.`, p);
        return;
      }
      seen.add(name);
      this.numeric(ts.isPropertyAssignment(p) ? p.initializer : (p as ts.ShorthandPropertyAssignment).name, scope, `The field '${name}'`);
    }
  }

  /**
   * `p = <object>` for a record of numbers `p`: the generated code keeps one variable per field,
   * so the new object's fields are copied into `p`'s. That is JavaScript's meaning when nothing
   * else can see the difference: `p` is a `let` of the function holding a new object (a literal,
   * or a helper's result, which is always one) or an object passed in (which nothing writes, so a
   * copy of its numbers reads the same), every other use of `p` reads or writes a field,
   * destructures or spreads it (copying the numbers), passes it to a call or returns it, and the new object
   * is a new one too. Why not, when it is not (undefined when it is; "reported" when the new
   * object itself has an error, reported).
   */
  protected recordRebinding(left: ts.Identifier, right: ts.Expression, at: ts.Node, scope: Scope): string | undefined {
    const p = left.text;
    const own = this.localDeclaration(left, scope);
    const fresh = (e0: ts.Expression): boolean => {
      const e = stripTypes(e0);
      if (ts.isObjectLiteralExpression(e)) return true;
      if (!ts.isCallExpression(e)) return false;
      const c = resolveCallee(e, this.cx);
      return c.kind === "helper" && returnsRecord(c.decl, this.checker) !== undefined;
    };
    // another name of an object passed in, which nothing writes: `p` starts as a copy of its numbers
    const passedIn = (e0: ts.Expression): boolean => {
      const e = stripTypes(e0);
      return (ts.isIdentifier(e) || ts.isPropertyAccessExpression(e) || ts.isElementAccessExpression(e)) && this.typeOfNode(e) === "obj" && !this.isLocalRecord(e);
    };
    if (!ts.isExpressionStatement(at.parent)) return "the assignment must be a statement of its own";
    if (own?.initializer && !fresh(own.initializer) && this.isLocalRecord(own.initializer)) {
      const src = own.initializer.getText();
      return `'${p}' starts as another name of '${src}', an object of this function: start it as a copy (let ${p} = { ...${src} })`;
    }
    if (!own || !own.initializer || (own.parent.flags & ts.NodeFlags.Let) === 0 || !(fresh(own.initializer) || passedIn(own.initializer))) return `'${p}' must be a let of this function holding a new object or an object passed in (let ${p} = { … })`;
    if (!numberRecordFields(this.checker.getTypeAtLocation(own.name), this.checker)) return `'${p}' must hold numbers only`;
    if (!fresh(right)) return `'${right.getText()}' is not a new object (an object literal, or a helper's result)`;
    if (this.expr(right, scope) === undefined) return "reported";
    for (const u of this.usesOf(left, scope.decl)) {
      const { e, p: q } = useInContext(u);
      if (ts.isPropertyAccessExpression(q) && q.expression === e) continue; // p.x, read or written
      if (ts.isCallExpression(q) && q.arguments.includes(e as ts.Expression)) continue; // f(p)
      if (ts.isReturnStatement(q)) continue;
      if (ts.isSpreadAssignment(q)) continue; // { ...p, x: 1 }: a copy of its numbers
      if (ts.isVariableDeclaration(q) && (q.name === e || (q.initializer === e && ts.isObjectBindingPattern(q.name)))) continue; // its declaration, const { x } = p
      if (ts.isBinaryExpression(q) && q.operatorToken.kind === ts.SyntaxKind.EqualsToken && q.left === e && fresh(q.right)) continue; // a rebinding
      let stmt: ts.Node = u;
      while (stmt.parent && !ts.isBlock(stmt.parent) && !ts.isSourceFile(stmt.parent) && !ts.isIterationStatement(stmt.parent, false) && !ts.isIfStatement(stmt.parent)) stmt = stmt.parent;
      return `'${stmt.getText().split("\n")[0].slice(0, 60)}' (line ${this.lineOf(u)}) lets another name refer to the object of '${p}'`;
    }
    return undefined;
  }

  /**
   * `{ a, b: c, inner: { d } }` of an object: plain names bound to fields (no rest; a default
   * only for an optional number field, `{ scale = 1 }`, which applies when it is absent).
   */
  protected objectPattern(pattern: ts.ObjectBindingPattern, local: boolean, scope: Scope, viaList = false): void {
    for (const el of pattern.elements) {
      const member = memberUse(el, this.checker);
      if (member) this.report(Codes.UnsupportedSyntax, member, el);
      if (member || this.choiceElement(el)) continue;
      if (el.initializer && !el.dotDotDotToken && ts.isIdentifier(el.name) && isOptionalBinding(el, this.checker)) {
        const t = this.expr(el.initializer, scope);
        if (t !== undefined && t !== "num") this.report(Codes.UnsupportedSyntax, `The default of '${el.name.text}' must be a number, but '${el.initializer.getText()}' is ${describeType(t)}.`, el.initializer);
        const sym = this.checker.getSymbolAtLocation(el.name);
        if (sym && t === "num") this.localTypes.set(sym, "num");
        continue;
      }
      if (el.dotDotDotToken || el.initializer || (el.propertyName && !ts.isIdentifier(el.propertyName) && !ts.isStringLiteral(el.propertyName))) {
        const what = el.dotDotDotToken ? "a rest element" : el.initializer ? "a default value" : "a computed name";
        this.report(Codes.UnsupportedSyntax, `Object destructuring with ${what} is not supported: name the fields, const { a, b: c } = p.`, el);
        continue;
      }
      if (ts.isArrayBindingPattern(el.name)) {
        this.report(Codes.UnsupportedSyntax, "An array pattern inside an object pattern is not supported: destructure the array in its own declaration.", el.name);
        continue;
      }
      const t = this.typeOfNode(el.name);
      if (t === undefined || t === "bool") {
        this.report(Codes.NonNumericParameter, `The field '${(el.propertyName ?? el.name).getText()}' has type '${this.checker.typeToString(this.checker.getTypeAtLocation(el.name))}': differentiable code reads numbers, arrays and objects of them.`, el);
        continue;
      }
      if (ts.isObjectBindingPattern(el.name)) {
        this.objectPattern(el.name, local, scope, viaList);
        continue;
      }
      const sym = this.checker.getSymbolAtLocation(el.name);
      if (!sym) continue;
      this.localTypes.set(sym, t);
      if (viaList) this.fromList.add(sym);
      if (t === "obj" && local) this.localRecords.add(sym);
    }
  }
}
