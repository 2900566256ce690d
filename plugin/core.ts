/**
 * The adjoint core as the tsc plugin calls it: synchronously, from inside TypeScript's
 * synchronous `createProgram`, in the same process (the plugin is built to CommonJS, dist/cjs/,
 * with the compiler it imports; the compiler uses no `import.meta` and no top-level await).
 *
 * The compiler runs on the TypeScript that is compiling: the instance ts-patch hands the plugin
 * (its `tsc`, a module of its own) is what the compiler's `require("typescript")` returns while
 * the compiler loads. So the process holds one TypeScript, not two (loading another costs about
 * as much as the rest of the plugin), and the compiler's program takes the library files the
 * build's program has parsed already (`lib.es2022.d.ts` and the rest: most of the work of making
 * a program), which is sound only within one instance, since node and symbol ids are counted
 * per instance. The compiler's own options and the source files it parses are unchanged, so its
 * output is `adjoint gen`'s, byte for byte.
 *
 * An exception from the core becomes `{ error }`, which the plugin reports as one diagnostic:
 * a build never shows a stack trace.
 */
import type * as TS from "typescript";
import Module from "node:module";
import type { FileResult, Mode } from "../compiler/index.ts";

type Compiler = typeof import("../compiler/index.ts");

export type CompileResult = Pick<FileResult, "source" | "output" | "diagnostics" | "functions">;

export type CompileRun = { results: CompileResult[] } | { error: string };

export interface CoreOptions {
  runtime: string;
  modes?: Mode[];
}

/** The compiler, and the TypeScript instance it was loaded with. */
let loaded: { compiler: Compiler; ts: typeof TS } | undefined;

/**
 * The compiler module, loaded (once per process) with `ts` as its "typescript": `ts` stands in
 * the module cache at the path the compiler's `require("typescript")` resolves to, only while
 * the compiler loads; whatever else requires "typescript" later gets its own copy as before.
 */
function compilerWith(ts: typeof TS): { compiler: Compiler; shared: boolean } {
  if (loaded) return { compiler: loaded.compiler, shared: loaded.ts === ts };
  const id = require.resolve("typescript");
  const before = require.cache[id];
  const stand = new Module(id);
  stand.filename = id;
  stand.loaded = true;
  stand.exports = ts;
  require.cache[id] = stand;
  try {
    loaded = { compiler: require("../compiler/index.js") as Compiler, ts };
  } finally {
    if (before) require.cache[id] = before;
    else delete require.cache[id];
  }
  return { compiler: loaded.compiler, shared: true };
}

/** Library file names: TypeScript's own `lib.*.d.ts`. */
const LIBRARY = /[\\/]typescript[\\/]lib[\\/]lib\.[\w.-]+\.d\.ts$/;

/**
 * Compiles `files` with the core. `program` is the build's: its library files are reused when
 * the compiler runs on its TypeScript instance `ts` (parsed for a target of ES2015 or later: a
 * declaration file's tree does not depend on which).
 */
export function compile(files: string[], options: CoreOptions, ts: typeof TS, program: TS.Program): CompileRun {
  try {
    const { compiler, shared } = compilerWith(ts);
    const libraries = shared
      ? (fileName: string) => {
        const sf = program.getSourceFile(fileName);
        return sf && sf.isDeclarationFile && LIBRARY.test(sf.fileName) && sf.languageVersion >= ts.ScriptTarget.ES2015 ? sf : undefined;
      }
      : undefined;
    return { results: compiler.compileFiles(files, { runtime: options.runtime, ...(options.modes ? { modes: options.modes } : {}) }, libraries) };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}
