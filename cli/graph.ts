/**
 * `adjoint graph <file.ts> --fn <name>`: the function's computational graph, drawn from its
 * lowered IR (one node per step, regions as clusters, inlined helpers as one node unless
 * --expand), as SVG laid out by Graphviz, or as DOT. With --at, each node shows its value and
 * adjoint and each edge its local partial; with --tangent, each node also shows its tangent.
 *
 * Also the pieces `adjoint table` shares: reading a function, parsing `--at x1=1.5,x2=0.5` or
 * `--at @inputs.json`, running the interpreter, writing outputs atomically.
 */
import fs from "node:fs";
import path from "node:path";
import { createProgram, formatDiagnostic } from "../compiler/index.ts";
import { lowerFunction, helperSpans } from "../compiler/graph/source.ts";
import { renderSvg } from "../compiler/graph/svg.ts";
import { graphDot, pointText, type Loaded } from "../compiler/graph/index.ts";
import { ValueError, parseAssignments, parseJsonValues, checkValues, type Written } from "../compiler/graph/values.ts";
import { interpret, type Run, type Numeric } from "../compiler/ir/interpret.ts";
import type { IRFunction } from "../compiler/ir/types.ts";
import type { Io } from "./main.ts";
import { writeAll } from "./write.ts";

export { ValueError, pointText, type Loaded };

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

/**
 * Values per parameter from `x1=1.5,x2=0.5` (arrays as `w=[0.1,0.2]`, booleans as `true`) or
 * from a JSON file given as `@inputs.json` (`{ "x1": 1.5, "w": [0.1, 0.2] }`).
 */
export function parseValues(spec: string, option: string): Record<string, Written> {
  if (!spec.startsWith("@")) return parseAssignments(spec, option);
  const file = spec.slice(1);
  if (!fs.existsSync(file)) throw new ValueError(`${option}: no such file: ${file}`);
  return parseJsonValues(fs.readFileSync(file, "utf8"), `${option}: ${file}`);
}

export interface PointOptions {
  at?: string;
  tangent?: string;
  cotangent?: string;
}

/** Runs the interpreter at the point the options give (undefined without --at). */
export function runAt(ir: IRFunction, opts: PointOptions): Run | undefined {
  if (opts.at === undefined) {
    if (opts.tangent !== undefined || opts.cotangent !== undefined) throw new ValueError("--tangent and --cotangent need a point: add --at");
    return undefined;
  }
  const inputs = checkValues(ir, parseValues(opts.at, "--at"), "--at", true);
  const given = opts.tangent !== undefined ? parseValues(opts.tangent, "--tangent") : undefined;
  if (given) for (const [k, v] of Object.entries(given)) if (typeof v === "boolean") throw new ValueError(`--tangent: '${k}' is a boolean and has no tangent`);
  const tangents = given ? checkValues(ir, given, "--tangent", false) : undefined;
  const cotangents = opts.cotangent !== undefined ? parseValues(opts.cotangent, "--cotangent") : undefined;
  if (cotangents) {
    for (const [k, v] of Object.entries(cotangents)) {
      if (!ir.outputs.includes(k)) throw new ValueError(`--cotangent: '${k}' is not an output of ${ir.name}${ir.outputs.length ? ` (its outputs: ${ir.outputs.join(", ")})` : " (it returns a number)"}`);
      if (!(v instanceof Float64Array)) throw new ValueError(`--cotangent: '${k}' is a Float64Array output: write ${k}=[…]`);
    }
  }
  return interpret(ir, inputs, { tangents: tangents as Record<string, Numeric> | undefined, cotangents: cotangents as Record<string, Float64Array> | undefined });
}

/** Writes `text` atomically (the run's one output: all or nothing). */
export function writeFileAtomic(file: string, text: string): void {
  writeAll([{ target: path.resolve(file), text }]);
}

export interface GraphOptions extends PointOptions {
  fn?: string;
  out?: string;
  format?: string;
  expand?: boolean;
  activeOnly?: boolean;
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
    return e instanceof ValueError ? 2 : 1;
  }
  const dot = graphDot(loaded, run, { expand: opts.expand, tangents: opts.tangent !== undefined, activeOnly: opts.activeOnly });
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
