/**
 * Pass 3, lower: TypeScript function bodies to the IR (see ir/types.ts).
 *
 * In:  an annotated function (pass 1) that the fence (pass 2) accepted, and the type checker.
 * Out: an IRFunction whose leaves are single-primitive steps and whose regions are structured.
 * Holds: evaluation order is the source's, so values are bit-identical; straight-line code is in
 *      SSA form; no jumps remain; helpers are inlined. Lowering raises no diagnostics (the fence
 *      owns them): a construct it cannot lower is an internal error. Reads no file.
 *
 * By concern:
 *  - resolve.ts      callee and name resolution (shared with the fence);
 *  - jumps.ts        jump analyses, used by jump elimination in statements.ts;
 *  - env.ts          variables, SSA versions and the environment, emission of steps;
 *  - expressions.ts  expressions and calls;
 *  - statements.ts   statements, loops, and jump elimination;
 *  - inline.ts       inlining of helpers;
 *  - custom.ts       calls of functions with their own derivatives (custom-rules.ts: their tags);
 *  - loads.ts        reuse of element loads within a block.
 */
import ts from "typescript";
import { type IRFunction, type Stmt, type Operand, ref, num } from "../../ir/types.ts";
import type { AnnotatedFunction } from "../1-parse/index.ts";
import type { Frame } from "./env.ts";
import { CustomCallLowerer } from "./custom.ts";
import { RUNTIME_SPECIFIERS } from "../../naming.ts";

export interface LowerOptions {
  checker: ts.TypeChecker;
  /** Module specifiers the runtime's BLAS routines are imported from. */
  runtimeSpecifiers?: readonly string[];
}

export function lower(fn: AnnotatedFunction, opts: LowerOptions): IRFunction {
  return new Lowerer(fn, { checker: opts.checker, runtimeSpecifiers: opts.runtimeSpecifiers ?? RUNTIME_SPECIFIERS }).run();
}

class Lowerer extends CustomCallLowerer {
  run(): IRFunction {
    const { decl, sourceFile: sf } = this.fn;
    this.reserveIdentifiers(decl);
    const params: IRFunction["params"] = [];
    const irName = new Map<string, string>();
    for (const p of decl.parameters) {
      const field = (p.name as ts.Identifier).text;
      const info = this.fn.params.find((q) => q.name === field)!;
      // a parameter keeps its name unless generated code needs it (a parameter named `zeros`)
      const name = this.names.claim(field);
      irName.set(field, name);
      this.vars.set(name, { name, type: info.type, kind: "param", origin: field });
      this.defs.set(name, 1);
      this.env.set(this.symbolOf(p.name), ref(name));
      params.push({ name, type: info.type, field, ...(info.list ? { list: true } : {}) });
    }
    const frame: Frame = { decl, sf, loops: [] };
    this.frames.push(frame);
    const body: Stmt[] = [];
    const result: Operand = this.fn.outputs.length > 0 ? (this.lowerStatements(decl.body!.statements, 0, body), num(0)) : this.lowerFunctionBody(decl, frame, body);
    this.frames.pop();
    this.lowerPullbacks();
    return {
      name: this.fn.name,
      file: sf.fileName,
      params,
      wrt: this.fn.wrt.map((w) => irName.get(w)!),
      outputs: this.fn.outputs.map((o) => irName.get(o)!),
      vars: this.vars,
      body,
      result,
      loc: this.loc(decl),
      names: this.names,
    };
  }
}
