/**
 * `adjoint/esbuild`: an esbuild plugin that serves generated modules from the adjoint core and
 * rewrites marker calls, like `adjoint/vite`.
 *
 *   import * as esbuild from "esbuild";
 *   import adjoint from "adjoint/esbuild";
 *   await esbuild.build({ entryPoints: ["src/train.ts"], bundle: true, plugins: [adjoint()], ... });
 *
 * - `./model.grad.ts` (or `.grad.js`, `.grad`) next to a `model.ts` is compiled in memory.
 * - `grad(loss)` with `import { grad } from "adjoint"` becomes the generated `lossGrad`.
 * - adjoint's diagnostics are build errors with file, line and column.
 *
 * Options: `runtime`, `modes` (as for `adjoint gen`).
 */
import fs from "node:fs";
import path from "node:path";
import type { Loader, Plugin, PartialMessage } from "esbuild";
import type { CompileOptions } from "../compiler/index.ts";
import { createMemoryCompiler, generatedPathOf, sourceOfGenerated } from "../plugin/memory.ts";
import { rewriteMarkers } from "../plugin/rewrite.ts";

export type AdjointEsbuildOptions = CompileOptions;

const GENERATED = /\.grad(\.[cm]?[jt]sx?)?$/;
const CODE = /\.[cm]?[jt]sx?$/;

function loaderFor(file: string): Loader {
  if (file.endsWith("x")) return file.includes(".ts") ? "tsx" : "jsx";
  return /\.[cm]?ts$/.test(file) ? "ts" : "js";
}

export function adjoint(options: AdjointEsbuildOptions = {}): Plugin {
  return {
    name: "adjoint",
    setup(build) {
      const compiler = createMemoryCompiler(options);
      build.onStart(() => compiler.invalidate());

      build.onResolve({ filter: GENERATED }, (args) => {
        if (!args.path.startsWith(".") && !path.isAbsolute(args.path)) return undefined;
        const src = sourceOfGenerated(path.resolve(args.resolveDir, args.path));
        return src ? { path: generatedPathOf(src) } : undefined;
      });

      build.onLoad({ filter: /\.grad\.[cm]?tsx?$/ }, async (args) => {
        const src = sourceOfGenerated(args.path);
        if (!src) return undefined;
        const result = await compiler.compile(src);
        if (result.diagnostics.length > 0) {
          return {
            errors: result.diagnostics.map((d): PartialMessage => ({
              text: `${d.code}: ${d.message}`,
              location: { file: path.relative(process.cwd(), d.file), line: d.line, column: d.col - 1, lineText: lineOf(d.file, d.line) },
            })),
            watchFiles: [src],
          };
        }
        if (result.output === undefined) {
          return { errors: [{ text: `adjoint: ${path.relative(process.cwd(), src)} has no /** @differentiable */ functions, so there is no ${path.basename(args.path)} to import.` }] };
        }
        return { contents: result.output, loader: "ts", resolveDir: path.dirname(args.path), watchFiles: [src] };
      });

      build.onLoad({ filter: CODE }, async (args) => {
        if (args.path.includes("/node_modules/") || args.namespace !== "file") return undefined;
        const code = await fs.promises.readFile(args.path, "utf8");
        const result = await rewriteMarkers(code, args.path, {
          resolve: async (specifier, importer) => {
            const r = await build.resolve(specifier, { resolveDir: path.dirname(importer), importer, kind: "import-statement" });
            return r.errors.length === 0 && !r.external ? r.path : undefined;
          },
          compile: (source) => compiler.compile(source),
        });
        if (!result) return undefined;
        if (result.errors.length > 0) {
          return {
            errors: result.errors.map((e): PartialMessage => ({
              text: e.code ? `${e.code}: ${e.message}` : e.message,
              location: { file: path.relative(process.cwd(), e.file), line: e.line, column: e.column, lineText: lineOf(e.file, e.line) },
            })),
          };
        }
        return { contents: result.code, loader: loaderFor(args.path), watchFiles: result.sources };
      });
    },
  };
}

function lineOf(file: string, line: number): string {
  try {
    return fs.readFileSync(file, "utf8").split(/\r?\n/)[line - 1] ?? "";
  } catch {
    return "";
  }
}

export default adjoint;
