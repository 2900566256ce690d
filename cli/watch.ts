/**
 * `adjoint gen --watch`: one run, then a new run whenever a source changes, until interrupted.
 *
 * Watched: the directories and globs' bases the inputs named (so new files are picked up), every
 * compiled source, and the modules they import (helpers are differentiated too, so an edit to
 * one changes the output). Errors are printed and the watch goes on; an output is rewritten only
 * when its content changes, so other watchers (a dev server, tsc --watch) see only real changes.
 */
import path from "node:path";
import { createProgram } from "../compiler/index.ts";
import { gen, type GenOptions, type GenRun, type Io } from "./gen.ts";

const GENERATED = /\.grad\.[cm]?tsx?$/;
const SOURCE = /\.[cm]?tsx?$/;

/** The project files a run's sources depend on (relative imports, followed transitively). */
function dependencies(files: string[]): string[] {
  if (files.length === 0) return [];
  try {
    return createProgram(files, new Map(), undefined, "core") // the file list does not depend on the library
      .getSourceFiles()
      .map((sf) => sf.fileName)
      .filter((f) => !f.includes("/node_modules/") && !/\.d\.[cm]?ts$/.test(f) && !GENERATED.test(f));
  } catch {
    return files.map((f) => path.resolve(f));
  }
}

export async function watch(inputs: string[], opts: GenOptions, io: Io, signal?: AbortSignal): Promise<number> {
  let last: GenRun = await gen(inputs, opts, io);
  if (last.code === 2 && last.files.length === 0) return 2; // nothing to watch: a usage error
  const outDir = opts.outDir ? path.resolve(opts.outDir) : undefined;
  const watched = new Set<string>();
  const targets = (run: GenRun) => [...run.roots.map((r) => path.resolve(r)), ...dependencies(run.files)];

  // loaded here, not with the module: run.ts bundles this module with `adjoint gen`'s
  const { watch: chokidarWatch } = await import("chokidar");
  const watcher = chokidarWatch([], {
    ignoreInitial: true,
    ignored: (p, stats) =>
      p.includes(`${path.sep}node_modules${path.sep}`) || p.endsWith(".tmp") || GENERATED.test(p) ||
      (outDir !== undefined && (p === outDir || p.startsWith(outDir + path.sep))) ||
      (stats?.isFile() === true && !SOURCE.test(p)),
  });
  const follow = (run: GenRun) => {
    const add = targets(run).filter((t) => !watched.has(t));
    add.forEach((t) => watched.add(t));
    if (add.length > 0) watcher.add(add);
  };
  follow(last);
  await new Promise<void>((resolve) => watcher.once("ready", () => resolve()));
  if (!opts.quiet) io.out(`watching ${watched.size} ${watched.size === 1 ? "path" : "paths"} for changes (Ctrl-C to stop)\n`);

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let pending = new Set<string>();
  const rerun = async () => {
    const changed = [...pending];
    pending = new Set();
    if (!opts.quiet) io.out(`\nchange: ${changed.map((f) => path.relative(process.cwd(), f) || f).join(", ")}\n`);
    try {
      last = await gen(inputs, opts, io);
      follow(last);
    } catch (e) {
      io.err(`error: ${(e as Error).message.split("\n")[0]}\n`);
    }
  };
  const schedule = (file: string) => {
    if (!SOURCE.test(file) || GENERATED.test(file)) return;
    pending.add(file);
    clearTimeout(timer);
    timer = setTimeout(() => {
      running = (running ?? Promise.resolve()).then(rerun);
    }, 80);
  };
  watcher.on("add", schedule).on("change", schedule).on("unlink", schedule);
  watcher.on("error", (e) => io.err(`error: watching: ${(e as Error).message}\n`));

  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    signal?.addEventListener("abort", stop, { once: true });
  });
  clearTimeout(timer);
  await running;
  await watcher.close();
  return 0;
}
