/**
 * Start-up of the `adjoint` command: V8's code cache for the JavaScript it loads.
 *
 * Compiling TypeScript's 9 MB of JavaScript is the largest single cost of loading it, paid on
 * every short `adjoint gen`. With the code cache, V8 reads the compiled bytecode back instead:
 *
 * - Node ≥ 22.1: `module.enableCompileCache()` (called first thing by bin.ts) caches every module
 *   Node compiles, TypeScript and adjoint's own, in Node's compile cache directory
 *   (`NODE_COMPILE_CACHE`, by default `<tmpdir>/node-compile-cache`).
 * - Node 20 has no such cache: `loadTypeScript` compiles TypeScript itself, as Node would
 *   (`vm.Script` over the CommonJS wrapper, the module registered in `require.cache`, where every
 *   later `require("typescript")` finds it), with V8's cached data for that one file, kept in
 *   `<compile cache directory>/adjoint/`. The data is written on exit after a run that found
 *   none (or a rejected one), so that it holds the functions the run compiled too, and is keyed
 *   by the file's path and a checksum of its content, Node's version, the architecture and
 *   Node's options. V8 itself rejects data of another V8 or made under other flags; a rejected
 *   cache is only slower. Files not owned by the user are never read, and files unused for 30
 *   days are removed when a new one is written.
 *
 * `NODE_DISABLE_COMPILE_CACHE` turns both off, as it does Node's. Nothing here changes what
 * runs: a missing, unreadable or unwritable cache means TypeScript is compiled as without it.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import Module, { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import vm from "node:vm";
import zlib from "node:zlib";

const disabled = () => !!process.env.NODE_DISABLE_COMPILE_CACHE;

type EnableCompileCache = (dir?: string) => { status: number; directory?: string };

/** Whether the command turned the cache on (the in-process API, which tests call, does not). */
let active = false;
/** Whether Node itself caches compiled modules (≥ 22.1, once `enableCompileCache` has run). */
let nodeCaches = false;

/**
 * Turns the code cache on for this process: Node's own where there is one (Node ≥ 22.1), else
 * `loadTypeScript`'s. Called by bin.ts before it loads anything else.
 */
export function enableCompileCache(): void {
  active = !disabled();
  const enable = (Module as unknown as { enableCompileCache?: EnableCompileCache }).enableCompileCache;
  if (!enable || disabled()) return;
  try {
    const { status } = enable();
    const constants = (Module as unknown as { constants?: { compileCacheStatus?: Record<string, number> } }).constants?.compileCacheStatus;
    nodeCaches = !constants || status === constants.ENABLED || status === constants.ALREADY_ENABLED;
  } catch {
    nodeCaches = false;
  }
}

function cacheDirectory(): string {
  return path.join(process.env.NODE_COMPILE_CACHE || path.join(os.tmpdir(), "node-compile-cache"), "adjoint");
}

function checksum(source: Buffer): string {
  // zlib.crc32 is Node ≥ 20.15; sha1 takes a few milliseconds more on TypeScript's 9 MB
  const crc32 = (zlib as unknown as { crc32?: (data: Buffer) => number }).crc32;
  return crc32 ? crc32(source).toString(16) : crypto.createHash("sha1").update(source).digest("hex");
}

const DAY = 24 * 60 * 60 * 1000;
/** Cache files unused for this long are removed when another is written. */
const UNUSED = 30 * DAY;

/** The cache file's data, if it is there and the user's; its mtime tells when it was last used. */
function readOwn(file: string): Buffer | undefined {
  try {
    const stat = fs.statSync(file);
    const uid = process.getuid?.();
    if (uid !== undefined && stat.uid !== uid) return undefined;
    const data = fs.readFileSync(file);
    if (Date.now() - stat.mtimeMs > DAY) fs.utimesSync(file, new Date(), new Date());
    return data;
  } catch {
    return undefined;
  }
}

/** Writes `data` to `file` atomically, and removes the directory's caches unused for a month. */
function writeAtomically(file: string, data: Buffer): void {
  try {
    const dir = path.dirname(file);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, data, { mode: 0o600 });
    fs.renameSync(tmp, file);
    // one file per TypeScript install, version and set of options: those of removed projects
    // and earlier versions would pile up
    const uid = process.getuid?.();
    for (const f of fs.readdirSync(dir)) {
      if (!/^typescript-[0-9a-f]+\.bin(\.\d+\.tmp)?$/.test(f)) continue;
      const stat = fs.statSync(path.join(dir, f), { throwIfNoEntry: false });
      if (stat && (uid === undefined || stat.uid === uid) && Date.now() - stat.mtimeMs > UNUSED) fs.rmSync(path.join(dir, f), { force: true });
    }
  } catch {
    // no cache this time: the next run compiles TypeScript again
  }
}

/**
 * Loads the "typescript" adjoint's modules resolve to into `require.cache`, through V8's code
 * cache (see the module comment), before the compiler is imported: its `require("typescript")`
 * calls then get this module, as they would have got the one Node loads. Does nothing unless
 * `enableCompileCache` ran, when Node caches compiled code itself, or when TypeScript is loaded.
 */
export function loadTypeScript(): void {
  if (!active || nodeCaches) return;
  const require = createRequire(import.meta.url);
  let file: string;
  try {
    file = require.resolve("typescript");
  } catch {
    return; // not installed: the compiler's own import reports it
  }
  if (require.cache[file] || !file.endsWith(".js")) return;
  let source: Buffer;
  try {
    source = fs.readFileSync(file);
  } catch {
    return;
  }
  // V8 rejects data made under other flags (`--max-old-space-size` among them): one file per set
  // of options, so that runs with different ones do not keep replacing each other's
  const flags = `${process.execArgv.join(" ")}\0${process.env.NODE_OPTIONS ?? ""}`;
  const key = crypto.createHash("sha1").update(`${file}\0${checksum(source)}\0${process.version}\0${process.arch}\0${flags}`).digest("hex").slice(0, 24);
  const cacheFile = path.join(cacheDirectory(), `typescript-${key}.bin`);
  const cachedData = readOwn(cacheFile);
  const dirname = path.dirname(file);
  const script = new vm.Script((Module as unknown as { wrap(s: string): string }).wrap(source.toString("utf8")), { filename: file, ...(cachedData ? { cachedData } : {}) });
  const mod = new Module(file);
  mod.filename = file;
  mod.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(dirname);
  // in the cache before it runs, as Node does, so that a require cycle finds it
  require.cache[file] = mod;
  try {
    const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
    wrapper.call(mod.exports, mod.exports, createRequire(file), mod, file, dirname);
  } catch (e) {
    delete require.cache[file];
    throw e;
  }
  mod.loaded = true;
  // after the run, so that the functions it compiled are in the cache too
  if (!cachedData || script.cachedDataRejected) process.once("exit", () => writeAtomically(cacheFile, script.createCachedData()));
}
