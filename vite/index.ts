/**
 * `adjoint/vite`: a Vite plugin (so also Vitest) that serves generated modules from the adjoint
 * core and rewrites marker calls.
 *
 *   // vite.config.ts or vitest.config.ts
 *   import adjoint from "adjoint/vite";
 *   export default defineConfig({ plugins: [adjoint()] });
 *
 * - An import of `./model.grad.ts` (or `./model.grad.js`, `./model.grad`) next to a `model.ts` is
 *   served from `model.ts` compiled in memory: the file need not exist, and one on disk is ignored
 *   (the source is the truth). The output is the CLI's, byte for byte.
 * - `grad(loss)` with `import { grad } from "adjoint"` becomes the generated `lossGrad`.
 * - adjoint's diagnostics fail the build (or the test file) with file, line, column and a code frame.
 * - Editing a source (or any file: helpers may live elsewhere) recompiles on the next request.
 *
 * Options: `runtime`, `modes` (as for `adjoint gen`).
 */
import path from "node:path";
import type { Plugin, UserConfig } from "vite";
import type { CompileOptions } from "../compiler/index.ts";
import { createMemoryCompiler, formatDiagnostics, generatedPathOf, sourceOfGenerated } from "../plugin/memory.ts";
import { rewriteMarkers, type RewriteError } from "../plugin/rewrite.ts";
import { isGeneratedPath } from "../plugin/shared.ts";

export type AdjointViteOptions = CompileOptions;

/** The part of esbuild's plugin API the dependency scan of Vite 5 to 7 uses. */
interface EsbuildBuild {
  onResolve(o: { filter: RegExp }, cb: (args: { path: string; importer: string }) => { path: string } | undefined): void;
  onLoad(o: { filter: RegExp }, cb: (args: { path: string }) => Promise<{ contents: string; loader: "ts" } | undefined>): void;
}

const CODE = /\.[cm]?[jt]sx?$/;

function clean(id: string): string {
  return id.replace(/[?#].*$/, "");
}

export function adjoint(options: AdjointViteOptions = {}): Plugin {
  const compiler = createMemoryCompiler(options);
  let root = process.cwd();

  /** `./model.grad.ts` from an importer; a file system path; or a URL path under the root (the dev server's requests). */
  const resolveGenerated = (source: string, importer: string | undefined): string | null => {
    const file = clean(source).replace(/^\/@fs\//, "/");
    if (!isGeneratedPath(file)) return null;
    const candidates = file.startsWith(".") ? (importer ? [path.resolve(path.dirname(clean(importer)), file)] : []) : path.isAbsolute(file) ? [file, path.join(root, file)] : [];
    for (const c of candidates) {
      const src = sourceOfGenerated(c);
      if (src) return generatedPathOf(src);
    }
    return null;
  };

  return {
    name: "adjoint",
    enforce: "pre",

    config() {
      // the dev server's dependency scan reads imported files itself: give it the generated
      // modules too (a rolldown plugin for Vite 8, an esbuild plugin before)
      const rolldown = "rolldownVersion" in this.meta;
      const scanLoad = async (file: string) => {
        const src = sourceOfGenerated(file);
        if (!src) return undefined;
        return (await compiler.compile(src).catch(() => undefined))?.output ?? "";
      };
      if (rolldown) {
        return {
          optimizeDeps: {
            rolldownOptions: {
              plugins: [{ name: "adjoint:scan", resolveId: (source: string, importer?: string) => resolveGenerated(source, importer), load: (id: string) => scanLoad(clean(id)) }],
            },
          },
        } as UserConfig;
      }
      return {
        optimizeDeps: {
          esbuildOptions: {
            plugins: [{
              name: "adjoint:scan",
              setup(build: EsbuildBuild) {
                build.onResolve({ filter: /\.grad(\.[cm]?[jt]sx?)?$/ }, (args) => {
                  const id = resolveGenerated(args.path, args.importer);
                  return id ? { path: id } : undefined;
                });
                build.onLoad({ filter: /\.grad\.[cm]?tsx?$/ }, async (args) => {
                  const contents = await scanLoad(args.path);
                  return contents === undefined ? undefined : { contents, loader: "ts" as const };
                });
              },
            }],
          },
        },
      } as UserConfig;
    },

    configResolved(config) {
      root = config.root;
    },

    resolveId(source, importer) {
      return resolveGenerated(source, importer);
    },

    async load(id) {
      const file = clean(id);
      const src = sourceOfGenerated(file);
      if (!src) return null;
      this.addWatchFile(src);
      const result = await compiler.compile(src);
      if (result.diagnostics.length > 0) {
        const d = result.diagnostics[0];
        this.error({ message: `adjoint: ${formatDiagnostics(result.diagnostics)}`, id: d.file, loc: { file: d.file, line: d.line, column: d.col - 1 }, frame: d.frame });
      }
      if (result.output === undefined) this.error(`adjoint: ${path.relative(process.cwd(), src)} has no /** @differentiable */ functions, so there is no ${path.basename(file)} to import.`);
      return result.output;
    },

    async transform(code, id) {
      const file = clean(id);
      if (!CODE.test(file) || file.includes("/node_modules/") || file.startsWith("\0")) return null;
      const result = await rewriteMarkers(code, file, {
        resolve: async (specifier, importer) => {
          const r = await this.resolve(specifier, importer);
          return r && !r.external ? clean(r.id) : undefined;
        },
        compile: (source) => compiler.compile(source),
      });
      if (!result) return null;
      for (const s of result.sources) this.addWatchFile(s);
      if (result.errors.length > 0) this.error(asRollupError(result.errors));
      return { code: result.code, map: null };
    },

    watchChange() {
      compiler.invalidate();
    },
  };
}

function asRollupError(errors: RewriteError[]) {
  const first = errors[0];
  const message = errors.map((e) => `${path.relative(process.cwd(), e.file)}:${e.line}:${e.column + 1} - error${e.code ? ` ${e.code}` : ""}: ${e.message}`).join("\n");
  return { message: `adjoint: ${message}`, id: first.file, loc: { file: first.file, line: first.line, column: first.column }, frame: first.lineText };
}

export default adjoint;
