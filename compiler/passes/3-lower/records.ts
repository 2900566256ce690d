/**
 * Lowering of records, with their JavaScript meaning: an object is a reference. A record is
 * never a value of the IR: a record parameter's fields are its leaf parameters (index.ts), an
 * object literal's number fields are locals (`s_a`) and its array fields name arrays. `const q =
 * p` and `const { a, b: c } = p` bind names to the same fields; writing `s.a` writes the field's
 * variable, versioned like any local's.
 */
import ts from "typescript";
import { type Stmt, ref, bool, isVar } from "../../ir/types.ts";
import { ArrayLowerer } from "./arrays.ts";
import { type Rec, type Slot, stripTypes } from "./env.ts";
import { type HelperFn, resolveCallee, returnsRecord, skipParens } from "./resolve.ts";

/** The name of a property in a literal or pattern (`a`, `"a"`). */
export function propertyName(n: ts.PropertyName): string | undefined {
  if (ts.isIdentifier(n) || ts.isStringLiteral(n) || ts.isNumericLiteral(n)) return n.text;
  return undefined;
}

/** Whether a binding element is declared by `const`. */
function isConstBinding(el: ts.BindingElement): boolean {
  let n: ts.Node = el;
  while (n && !ts.isVariableDeclarationList(n)) n = n.parent;
  return !!n && (n.flags & ts.NodeFlags.Const) !== 0;
}

export abstract class RecordLowerer extends ArrayLowerer {
  protected abstract assignTo(name: string, expr: ts.Expression, out: Stmt[], at: ts.Node): import("../../ir/types.ts").Type;
  protected abstract inlineRecordHelper(decl: HelperFn, call: ts.CallExpression, out: Stmt[], base: string): Rec;

  /** Whether an expression is a record: an object literal, a name of a record, or a helper's record of numbers. */
  protected isRecordExpression(e0: ts.Expression): boolean {
    const e = stripTypes(e0);
    return ts.isObjectLiteralExpression(e) || this.recordOf(e) !== undefined || this.elementChain(e)?.shape.k === "rec" || this.recordHelper(e) !== undefined;
  }

  /** The helper a call returning a record of numbers calls, if it is one. */
  private recordHelper(e: ts.Expression): HelperFn | undefined {
    if (!ts.isCallExpression(e)) return undefined;
    const c = resolveCallee(e, this.cx);
    return c.kind === "helper" && returnsRecord(c.decl, this.checker) ? c.decl : undefined;
  }

  /** The record an expression is: an existing one (the same object), or a new one from a literal or a helper. */
  protected lowerRecord(e0: ts.Expression, out: Stmt[], base: string): Rec {
    const e = stripTypes(e0);
    if (ts.isObjectLiteralExpression(e)) return this.lowerObjectLiteral(e, out, base);
    const helper = this.recordHelper(e);
    if (helper) return this.inlineRecordHelper(helper, e as ts.CallExpression, out, base);
    const ch = this.elementChain(e);
    if (ch) {
      // an element of a list (or a record inside one): its numbers are read, its arrays referenced
      const v = this.lowerElement(ch, out, e);
      return "rec" in v ? v.rec : this.internal(e);
    }
    return this.recordOf(e) ?? this.internal(e);
  }

  private lowerObjectLiteral(e: ts.ObjectLiteralExpression, out: Stmt[], base: string): Rec {
    const fields: Rec["fields"] = new Map();
    for (const p of e.properties) {
      if (ts.isSpreadAssignment(p)) {
        // `...s`: s's fields, its numbers copied, its arrays and objects shared (as JavaScript's spread)
        for (const [name, f] of this.recordCopy(this.lowerRecord(p.expression, out, base), base, out, p).fields) fields.set(name, f);
        continue;
      }
      const name = ts.isShorthandPropertyAssignment(p) ? p.name.text : ts.isPropertyAssignment(p) ? propertyName(p.name) : undefined;
      if (name === undefined) this.internal(p);
      const hint = `${base}_${name}`;
      const slot: Slot = { name: `${base}.${name}` };
      if (ts.isShorthandPropertyAssignment(p)) {
        // `{ x }`: the value of the variable x (not the property's symbol)
        const sym = this.checker.getShorthandAssignmentValueSymbol(p);
        if (!sym) this.internal(p);
        const rec = this.records.get(sym);
        if (rec) fields.set(name, { rec });
        else {
          const view = this.views.get(sym);
          const o = this.env.get(sym);
          if (view) this.views.set(slot, view);
          else if (o && isVar(o) && this.vars.get(o.name)!.type === "arr") this.env.set(slot, o);
          else if (o) this.env.set(slot, this.fieldCopy(hint, o, out, p));
          else this.internal(p);
          fields.set(name, { slot });
        }
        continue;
      }
      const value = (p as ts.PropertyAssignment).initializer;
      if (this.isRecordExpression(value)) {
        fields.set(name, { rec: this.lowerRecord(value, out, hint) });
        continue;
      }
      if (this.isArrayExpression(value)) {
        const a = this.lowerArrayValue(value, out);
        if (a.offset === undefined && a.length === undefined) this.env.set(slot, ref(a.array));
        else this.views.set(slot, a);
      } else {
        const v = this.newVar(hint, "num", "local");
        this.vars.get(v)!.type = this.assignTo(v, value, out, value);
        this.env.set(slot, ref(v));
      }
      fields.set(name, { slot });
    }
    return { fields, input: false };
  }

