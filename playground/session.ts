/**
 * What the playground shows for a source text, computed in the browser: the generated gradient
 * module (compiled in memory by compiler/memory.ts), diagnostics with their code frames, the value
 * and gradient at a point (by running the generated module's JavaScript, transpiled with
 * ts.transpileModule, against the runtime), the graph of the function with values and adjoints
 * at that point, and the forward/reverse tables.
 */
import ts from "typescript";
import { compileInMemory } from "../compiler/memory.ts";
import { formatDiagnostic } from "../compiler/diagnostics.ts";
import { interpret, type Value, type Numeric } from "../compiler/ir/interpret.ts";
import type { IRFunction } from "../compiler/ir/types.ts";
import {
  graphDot, renderSvg, tables, tablesText, lowerFunction, helperSpans, parseAssignments, parseJsonValues, checkValues, signatureText, valueName, ValueError, type Written,
} from "../compiler/graph/index.ts";
import * as runtime from "../runtime/index.ts";
import { RUNTIME_SPECIFIERS } from "../compiler/naming.ts";

export const FILE = "/model.ts";

export interface Request {
  source: string;
  /** The function to show (default: the first). */
  fn?: string;
  /** The point: `x1=1.5,x2=0.5` (arrays as `w=[1,2]`) or a JSON object. */
  point: string;
  /** A tangent direction, as the point (optional). */
  tangent?: string;
  expand?: boolean;
  /** Leave out the steps no derivative flows through. */
  activeOnly?: boolean;
}

export interface Analysis {
  /** Annotated functions that lowered. */
  functions: string[];
  fn?: string;
  /** `x1: number, x2: number` */
  signature?: string;
  /** A point that fits the function's parameters (offered when the point given does not). */
  suggestedPoint?: string;
  output?: string;
  /** Diagnostics as the CLI prints them, with code frames. */
  diagnostics: string[];
  /** What went wrong with the point, or while running. */
  error?: string;
  /** The generated function that was run (`fGrad`, or `fVjp` with all-ones cotangents). */
  ran?: string;
  value?: number;
  grad?: Record<string, Numeric>;
  outputs?: Record<string, Float64Array>;
  svg?: string;
  table?: string;
  /** Milliseconds: compiling, running, drawing. */
  timings: { compile: number; run: number; draw: number };
}

type Module = Record<string, unknown>;

/** The generated module as JavaScript, evaluated with the runtime as its only import. */
export function evaluateModule(output: string): Module {
  const js = ts.transpileModule(output, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
  }).outputText;
  const exports: Module = {};
  const require = (spec: string) => {
    if (RUNTIME_SPECIFIERS.includes(spec)) return runtime;
    throw new Error(`the generated module imports '${spec}', which the playground does not have`);
  };
  new Function("require", "exports", "module", js)(require, exports, { exports });
  return exports;
}

const clone = (v: Value): Value => (v instanceof Float64Array ? new Float64Array(v) : v);

function parsePoint(text: string, what: string): Record<string, Written> {
  const t = text.trim();
  if (t === "") return {};
  return t.startsWith("{") ? parseJsonValues(t, what) : parseAssignments(t, what);
}

/** A point for a function's parameters: 1 for numbers, [0.5, -0.25, 1] for arrays. */
export function defaultPoint(ir: IRFunction): string {
  return ir.params.map((p) => `${valueName(p)}=${p.type === "arr" ? "[0.5,-0.25,1]" : p.type === "bool" ? "true" : "1"}`).join(",");
}

const now = () => (typeof performance !== "undefined" ? performance.now() : Date.now());

export async function analyze(req: Request, libs: Record<string, string>): Promise<Analysis> {
  const timings = { compile: 0, run: 0, draw: 0 };
  let t0 = now();
  const r = await compileInMemory({ [FILE]: req.source }, FILE, libs);
  timings.compile = now() - t0;
  const a: Analysis = { functions: r.functions, diagnostics: r.diagnostics.map((d) => formatDiagnostic(d, "")), output: r.output, timings };
  if (r.functions.length === 0) return a;
  const fn = req.fn && r.functions.includes(req.fn) ? req.fn : r.functions[0];
  a.fn = fn;
  const lowered = lowerFunction(r.program, r.sourceFile, fn);
  if (!lowered.ok) return a;
  const ir = lowered.ir;
  a.signature = signatureText(ir);
  a.suggestedPoint = defaultPoint(ir);
  let values: Record<string, Value>;
  let tangents: Record<string, Value> | undefined;
  try {
    values = checkValues(ir, parsePoint(req.point, "point"), "point", true);
    const given = req.tangent && req.tangent.trim() ? parsePoint(req.tangent, "tangent") : undefined;
    tangents = given ? checkValues(ir, given, "tangent", false) : undefined;
  } catch (e) {
    if (!(e instanceof ValueError)) throw e;
    a.error = e.message;
    return a;
  }
  try {
    t0 = now();
    if (r.output) {
      const mod = evaluateModule(r.output);
      const args = ir.params.map((p) => clone(values[p.name]));
      if (typeof mod[`${fn}Grad`] === "function") {
        const res = (mod[`${fn}Grad`] as (...x: Value[]) => { value: number; grad: Record<string, Numeric> })(...args);
        a.ran = `${fn}Grad`;
        a.value = res.value;
        a.grad = res.grad;
      } else if (typeof mod[`${fn}Vjp`] === "function") {
        const cot = Object.fromEntries(ir.outputs.map((o) => [o, new Float64Array((values[o] as Float64Array).length).fill(1)]));
        const res = (mod[`${fn}Vjp`] as (...x: unknown[]) => { grad: Record<string, Numeric> })(...args, cot);
        a.ran = `${fn}Vjp`;
        a.grad = res.grad;
        a.outputs = Object.fromEntries(ir.outputs.map((o) => [o, args[ir.params.findIndex((p) => p.name === o)] as Float64Array]));
      }
    }
    timings.run = now() - t0;
    t0 = now();
    // the trace is for pictures: a long run stops here (the gradient above came from the generated code)
    const run = interpret(ir, values, { tangents: tangents as Record<string, Numeric> | undefined, maxSteps: 200_000 });
    const dot = graphDot({ ir, helpers: helperSpans(r.program, ir) }, run, { expand: req.expand, tangents: !!tangents, activeOnly: req.activeOnly });
    a.svg = await renderSvg(dot);
    a.table = tablesText(tables(run), { tangents: !!tangents, maxRows: 400 });
    timings.draw = now() - t0;
  } catch (e) {
    a.error = (e as Error).message;
  }
  return a;
}
