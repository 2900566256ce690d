/**
 * The bundler plugin, one implementation for Vite (and Vitest), Rollup, Rolldown, esbuild,
 * webpack and Rspack, built on unplugin. Each has its entry: `adjoint/vite`, `adjoint/rollup`,
 * `adjoint/rolldown`, `adjoint/esbuild`, `adjoint/webpack`, `adjoint/rspack`; `adjoint/unplugin`
 * is the unplugin instance itself, for the bundlers unplugin supports beyond these.
 *
 * - An import of `./model.grad.ts` (or `./model.grad.js`, `./model.grad`) next to a `model.ts` is
 *   served from `model.ts` compiled in memory: the file need not exist, and one on disk is ignored
 *   (the source is the truth). The output is the CLI's, byte for byte.
 * - `grad(loss)` with `import { grad } from "adjoint"` becomes the generated `lossGrad`.
 * - adjoint's diagnostics fail the build (or the test file) with file, line, column and the code
 *   frame, as the CLI prints them.
 * - Editing a source (or any file: helpers may live elsewhere) recompiles on the next build.
 *
 * Options: `runtime`, `modes` (as for `adjoint gen`). The generated modules are TypeScript, like
 * the sources they come from: the bundler compiles them with whatever compiles the project's
 * other .ts files (Vite, Rolldown and esbuild themselves; ts-loader for webpack, …).
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { createUnplugin, type UnpluginBuildContext, type UnpluginContext, type UnpluginContextMeta, type UnpluginInstance, type UnpluginOptions } from "unplugin";
import type { Compiler as WebpackCompiler } from "webpack";
import type { Mode } from "../compiler/index.ts";
import { isGeneratedPath } from "../plugin/shared.ts";
import { createMemoryCompiler, generatedPathOf, sourceOfGenerated, type Diagnostic } from "./memory.ts";
import { rewriteMarkers, type RewriteError } from "./rewrite.ts";

export interface AdjointOptions {
  /** Module specifier generated code imports the runtime from (default "adjoint-runtime"). */
  runtime?: string;
  /** What to generate for functions without an `@modes` tag (default: grad, or vjp for `@out` functions). */
  modes?: Mode[];
}

