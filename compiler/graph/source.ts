/**
 * The lowered IR of one annotated function of a program, for the pictures and tables: the same
 * parse, fence and lowering `adjoint gen` runs (pipeline.ts `lowerAll`), so what is drawn is
 * what is differentiated.
 */
import ts from "typescript";
import type { Diagnostic } from "../diagnostics.ts";
import type { IRFunction } from "../ir/types.ts";
import { walk } from "../ir/walk.ts";
import { isFunctionValue } from "../passes/3-lower/resolve.ts";
import { stripTypes } from "../passes/3-lower/env.ts";
import type { HelperSpan } from "./build.ts";
import { lowerAll, type CompileOptions } from "../pipeline.ts";

export type Lowered =
  | { ok: true; ir: IRFunction; names: string[] }
  | { ok: false; diagnostics: Diagnostic[]; names: string[]; message?: string };

/** Lowers the annotated function `name` of `sf` (the only one when `name` is omitted). */
export function lowerFunction(program: ts.Program, sf: ts.SourceFile, name?: string, options: CompileOptions = {}): Lowered {
  const { fns, diagnostics } = lowerAll(program, sf, options);
  const names = fns.map((f) => f.ann.name);
  if (name === undefined) {
    if (diagnostics.length > 0) return { ok: false, diagnostics, names };
    if (fns.length === 1) return { ok: true, ir: fns[0].ir, names };
    return {
      ok: false, diagnostics: [], names,
      message: fns.length === 0 ? "no @differentiable function in this file" : `several @differentiable functions (${names.join(", ")}): choose one with --fn`,
    };
  }
  const found = fns.find((f) => f.ann.name === name);
  if (found) return { ok: true, ir: found.ir, names };
  // the function did not lower: its diagnostics are among the file's
  if (diagnostics.length > 0) return { ok: false, diagnostics, names };
  return {
    ok: false, diagnostics: [], names,
    message: `no @differentiable function '${name}'${names.length ? ` (this file has ${names.join(", ")})` : " in this file"}`,
  };
}

/**
 * The function declarations of the files a lowered function's steps come from: the helpers its
 * inlined calls were lowered from, with the functions each one calls.
 */
export function helperSpans(program: ts.Program, ir: IRFunction): HelperSpan[] {
  const files = new Set<string>([ir.file]);
  walk(ir.body, (s) => { if (s.loc.file) files.add(s.loc.file); });
  const out: HelperSpan[] = [];
  for (const f of files) {
    const sf = program.getSourceFile(f);
    if (!sf) continue;
    const add = (name: string, fn: ts.Node, body: ts.Node) => {
      const calls = new Set<string>();
      const scan = (m: ts.Node) => {
        if (ts.isCallExpression(m) && ts.isIdentifier(m.expression)) calls.add(m.expression.text);
        ts.forEachChild(m, scan);
      };
      scan(body);
      out.push({ name, file: sf.fileName, start: fn.getStart(sf), end: fn.getEnd(), calls: [...calls] });
    };
    const visit = (n: ts.Node) => {
      if (ts.isFunctionDeclaration(n) && n.body && n.name) add(n.name.text, n, n.body);
      // a module-level `const f = (…) => …` helper
      if (ts.isVariableStatement(n) && ts.isSourceFile(n.parent)) {
        for (const d of n.declarationList.declarations) {
          const init = d.initializer && stripTypes(d.initializer);
          if (init && ts.isIdentifier(d.name) && isFunctionValue(init)) add(d.name.text, init, init.body);
        }
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  return out;
}
