/**
 * `adjoint graph <file.ts> --fn <name>`: the function's computational graph, drawn from its
 * lowered IR (one node per step, regions as clusters, inlined helpers as one node unless
 * --expand), as SVG laid out by Graphviz, or as DOT. With --at, each node shows its value and
 * adjoint and each edge its local partial; with --tangent, each node also shows its tangent.
 *
 * Also the pieces `adjoint table` shares: reading a function, parsing `--at x1=1.5,x2=0.5` or
 * `--at @inputs.json`, running the interpreter, writing outputs atomically.
 */
import type { Command } from "commander";
import fs from "node:fs";
import path from "node:path";
import { createProgram, formatDiagnostic } from "../compiler/index.ts";
import { lowerFunction, helperSpans } from "../compiler/graph/source.ts";
import { buildGraph } from "../compiler/graph/build.ts";
import { toDot } from "../compiler/graph/dot.ts";
import { renderSvg } from "../compiler/graph/svg.ts";
import { formatValue } from "../compiler/graph/labels.ts";
import { interpret, type Run, type Value, type Numeric } from "../compiler/ir/interpret.ts";
import type { IRFunction } from "../compiler/ir/types.ts";
import type { HelperSpan } from "../compiler/graph/build.ts";
import type { Io } from "./main.ts";

/** A usage error: exit code 2, with a message saying what to write instead. */
export class UsageError extends Error {}

export interface Loaded {
  ir: IRFunction;
  helpers: HelperSpan[];
}

/** Lowers `name` from `file`; diagnostics are printed and give exit code 1. */
export function loadFunction(file: string, name: string | undefined, io: Io): Loaded | number {
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) {
    io.err(`error: no such file: ${file}\n`);
    return 2;
  }
  const abs = path.resolve(file);
  const program = createProgram([abs]);
  const sf = program.getSourceFile(abs);
  if (!sf) {
    io.err(`error: cannot read ${file}\n`);
    return 2;
  }
  const l = lowerFunction(program, sf, name);
  if (!l.ok) {
    for (const d of l.diagnostics) io.err(formatDiagnostic(d) + "\n");
    if (l.message) {
      io.err(`error: ${file}: ${l.message}\n`);
      return 2;
    }
    return 1;
  }
  return { ir: l.ir, helpers: helperSpans(program, l.ir) };
}

/** Splits `a=1,b=[1,2,3]` at the commas outside brackets. */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = "";
  for (const ch of s) {
    if (ch === "[") depth++;
    if (ch === "]") depth--;
    if (ch === "," && depth === 0) {
      out.push(cur);
      cur = "";
    } else {
      cur += ch;
    }
  }
  if (cur.trim() !== "") out.push(cur);
  return out;
}

function parseNumber(text: string, what: string): number {
  const t = text.trim();
  const v = Number(t);
  if (t === "" || (Number.isNaN(v) && t !== "NaN")) throw new UsageError(`${what}: '${text}' is not a number`);
  return v;
}

function fromJson(v: unknown, what: string): Value {
  if (typeof v === "number" || typeof v === "boolean") return v;
  if (Array.isArray(v) && v.every((x) => typeof x === "number")) return Float64Array.from(v as number[]);
  throw new UsageError(`${what}: expected a number, a boolean or an array of numbers, got ${JSON.stringify(v)}`);
}

/**
 * Values per parameter from `x1=1.5,x2=0.5` (arrays as `w=[0.1,0.2]`, booleans as `true`) or
 * from a JSON file given as `@inputs.json` (`{ "x1": 1.5, "w": [0.1, 0.2] }`).
 */
