/**
 * Lowering of calls of functions with user-supplied derivatives (`@pullback` / `@pushforward`):
 * one `custom` step, `t = foo(args)`, whose callee names the function, its pullback and its
 * pushforward as generated code imports them (custom-rules.ts). The function's body is never
 * lowered: it may use anything TypeScript allows.
 *
 * For second order (Hvp: forward over reverse) the reverse sweep must run the pullback as code
 * that forward mode can differentiate, so the pullback's body is lowered too, at each call, with
 * its parameters bound to the call's arguments and its cotangent parameter to a fresh variable:
 * the step's `pullbackBody`. When the fence's rules do not allow that (fencePullback), the step
 * records why instead (`pullbackIssue`), for the diagnostic an Hvp through the call then gets.
 */
import ts from "typescript";
import { type CustomCallee, type CustomStmt, type Expr, type Operand, type PullbackBody, type Stmt, type Type, type VarInfo, ref } from "../../ir/types.ts";
import type { Shape } from "../../ir/shape.ts";
import { irTypeOf } from "../1-parse/index.ts";
import { fencePullback } from "../2-fence/index.ts";
import { HelperInliner } from "./inline.ts";
import type { ArrayRef } from "./arrays.ts";
import type { Frame } from "./env.ts";
import { writtenNames } from "./jumps.ts";
import { ruleTags, findRule, calledFunction, importStyle } from "./custom-rules.ts";

/** A lowered argument: a number operand, or an array (its reference, and the expression passing it). */
type Arg = { expr: Expr; array?: ArrayRef };

export abstract class CustomCallLowerer extends HelperInliner {
  /** Pullback bodies being lowered (a pullback that calls its own function gets no body of its own). */
  private pullbackDepth = 0;
  /** Pullback bodies to lower once the function is (so that its own variables are numbered as without them). */
  private pending: (() => void)[] = [];

  /** Lowers the pullback bodies of the function's custom calls. */
  protected lowerPullbacks(): void {
    for (const f of this.pending) f();
    this.pending = [];
  }

  protected lowerCustomCall(decl: ts.FunctionDeclaration, calleeId: ts.Identifier, call: ts.CallExpression, out: Stmt[]): Operand {
    // the fence checked the tags, the signatures and the arguments
    const callee = this.customCallee(decl, calleeId);
    const args: Arg[] = call.arguments.map((a, i) => {
      if (callee.params[i]!.type === "arr") {
        const array = this.lowerArrayValue(a, out);
        return { expr: this.arrayArg(out, array, a), array };
      }
      return { expr: this.lowerExpr(a, out, "") };
    });
    const target = this.newVar("", "num", "temp");
    const step: CustomStmt = { kind: "custom", target, callee, args: args.map((a) => a.expr), loc: this.loc(this.stmtOf(call)) };
    if (callee.pullback && this.pullbackDepth === 0) this.pending.push(() => Object.assign(step, this.pullbackOf(decl, callee, args)));
    this.loads.written(target);
    out.push(step);
    this.defs.set(target, 1);
    return ref(target);
  }

  private customCallee(decl: ts.FunctionDeclaration, calleeId: ts.Identifier): CustomCallee {
    const style = importStyle(this.fn.sourceFile);
    const fn = calledFunction(calleeId, this.checker, style);
    if (!fn) this.internal(calleeId);
    const callee: CustomCallee = {
      fn,
      params: decl.parameters.map((p) => ({ field: (p.name as ts.Identifier).text, type: irTypeOf(this.checker.getTypeAtLocation(p), this.checker) as "num" | "arr" })),
    };
    for (const t of ruleTags(decl)) {
      const found = findRule(decl, t.name, this.checker, style);
      if (!found || found === "not-a-function" || !found.ref) this.internal(t.tag);
      // a rule declared beside the function is imported from where the function is
      callee[t.kind] = found.local ? { name: found.ref.name, module: fn.module } : found.ref;
    }
    return callee;
  }

