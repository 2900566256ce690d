/**
 * The one place the passes are composed. Used by the CLI, the build plugins and the tests.
 *
 *   parse -> lower -> activity -> reverse / forward (IR -> IR) -> simplify -> print
 *
 * Every pass is a pure function of its input: nothing here or in the passes reads the disk (the
 * TypeScript program, built by the caller, holds every source text). Diagnostics raised after
 * lowering are located at IR source spans and framed from the program's own source text.
 */
import ts from "typescript";
import { type Diagnostic, DiagnosticError, LocatedError, Codes, diagnosticAt, diagnosticAtLoc, fromTypeScript } from "./diagnostics.ts";
import type { GenFunction, IRFunction } from "./ir/types.ts";
import { varsOf } from "./ir/walk.ts";
import { parse, type AnnotatedFunction } from "./passes/1-parse/index.ts";
import { fence } from "./passes/2-fence/index.ts";
import { lower } from "./passes/3-lower/index.ts";
import { analyzeActivity } from "./passes/4-activity/index.ts";
import { reverseMode } from "./passes/5-reverse/index.ts";
import { jvpMode, hvpMode, hessianMode, jacobianMode } from "./passes/5-forward/modes.ts";
import { simplify } from "./passes/6-simplify/index.ts";
import { tapeWindows } from "./passes/6-simplify/tape-windows.ts";
import { printModule } from "./passes/7-print/index.ts";
import { printIR } from "./ir/print.ts";
import { prologue } from "./ir/params.ts";
import { MODES, DEFAULT_RUNTIME, RUNTIME_SPECIFIERS, type Mode } from "./naming.ts";
import { dirname } from "./modules.ts";

export { MODES, DEFAULT_RUNTIME, type Mode };

export interface CompileOptions {
  /** Module specifier generated code imports the runtime from. */
  runtime?: string;
  /** Functions to generate for every annotated function without an `@modes` tag. */
  modes?: Mode[];
  /**
   * The directory generated modules are written to (absolute), when not beside their sources:
   * imports of the user's modules (functions with their own derivatives) are relative to it.
   */
  outDir?: string;
}

/** Specifiers user code imports the runtime's routines from. */
export function runtimeSpecifiers(options: CompileOptions): string[] {
  return [...RUNTIME_SPECIFIERS, ...(options.runtime && !RUNTIME_SPECIFIERS.includes(options.runtime) ? [options.runtime] : [])];
}

/** What to generate for one function: its `@modes` tag, else the options, else the default. */
export function modesFor(tag: string[] | undefined, options: CompileOptions, vector = false): Set<Mode> {
  const chosen = (tag ?? options.modes ?? [vector ? "vjp" : "grad"]) as Mode[];
  const set = new Set<Mode>();
  for (const m of chosen) {
    // one reverse-mode function per function: Grad for scalar results, Vjp for vector ones
    if (m === "grad" || m === "vjp") set.add(vector ? "vjp" : "grad");
    else set.add(m);
  }
  if (set.has("hessian")) set.add("hvp"); // the Hessian is assembled from Hvp calls
  if (set.has("jacobian")) {
    set.add("jvp");
    set.add(vector ? "vjp" : "grad");
  }
  return set;
}

export interface FileResult {
  /** The source file. */
  source: string;
  /** Generated module text, when the file has annotated functions and no errors. */
  output?: string;
  /** IR of each annotated function (for --dump-ir). */
  ir: string[];
  diagnostics: Diagnostic[];
  functions: string[];
}

/** Turns an error a pass raised into a diagnostic, framed from the program's source text. */
function toDiagnostic(e: unknown, program: ts.Program): Diagnostic | undefined {
  if (e instanceof DiagnosticError) return e.diagnostic;
  if (e instanceof LocatedError) {
    const sf = program.getSourceFile(e.loc.file);
    return diagnosticAtLoc(e.code, e.message, e.loc, sf?.text ?? "");
  }
  return undefined;
}

/** An unexpected failure inside the compiler, reported at the function instead of as a stack trace. */
function internalError(ann: AnnotatedFunction, e: unknown): Diagnostic {
  const detail = e instanceof Error ? e.message : String(e);
  return diagnosticAt(Codes.Internal, `Internal error while differentiating '${ann.name}': please report it (with this function) at the adjoint issue tracker. Detail: ${detail}`, ann.decl.name ?? ann.decl);
}

