/**
 * The one place the passes are composed. Used by the CLI, the build plugin and the tests.
 *
 *   parse -> lower -> activity -> reverse (and forward) -> simplify -> print
 */
import ts from "typescript";
import { type Diagnostic, DiagnosticError, Codes, diagnosticAt } from "./diagnostics.ts";
import type { Expr, FunctionSpec, ModuleSpec, Stmt as JsStmt } from "./ast/js.ts";
import { ARRAY_RULES } from "./rules/blas.ts";
import { parse, type AnnotatedFunction } from "./passes/1-parse/index.ts";
import { lower } from "./passes/2-lower/index.ts";
import { analyzeActivity } from "./passes/3-activity/index.ts";
import { reverseMode } from "./passes/4-reverse/index.ts";
import { jvpMode, hvpMode, hessianMode, jacobianMode } from "./passes/4-forward/modes.ts";
import { simplify } from "./passes/5-simplify/index.ts";
import { printModule } from "./passes/6-print/index.ts";
import { printIR } from "./ir/print.ts";
import type { IRFunction } from "./ir/types.ts";

export const MODES = ["grad", "jvp", "vjp", "jacobian", "hvp", "hessian"] as const;
export type Mode = (typeof MODES)[number];

export interface CompileOptions {
  /** Module specifier generated code imports the runtime from. */
  runtime?: string;
  /** Functions to generate for every annotated function without an `@modes` tag. */
  modes?: Mode[];
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

export function lowerAll(program: ts.Program, sf: ts.SourceFile): { fns: { ann: AnnotatedFunction; ir: IRFunction }[]; diagnostics: Diagnostic[] } {
  const checker = program.getTypeChecker();
  const parsed = parse(program, sf);
  const diagnostics = [...parsed.diagnostics];
  const fns: { ann: AnnotatedFunction; ir: IRFunction }[] = [];
  for (const ann of parsed.functions) {
    try {
      fns.push({ ann, ir: lower(ann, { checker }) });
    } catch (e) {
      if (e instanceof DiagnosticError) diagnostics.push(e.diagnostic);
      else throw e;
    }
  }
  return { fns, diagnostics };
}

export async function compileSourceFile(program: ts.Program, sf: ts.SourceFile, options: CompileOptions = {}): Promise<FileResult> {
  const { fns, diagnostics } = lowerAll(program, sf);
  const result: FileResult = { source: sf.fileName, ir: [], diagnostics, functions: fns.map((f) => f.ann.name) };
  for (const { ir } of fns) {
    const act = analyzeActivity(ir);
    result.ir.push(printIR(ir, act.active));
  }
  if (diagnostics.length > 0 || fns.length === 0) return result;

  const functions: FunctionSpec[] = [];
  const moduleStmts: JsStmt[] = [];
  const imports = new Set<string>();
  for (const { ann, ir } of fns) {
    try {
      generate(ann, ir);
    } catch (e) {
      if (e instanceof DiagnosticError) result.diagnostics.push(e.diagnostic);
      else throw e;
    }
  }
  if (result.diagnostics.length > 0) return result;
  function generate(ann: AnnotatedFunction, ir: IRFunction) {
    const vector = ir.outputs.length > 0;
    const modes = modesFor(ann.modes, options, vector);
    const act = analyzeActivity(ir);
    const add = (m: { spec: FunctionSpec; runtimeImports: Set<string>; derived: Set<string> }) => {
      m.spec.body = simplify(m.spec.body, m.derived);
      functions.push(m.spec);
      m.runtimeImports.forEach((i) => imports.add(i));
    };
    if (vector && (modes.has("hvp") || modes.has("hessian"))) {
      result.diagnostics.push(diagnosticAt(Codes.BadTag, `'${ann.name}' writes vector outputs: Hessian-vector products and Hessians need a scalar function. Sum the outputs with weights in a scalar function to get them.`, ann.decl.name ?? ann.decl));
      return;
    }
    if (modes.has("grad") || modes.has("vjp") || modes.has("hvp")) {
      const rev = reverseMode(ir, act, ir.names.clone());
      moduleStmts.push(...rev.moduleStmts);
      if (modes.has("grad") || modes.has("vjp")) add({ ...rev, spec: { ...rev.spec } });
      if (modes.has("hvp")) add(hvpMode(ir, rev, ir.names.clone()));
    }
    if (modes.has("jvp")) add(jvpMode(ir, act, ir.names.clone()));
    if (modes.has("jacobian")) add(jacobianMode(ir, ir.names.clone()));
    if (modes.has("hessian")) add(hessianMode(ir, ir.names.clone()));
  }
  for (const f of functions) collectRuntimeCalls(f.body, imports);
  const base = sf.fileName.split("/").pop();
  const mod: ModuleSpec = {
    header: `// Generated by adjoint from ${base}. Do not edit: run \`adjoint gen\` to regenerate.`,
    runtimeImports: [...imports],
    runtimeSpecifier: options.runtime ?? "adjoint/runtime",
    moduleStmts,
    functions,
  };
  result.output = await printModule(mod);
  return result;
}

/** Runtime functions generated code calls, so the module imports exactly those. */
const RUNTIME_EXPORTS = new Set([...Object.keys(ARRAY_RULES), "zeros", "seedCotangent", "hessianFromHvp", "jacobian"]);

function collectRuntimeCalls(body: JsStmt[], into: Set<string>): void {
  const visitE = (e: Expr): void => {
    switch (e.k) {
      case "call": if (RUNTIME_EXPORTS.has(e.fn)) into.add(e.fn); e.args.forEach(visitE); break;
      case "new": e.args.forEach(visitE); break;
      case "bin": visitE(e.a); visitE(e.b); break;
      case "un": visitE(e.a); break;
      case "index": visitE(e.arr); visitE(e.index); break;
      case "member": visitE(e.obj); break;
      case "cond": visitE(e.c); visitE(e.a); visitE(e.b); break;
      case "object": e.props.forEach(([, x]) => visitE(x)); break;
      case "arrow": visitE(e.body); break;
      default: break;
    }
  };
  const visit = (s: JsStmt): void => {
    switch (s.k) {
      case "decl": if (s.init) visitE(s.init); break;
      case "assign": visitE(s.target); visitE(s.value); break;
      case "expr": visitE(s.e); break;
      case "if": visitE(s.c); s.then.forEach(visit); s.else.forEach(visit); break;
      case "for": if (s.init) visit(s.init); if (s.test) visitE(s.test); s.body.forEach(visit); break;
      case "while": visitE(s.test); s.body.forEach(visit); break;
      case "return": if (s.e) visitE(s.e); break;
      case "block": s.body.forEach(visit); break;
      default: break;
    }
  };
  body.forEach(visit);
}
