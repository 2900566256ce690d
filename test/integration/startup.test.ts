/**
 * The built `adjoint` command's start-up. Its code cache (cli/startup.ts): a first `adjoint gen`
 * writes it, the runs after it use it, and whatever state it is in (missing, corrupt, another
 * user's, turned off) the command writes the same module as the compiler's API. And what it
 * loads: `adjoint gen` the compiler as one bundled module, `--help` neither that nor TypeScript.
 */
import fs from "node:fs";
import Module from "node:module";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileFiles } from "../../compiler/index.ts";
import { ROOT, buildDist, childEnv } from "./helpers.ts";

const BIN = path.join(ROOT, "dist/cli/bin.js");
const BASE = fs.mkdtempSync(path.join(os.tmpdir(), "adjoint-startup-"));
const MODEL = "/** @differentiable */\nexport function f(x: number, y: number): number {\n  return x * Math.sin(y) + y * y;\n}\n";
/** Node ≥ 22.1 keeps its own compile cache; before that the command keeps one for TypeScript. */
const NODE_CACHES = typeof (Module as { enableCompileCache?: unknown }).enableCompileCache === "function";

let counter = 0;
function project(): string {
  const dir = path.join(BASE, `p${counter++}`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "model.ts"), MODEL);
  return dir;
}

/** An `--import` hook (a data: URL) that fails the process when a module matching `pattern` is resolved. */
const forbid = (pattern: string) => {
  const hooks = `export async function resolve(s, c, next) {
  const r = await next(s, c);
  if (new RegExp(${JSON.stringify(pattern)}).test(r.url)) throw new Error("loaded " + r.url);
  return r;
}`;
  return `data:text/javascript,${encodeURIComponent(`import { register } from "node:module"; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});`)}`;
};

function gen(dir: string, env: Record<string, string>, nodeArgs: string[] = []): string {
  const e = childEnv();
  delete e.NODE_COMPILE_CACHE;
  delete e.NODE_DISABLE_COMPILE_CACHE;
  fs.rmSync(path.join(dir, "model.grad.ts"), { force: true });
  const r = spawnSync(process.execPath, [...nodeArgs, BIN, "gen", "model.ts"], { cwd: dir, env: { ...e, ...env }, encoding: "utf8" });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  expect(r.stdout).toBe("wrote model.grad.ts (f)\n");
  return fs.readFileSync(path.join(dir, "model.grad.ts"), "utf8");
}

const cacheFiles = (cache: string): string[] => {
  const dir = NODE_CACHES ? cache : path.join(cache, "adjoint");
  return fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => fs.statSync(path.join(dir, f)).isFile()) : [];
};

let expected: string;
beforeAll(() => {
  buildDist();
  const dir = project();
  expected = compileFiles([path.join(dir, "model.ts")])[0]!.output!;
});
afterAll(() => fs.rmSync(BASE, { recursive: true, force: true }));

