/**
 * A browser-safe entry to the compiler: a ts.Program over files held in memory (a virtual
 * CompilerHost: no disk, no `node:` modules), compiled by the same pipeline as `adjoint gen`.
 * The playground runs the compiler this way; so can any host without a file system.
 *
 * The caller supplies the texts of TypeScript's library files (`lib.es5.d.ts` … `lib.es2022.d.ts`,
 * `lib.es2023.array.d.ts`, `lib.decorators*.d.ts`): in a browser bundle they come from the typescript package as raw
 * imports, in Node from node_modules/typescript/lib. Paths are POSIX and absolute ("/model.ts").
 */
import ts from "typescript";
import { compileSourceFile, type CompileOptions, type FileResult } from "./pipeline.ts";

/** The compiler options of compiler/index.ts, less what needs a disk. */
export const memoryCompilerOptions: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  allowImportingTsExtensions: true,
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  types: [],
  lib: ["lib.es2022.d.ts", "lib.es2023.array.d.ts"],
};

/** The library files `lib.es2022.d.ts` and `lib.es2023.array.d.ts` reference, directly or not. */
export function neededLibFiles(available: string[]): string[] {
  return available.filter((f) => (/^lib\.(es5|es20(1[5-9]|2[0-2])(\.[a-z.]+)?|decorators(\.legacy)?)\.d\.ts$/.test(f) && !/\.full\.d\.ts$/.test(f)) || f === "lib.es2023.array.d.ts");
}

const LIB_DIR = "/lib";

export interface MemoryProgram {
  program: ts.Program;
  host: ts.CompilerHost;
}

/** Library source files parse the same every time: share them between programs with the same texts. */
const libCache = new Map<string, { text: string; sf: ts.SourceFile }>();

/**
 * A ts.Program over `files` (path → text) with the library files `libs` (file name → text).
 * Relative imports between the files resolve as on disk (`./helpers.ts`).
 */
export function createMemoryProgram(files: Record<string, string>, libs: Record<string, string>, roots: string[] = Object.keys(files)): MemoryProgram {
  const norm = (f: string) => (f.startsWith("/") ? f : `/${f}`).replace(/\/+/g, "/");
  const texts = new Map<string, string>();
  for (const [f, t] of Object.entries(files)) texts.set(norm(f), t);
  const libText = (f: string): string | undefined => {
    if (!f.startsWith(`${LIB_DIR}/`)) return undefined;
    return libs[f.slice(LIB_DIR.length + 1)];
  };
  const read = (f: string) => texts.get(norm(f)) ?? libText(norm(f));
  const host: ts.CompilerHost = {
    getSourceFile(fileName, languageVersion) {
      const f = norm(fileName);
      const lib = libText(f);
      if (lib !== undefined) {
        const hit = libCache.get(f);
        if (hit && hit.text === lib) return hit.sf;
        const sf = ts.createSourceFile(f, lib, languageVersion, true);
        libCache.set(f, { text: lib, sf });
        return sf;
      }
      const text = texts.get(f);
      return text === undefined ? undefined : ts.createSourceFile(f, text, languageVersion, true);
    },
    getDefaultLibFileName: () => `${LIB_DIR}/lib.es2022.d.ts`,
    getDefaultLibLocation: () => LIB_DIR,
    writeFile: () => {},
    getCurrentDirectory: () => "/",
    getDirectories: () => [],
    getCanonicalFileName: (f) => f,
    useCaseSensitiveFileNames: () => true,
    getNewLine: () => "\n",
    fileExists: (f) => read(f) !== undefined,
    readFile: (f) => read(f),
    directoryExists: (d) => {
      const dir = norm(d).replace(/\/$/, "") + "/";
      return dir === "/" || [...texts.keys()].some((k) => k.startsWith(dir)) || dir === `${LIB_DIR}/`;
    },
  };
  host.jsDocParsingMode = ts.JSDocParsingMode.ParseAll;
  return { program: ts.createProgram(roots.map(norm), memoryCompilerOptions, host), host };
}

/**
 * Compiles one file of `files` in memory: the generated module's text and the diagnostics,
 * exactly as `adjoint gen` would give them for the same files on disk. Works whether the
 * pipeline's printer is asynchronous or not.
 */
export async function compileInMemory(files: Record<string, string>, entry: string, libs: Record<string, string>, options: CompileOptions = {}): Promise<FileResult & { program: ts.Program; sourceFile: ts.SourceFile }> {
  const { program } = createMemoryProgram(files, libs, [entry]);
  const sf = program.getSourceFile(entry.startsWith("/") ? entry : `/${entry}`);
  if (!sf) throw new Error(`compileInMemory: no file ${entry} among ${Object.keys(files).join(", ")}`);
  const result = await compileSourceFile(program, sf, options);
  return { ...result, program, sourceFile: sf };
}
