/**
 * The `adjoint` command line. Thin: options, files, diagnostics, exit codes.
 *
 *   adjoint gen <files...> [-o dir] [--check] [--dump-ir] [--quiet] [--modes list] [--runtime specifier]
 *
 * Exit codes: 0 success, 1 diagnostics (or --check found a missing/stale output), 2 usage.
 * A run with any error writes nothing; every write is atomic (temporary file, then rename).
 */
import { Command, CommanderError } from "commander";
import fs from "node:fs";
import path from "node:path";
import { compileFiles, formatDiagnostic, outputFileName, MODES, type Mode } from "../compiler/index.ts";
import { registerGraph } from "./graph.ts";
import { registerTable } from "./table.ts";

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
}

const defaultIo: Io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };

/** Writes `text` to `file` atomically: readers see the old file or the new one, never a part. */
export function writeAtomic(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

export async function gen(files: string[], opts: GenOptions, io: Io = defaultIo): Promise<number> {
  for (const f of files) {
    if (!fs.existsSync(f)) {
      io.err(`error: no such file: ${f}\n`);
      return 2;
    }
    if (!fs.statSync(f).isFile() || !/\.(ts|mts|cts|tsx)$/.test(f)) {
      io.err(`error: ${f} is not a TypeScript source file: pass .ts files (for example ${fs.statSync(f).isDirectory() ? `${f.replace(/\/$/, "")}/*.ts` : "model.ts"})\n`);
      return 2;
    }
  }
  // generated files are outputs, not inputs (a glob like src/*.ts picks them up)
  files = files.filter((f) => !/\.grad\.[cm]?tsx?$/.test(f));
  if (opts.outDir) {
    const seen = new Map<string, string>();
    for (const f of files) {
      const out = path.basename(outputFileName(f));
      const prev = seen.get(out);
      if (prev !== undefined) {
        io.err(`error: ${prev} and ${f} would both write ${path.join(opts.outDir, out)} in --out-dir: generate them in separate runs or rename one\n`);
        return 2;
      }
      seen.set(out, f);
    }
  }
  let modes: Mode[] | undefined;
  if (opts.modes !== undefined) {
    const list = opts.modes.split(",").map((m) => m.trim()).filter(Boolean);
    const bad = list.filter((m) => !(MODES as readonly string[]).includes(m));
    if (bad.length > 0 || list.length === 0) {
      io.err(`error: unknown mode${bad.length === 1 ? "" : "s"} '${bad.join(", ")}' in --modes: choose from ${MODES.join(", ")}\n`);
      return 2;
    }
    modes = list as Mode[];
  }
  const results = await compileFiles(files, { runtime: opts.runtime, modes });
  let errors = 0;
  for (const r of results) {
    for (const d of r.diagnostics) {
      io.err(formatDiagnostic(d) + "\n");
      errors++;
    }
    if (opts.dumpIr) io.out(r.ir.join("\n\n") + "\n");
  }
  if (errors > 0) {
    io.err(`${errors} error${errors === 1 ? "" : "s"}; nothing written.\n`);
    return 1;
  }
  const planned = results
    .filter((r) => r.output !== undefined)
    .map((r) => {
      const outName = outputFileName(r.source);
      const target = opts.outDir ? path.join(opts.outDir, path.basename(outName)) : outName;
      return { source: r.source, target, text: r.output!, functions: r.functions };
    });
  for (const r of results) {
    if (r.output === undefined && !opts.quiet) io.err(`warning: ${path.relative(process.cwd(), r.source)} has no @differentiable functions\n`);
  }
  if (opts.check) {
    let stale = 0;
    for (const p of planned) {
      const cur = fs.existsSync(p.target) ? fs.readFileSync(p.target, "utf8") : undefined;
      if (cur !== p.text) {
        io.err(`${cur === undefined ? "missing" : "stale"}: ${path.relative(process.cwd(), p.target)}\n`);
        stale++;
      }
    }
    if (stale > 0) {
      io.err(`${stale} generated file${stale === 1 ? " is" : "s are"} out of date: run \`adjoint gen ${files.join(" ")}\`.\n`);
      return 1;
    }
    if (!opts.quiet) io.out(`${planned.length} generated file${planned.length === 1 ? "" : "s"} up to date.\n`);
    return 0;
  }
  for (const p of planned) {
    writeAtomic(p.target, p.text);
    if (!opts.quiet) io.out(`wrote ${path.relative(process.cwd(), p.target)} (${p.functions.join(", ")})\n`);
  }
  return 0;
}

export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  const program = new Command();
  let code = 0;
  program
    .name("adjoint")
    .description("Source-to-source automatic differentiation for TypeScript.")
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  program
    .command("gen")
    .description("write <name>.grad.ts beside each source file with @differentiable functions")
    .argument("<files...>", "TypeScript source files")
    .option("-o, --out-dir <dir>", "write generated files into this directory")
    .option("--check", "exit 1 if any generated file is missing or stale; write nothing")
    .option("--dump-ir", "print the intermediate representation of each function")
    .option("--quiet", "print only errors")
    .option("--modes <list>", `functions to generate, comma-separated: ${"grad,jvp,vjp,jacobian,hvp,hessian"} (default: grad, or vjp for @out functions; a function's @modes tag wins)`)
    .option("--runtime <specifier>", "module specifier generated code imports the runtime from", "adjoint/runtime")
    .action(async (files: string[], opts: GenOptions) => {
      code = await gen(files, opts, io);
    });
  registerGraph(program, io, (c) => (code = c));
  registerTable(program, io, (c) => (code = c));
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? 0 : 2;
    }
    throw e;
  }
  return code;
}