  /** The pullback's body at this call, or why it cannot be differentiated. */
  private pullbackOf(decl: ts.FunctionDeclaration, callee: CustomCallee, args: Arg[]): Pick<CustomStmt, "pullbackBody" | "pullbackIssue"> {
    const found = findRule(decl, ruleTags(decl).find((t) => t.kind === "pullback")!.name, this.checker, "");
    if (!found || found === "not-a-function") this.internal(decl);
    const pb = found.decl;
    const name = pb.name?.text ?? callee.pullback!.name;
    if (!pb.body) return { pullbackIssue: { message: `'${name}' is declared without a body (in ${pb.getSourceFile().fileName.split("/").pop()}), so adjoint cannot read it`, loc: this.loc(pb) } };
    const fields = new Map<string, Type>(callee.params.map((p) => [p.field, p.type]));
    const params = pb.parameters.map((p) => {
      const type = irTypeOf(this.checker.getTypeAtLocation(p), this.checker) ?? "num";
      const shape: Shape = type === "arr" ? { k: "arr" } : { k: "num" };
      return { name: (p.name as ts.Identifier).text, type, shape };
    });
    const problems = fencePullback({ name, decl: pb, sourceFile: pb.getSourceFile(), params, wrt: [], outputs: [] }, fields, this.cx);
    if (problems.length > 0) {
      const d = problems[0]!;
      return { pullbackIssue: { message: d.message, loc: { file: d.file, start: d.start, end: d.start + d.length, line: d.line, col: d.col } } };
    }
    return { pullbackBody: this.lowerPullbackBody(pb, args) };
  }

  /** The pullback's body as IR, its parameters bound to the call's arguments, its cotangent to a fresh variable. */
  private lowerPullbackBody(pb: ts.FunctionDeclaration, args: Arg[]): PullbackBody {
    const before = new Set(this.vars.keys());
    this.reserveIdentifiers(pb);
    const body: Stmt[] = [];
    const written = writtenNames(pb.body!);
    const n = args.length;
    pb.parameters.forEach((p, i) => {
      const sym = this.symbolOf(p.name);
      const pname = (p.name as ts.Identifier).text;
      const a = args[i];
      if (a?.array) {
        // arrays are passed by reference (a window stays a window of its parent)
        if (a.array.offset === undefined && a.array.length === undefined) this.env.set(sym, ref(a.array.array));
        else this.views.set(sym, a.array);
        return;
      }
      if (a && !written.has(pname)) {
        this.env.set(sym, a.expr as Operand);
        return;
      }
      if (a) {
        // the pullback reassigns its parameter: give it a local variable
        const v = this.newVar(pname, "num", "local", pname);
        this.emitOp(body, v, "copy", [a.expr as Operand], p);
        this.env.set(sym, ref(v));
      }
    });
    // the cotangent: assigned by the reverse sweep before the body runs (a local copy if the body writes it)
    const cp = pb.parameters[n]!;
    const cname = (cp.name as ts.Identifier).text;
    const cotangent = this.newVar(cname, "num", "local", cname);
    this.defs.set(cotangent, 1);
    if (written.has(cname)) {
      const v = this.newVar(cname, "num", "local", cname);
      this.emitOp(body, v, "copy", [ref(cotangent)], cp);
      this.env.set(this.symbolOf(cp.name), ref(v));
    } else {
      this.env.set(this.symbolOf(cp.name), ref(cotangent));
    }
    const frame: Frame = { decl: pb, sf: pb.getSourceFile(), loops: [] };
    this.frames.push(frame);
    const savedDepth = this.depth;
    this.depth = 0; // the body is a block of its own wherever the reverse sweep runs it
    this.pullbackDepth++;
    const stmts = pb.body!.statements;
    this.lowerStatements(stmts.slice(0, -1), 0, body);
    const ret = stripTypes((stmts[stmts.length - 1] as ts.ReturnStatement).expression!) as ts.ObjectLiteralExpression;
    const byName = new Map<string, ts.Expression>();
    for (const prop of ret.properties) {
      const key = (prop.name as ts.Identifier).text;
      byName.set(key, ts.isPropertyAssignment(prop) ? prop.initializer : (prop as ts.ShorthandPropertyAssignment).name);
    }
    const results: Expr[] = pb.parameters.slice(0, n).map((p, i) => {
      const value = byName.get((p.name as ts.Identifier).text)!;
      if (args[i]!.array) return this.arrayArg(body, this.lowerArrayValue(value, body), value);
      return this.lowerExpr(value, body, "");
    });
    this.pullbackDepth--;
    this.depth = savedDepth;
    this.frames.pop();
    // the body's variables belong to it, not to the function being lowered
    const vars = new Map<string, VarInfo>();
    for (const [k, info] of this.vars) {
      if (before.has(k)) continue;
      vars.set(k, info);
      this.vars.delete(k);
    }
    return { cotangent, body, vars, results };
  }
}

function stripTypes(e: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isSatisfiesExpression(e) || ts.isNonNullExpression(e)) e = e.expression;
  return e;
}