  /**
   * A shallow copy of a record, as `{ ...src }`: its numbers copied into variables of their own,
   * its arrays and objects shared.
   */
  protected recordCopy(src: Rec, base: string, out: Stmt[], at: ts.Node): Rec {
    const fields: Rec["fields"] = new Map();
    for (const [name, f] of src.fields) {
      if ("rec" in f) {
        fields.set(name, { rec: f.rec });
        continue;
      }
      const slot: Slot = f.slot.given ? { name: `${base}.${name}`, given: f.slot.given } : { name: `${base}.${name}` };
      const view = this.views.get(f.slot);
      const o = this.env.get(f.slot);
      if (view) this.views.set(slot, view);
      else if (o && isVar(o) && this.vars.get(o.name)!.type === "arr") this.env.set(slot, o);
      else if (o) this.env.set(slot, this.fieldCopy(`${base}_${name}`, o, out, at));
      else this.internal(at);
      fields.set(name, { slot });
    }
    return { fields, input: false };
  }

  /** A number field's own variable, holding a copy of `o` (the field may be written later). */
  private fieldCopy(hint: string, o: import("../../ir/types.ts").Operand, out: Stmt[], at: ts.Node) {
    const v = this.newVar(hint, this.typeOfOperand(o), "local");
    this.emitOp(out, v, "copy", [o], at);
    return ref(v);
  }

  /** `const { a, b: c, inner: { d } } = rec`: names bound to the record's fields. */
  protected lowerObjectDestructuring(pattern: ts.ObjectBindingPattern, rec: Rec, out: Stmt[]): void {
    for (const el of pattern.elements) {
      const key = el.propertyName ? propertyName(el.propertyName) : ts.isIdentifier(el.name) ? el.name.text : undefined;
      const f = key === undefined ? undefined : rec.fields.get(key);
      // `{ mode = "sum" } = opts` of a choice among strings: its booleans, with the default's
      const choice = f && "slot" in f ? this.choices.get(f.slot) : undefined;
      if (choice && ts.isIdentifier(el.name)) {
        const text = el.initializer && skipParens(el.initializer);
        this.choices.set(this.symbolOf(el.name), text && ts.isStringLiteralLike(text) ? this.withFallback(choice, text.text, "??", el) : choice);
        continue;
      }
      if (el.initializer && ts.isIdentifier(el.name)) {
        // `{ scale = 1 } = opts` of an optional field: the field when it is given, else the default
        const init = el.initializer;
        const given = f ? ("slot" in f ? f.slot.given ?? bool(true) : this.internal(el)) : bool(false);
        const field = () => (f && "slot" in f && this.env.get(f.slot)) || this.internal(el);
        if (given.kind === "const") {
          // whether the object has the field is known: a copy of the field, or of the default
          const v = this.newVar(el.name.text, "num", "local", el.name.text);
          this.emitOp(out, v, "copy", [given.value ? field() : this.lowerExpr(init, out, "")], el);
          this.env.set(this.symbolOf(el.name), ref(v));
        } else {
          this.env.set(this.symbolOf(el.name), this.chosen(out, given, field, (o) => this.lowerExpr(init, o, ""), el.name.text, el, this.loc(el)));
        }
        continue;
      }
      if (!f) this.internal(el);
      if (ts.isObjectBindingPattern(el.name)) {
        if (!("rec" in f)) this.internal(el);
        this.lowerObjectDestructuring(el.name, f.rec, out);
        continue;
      }
      if (!ts.isIdentifier(el.name)) this.internal(el);
      const sym = this.symbolOf(el.name);
      if ("rec" in f) {
        this.records.set(sym, f.rec);
        continue;
      }
      const view = this.views.get(f.slot);
      if (view) {
        this.views.set(sym, view);
        continue;
      }
      const o = this.env.get(f.slot) ?? this.internal(el);
      const isArray = isVar(o) && this.vars.get(o.name)!.type === "arr";
      // arrays are references; a parameter's number is never written, so a const can read it directly
      const direct = isArray || (rec.input && isConstBinding(el));
      if (direct) this.env.set(sym, o);
      else {
        const v = this.newVar(el.name.text, "num", "local", el.name.text);
        this.emitOp(out, v, "copy", [o], el);
        this.env.set(sym, ref(v));
      }
    }
  }
}