describe("the built command's start-up", () => {
  it("is written by the first run and read by the next, with the same output", () => {
    const dir = project();
    const cache = path.join(BASE, `cache-${counter++}`);
    expect(gen(dir, { NODE_COMPILE_CACHE: cache })).toBe(expected);
    const files = cacheFiles(cache);
    expect(files.length).toBeGreaterThan(0);
    if (!NODE_CACHES) {
      expect(files).toHaveLength(1);
      expect(files[0]).toMatch(/^typescript-[0-9a-f]{24}\.bin$/);
      const file = path.join(cache, "adjoint", files[0]!);
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      const before = fs.statSync(file).mtimeMs;
      expect(gen(dir, { NODE_COMPILE_CACHE: cache })).toBe(expected);
      // accepted, so not written again
      expect(fs.statSync(file).mtimeMs).toBe(before);
    } else {
      expect(gen(dir, { NODE_COMPILE_CACHE: cache })).toBe(expected);
    }
  });

  it.skipIf(NODE_CACHES)("a corrupt or truncated cache is only slower: the output is the same, and the cache is rewritten", () => {
    const dir = project();
    const cache = path.join(BASE, `cache-${counter++}`);
    gen(dir, { NODE_COMPILE_CACHE: cache });
    const file = path.join(cache, "adjoint", cacheFiles(cache)[0]!);
    const good = fs.readFileSync(file);
    for (const bad of [Buffer.alloc(good.length, 7), good.subarray(0, 1000), Buffer.alloc(0)]) {
      fs.writeFileSync(file, bad, { mode: 0o600 });
      expect(gen(dir, { NODE_COMPILE_CACHE: cache })).toBe(expected);
      // rewritten (its size varies a little with what the run compiled), and accepted next time
      expect(fs.readFileSync(file).length).toBeGreaterThan(good.length / 2);
      const rewritten = fs.statSync(file).mtimeMs;
      expect(gen(dir, { NODE_COMPILE_CACHE: cache })).toBe(expected);
      expect(fs.statSync(file).mtimeMs).toBe(rewritten);
    }
  });

  // only root can give a file to another user
  it.skipIf(NODE_CACHES || process.getuid?.() !== 0)("a cache file of another user is not read", () => {
    const dir = project();
    const cache = path.join(BASE, `cache-${counter++}`);
    gen(dir, { NODE_COMPILE_CACHE: cache });
    const file = path.join(cache, "adjoint", cacheFiles(cache)[0]!);
    fs.chownSync(file, 12345, 12345);
    const before = fs.statSync(file).mtimeMs;
    expect(gen(dir, { NODE_COMPILE_CACHE: cache })).toBe(expected);
    // a cache that was read and accepted would have stayed as it was
    expect(fs.statSync(file).uid).toBe(0);
    expect(fs.statSync(file).mtimeMs).not.toBe(before);
  });

  it.skipIf(NODE_CACHES)("writing a cache removes the caches unused for 30 days", () => {
    const dir = project();
    const cache = path.join(BASE, `cache-${counter++}`);
    const own = path.join(cache, "adjoint");
    fs.mkdirSync(own, { recursive: true });
    const days = (n: number) => new Date(Date.now() - n * 24 * 60 * 60 * 1000);
    const [old, recent, other] = ["typescript-0123456789abcdef01234567.bin", "typescript-89abcdef0123456789abcdef.bin", "notes.txt"];
    for (const f of [old, recent, other]) {
      fs.writeFileSync(path.join(own, f), "x");
      fs.utimesSync(path.join(own, f), days(f === recent ? 10 : 40), days(f === recent ? 10 : 40));
    }
    expect(gen(dir, { NODE_COMPILE_CACHE: cache })).toBe(expected);
    const left = cacheFiles(cache);
    expect(left).toContain(recent);
    expect(left).toContain(other);
    expect(left).not.toContain(old);
    expect(left.filter((f) => ![recent, other].includes(f))).toHaveLength(1);
  });

  it("NODE_DISABLE_COMPILE_CACHE turns it off", () => {
    const dir = project();
    const cache = path.join(BASE, `cache-${counter++}`);
    expect(gen(dir, { NODE_COMPILE_CACHE: cache, NODE_DISABLE_COMPILE_CACHE: "1" })).toBe(expected);
    expect(cacheFiles(cache)).toEqual([]);
  });

  it("a cache directory that cannot be written is no error", () => {
    const dir = project();
    const blocked = path.join(BASE, `blocked-${counter++}`);
    fs.writeFileSync(blocked, "a file where the directory would be");
    expect(gen(dir, { NODE_COMPILE_CACHE: blocked })).toBe(expected);
  });

  it("`adjoint gen` loads the compiler as one module (dist/cli/run.js), `--help` not at all", () => {
    const dir = project();
    const cache = path.join(BASE, `cache-${counter++}`);
    // (main.js's plugin/shared.js reads the markers' names, index.js, and compiler/naming.js)
    const separately = "/dist/compiler/(?!naming\\.js$)|/dist/runtime/|/dist/cli/(gen|watch|inputs|write|compare)\\.js$";
    expect(gen(dir, { NODE_COMPILE_CACHE: cache }, ["--import", forbid(separately)])).toBe(expected);
    const r = spawnSync(process.execPath, ["--import", forbid(`${separately}|/dist/cli/run\\.js$`), BIN, "--help"], { cwd: dir, env: childEnv(), encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("`--help` writes no cache of TypeScript", () => {
    const cache = path.join(BASE, `cache-${counter++}`);
    const e = childEnv();
    const r = spawnSync(process.execPath, [BIN, "--help"], { cwd: BASE, env: { ...e, NODE_COMPILE_CACHE: cache }, encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(cacheFiles(cache).filter((f) => f.includes("typescript"))).toEqual([]);
  });
});
