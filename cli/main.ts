/**
 * The `adjoint` command line. Thin: options, exit codes; the work is in gen.ts and watch.ts,
 * loaded only when a command runs, so that `--help` and `--version` need neither the compiler nor
 * TypeScript.
 *
 *   adjoint gen <inputs...> [-o dir] [--check] [--watch] [--dump-ir] [--quiet] [--modes list] [--runtime specifier]
 *
 * Exit codes: 0 success, 1 diagnostics, a stale output under --check, or a write error; 2 usage.
 * A run with any error writes nothing; see write.ts.
 */
import { Command, CommanderError } from "commander";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_RUNTIME } from "../plugin/shared.ts";
import { useColor } from "./color.ts";
import type { GenOptions, Io } from "./gen.ts";
import { registerGraph, registerTable } from "./commands.ts";
import { loadTypeScript } from "./startup.ts";

export type { GenOptions, Io };

const defaultIo = (): Io => ({
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  color: useColor(process.stderr),
});

/** The version in adjoint's package.json (found from this file, in the sources or in dist/). */
export function version(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
      if (pkg.name === "adjoint") return String(pkg.version);
    } catch {
      // no package.json here
    }
    const parent = path.dirname(dir);
    if (parent === dir) return "unknown";
    dir = parent;
  }
}

/** The one line an unexpected exception prints. */
export function internalError(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return `adjoint: internal error: ${message.split("\n")[0] || "unknown error"} (please report)\n`;
}

export interface WatchOptions extends GenOptions {
  watch?: boolean;
}

export async function main(argv: string[], io: Io = defaultIo()): Promise<number> {
  const program = new Command();
  let code = 0;
  program
    .name("adjoint")
    .description("Source-to-source automatic differentiation for TypeScript.")
    .version(version(), "-v, --version", "print adjoint's version")
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  program
    .command("gen")
    .description("write <name>.grad.ts beside each source file with @differentiable functions")
    .argument("<inputs...>", "TypeScript files, directories (searched recursively) or quoted globs ('src/**/*.ts')")
    .option("-o, --out-dir <dir>", "write generated files into this directory")
    .option("--check", "exit 1 if any generated file is missing or stale; write nothing")
    .option("-w, --watch", "regenerate whenever a source changes; keep running after errors")
    .option("--dump-ir", "print the intermediate representation of each function")
    .option("--quiet", "print only errors")
    .option("--modes <list>", "functions to generate, comma-separated: grad,jvp,vjp,jacobian,hvp,hessian (default: grad, or vjp for @out functions; a function's @modes tag wins)")
    .option("--runtime <specifier>", "module specifier generated code imports the runtime from", DEFAULT_RUNTIME)
    .action(async (inputs: string[], opts: WatchOptions) => {
      if (opts.watch && opts.check) {
        io.err("error: --watch and --check do not go together: --check is for a single run in CI\n");
        code = 2;
        return;
      }
      loadTypeScript();
      if (opts.watch) {
        const { watch } = await import("./run.ts");
        code = await watch(inputs, opts, io);
        return;
      }
      const { gen } = await import("./run.ts");
      code = (await gen(inputs, opts, io)).code;
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