export function parseValues(spec: string, option: string): Record<string, Value> {
  const out: Record<string, Value> = {};
  if (spec.startsWith("@")) {
    const file = spec.slice(1);
    if (!fs.existsSync(file)) throw new UsageError(`${option}: no such file: ${file}`);
    let data: unknown;
    try {
      data = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (e) {
      throw new UsageError(`${option}: ${file} is not valid JSON (${(e as Error).message})`);
    }
    if (typeof data !== "object" || data === null || Array.isArray(data)) throw new UsageError(`${option}: ${file} must hold an object: { "name": value, … }`);
    for (const [k, v] of Object.entries(data)) out[k] = fromJson(v, `${option} ${k}`);
    return out;
  }
  for (const part of splitTop(spec)) {
    const eq = part.indexOf("=");
    if (eq <= 0) throw new UsageError(`${option}: expected name=value, got '${part}' (for example ${option} x1=1.5,x2=0.5, or ${option} @inputs.json)`);
    const name = part.slice(0, eq).trim();
    const text = part.slice(eq + 1).trim();
    if (text.startsWith("[")) {
      if (!text.endsWith("]")) throw new UsageError(`${option} ${name}: an array is written [1, 2, 3]`);
      const inner = text.slice(1, -1).trim();
      out[name] = Float64Array.from(inner === "" ? [] : inner.split(",").map((x) => parseNumber(x, `${option} ${name}`)));
    } else if (text === "true" || text === "false") {
      out[name] = text === "true";
    } else {
      out[name] = parseNumber(text, `${option} ${name}`);
    }
  }
  return out;
}

const typeName = (t: string) => (t === "arr" ? "Float64Array" : t === "bool" ? "boolean" : "number");

/** Checks that every parameter has a value of its type, and that no unknown name is given. */
function checkInputs(ir: IRFunction, values: Record<string, Value>, option: string, all: boolean): void {
  const params = ir.params.map((p) => `${p.name}: ${typeName(p.type)}`).join(", ");
  for (const k of Object.keys(values)) {
    if (!ir.params.some((p) => p.name === k)) throw new UsageError(`${option}: ${ir.name} has no parameter '${k}' (its parameters: ${params})`);
  }
  for (const p of ir.params) {
    const v = values[p.name];
    if (v === undefined) {
      if (all) throw new UsageError(`${option}: no value for '${p.name}' (${ir.name} takes ${params})`);
      continue;
    }
    const ok = p.type === "num" ? typeof v === "number" : p.type === "bool" ? typeof v === "boolean" : v instanceof Float64Array;
    if (!ok) throw new UsageError(`${option}: '${p.name}' is a ${typeName(p.type)}, got ${v instanceof Float64Array ? "an array" : typeof v}`);
  }
}

export interface PointOptions {
  at?: string;
  tangent?: string;
  cotangent?: string;
}

/** Runs the interpreter at the point the options give (undefined without --at). */
export function runAt(ir: IRFunction, opts: PointOptions): Run | undefined {
  if (opts.at === undefined) {
    if (opts.tangent !== undefined || opts.cotangent !== undefined) throw new UsageError("--tangent and --cotangent need a point: add --at");
    return undefined;
  }
  const inputs = parseValues(opts.at, "--at");
  checkInputs(ir, inputs, "--at", true);
  const tangents = opts.tangent !== undefined ? parseValues(opts.tangent, "--tangent") : undefined;
  if (tangents) {
    checkInputs(ir, tangents, "--tangent", false);
    for (const [k, v] of Object.entries(tangents)) if (typeof v === "boolean") throw new UsageError(`--tangent: '${k}' is a boolean and has no tangent`);
  }
  const cotangents = opts.cotangent !== undefined ? parseValues(opts.cotangent, "--cotangent") : undefined;
  if (cotangents) {
    for (const [k, v] of Object.entries(cotangents)) {
      if (!ir.outputs.includes(k)) throw new UsageError(`--cotangent: '${k}' is not an output of ${ir.name}${ir.outputs.length ? ` (its outputs: ${ir.outputs.join(", ")})` : " (it returns a number)"}`);
      if (!(v instanceof Float64Array)) throw new UsageError(`--cotangent: '${k}' is a Float64Array output: write ${k}=[…]`);
    }
  }
  return interpret(ir, inputs, { tangents: tangents as Record<string, Numeric> | undefined, cotangents: cotangents as Record<string, Float64Array> | undefined });
}

/** `f at x1 = 1.5, x2 = 0.5, along ẋ1 = 1, ẋ2 = 0` */
export function pointText(run: Run, tangents: boolean): string {
  const vals = run.fn.params.map((p) => `${p.name} = ${formatValue(run.inputs.get(p.name))}`).join(", ");
  const dirs = run.fn.params.filter((p) => p.type !== "bool").map((p) => `${dotted(p.name)} = ${formatValue(run.inputTangents.get(p.name))}`).join(", ");
  return `${run.fn.name} at ${vals}${tangents ? `, along ${dirs}` : ""}`;
}

/** The name with a dot over its first letter: ẋ1. */
const dotted = (name: string) => `${name[0]}\u0307${name.slice(1)}`;

/** Writes `text` atomically: readers see the old file or the new one, never a part. */
export function writeFileAtomic(file: string, text: string): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = path.join(path.dirname(path.resolve(file)), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

export interface GraphOptions extends PointOptions {
  fn?: string;
  out?: string;
  format?: string;
  expand?: boolean;
}

/** The picture's DOT text for `ir` (shared by the CLI and the README pictures' test). */
export function graphDot(loaded: Loaded, run: Run | undefined, opts: { expand?: boolean; tangents?: boolean }): string {
  const g = buildGraph(loaded.ir, { helpers: loaded.helpers, expand: opts.expand, run, tangents: opts.tangents });
  const title = run
    ? `${pointText(run, !!opts.tangents)}\nv value${opts.tangents ? ", v̇ tangent" : ""}, v̄ adjoint ∂${run.fn.name}/∂v; edges: local partials ∂`
    : loaded.ir.name;
  return toDot(g, { title });
}

export async function graph(file: string, opts: GraphOptions, io: Io): Promise<number> {
  const format = opts.format ?? (opts.out?.endsWith(".dot") ? "dot" : "svg");
  if (format !== "svg" && format !== "dot") {
    io.err(`error: unknown --format '${opts.format}': choose svg or dot\n`);
    return 2;
  }
  const loaded = loadFunction(file, opts.fn, io);
  if (typeof loaded === "number") return loaded;
  let run: Run | undefined;
  try {
    run = runAt(loaded.ir, opts);
  } catch (e) {
    io.err(`error: ${(e as Error).message}\n`);
    return e instanceof UsageError ? 2 : 1;
  }
  const dot = graphDot(loaded, run, { expand: opts.expand, tangents: opts.tangent !== undefined });
  const text = format === "dot" ? dot : await renderSvg(dot);
  if (opts.out) {
    writeFileAtomic(opts.out, text);
    io.out(`wrote ${opts.out}\n`);
  } else {
    io.out(text);
  }
  return 0;
}

/** Registers `adjoint graph` on the command line. */
export function registerGraph(program: Command, io: Io, done: (code: number) => void): void {
  program
    .command("graph")
    .description("draw a function's computational graph from its IR (SVG, or DOT)")
    .argument("<file>", "TypeScript source file")
    .option("--fn <name>", "the @differentiable function (needed when the file has several)")
    .option("-o, --out <file>", "write the picture here (default: standard output)")
    .option("--format <format>", "svg or dot (default: svg, or dot for an --out ending in .dot)")
    .option("--at <values>", "point to evaluate at: x1=1.5,x2=0.5 (arrays as w=[1,2]) or @inputs.json; adds values, adjoints and local partials")
    .option("--tangent <values>", "direction for forward mode, as --at (missing: 0); adds tangents")
    .option("--cotangent <values>", "cotangents of @out outputs for the adjoints (default: ones)")
    .option("--expand", "draw the steps of inlined helpers instead of one node per call")
    .action(async (file: string, opts: GraphOptions) => {
      done(await graph(file, opts, io));
    });
}
