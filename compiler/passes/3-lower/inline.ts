/**
 * Inlining of helpers: a call of a helper function becomes its body, lowered in place with the
 * arguments bound to its parameters (a parameter the helper reassigns gets a local copy). The
 * values a helper computes are then ordinary intermediates of the caller: its reverse part reads
 * them instead of re-running the helper, and activity analysis sees through the call.
 */
import ts from "typescript";
import { type Stmt, type Operand, ref } from "../../ir/types.ts";
import { SwitchLowerer } from "./switch.ts";
import type { Frame } from "./env.ts";
import { writtenNames } from "./jumps.ts";

export abstract class HelperInliner extends SwitchLowerer {
  protected inlineHelper(decl: ts.FunctionDeclaration, call: ts.CallExpression, out: Stmt[]): Operand | undefined {
    // the fence checked the helper's signature, arguments and body, and that it is not recursive
    const sig = this.checker.getSignatureFromDeclaration(decl);
    const retType = sig && this.checker.getReturnTypeOfSignature(sig);
    const isVoid = !!retType && (retType.flags & ts.TypeFlags.Void) !== 0;
    this.reserveIdentifiers(decl);
    // Arguments are evaluated first, in order; an array argument is passed by reference (a
    // window stays a window of its parent)
    const args = call.arguments.map((a, i) => {
      const p = decl.parameters[i] as ts.ParameterDeclaration & { name: ts.Identifier };
      const list = this.listOf(a) ?? this.elementList(a, out);
      if (list !== undefined) return { p, o: ref(list) };
      if (this.isRecordExpression(a)) return { p, rec: this.lowerRecord(a, out, p.name.text) };
      if (this.isArrayExpression(a)) return { p, arr: this.lowerArrayValue(a, out) };
      return { p, o: this.lowerExpr(a, out, p.name.text) };
    });
    const written = writtenNames(decl.body!);
    for (const { p, o, arr, rec } of args) {
      const sym = this.symbolOf(p.name);
      const pname = (p.name as ts.Identifier).text;
      if (rec) {
        this.records.set(sym, rec);
        continue;
      }
      if (arr) {
        if (arr.offset === undefined && arr.length === undefined) this.env.set(sym, ref(arr.array));
        else this.views.set(sym, arr);
        continue;
      }
      if (!o) continue;
      if (written.has(pname)) {
        // the helper reassigns its parameter: give it a local variable
        const v = this.newVar(pname, this.typeOfOperand(o), "local", pname);
        this.emitOp(out, v, "copy", [o], call);
        this.env.set(sym, ref(v));
      } else {
        this.env.set(sym, o);
      }
    }
    const frame: Frame = { decl, sf: decl.getSourceFile(), loops: [] };
    this.frames.push(frame);
    const savedDepth = this.depth;
    let result: Operand | undefined;
    if (isVoid) {
      this.lowerStatements(decl.body!.statements, 0, out);
    } else {
      result = this.lowerFunctionBody(decl, frame, out);
    }
    this.depth = savedDepth;
    this.frames.pop();
    return result;
  }
}
