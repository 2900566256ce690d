/**
 * Helpers of the integration tests: run a command, build dist/, and set up a project that depends
 * on this checkout the way `npm install <path-to-adjoint>` does (node_modules/adjoint is a link).
 */
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

export const ROOT = path.resolve(import.meta.dirname, "../..");
export const TSPC = path.join(ROOT, "node_modules/ts-patch/bin/tspc.js");
export const VITEST = path.join(ROOT, "node_modules/vitest/vitest.mjs");
const TMP = path.join(ROOT, ".tmp/integration");

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr, without colors. */
  output: string;
}

/** The environment of a child tool: no colors, and none of the outer Vitest's variables. */
export function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" };
  for (const k of Object.keys(env)) if (k.startsWith("VITEST") || k === "TEST" || k === "NODE_ENV") delete env[k];
  return env;
}

export function run(cwd: string, args: string[]): Promise<Run> {
  return new Promise<Run>((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env: childEnv() });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    child.on("error", reject);
    child.on("close", (status) =>
      resolve({ status, stdout, stderr, output: (stdout + stderr).replace(/\x1b\[[0-9;]*m/g, "") }),
    );
  });
}

/** dist/ (the runtime and markers as JavaScript and declarations), as `npm install` builds it. */
export function buildDist(): void {
  const r = spawnSync(process.execPath, [path.join(ROOT, "scripts/build-dist.mjs"), "--quiet"], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`build-dist failed:\n${r.stdout}${r.stderr}`);
}

/** node_modules/adjoint -> this checkout, as `npm install <path>` makes it. */
export function linkAdjoint(project: string): void {
  const link = path.join(project, "node_modules/adjoint");
  fs.mkdirSync(path.dirname(link), { recursive: true });
  try {
    if (fs.realpathSync(link) === ROOT) return;
    fs.rmSync(link, { recursive: true, force: true });
  } catch {
    // no link yet
  }
  try {
    fs.symlinkSync(path.relative(path.dirname(link), ROOT), link, "dir");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  }
}

let counter = 0;
const created: string[] = [];

/** Removes the directories `tempProject` made (call from afterAll). */
export function removeTempProjects(): void {
  for (const dir of created.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/** A fresh directory under .tmp/integration with `files`, plus copies of `from` (a directory). */
export function tempProject(name: string, files: Record<string, string>, from?: string): string {
  const dir = path.join(TMP, `${name}-${process.pid}-${counter++}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  created.push(dir);
  if (from) {
    fs.cpSync(from, dir, {
      recursive: true,
      filter: (src) => !/[/\\](node_modules|dist)$/.test(src) && !/\.grad\.ts$/.test(src),
    });
  }
  for (const [f, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), text);
  }
  linkAdjoint(dir);
  return dir;
}

/** A @differentiable function with a `try`: adjoint error AD1001 at line 4, column 3. */
export const BROKEN = `/** @differentiable */
export function broken(x: number): number {
  let y = x;
  try {
    y = 2 * y;
  } catch {
    y = 0;
  }
  return y * y;
}
`;
