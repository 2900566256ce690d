/**
 * adjoint's compiler API. `compileFiles` / `compileSource` are the entries the CLI, the build
 * plugin and tests use; everything else is an implementation detail of the passes.
 */
import ts from "typescript";
import path from "node:path";
import { compileSourceFile, type CompileOptions, type FileResult } from "./pipeline.ts";

export type { CompileOptions, FileResult, Mode } from "./pipeline.ts";
export { MODES } from "./pipeline.ts";
export { formatDiagnostic, Codes, type Diagnostic } from "./diagnostics.ts";
export { outputFileName } from "./naming.ts";
export { RULES, type ScalarRule } from "./rules/index.ts";

export const compilerOptions: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  allowImportingTsExtensions: true,
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  types: [],
  lib: ["lib.es2022.d.ts"],
  // resolve `adjoint/runtime` to its sources, whether or not dist/ has been built
  customConditions: ["adjoint-source"],
};

/** Library files parse the same every time: share them between programs. */
const libCache = new Map<string, ts.SourceFile>();

/**
 * Library files already parsed by the caller's program (a build plugin's), by file name: they are
 * used as they are instead of parsed again. Only sound when the caller's program was made by the
 * same TypeScript instance as this compiler (node and symbol ids are per instance).
 */
export type LibraryFiles = (fileName: string) => ts.SourceFile | undefined;

export function createProgram(rootNames: string[], overrides: Map<string, string> = new Map(), libraries?: LibraryFiles): ts.Program {
  const host = ts.createCompilerHost(compilerOptions, true);
  host.jsDocParsingMode = ts.JSDocParsingMode.ParseAll;
  const getSourceFile = host.getSourceFile.bind(host);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (f) => overrides.has(path.resolve(f)) || fileExists(f);
  host.readFile = (f) => overrides.get(path.resolve(f)) ?? readFile(f);
  host.getSourceFile = (fileName, lang, onError, create) => {
    const over = overrides.get(path.resolve(fileName));
    if (over !== undefined) return ts.createSourceFile(fileName, over, lang, true);
    const isLib = fileName.includes("/typescript/lib/");
    if (isLib) {
      const given = libraries?.(fileName);
      if (given) return given;
      if (libCache.has(fileName)) return libCache.get(fileName);
    }
    // the compiler reads the JSDoc tags of sources only: library files are parsed without their
    // JSDoc, several times faster
    const options = isLib && typeof lang === "object" ? { ...lang, jsDocParsingMode: ts.JSDocParsingMode.ParseNone } : lang;
    const sf = getSourceFile(fileName, options, onError, create);
    if (isLib && sf) libCache.set(fileName, sf);
    return sf;
  };
  return ts.createProgram(rootNames.map((f) => path.resolve(f)), compilerOptions, host);
}

/** Compiles source files on disk. Helpers in relatively imported modules are read too. */
export function compileFiles(files: string[], options: CompileOptions = {}, libraries?: LibraryFiles): FileResult[] {
  const program = createProgram(files, new Map(), libraries);
  const out: FileResult[] = [];
  for (const f of files) {
    const sf = program.getSourceFile(path.resolve(f));
    if (!sf) throw new Error(`cannot read ${f}`);
    out.push(compileSourceFile(program, sf, options));
  }
  return out;
}

/** Compiles one module given as text (imports are resolved on disk relative to `fileName`). */
export function compileSource(text: string, fileName = "input.ts", options: CompileOptions = {}): FileResult {
  const abs = path.resolve(fileName);
  const program = createProgram([abs], new Map([[abs, text]]));
  return compileSourceFile(program, program.getSourceFile(abs)!, options);
}