export function lowerAll(program: ts.Program, sf: ts.SourceFile, options: CompileOptions = {}): { fns: { ann: AnnotatedFunction; ir: IRFunction }[]; diagnostics: Diagnostic[] } {
  const checker = program.getTypeChecker();
  const parsed = parse(program, sf);
  const diagnostics = [...parsed.diagnostics];
  const fns: { ann: AnnotatedFunction; ir: IRFunction }[] = [];
  const cx = { checker, runtimeSpecifiers: runtimeSpecifiers(options) };
  for (const ann of parsed.functions) {
    const fenced = fence(ann, cx);
    if (fenced.length > 0) {
      diagnostics.push(...fenced);
      continue;
    }
    try {
      fns.push({ ann, ir: lower(ann, cx) });
    } catch (e) {
      diagnostics.push(toDiagnostic(e, program) ?? internalError(ann, e));
    }
  }
  return { fns, diagnostics };
}

/** The values whose derivatives a function's reverse mode wants: its outputs, or its result. */
export function outputsOf(ir: IRFunction): string[] {
  return ir.outputs.length > 0 ? ir.outputs : [...varsOf(ir.result)];
}

/** The generated functions of one annotated function, in module order. */
export function differentiate(ann: AnnotatedFunction, ir: IRFunction, options: CompileOptions): { functions: GenFunction[] } {
  const vector = ir.outputs.length > 0;
  const modes = modesFor(ann.modes, options, vector);
  if (vector && (modes.has("hvp") || modes.has("hessian"))) {
    throw new DiagnosticError(diagnosticAt(Codes.BadTag, `'${ann.name}' writes vector outputs: Hessian-vector products and Hessians need a scalar function. Sum the outputs with weights in a scalar function to get them.`, ann.decl.name ?? ann.decl));
  }
  const act = analyzeActivity(ir.body, ir.wrt, outputsOf(ir), ir.vars);
  const functions: GenFunction[] = [];
  if (modes.has("grad") || modes.has("vjp")) functions.push(reverseMode(ir, act, ir.names.clone()));
  if (modes.has("hvp")) functions.push(hvpMode(ir, ir.names.clone()));
  if (modes.has("jvp")) functions.push(jvpMode(ir, ir.names.clone()));
  if (modes.has("jacobian")) functions.push(jacobianMode(ir, ir.names.clone()));
  if (modes.has("hessian")) functions.push(hessianMode(ir, ir.names.clone()));
  // each generated function reads the leaves of its record parameters first (unused reads are dropped)
  const pro = prologue(ir);
  return { functions: functions.map((f) => tapeWindows(simplify(pro.length ? { ...f, body: [...pro, ...f.body] } : f))) };
}

export function compileSourceFile(program: ts.Program, sf: ts.SourceFile, options: CompileOptions = {}): FileResult {
  const syntax = program.getSyntacticDiagnostics(sf);
  if (syntax.length > 0) return { source: sf.fileName, ir: [], diagnostics: syntax.map(fromTypeScript), functions: [] };
  const { fns, diagnostics } = lowerAll(program, sf, options);
  const result: FileResult = { source: sf.fileName, ir: [], diagnostics, functions: fns.map((f) => f.ann.name) };
  for (const { ir } of fns) {
    const act = analyzeActivity(ir.body, ir.wrt, outputsOf(ir), ir.vars);
    result.ir.push(printIR(ir, act.active));
  }
  if (diagnostics.length > 0 || fns.length === 0) return result;

  const functions: GenFunction[] = [];
  for (const { ann, ir } of fns) {
    try {
      functions.push(...differentiate(ann, ir, options).functions);
    } catch (e) {
      result.diagnostics.push(toDiagnostic(e, program) ?? internalError(ann, e));
    }
  }
  if (result.diagnostics.length > 0) return result;
  const base = sf.fileName.split("/").pop();
  const tapes: string[] = [];
  for (const f of functions) if (f.tape && !tapes.includes(f.tape.module)) tapes.push(f.tape.module);
  result.output = printModule({
    header: `// Generated by adjoint from ${base}. Do not edit: run \`adjoint gen\` to regenerate.`,
    runtimeSpecifier: options.runtime ?? DEFAULT_RUNTIME,
    outDir: options.outDir ?? dirname(sf.fileName),
    tapes,
    functions,
  });
  return result;
}
