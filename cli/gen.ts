/**
 * `adjoint gen`: compile the inputs, print diagnostics, and write (or `--check`) the outputs. An
 * output is up to date when its file holds the generated code, however it is formatted
 * (compare.ts): `--check` passes and nothing is written.
 *
 * Loaded only when the command runs (it brings in the compiler and TypeScript), so that `adjoint
 * --help` and `--version` answer at once. Exit codes: 0 success, 1 diagnostics, a stale output
 * under --check, or a write error; 2 usage.
 */
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";
import { compileFiles, outputFileName, MODES, type FileResult, type Mode } from "../compiler/index.ts";
import { codeDifference, sameCode } from "./compare.ts";
import { DEFAULT_RUNTIME } from "../plugin/shared.ts";
import { formatDiagnostic } from "./color.ts";
import { expandInputs, InputError } from "./inputs.ts";
import { WriteError, writeAll } from "./write.ts";

export interface GenOptions {
  outDir?: string;
  check?: boolean;
  dumpIr?: boolean;
  quiet?: boolean;
  runtime?: string;
  modes?: string;
}

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  /** Whether diagnostics are printed in colour. */
  color?: boolean;
}

export interface GenRun {
  code: number;
  /** The source files compiled (for watch mode). */
  files: string[];
  /** Directories the inputs were searched in (for watch mode). */
  roots: string[];
}

const rel = (f: string) => path.relative(process.cwd(), f) || f;
const plural = (n: number, one: string, many: string) => (n === 1 ? one : many);

function parseModes(value: string | undefined): Mode[] | string | undefined {
  if (value === undefined) return undefined;
  const list = value.split(",").map((m) => m.trim()).filter(Boolean);
  const bad = list.filter((m) => !(MODES as readonly string[]).includes(m));
  if (bad.length > 0 || list.length === 0) {
    return `error: unknown mode${bad.length === 1 ? "" : "s"} '${bad.join(", ")}' in --modes: choose from ${MODES.join(", ")}\n`;
  }
  return list as Mode[];
}

export async function gen(inputs: string[], opts: GenOptions, io: Io): Promise<GenRun> {
  let files: string[];
  let roots: string[];
  try {
    ({ files, roots } = await expandInputs(inputs));
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    io.err(`error: ${e.message}\n`);
    return { code: 2, files: [], roots: [] };
  }
  const usage = (message: string): GenRun => {
    io.err(message);
    return { code: 2, files, roots };
  };
  if (opts.outDir) {
    const seen = new Map<string, string>();
    for (const f of files) {
      const out = path.basename(outputFileName(f));
      const prev = seen.get(out);
      if (prev !== undefined) {
        return usage(`error: ${prev} and ${f} would both write ${path.join(opts.outDir, out)} in --out-dir: generate them in separate runs or rename one\n`);
      }
      seen.set(out, f);
    }
  }
  const modes = parseModes(opts.modes);
  if (typeof modes === "string") return usage(modes);

  const outDir = opts.outDir ? path.resolve(opts.outDir) : undefined;
  const results: FileResult[] = await compileFiles(files, { runtime: opts.runtime ?? DEFAULT_RUNTIME, modes, ...(outDir ? { outDir } : {}) });
  let errors = 0;
  for (const r of results) {
    for (const d of r.diagnostics) {
      io.err(formatDiagnostic(d, io.color ?? false) + "\n");
      errors++;
    }
    if (opts.dumpIr) io.out(r.ir.join("\n\n") + "\n");
  }
  if (errors > 0) {
    io.err(`${errors} ${plural(errors, "error", "errors")}; nothing written.\n`);
    return { code: 1, files, roots };
  }
  const planned = results
    .filter((r) => r.output !== undefined)
    .map((r) => {
      const outName = outputFileName(r.source);
      const target = opts.outDir ? path.join(opts.outDir, path.basename(outName)) : outName;
      return { source: r.source, target, text: r.output!, functions: r.functions };
    });
  for (const r of results) {
    if (r.output === undefined && !opts.quiet) io.err(`warning: ${rel(r.source)} has no @differentiable functions\n`);
  }

  if (opts.check) {
    let stale = 0;
    for (const p of planned) {
      let current: string | undefined;
      try {
        current = fs.readFileSync(p.target, "utf8");
      } catch {
        current = undefined;
      }
      // the same code formatted otherwise (by the project's formatter) is up to date
      const difference = current === undefined ? undefined : codeDifference(ts, current, p.text);
      if (current === undefined) {
        io.err(`missing: ${rel(p.target)}\n`);
        stale++;
      } else if (difference) {
        io.err(`stale: ${rel(p.target)}\n  (its code first differs from the generated code at line ${difference.line}, column ${difference.column})\n`);
        stale++;
      }
    }
    if (stale > 0) {
      io.err(`${stale} generated ${plural(stale, "file is", "files are")} out of date: run \`adjoint gen ${inputs.join(" ")}\`.\n`);
      return { code: 1, files, roots };
    }
    if (!opts.quiet) io.out(`${planned.length} generated ${plural(planned.length, "file", "files")} up to date.\n`);
    return { code: 0, files, roots };
  }

  let result;
  try {
    result = writeAll(planned, (current, next) => sameCode(ts, current, next));
  } catch (e) {
    if (!(e instanceof WriteError)) throw e;
    const written = (e as WriteError & { written?: string[] }).written;
    const what = written?.length ? `; wrote only ${written.map(rel).join(", ")}` : "; nothing written";
    io.err(`error: cannot write ${rel(e.file)}: ${e.reason}${what}.\n`);
    return { code: 1, files, roots };
  }
  if (!opts.quiet) {
    for (const p of planned) {
      const verb = result.written.includes(p.target) ? "wrote" : "unchanged";
      io.out(`${verb} ${rel(p.target)} (${p.functions.join(", ")})\n`);
    }
  }
  return { code: 0, files, roots };
}
