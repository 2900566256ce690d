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
  lib: ["lib.es2022.d.ts", "lib.es2023.array.d.ts"],
  // resolve `adjoint/runtime` to its sources, whether or not dist/ has been built
  customConditions: ["adjoint-source"],
};

/**
 * The library files a compile starts with: ES2022's with ES2023's arrays (`findLast`,
 * `findLastIndex`), as in `compilerOptions.lib`, less the parts no differentiable function can
 * use (Intl, BigInt, Proxy, Reflect, WeakRef, generators, promises and async iteration, dates,
 * regular expressions, string methods). Parsing and binding the
 * library is most of a short compile, and this is about two thirds of the full library's text
 * and time. Kept is everything numeric code and the types it meets lean on: numbers and Math,
 * arrays and typed arrays (with the buffer types that parameterise them), iteration, objects,
 * errors. The files these reference come along (lib.es5.d.ts brings the decorators' types).
 */
export const CORE_LIBRARY: readonly string[] = [
  "lib.es5.d.ts",
  "lib.es2015.core.d.ts",
  "lib.es2015.collection.d.ts",
  "lib.es2015.iterable.d.ts",
  "lib.es2015.symbol.d.ts",
  "lib.es2015.symbol.wellknown.d.ts",
  "lib.es2016.array.include.d.ts",
  "lib.es2017.object.d.ts",
  "lib.es2017.sharedmemory.d.ts",
  "lib.es2017.typedarrays.d.ts",
  "lib.es2019.array.d.ts",
  "lib.es2019.object.d.ts",
  "lib.es2022.array.d.ts",
  "lib.es2022.error.d.ts",
  "lib.es2022.object.d.ts",
  "lib.es2023.array.d.ts",
];

/** Which library a program is made with: `"core"` (CORE_LIBRARY) or all of ES2022's. */
export type Library = "core" | "es2022";

const coreOptions: ts.CompilerOptions = { ...compilerOptions, lib: [...CORE_LIBRARY] };

/** Library files parse the same every time: share them between programs. */
const libCache = new Map<string, ts.SourceFile>();

/**
 * Library files already parsed by the caller's program (a build plugin's), by file name: they are
 * used as they are instead of parsed again. Only sound when the caller's program was made by the
 * same TypeScript instance as this compiler (node and symbol ids are per instance).
 */
export type LibraryFiles = (fileName: string) => ts.SourceFile | undefined;

export function createProgram(rootNames: string[], overrides: Map<string, string> = new Map(), libraries?: LibraryFiles, library: Library = "es2022"): ts.Program {
  const options = library === "core" ? coreOptions : compilerOptions;
  const host = ts.createCompilerHost(options, true);
  host.jsDocParsingMode = ts.JSDocParsingMode.ParseAll;
  const getSourceFile = host.getSourceFile.bind(host);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (f) => overrides.has(path.resolve(f)) || fileExists(f);
  host.readFile = (f) => overrides.get(path.resolve(f)) ?? readFile(f);
  host.getSourceFile = (fileName, lang, onError, create) => {
    const over = overrides.get(path.resolve(fileName));
    if (over !== undefined) return ts.createSourceFile(fileName, over, lang, true);
    if (!fileName.includes("/typescript/lib/")) return getSourceFile(fileName, lang, onError, create);
    const given = libraries?.(fileName) ?? libCache.get(fileName);
    if (given) return given;
    const text = readFile(fileName);
    if (text === undefined) return getSourceFile(fileName, lang, onError, create); // it reports the error
    // the compiler reads the JSDoc tags of sources only: library files are parsed without their
    // JSDoc, several times faster; and without a walk to set parent pointers, which binding
    // (done to every file before the checker answers anything) sets anyway
    const sf = ts.createSourceFile(fileName, text, typeof lang === "object" ? { ...lang, jsDocParsingMode: ts.JSDocParsingMode.ParseNone } : lang, false);
    libCache.set(fileName, sf);
    return sf;
  };
  return ts.createProgram(rootNames.map((f) => path.resolve(f)), options, host);
}

/**
 * Compiles with the core library and, when that reports anything, again with all of ES2022's.
 * A compile that succeeds with the core library used nothing it leaves out (differentiable code
 * meets numbers, arrays and objects of them; a global it does not declare has no type, and the
 * compiler rejects what it cannot type), and what is reported is always what the full library
 * gives: messages name types, which it declares.
 */
function withFallback(compile: (library: Library) => FileResult[]): FileResult[] {
  const first = compile("core");
  return first.some((r) => r.diagnostics.length > 0) ? compile("es2022") : first;
}

/** Compiles source files on disk. Helpers in relatively imported modules are read too. */
export function compileFiles(files: string[], options: CompileOptions = {}, libraries?: LibraryFiles): FileResult[] {
  return withFallback((library) => {
    const program = createProgram(files, new Map(), libraries, library);
    return files.map((f) => {
      const sf = program.getSourceFile(path.resolve(f));
      if (!sf) throw new Error(`cannot read ${f}`);
      return compileSourceFile(program, sf, options);
    });
  });
}

/** Compiles one module given as text (imports are resolved on disk relative to `fileName`). */
export function compileSource(text: string, fileName = "input.ts", options: CompileOptions = {}): FileResult {
  const abs = path.resolve(fileName);
  const [result] = withFallback((library) => {
    const program = createProgram([abs], new Map([[abs, text]]), undefined, library);
    return [compileSourceFile(program, program.getSourceFile(abs)!, options)];
  });
  return result!;
}
