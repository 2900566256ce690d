/**
 * The adjoint core as the tsc plugin calls it: synchronously, from inside TypeScript's
 * synchronous `createProgram`.
 *
 * The core's `compileFiles` is asynchronous (prettier formats its output), so the plugin runs it
 * in a child process (compile.ts, built to dist/plugin/compile.js) and waits for it. Once the core
 * offers a synchronous compile, this module is the only one to change:
 *
 *   import { compileFilesSync } from "../compiler/index.ts";
 *   export function compile(files, options) {
 *     return { results: compileFilesSync(files, options) };
 *   }
 *
 * (the plugin is built to CommonJS, dist/cjs/, and tsc builds the compiler into it with the
 * import; the compiler uses no `import.meta` and no top-level await, so it builds as CommonJS).
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import type { FileResult, Mode } from "../compiler/index.ts";

export type CompileResult = Pick<FileResult, "source" | "output" | "diagnostics" | "functions">;

export type CompileRun = { results: CompileResult[] } | { error: string };

export interface CoreOptions {
  runtime: string;
  modes?: Mode[];
}

/** dist/plugin/compile.js, seen from this module built as dist/cjs/plugin/core.js. */
const COMPILE_SCRIPT = path.join(__dirname, "..", "..", "plugin", "compile.js");

export function compile(files: string[], options: CoreOptions): CompileRun {
  const request = JSON.stringify({ files, runtime: options.runtime, modes: options.modes });
  const child = spawnSync(process.execPath, [COMPILE_SCRIPT], { input: request, encoding: "utf8", maxBuffer: 1 << 30 });
  if (child.error) return { error: child.error.message };
  if (child.status !== 0) return { error: (child.stderr || `exit code ${child.status}`).trim() };
  try {
    return { results: JSON.parse(child.stdout) as CompileResult[] };
  } catch (e) {
    return { error: `unreadable output (${(e as Error).message}): ${child.stderr}` };
  }
}
