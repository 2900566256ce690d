/**
 * The adjoint core as the tsc plugin calls it: synchronously, from inside TypeScript's
 * synchronous `createProgram`, in the same process (the plugin is built to CommonJS, dist/cjs/,
 * with the compiler it imports; the compiler uses no `import.meta` and no top-level await).
 *
 * An exception from the core becomes `{ error }`, which the plugin reports as one diagnostic:
 * a build never shows a stack trace.
 */
import { compileFiles, type FileResult, type Mode } from "../compiler/index.ts";

export type CompileResult = Pick<FileResult, "source" | "output" | "diagnostics" | "functions">;

export type CompileRun = { results: CompileResult[] } | { error: string };

export interface CoreOptions {
  runtime: string;
  modes?: Mode[];
}

export function compile(files: string[], options: CoreOptions): CompileRun {
  try {
    return { results: compileFiles(files, { runtime: options.runtime, ...(options.modes ? { modes: options.modes } : {}) }) };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}