/** Ids the plugin serves: generated modules, with or without an extension. */
const GENERATED_ID = /\.grad(\.[cm]?[jt]sx?)?([?#].*)?$/;
/** Module ids whose code may call markers. */
const CODE_ID = /\.[cm]?[jt]sx?([?#].*)?$/;
const MARKER_IMPORT = /from\s*["']adjoint["']/;

function clean(id: string): string {
  return id.replace(/[?#].*$/, "");
}

/** A located error of the plugin, before it is handed to the bundler. */
interface Located {
  code?: string;
  message: string;
  file: string;
  line: number; // 1-based
  column: number; // 0-based
  frame: string;
}

const fromDiagnostic = (d: Diagnostic): Located => ({ code: d.code, message: d.message, file: d.file, line: d.line, column: d.col - 1, frame: d.frame });
const fromRewrite = (e: RewriteError): Located => e;

/** A relative import resolved the way TypeScript does: `./model.js` and `./model` find `model.ts`. */
function resolveRelative(specifier: string, importer: string): string | undefined {
  if (!specifier.startsWith(".") && !path.isAbsolute(specifier)) return undefined;
  const base = path.resolve(path.dirname(importer), specifier);
  const candidates = [base];
  const js = /\.([cm]?)js(x?)$/.exec(base);
  if (js) candidates.push(base.slice(0, -js[0].length) + `.${js[1]}ts${js[2]}`);
  if (!/\.[cm]?[jt]sx?$/.test(base)) candidates.push(...[".ts", ".mts", ".cts", ".tsx"].map((e) => base + e), ...["index.ts", "index.tsx"].map((i) => path.join(base, i)));
  return candidates.find((c) => fs.statSync(c, { throwIfNoEntry: false })?.isFile());
}

type Context = UnpluginBuildContext & UnpluginContext;

/** Resolves an import as the bundler would (aliases, extensions), else as TypeScript would. */
async function resolveImport(ctx: Context, specifier: string, importer: string): Promise<string | undefined> {
  try {
    const native = ctx.getNativeBuildContext?.();
    if (native?.framework === "esbuild") {
      const r = await native.build.resolve(specifier, { resolveDir: path.dirname(importer), importer, kind: "import-statement" });
      if (r.errors.length === 0 && !r.external && r.path) return r.path;
    } else if ((native?.framework === "webpack" || native?.framework === "rspack") && native.loaderContext) {
      const resolve = native.loaderContext.getResolve({ dependencyType: "esm" }) as (context: string, request: string) => Promise<string | false>;
      const r = await resolve(path.dirname(importer), specifier);
      if (r) return clean(r);
    } else {
      // Rollup, Vite, Rolldown: the plugin context's own resolve
      const rollup = ctx as Context & { resolve?: (s: string, i: string, o?: object) => Promise<{ id: string; external?: boolean | string } | null> };
      if (typeof rollup.resolve === "function") {
        const r = await rollup.resolve(specifier, importer, { skipSelf: true });
        if (r && !r.external) return clean(r.id);
      }
    }
  } catch {
    // fall back to TypeScript's rules below
  }
  return resolveRelative(specifier, importer);
}

export const unplugin: UnpluginInstance<AdjointOptions | undefined, false> = createUnplugin<AdjointOptions | undefined, false>((options = {}, meta: UnpluginContextMeta) => {
  const compiler = createMemoryCompiler(options);
  let root = process.cwd();
  const framework = meta.framework;

  /**
   * Hands errors to the bundler. Rollup, Vite and Rolldown throw from `error`; esbuild, webpack
   * and Rspack record the error and go on, so the module gets contents that are only a comment
   * (non-empty: unplugin drops the errors of an empty result) and the build fails at its end.
   */
  const fail = (ctx: Context, errors: Located[]): string => {
    const first = errors[0];
    const rel = (f: string) => path.relative(process.cwd(), f) || f;
    const message = errors.map((e) => `${rel(e.file)}:${e.line}:${e.column + 1} - error${e.code ? ` ${e.code}` : ""}: ${e.message}\n\n${e.frame}\n`).join("\n");
    // esbuild prints the location itself, file relative, column from 0
    const file = framework === "esbuild" ? rel(first.file) : first.file;
    ctx.error({ message: `adjoint: ${message}`, id: first.file, loc: { file, line: first.line, column: first.column } } as Parameters<Context["error"]>[0]);
    return "/* adjoint: this module failed to compile; see the errors */\n";
  };

  /** `./model.grad.ts` from an importer; a file system path; or a URL path under Vite's root. */
  const resolveGenerated = (source: string, importer: string | undefined): string | null => {
    const file = clean(source).replace(/^\/@fs\//, "/");
    if (!isGeneratedPath(file)) return null;
    const candidates = file.startsWith(".")
      ? importer ? [path.resolve(path.dirname(clean(importer)), file)] : []
      : path.isAbsolute(file) ? [file, path.join(root, file)] : [];
    for (const c of candidates) {
      const src = sourceOfGenerated(c);
      if (!src) continue;
      const generated = generatedPathOf(src);
      // already resolved to a file on disk (webpack asks again with the path it was given): the
      // bundler reads it from there, and `load` still serves the compiled source instead
      if (generated === file && fs.existsSync(generated)) return null;
      return generated;
    }
    return null;
  };

  /** What the dev server's dependency scan of Vite (which reads imported files itself) is given. */
  const scanLoad = async (file: string) => {
    const src = sourceOfGenerated(file);
    if (!src) return undefined;
    return (await compiler.compile(src).catch(() => undefined))?.output ?? "";
  };

  /**
   * webpack: a generated module that is not on disk becomes a virtual file at its own path (not
   * unplugin's `_virtual_` one, which loaders such as ts-loader reject as outside `rootDir`), so
   * the ordinary resolver finds it (`./model.grad.js` too, through `resolve.extensionAlias`) and
   * `load` gives it its content.
   */
  const webpackVirtualFiles = (webpack: WebpackCompiler) => {
    const VirtualModulesPlugin = createRequire(import.meta.url)("webpack-virtual-modules") as typeof import("webpack-virtual-modules");
    const vfs = new VirtualModulesPlugin();
    vfs.apply(webpack);
    const written = new Set<string>();
    webpack.hooks.normalModuleFactory.tap("adjoint", (factory) => {
      factory.hooks.beforeResolve.tap("adjoint", (data) => {
        if (!data.request || data.request.includes("!")) return;
        const target = resolveGenerated(data.request, path.join(data.context, "index.js"));
        if (!target || written.has(target) || fs.existsSync(target)) return;
        written.add(target);
        vfs.writeModule(target, "");
      });
    });
  };

  const plugin: UnpluginOptions = {
    name: "adjoint",
    enforce: "pre",

    buildStart() {
      compiler.invalidate();
    },

    watchChange() {
      compiler.invalidate();
    },

    resolveId: {
      filter: { id: GENERATED_ID },
      handler(source, importer) {
        return resolveGenerated(source, importer);
      },
    },

    load: {
      filter: { id: GENERATED_ID },
      async handler(id) {
        const file = clean(id);
        const src = sourceOfGenerated(file);
        if (!src) return null;
        this.addWatchFile(src);
        const result = await compiler.compile(src);
        if (result.diagnostics.length > 0) return fail(this, result.diagnostics.map(fromDiagnostic));
        if (result.output === undefined) {
          this.error(`adjoint: ${path.relative(process.cwd(), src)} has no /** @differentiable */ functions, so there is no ${path.basename(file)} to import.`);
          return "/* adjoint: nothing to generate */\n";
        }
        return result.output;
      },
    },

    transform: {
      filter: { id: { include: CODE_ID, exclude: [/[/\\]node_modules[/\\]/, /^\0/] }, code: MARKER_IMPORT },
      async handler(code, id) {
        // the filter again, for bundler versions that ignore hook filters (older Vite)
        if (!CODE_ID.test(id) || /[/\\]node_modules[/\\]/.test(id) || id.startsWith("\0")) return null;
        const file = clean(id);
        const result = await rewriteMarkers(code, file, {
          resolve: (specifier, importer) => resolveImport(this, specifier, importer),
          compile: (source) => compiler.compile(source),
        });
        if (!result) return null;
        for (const s of result.sources) this.addWatchFile(s);
        if (result.errors.length > 0) return fail(this, result.errors.map(fromRewrite));
        return { code: result.code, map: null };
      },
    },

    vite: {
      config(this: { meta: object }) {
        // the dev server's dependency scan reads imported files itself: give it the generated
        // modules too (a rolldown plugin for Vite 8, an esbuild plugin before)
        if ("rolldownVersion" in this.meta) {
          return {
            optimizeDeps: {
              rolldownOptions: {
                plugins: [{ name: "adjoint:scan", resolveId: (source: string, importer?: string) => resolveGenerated(source, importer), load: (id: string) => scanLoad(clean(id)) }],
              },
            },
          };
        }
        return {
          optimizeDeps: {
            esbuildOptions: {
              plugins: [{
                name: "adjoint:scan",
                setup(build: EsbuildScan) {
                  build.onResolve({ filter: GENERATED_ID }, (args) => {
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
        };
      },
      configResolved(config: { root: string }) {
        root = config.root;
      },
    },
  };
  if (framework === "webpack") {
    delete plugin.resolveId;
    plugin.webpack = webpackVirtualFiles;
  }
  return plugin;
});

/** The part of esbuild's plugin API the dependency scan of Vite 5 to 7 uses. */
interface EsbuildScan {
  onResolve(o: { filter: RegExp }, cb: (args: { path: string; importer: string }) => { path: string } | undefined): void;
  onLoad(o: { filter: RegExp }, cb: (args: { path: string }) => Promise<{ contents: string; loader: "ts" } | undefined>): void;
}

export default unplugin;
