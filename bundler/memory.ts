/**
 * The adjoint core in memory, for the bundler plugin: compiles a source file to its generated
 * module's text without writing anything, and caches the result until the source changes or the
 * bundler says a file changed (`invalidate`: a helper in another module may have).
 *
 * The compiler (and TypeScript) is loaded on the first compile, not when a bundler config
 * imports the plugin.
 */
import fs from "node:fs";
import path from "node:path";
import type { CompileOptions, Diagnostic, FileResult } from "../compiler/index.ts";
import { DEFAULT_RUNTIME, checkModes, exportedFunctions, generatedFileFor, isGeneratedPath, sourceCandidatesFor } from "../plugin/shared.ts";

const core = () => import("../compiler/index.ts");

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
      const result = core().then(({ compileFiles }) => compileFiles([file], { ...options, runtime: options.runtime ?? DEFAULT_RUNTIME })).then((r) => r[0]);
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

