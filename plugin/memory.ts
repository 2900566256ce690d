/**
 * The adjoint core in memory, for the bundler adapters (Vite, esbuild): compiles a source file to
 * its generated module's text without writing anything, and caches the result until the source
 * changes or the adapter says a file changed (`invalidate`: a helper in another module may have).
 */
import fs from "node:fs";
import path from "node:path";
import { compileFiles, formatDiagnostic, type CompileOptions, type Diagnostic, type FileResult } from "../compiler/index.ts";
import { checkModes, exportedFunctions, generatedFileFor, isGeneratedPath, sourceCandidatesFor } from "./shared.ts";

export type { Diagnostic };

export interface MemoryCompiler {
  /** Compiles `source` (an absolute path); results are cached while its text is unchanged. */
  compile(source: string): Promise<FileResult>;
  /** The generated functions a compiled source exports (`lossGrad`, …). */
  exports(result: FileResult): string[];
  /** Forgets every cached result. */
  invalidate(): void;
}

export function createMemoryCompiler(options: CompileOptions = {}): MemoryCompiler {
  const bad = checkModes(options.modes);
  if (bad) throw new Error(bad);
  const cache = new Map<string, { text: string; result: Promise<FileResult> }>();
  return {
    compile(source) {
      const file = path.resolve(source);
      const text = fs.readFileSync(file, "utf8");
      const hit = cache.get(file);
      if (hit && hit.text === text) return hit.result;
      const result = Promise.resolve().then(() => compileFiles([file], options)[0]);
      cache.set(file, { text, result });
      result.catch(() => cache.delete(file));
      return result;
    },
    exports(result) {
      return result.output === undefined ? [] : exportedFunctions(result.output);
    },
    invalidate() {
      cache.clear();
    },
  };
}

/** The source a generated module path (`/a/model.grad.ts`, `.grad.js`, `.grad`) is made from, if it exists. */
export function sourceOfGenerated(file: string): string | undefined {
  if (!isGeneratedPath(file)) return undefined;
  return sourceCandidatesFor(file).find((f) => fs.existsSync(f));
}

/** `model.ts` -> `/abs/model.grad.ts`. */
export function generatedPathOf(source: string): string {
  return generatedFileFor(path.resolve(source));
}

/** All of a result's diagnostics as one message, each with its location and code frame. */
export function formatDiagnostics(diagnostics: Diagnostic[], cwd = process.cwd()): string {
  return diagnostics.map((d) => formatDiagnostic(d, cwd)).join("\n");
}
