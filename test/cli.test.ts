/**
 * The `adjoint` command, run for real: `node cli/bin.ts gen ...` (the sources, through tsx's
 * loader) in temporary directories. The compiled bin (dist/cli/bin.js) runs the same code; the
 * packed-install test runs it from an installed tarball.
 *
 * Each spawn costs a second or more (TypeScript start-up), so every scenario is started up front
 * in `beforeAll`, concurrently, and the tests only inspect the recorded results. The parts that
 * need no process (colour rules, input expansion, staged writes) are tested in-process below.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileFiles, formatDiagnostic as plainDiagnostic } from "../compiler/index.ts";
import { numericGradient, maxRelativeError } from "../runtime/gradcheck.ts";
import { formatDiagnostic, useColor } from "../cli/color.ts";
import { expandInputs, globBase, InputError } from "../cli/inputs.ts";
import { describeFsError, WriteError, writeAll } from "../cli/write.ts";
import { ROOT, RUNTIME } from "./helpers.ts";

const BIN = path.join(ROOT, "cli/bin.ts");
const TSX = import.meta.resolve("tsx");
const BASE = path.join(ROOT, ".tmp", `cli-${process.pid}`);
const TIMEOUT = 120_000;
const VERSION = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).version;

const GOOD = `/** f(x, w) = Σ sin(w_i x) + w_i² / x */
/** @differentiable */
export function f(x: number, w: Float64Array): number {
  let s = 0;
  for (let i = 0; i < w.length; i++) {
    s += Math.sin(w[i] * x) + (w[i] * w[i]) / x;
  }
  return s;
}
`;

const OTHER = `/** @differentiable */
export function g(a: number, b: number): number {
  return Math.exp(a) * b - a / b;
}
`;

/** The error is on line 4, column 17: \`Math.random\`. */
const BAD = `/** @differentiable */
export function h(x: number): number {
  const k = x * 2;
  const noise = Math.random();
  return k * noise;
}
`;

const PLAIN = `export function plain(x: number): number {
  return x + 1;
}
`;

/** `--import` hooks (data: URLs, so no files): module resolution seen from inside the CLI. */
const hook = (body: string) =>
  `data:text/javascript,${encodeURIComponent(`import { register } from "node:module"; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(body)}`)});`)}`;
/** Fails the process if the compiler's heavy dependencies are loaded at all. */
const FORBID_COMPILER = hook(`export async function resolve(s, c, next) {
  if (s === "typescript" || s === "prettier" || s.startsWith("prettier/")) throw new Error("loaded " + s);
  return next(s, c);
}`);
/** Replaces TypeScript with a module that throws when used: an unexpected exception inside the CLI. */
const BROKEN_TYPESCRIPT = hook(`export async function resolve(s, c, next) {
  if (s === "typescript") return { url: "data:text/javascript," + encodeURIComponent("export default new Proxy({}, { get() { throw new Error('the compiler broke'); } });"), shortCircuit: true };
  return next(s, c);
}`);

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

// ---------------------------------------------------------------- running the binary

const slots = Math.max(2, os.availableParallelism());
let running = 0;
const waiting: (() => void)[] = [];

interface SpawnOptions {
  env?: Record<string, string>;
  imports?: string[];
  /** Run under `script`, so that the CLI's stderr is a terminal. */
  tty?: boolean;
}

function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k === "NO_COLOR" || k === "FORCE_COLOR" || k.startsWith("VITEST") || k === "TERM") delete env[k];
  return { ...env, TERM: "xterm-256color", ...extra };
}

async function adjointWith(cwd: string, options: SpawnOptions, ...args: string[]): Promise<Run> {
  while (running >= slots) await new Promise<void>((r) => waiting.push(r));
  running++;
  try {
    return await new Promise<Run>((resolve, reject) => {
      const argv = [...(options.imports ?? []).flatMap((i) => ["--import", i]), "--import", TSX, BIN, ...args];
      const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
      const child = options.tty
        ? spawn("script", ["-qefc", [process.execPath, ...argv].map(quote).join(" "), "/dev/null"], { cwd, env: childEnv(options.env) })
        : spawn(process.execPath, argv, { cwd, env: childEnv(options.env) });
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
      child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
      child.on("error", reject);
      child.on("close", (status) => resolve({ status, stdout: stdout.replace(/\r\n/g, "\n"), stderr }));
    });
  } finally {
    running--;
    waiting.shift()?.();
  }
}

/** The CLI without colour (NO_COLOR), as the tests of plain output want it. */
const adjoint = (cwd: string, ...args: string[]) => adjointWith(cwd, { env: { NO_COLOR: "1" } }, ...args);

let counter = 0;
function tempDir(name: string, files: Record<string, string> = {}): string {
  const dir = path.join(BASE, `${name}-${counter++}`);
  fs.mkdirSync(dir, { recursive: true });
  for (const [f, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), text);
  }
  return dir;
}

const read = (dir: string, f: string) => fs.readFileSync(path.join(dir, f), "utf8");
const exists = (dir: string, f: string) => fs.existsSync(path.join(dir, f));
const listing = (dir: string) => fs.readdirSync(dir).sort();
const tree = (dir: string) => (fs.readdirSync(dir, { recursive: true }) as string[]).map((f) => f.split(path.sep).join("/")).sort();

// ---------------------------------------------------------------- scenarios

/** gen, then --check (up to date), then gen --quiet again (determinism). */
async function goodScenario() {
  const dir = tempDir("good", { "f.ts": GOOD });
  const first = await adjoint(dir, "gen", "f.ts", "--runtime", RUNTIME);
  const bytes1 = fs.existsSync(path.join(dir, "f.grad.ts")) ? fs.readFileSync(path.join(dir, "f.grad.ts")) : undefined;
  const check = await adjoint(dir, "gen", "f.ts", "--check", "--runtime", RUNTIME);
  const quiet = await adjoint(dir, "gen", "f.ts", "--quiet", "--runtime", RUNTIME);
  const bytes2 = fs.existsSync(path.join(dir, "f.grad.ts")) ? fs.readFileSync(path.join(dir, "f.grad.ts")) : undefined;
  return { dir, first, bytes1, check, quiet, bytes2, files: listing(dir) };
}

async function outDirScenario() {
  const dir = tempDir("outdir", { "src/f.ts": GOOD });
  const run = await adjoint(dir, "gen", "src/f.ts", "-o", "out", "--dump-ir", "--runtime", RUNTIME);
  return { dir, run };
}

/** f.grad.ts is stale (edited by hand: one token of its code), g.grad.ts is missing. */
async function checkScenario() {
  const dir = tempDir("check", { "f.ts": GOOD, "g.ts": OTHER });
  const [r] = await compileFiles([path.join(dir, "f.ts")], { runtime: RUNTIME });
  const stale = r.output!.replace("return {", "return  {").replace(/Math\.cos\(/, "Math.sin(");
  fs.writeFileSync(path.join(dir, "f.grad.ts"), stale);
  const run = await adjoint(dir, "gen", "f.ts", "g.ts", "--check", "--runtime", RUNTIME);
  return { dir, run, stale, files: listing(dir) };
}

/** Two files, only the second has an error; the bad file's output from an earlier run exists. */
async function errorScenario() {
  const previous = "// Generated by adjoint from h.ts. (an earlier, good version)\nexport const before = 1;\n";
  const dir = tempDir("error", { "ok.ts": OTHER, "h.ts": BAD, "h.grad.ts": previous });
  const run = await adjoint(dir, "gen", "ok.ts", "h.ts", "--runtime", RUNTIME);
  return { dir, run, previous, files: listing(dir) };
}

async function usageScenario() {
  const dir = tempDir("usage", { "f.ts": GOOD, "notes.txt": "x" });
  const [noFiles, unknownCommand, missingFile, notTypeScript, noMatch, watchCheck] = await Promise.all([
    adjoint(dir, "gen"),
    adjoint(dir, "frobnicate", "f.ts"),
    adjoint(dir, "gen", "f.ts", "nope.ts"),
    adjoint(dir, "gen", "notes.txt"),
    adjoint(dir, "gen", "lib/**/*.ts"),
    adjoint(dir, "gen", "--watch", "--check", "f.ts"),
  ]);
  return { dir, noFiles, unknownCommand, missingFile, notTypeScript, noMatch, watchCheck, files: listing(dir) };
}

/** A project: annotated files at two depths, one plain file, a declaration file, node_modules. */
const PROJECT = {
  "src/f.ts": GOOD,
  "src/nested/g.ts": OTHER,
  "src/plain.ts": PLAIN,
  "src/types.d.ts": "export type T = number;\n",
  "src/node_modules/dep/index.ts": OTHER,
  "lib/other.ts": OTHER,
};

async function directoryScenario() {
  const dir = tempDir("dir", PROJECT);
  const run = await adjoint(dir, "gen", "src/");
  const again = await adjoint(dir, "gen", "src"); // generated files found in src are not inputs
  return { dir, run, again, files: tree(dir) };
}

async function globScenario() {
  const dir = tempDir("glob", PROJECT);
  const run = await adjoint(dir, "gen", "src/**/*.ts", "lib/*.ts");
  const check = await adjoint(dir, "gen", "--check", "src/**/*.ts", "lib");
  return { dir, run, check, files: tree(dir) };
}

async function collisionScenario() {
  const dir = tempDir("collision", { "a/m.ts": GOOD, "b/m.ts": OTHER.replace("function g", "function m") });
  const run = await adjoint(dir, "gen", "a/m.ts", "b/m.ts", "-o", "out", "--runtime", RUNTIME);
  return { dir, run };
}

/** --out-dir names a regular file: the write fails (ENOTDIR) before anything is written. */
async function writeErrorScenario() {
  const dir = tempDir("write-error", { "f.ts": GOOD, "out": "I am a file\n" });
  const run = await adjoint(dir, "gen", "f.ts", "-o", "out");
  return { dir, run, files: listing(dir) };
}

/**
 * Two outputs; the second cannot be written (a directory stands where b/g.grad.ts goes, and, when
 * the tests do not run as root, b/ is also read-only). The first output exists from an earlier
 * run and is stale: it must stay byte for byte as it was.
 */
async function allOrNothingScenario() {
  const earlier = "// an earlier a.grad.ts\n";
  const dir = tempDir("all-or-nothing", { "a.ts": GOOD, "b/g.ts": OTHER, "a.grad.ts": earlier });
  fs.mkdirSync(path.join(dir, "b/g.grad.ts"));
  const run = await adjoint(dir, "gen", "a.ts", "b/g.ts");
  let readOnly: Run | undefined;
  if (process.getuid?.() !== 0) {
    fs.rmdirSync(path.join(dir, "b/g.grad.ts"));
    fs.chmodSync(path.join(dir, "b"), 0o555);
    readOnly = await adjoint(dir, "gen", "a.ts", "b/g.ts");
    fs.chmodSync(path.join(dir, "b"), 0o755);
  }
  return { dir, run, readOnly, earlier, top: listing(dir), b: listing(path.join(dir, "b")) };
}

/** A second run with nothing changed writes nothing: the output keeps its (back-dated) mtime. */
async function unchangedScenario() {
  const dir = tempDir("unchanged", { "f.ts": GOOD, "g.ts": OTHER });
  const first = await adjoint(dir, "gen", "f.ts", "g.ts");
  const old = new Date("2001-02-03T04:05:06Z");
  for (const f of ["f.grad.ts", "g.grad.ts"]) fs.utimesSync(path.join(dir, f), old, old);
  const second = await adjoint(dir, "gen", "f.ts", "g.ts");
  const mtimes = ["f.grad.ts", "g.grad.ts"].map((f) => fs.statSync(path.join(dir, f)).mtimeMs);
  fs.writeFileSync(path.join(dir, "g.ts"), OTHER.replace("a / b", "a / (b * b)"));
  const third = await adjoint(dir, "gen", "f.ts", "g.ts");
  const after = ["f.grad.ts", "g.grad.ts"].map((f) => fs.statSync(path.join(dir, f)).mtimeMs);
  return { dir, first, second, third, old: old.getTime(), mtimes, after, files: listing(dir) };
}

/** The error of errorScenario with colour forced, refused, and on a terminal with and without NO_COLOR. */
async function colorScenario() {
  const dir = tempDir("color", { "h.ts": BAD });
  const [plain, forced, forcedOff, tty, ttyNoColor] = await Promise.all([
    adjointWith(dir, { env: { NO_COLOR: "1" } }, "gen", "h.ts"),
    adjointWith(dir, { env: { FORCE_COLOR: "1" } }, "gen", "h.ts"),
    adjointWith(dir, { env: { FORCE_COLOR: "0" } }, "gen", "h.ts"),
    adjointWith(dir, { tty: true }, "gen", "h.ts"),
    adjointWith(dir, { tty: true, env: { NO_COLOR: "1" } }, "gen", "h.ts"),
  ]);
  return { plain, forced, forcedOff, tty, ttyNoColor };
}

const PRETTIER = path.join(ROOT, "node_modules/prettier/bin/prettier.cjs");

/**
 * A project that formats its tree with prettier and its own config: the generated files,
 * formatted, pass --check and are not rewritten by gen; then a one-token edit of one of them
 * makes --check fail naming it, and gen writes it again.
 */
async function formattedScenario() {
  // the default runtime specifier: an absolute path to this checkout would make the import line as long as the path
  const rc = { singleQuote: true, semi: false, printWidth: 60, trailingComma: "all" };
  const dir = tempDir("formatted", { "f.ts": GOOD, "g.ts": OTHER, ".prettierrc": `${JSON.stringify(rc, null, 2)}\n` });
  const gen = await adjoint(dir, "gen", "f.ts", "g.ts");
  const generated = read(dir, "f.grad.ts");
  const format = await new Promise<Run>((resolve, reject) => {
    const child = spawn(process.execPath, [PRETTIER, "--write", "f.grad.ts", "g.grad.ts"], { cwd: dir, env: childEnv({ NO_COLOR: "1" }) });
    let stdout = "", stderr = "";
    child.stdout.setEncoding("utf8").on("data", (x: string) => (stdout += x));
    child.stderr.setEncoding("utf8").on("data", (x: string) => (stderr += x));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
  const formatted = read(dir, "f.grad.ts");
  const old = new Date("2001-02-03T04:05:06Z");
  for (const f of ["f.grad.ts", "g.grad.ts"]) fs.utimesSync(path.join(dir, f), old, old);
  const check = await adjoint(dir, "gen", "--check", "f.ts", "g.ts");
  const again = await adjoint(dir, "gen", "f.ts", "g.ts");
  const afterAgain = { text: read(dir, "f.grad.ts"), mtime: fs.statSync(path.join(dir, "f.grad.ts")).mtimeMs };
  // one token: the first `*` of the code (not of a comment) becomes `/`
  const lines = formatted.split("\n");
  const line = lines.findIndex((l) => !/^\s*(\/\/|\/\*|\*)/.test(l) && l.includes(" * "));
  fs.writeFileSync(path.join(dir, "f.grad.ts"), lines.map((l, i) => (i === line ? l.replace(" * ", " / ") : l)).join("\n"));
  const edited = await adjoint(dir, "gen", "--check", "f.ts", "g.ts");
  const rewrite = await adjoint(dir, "gen", "f.ts", "g.ts");
  return { dir, gen, generated, format, formatted, old: old.getTime(), check, again, afterAgain, line, edited, rewrite };
}

async function startupScenario() {
  const dir = tempDir("startup", { "f.ts": GOOD });
  const [version, help, genHelp, broken] = await Promise.all([
    adjointWith(dir, { imports: [FORBID_COMPILER] }, "--version"),
    adjointWith(dir, { imports: [FORBID_COMPILER] }, "--help"),
    adjointWith(dir, { imports: [FORBID_COMPILER] }, "gen", "--help"),
    adjointWith(dir, { imports: [BROKEN_TYPESCRIPT], env: { NO_COLOR: "1" } }, "gen", "f.ts"),
  ]);
  return { dir, version, help, genHelp, broken, files: listing(dir) };
}

type Scenarios = {
  good: ReturnType<typeof goodScenario>;
  outDir: ReturnType<typeof outDirScenario>;
  check: ReturnType<typeof checkScenario>;
  error: ReturnType<typeof errorScenario>;
  usage: ReturnType<typeof usageScenario>;
  directory: ReturnType<typeof directoryScenario>;
  glob: ReturnType<typeof globScenario>;
  collision: ReturnType<typeof collisionScenario>;
  writeError: ReturnType<typeof writeErrorScenario>;
  allOrNothing: ReturnType<typeof allOrNothingScenario>;
  unchanged: ReturnType<typeof unchangedScenario>;
  color: ReturnType<typeof colorScenario>;
  startup: ReturnType<typeof startupScenario>;
  formatted: ReturnType<typeof formattedScenario>;
};
let S: Scenarios;

beforeAll(() => {
  fs.rmSync(BASE, { recursive: true, force: true });
  S = {
    good: goodScenario(),
    outDir: outDirScenario(),
    check: checkScenario(),
    error: errorScenario(),
    usage: usageScenario(),
    directory: directoryScenario(),
    glob: globScenario(),
    collision: collisionScenario(),
    writeError: writeErrorScenario(),
    allOrNothing: allOrNothingScenario(),
    unchanged: unchangedScenario(),
    color: colorScenario(),
    startup: startupScenario(),
    formatted: formattedScenario(),
  };
  // tests await these; keep a failure from surfacing as an unhandled rejection before then
  for (const p of Object.values(S)) p.catch(() => {});
});

afterAll(async () => {
  await Promise.allSettled(Object.values(S ?? {}));
  fs.rmSync(BASE, { recursive: true, force: true });
});

/** Stack traces must never reach the user. */
function expectNoStack(run: Run): void {
  expect(run.stderr).not.toMatch(/^\s+at .*:\d+:\d+\)?$/m);
  expect(run.stderr).not.toMatch(/node:internal|Error: /);
}

const ESC = /\x1b\[[0-9;]*m/;
const strip = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "");

// ---------------------------------------------------------------- tests

describe("adjoint gen (real binary)", { timeout: TIMEOUT }, () => {
  it("writes name.grad.ts beside a good file, exits 0 and says what it wrote", async () => {
    const { first, bytes1 } = await S.good;
    expect(first.stderr).toBe("");
    expect(first.status).toBe(0);
    expect(first.stdout).toBe("wrote f.grad.ts (f)\n");
    expect(bytes1).toBeDefined();
    expect(bytes1!.toString("utf8")).toMatch(/^\/\/ Generated by adjoint from f\.ts\. Do not edit/);
    expect(bytes1!.toString("utf8")).toContain("export function fGrad(");
  });

  it("the generated module imports and its gradient matches finite differences", async () => {
    const { dir } = await S.good;
    const src = await import(pathToFileURL(path.join(dir, "f.ts")).href);
    const gen = await import(pathToFileURL(path.join(dir, "f.grad.ts")).href);
    for (const [x, w] of [[0.7, [0.3, -1.2, 2.0]], [1.9, [0.5, 0.25, -0.75, 1.5]]] as const) {
      const args = [x, new Float64Array(w)];
      const res = gen.fGrad(x, new Float64Array(w));
      expect(res.value).toBe(src.f(x, new Float64Array(w)));
      const [dx, dw] = numericGradient(src.f, args);
      expect(maxRelativeError(res.grad.x, dx!)).toBeLessThan(1e-6);
      expect(res.grad.w).toBeInstanceOf(Float64Array);
      expect(maxRelativeError(res.grad.w, dw!)).toBeLessThan(1e-6);
    }
  });

  it("--check exits 0 when the output is up to date", async () => {
    const { check } = await S.good;
    expect(check.stderr).toBe("");
    expect(check.status).toBe(0);
    expect(check.stdout).toMatch(/1 generated file up to date/);
  });

  it("--quiet prints nothing on success, and regenerating gives identical bytes", async () => {
    const { quiet, bytes1, bytes2, files } = await S.good;
    expect(quiet.status).toBe(0);
    expect(quiet.stdout).toBe("");
    expect(quiet.stderr).toBe("");
    expect(bytes2).toBeDefined();
    expect(Buffer.compare(bytes1!, bytes2!)).toBe(0);
    expect(files).toEqual(["f.grad.ts", "f.ts"]); // no temporary files left behind
  });

  it("-o writes into the given directory (not beside the source), and --dump-ir prints the IR", async () => {
    const { dir, run } = await S.outDir;
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("wrote out/f.grad.ts (f)");
    expect(run.stdout).toMatch(/function f\(/);
    expect(run.stdout).toContain("Math.sin");
    expect(listing(path.join(dir, "out"))).toEqual(["f.grad.ts"]);
    expect(listing(path.join(dir, "src"))).toEqual(["f.ts"]);
    // same source, same runtime specifier: same bytes as generating beside the source
    const { bytes1 } = await S.good;
    expect(read(dir, "out/f.grad.ts")).toBe(bytes1!.toString("utf8"));
  });

  it("--check exits 1 naming the stale and the missing file, and writes nothing", async () => {
    const { dir, run, stale, files } = await S.check;
    expect(run.status).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^stale: f\.grad\.ts$/m);
    expect(run.stderr).toMatch(/^missing: g\.grad\.ts$/m);
    expect(run.stderr).toMatch(/2 generated files are out of date: run `adjoint gen f\.ts g\.ts`/);
    expect(read(dir, "f.grad.ts")).toBe(stale);
    expect(files).toEqual(["f.grad.ts", "f.ts", "g.ts"]);
  });

  it("--check and gen accept the generated files formatted by the project's prettier config; a one-token edit is stale", async () => {
    const { dir, gen, generated, format, formatted, old, check, again, afterAgain, line, edited, rewrite } = await S.formatted;
    expect(gen.status).toBe(0);
    expect(format.stderr).toBe("");
    expect(format.status).toBe(0);
    // prettier did reformat: single quotes, no semicolons, lines broken at 60 columns
    expect(formatted).not.toBe(generated);
    const code = (text: string) => text.split("\n").filter((l) => !/^\s*(\/\/|\/\*|\*)/.test(l));
    expect(code(generated).filter((l) => l.endsWith(";")).length).toBeGreaterThan(10);
    expect(code(formatted).filter((l) => l.endsWith(";"))).toEqual([]);
    expect(formatted).toContain("from '");
    expect(Math.max(...code(generated).map((l) => l.length))).toBeGreaterThan(60);
    expect(Math.max(...code(formatted).map((l) => l.length))).toBeLessThanOrEqual(60);
    // up to date; and gen leaves the formatted files alone (same bytes, same mtime)
    expect(check.stderr).toBe("");
    expect(check.stdout).toBe("2 generated files up to date.\n");
    expect(check.status).toBe(0);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain("unchanged f.grad.ts (f)");
    expect(again.stdout).toContain("unchanged g.grad.ts (g)");
    expect(afterAgain.text).toBe(formatted);
    expect(afterAgain.mtime).toBe(old);
    // one token changed: stale, named, with the line of the change; gen writes it again
    expect(line).toBeGreaterThan(0);
    expect(edited.status).toBe(1);
    expect(edited.stderr).toMatch(/^stale: f\.grad\.ts$/m);
    expect(edited.stderr).not.toMatch(/g\.grad\.ts/);
    expect(edited.stderr).toContain(`(its code first differs from the generated code at line ${line + 1}, column `);
    expect(edited.stderr).toMatch(/1 generated file is out of date: run `adjoint gen f\.ts g\.ts`/);
    expect(rewrite.stdout).toContain("wrote f.grad.ts (f)");
    expect(rewrite.stdout).toContain("unchanged g.grad.ts (g)");
    expect(read(dir, "f.grad.ts")).toBe(generated);
  });

  it("a file with an error: exit 1, file:line:col - error AD…, a code frame, and nothing written", async () => {
    const { dir, run, previous, files } = await S.error;
    expect(run.status).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^h\.ts:4:17 - error AD1002: 'Math\.random' is not differentiable/m);
    expect(run.stderr).toContain("> 4 |   const noise = Math.random();\n");
    expect(run.stderr).toContain("\n    |                 ^^^^^^^^^^^\n");
    expect(run.stderr).toMatch(/1 error; nothing written\./);
    expectNoStack(run);
    // the earlier output of the bad file is untouched, the good file's output is not written,
    // and no temporary file is left behind
    expect(read(dir, "h.grad.ts")).toBe(previous);
    expect(exists(dir, "ok.grad.ts")).toBe(false);
    expect(files).toEqual(["h.grad.ts", "h.ts", "ok.ts"]);
  });

  it("usage errors exit 2: no files, unknown command, nonexistent file, not TypeScript, a glob without matches", async () => {
    const { noFiles, unknownCommand, missingFile, notTypeScript, noMatch, watchCheck, files } = await S.usage;
    expect(noFiles.status).toBe(2);
    expect(noFiles.stderr).toMatch(/missing required argument 'inputs'/);
    expect(unknownCommand.status).toBe(2);
    expect(unknownCommand.stderr).toMatch(/unknown command 'frobnicate'/);
    expect(missingFile.status).toBe(2);
    expect(missingFile.stderr).toBe("error: no such file: nope.ts\n");
    expect(notTypeScript.status).toBe(2);
    expect(notTypeScript.stderr).toMatch(/^error: notes\.txt is not a TypeScript source file: pass \.ts files, directories or globs/);
    expect(noMatch.status).toBe(2);
    expect(noMatch.stderr).toBe("error: no TypeScript file with a @differentiable function matches lib/**/*.ts\n");
    expect(watchCheck.status).toBe(2);
    expect(watchCheck.stderr).toMatch(/--watch and --check do not go together/);
    for (const r of [noFiles, unknownCommand, missingFile, notTypeScript, noMatch, watchCheck]) {
      expect(r.stdout).toBe("");
      expectNoStack(r);
    }
    expect(files).toEqual(["f.ts", "notes.txt"]); // the good file named alongside nope.ts was not generated
  });

  it("a directory is searched recursively for files with @differentiable functions", async () => {
    const { run, again, files } = await S.directory;
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toBe("wrote src/f.grad.ts (f)\nwrote src/nested/g.grad.ts (g)\n");
    // the plain file, the declaration file and node_modules are not inputs (and get no warning);
    // the generated files are not inputs of the second run
    expect(files.filter((f) => f.endsWith(".grad.ts"))).toEqual(["src/f.grad.ts", "src/nested/g.grad.ts"]);
    expect(again.status).toBe(0);
    expect(again.stdout).toBe("unchanged src/f.grad.ts (f)\nunchanged src/nested/g.grad.ts (g)\n");
  });

  it("globs (quoted, expanded by adjoint) and directories mix", async () => {
    const { run, check, files } = await S.glob;
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toBe("wrote src/f.grad.ts (f)\nwrote src/nested/g.grad.ts (g)\nwrote lib/other.grad.ts (g)\n");
    expect(files.filter((f) => f.endsWith(".grad.ts"))).toEqual(["lib/other.grad.ts", "src/f.grad.ts", "src/nested/g.grad.ts"]);
    expect(check.status).toBe(0);
    expect(check.stdout).toBe("3 generated files up to date.\n");
  });

  it("-o with two sources of the same name is rejected instead of overwriting one output", async () => {
    const { dir, run } = await S.collision;
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/m\.grad\.ts/);
    expect(exists(dir, "out")).toBe(false);
  });

  it("a write error is one line naming the path and the cause, exit 1, no stack trace", async () => {
    const { dir, run, files } = await S.writeError;
    expect(run.status).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe("error: cannot write out/f.grad.ts: a parent path is not a directory (ENOTDIR); nothing written.\n");
    expectNoStack(run);
    expect(read(dir, "out")).toBe("I am a file\n");
    expect(files).toEqual(["f.ts", "out"]);
  });

  it("all or nothing: when the second output cannot be written, the first is not written either", async () => {
    const { dir, run, readOnly, earlier, top, b } = await S.allOrNothing;
    expect(run.status).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe("error: cannot write b/g.grad.ts: it is a directory (EISDIR); nothing written.\n");
    expect(read(dir, "a.grad.ts")).toBe(earlier); // byte for byte as before the run
    expect(top).toEqual(["a.grad.ts", "a.ts", "b"]); // no temporaries left
    expect(b).toEqual(["g.grad.ts", "g.ts"]);
    if (readOnly) {
      expect(readOnly.status).toBe(1);
      expect(readOnly.stderr).toBe("error: cannot write b/g.grad.ts: permission denied (EACCES); nothing written.\n");
    }
  });

  it("an unchanged output is not rewritten: no write, mtime kept; a changed one is", async () => {
    const { first, second, third, old, mtimes, after, files } = await S.unchanged;
    expect(first.stdout).toBe("wrote f.grad.ts (f)\nwrote g.grad.ts (g)\n");
    expect(second.status).toBe(0);
    expect(second.stdout).toBe("unchanged f.grad.ts (f)\nunchanged g.grad.ts (g)\n");
    expect(mtimes).toEqual([old, old]);
    expect(third.stdout).toBe("unchanged f.grad.ts (f)\nwrote g.grad.ts (g)\n");
    expect(after[0]).toBe(old);
    expect(after[1]).toBeGreaterThan(old);
    expect(files).toEqual(["f.grad.ts", "f.ts", "g.grad.ts", "g.ts"]);
  });

  it("colours the code frame on a terminal and with FORCE_COLOR; not with NO_COLOR or FORCE_COLOR=0", async () => {
    const { plain, forced, forcedOff, tty, ttyNoColor } = await S.color;
    expect(plain.stderr).not.toMatch(ESC);
    expect(plain.stderr).toMatch(/^h\.ts:4:17 - error AD1002:/);
    expect(forcedOff.stderr).toBe(plain.stderr);
    // coloured: the same text once the escapes are removed, with the location, "error" and the carets painted
    expect(forced.stderr).toMatch(ESC);
    expect(strip(forced.stderr)).toBe(plain.stderr);
    expect(forced.stderr).toContain("\x1b[36mh.ts:4:17\x1b[39m - \x1b[31merror\x1b[39m");
    expect(forced.stderr).toContain("\x1b[31m^^^^^^^^^^^\x1b[39m");
    for (const r of [plain, forced, forcedOff, tty, ttyNoColor]) expect(r.status).toBe(1);
    // on a terminal (script(1) gives the CLI one): stdout and stderr arrive together
    expect(tty.stdout).toMatch(ESC);
    expect(strip(tty.stdout)).toContain(plain.stderr);
    expect(ttyNoColor.stdout).not.toMatch(ESC);
    expect(ttyNoColor.stdout).toContain(plain.stderr);
  });

  it("--version and --help answer without loading the compiler", async () => {
    const { version, help, genHelp } = await S.startup;
    expect(version.stderr).toBe("");
    expect(version.status).toBe(0);
    expect(version.stdout).toBe(`${VERSION}\n`);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: adjoint \[options\] \[command\]/);
    expect(help.stdout).toContain("-v, --version");
    expect(genHelp.status).toBe(0);
    expect(genHelp.stdout).toContain("-w, --watch");
    expect(genHelp.stdout).toMatch(/directories \(searched\s+recursively\)\s+or\s+quoted\s+globs/);
  });

  it("an unexpected exception is one line asking for a report, exit 1, no stack trace", async () => {
    const { broken, files } = await S.startup;
    expect(broken.status).toBe(1);
    expect(broken.stdout).toBe("");
    expect(broken.stderr).toBe("adjoint: internal error: the compiler broke (please report)\n");
    expectNoStack(broken);
    expect(files).toEqual(["f.ts"]);
  });
});

// ---------------------------------------------------------------- watch mode

/** A running `adjoint gen --watch`, with a way to wait for its output. */
function startWatch(cwd: string, ...args: string[]) {
  const child = spawn(process.execPath, ["--import", TSX, BIN, "gen", "--watch", ...args], { cwd, env: childEnv({ NO_COLOR: "1" }) });
  let all = ""; // stdout and stderr in the order they arrived
  const listeners = new Set<() => void>();
  const notify = () => listeners.forEach((l) => l());
  child.stdout.setEncoding("utf8").on("data", (s: string) => ((all += s), notify()));
  child.stderr.setEncoding("utf8").on("data", (s: string) => ((all += s), notify()));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => (notify(), resolve(code))));
  /** Resolves once the output after `from` matches `pattern`. */
  const waitFor = (pattern: RegExp, from = 0, ms = 60_000) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (pattern.test(all.slice(from))) {
          listeners.delete(check);
          clearTimeout(timer);
          resolve();
        } else if (child.exitCode !== null) {
          listeners.delete(check);
          clearTimeout(timer);
          reject(new Error(`adjoint exited (${child.exitCode}) before printing ${pattern}:\n${all}`));
        }
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`timed out waiting for ${pattern}:\n${all}`));
      }, ms);
      listeners.add(check);
      check();
    });
  return { child, waitFor, exited, output: () => all, mark: () => all.length };
}

describe("adjoint gen --watch", () => {
  it("regenerates on change, prints errors and keeps running, picks up new files, stops on SIGINT", { timeout: 180_000 }, async () => {
    const dir = tempDir("watch", { "src/f.ts": GOOD, "src/helper.ts": "export function sq(x: number): number {\n  return x * x;\n}\n", "src/g.ts": `import { sq } from "./helper.ts";\n/** @differentiable */\nexport function g(a: number): number {\n  return sq(a) + 1;\n}\n` });
    const w = startWatch(dir, "src");
    try {
      await w.waitFor(/watching \d+ paths for changes/);
      expect(w.output()).toContain("wrote src/f.grad.ts (f)\n");
      expect(w.output()).toContain("wrote src/g.grad.ts (g)\n");
      const mtime = fs.statSync(path.join(dir, "src/f.grad.ts")).mtimeMs;

      // an edit: regenerated; the other output is unchanged and not rewritten
      let at = w.mark();
      fs.writeFileSync(path.join(dir, "src/g.ts"), read(dir, "src/g.ts").replace("sq(a) + 1", "sq(a) * a"));
      await w.waitFor(/wrote src\/g\.grad\.ts \(g\)/, at);
      expect(w.output().slice(at)).toContain("unchanged src/f.grad.ts (f)");
      expect(fs.statSync(path.join(dir, "src/f.grad.ts")).mtimeMs).toBe(mtime);
      const [expected] = await compileFiles([path.join(dir, "src/g.ts")], { runtime: "adjoint-runtime" });
      expect(read(dir, "src/g.grad.ts")).toBe(expected.output);

      // an edit of a helper the source imports: regenerated too
      at = w.mark();
      fs.writeFileSync(path.join(dir, "src/helper.ts"), "export function sq(x: number): number {\n  return x * x * 2;\n}\n");
      await w.waitFor(/wrote src\/g\.grad\.ts \(g\)/, at);

      // an error: printed, nothing written, still running
      at = w.mark();
      const before = read(dir, "src/f.grad.ts");
      fs.writeFileSync(path.join(dir, "src/f.ts"), BAD.replace("function h", "function f"));
      await w.waitFor(/1 error; nothing written\./, at);
      expect(w.output().slice(at)).toMatch(/src\/f\.ts:4:17 - error AD1002:/);
      expect(read(dir, "src/f.grad.ts")).toBe(before);
      expect(w.child.exitCode).toBe(null);

      // fixed, and a new file: both generated
      at = w.mark();
      fs.writeFileSync(path.join(dir, "src/f.ts"), GOOD);
      fs.writeFileSync(path.join(dir, "src/k.ts"), OTHER.replace("function g", "function k"));
      await w.waitFor(/wrote src\/k\.grad\.ts \(k\)/, at);
      expect(exists(dir, "src/k.grad.ts")).toBe(true);
      expect(read(dir, "src/f.grad.ts")).toBe(before);

      w.child.kill("SIGINT");
      expect(await w.exited).toBe(0);
      expectNoStack({ status: 0, stdout: "", stderr: w.output() });
    } finally {
      w.child.kill("SIGKILL");
    }
  });
});

// ---------------------------------------------------------------- in-process parts

describe("colour rules", () => {
  it("a terminal gets colour; a pipe does not; NO_COLOR and FORCE_COLOR override", () => {
    const tty = { isTTY: true };
    const pipe = { isTTY: false };
    expect(useColor(tty, {})).toBe(true);
    expect(useColor(pipe, {})).toBe(false);
    expect(useColor(tty, { TERM: "dumb" })).toBe(false);
    expect(useColor(tty, { NO_COLOR: "1" })).toBe(false);
    expect(useColor(tty, { NO_COLOR: "" })).toBe(true); // set but empty: ignored (no-color.org)
    expect(useColor(pipe, { FORCE_COLOR: "1" })).toBe(true);
    expect(useColor(pipe, { FORCE_COLOR: "" })).toBe(true);
    expect(useColor(tty, { FORCE_COLOR: "0" })).toBe(false);
    expect(useColor(tty, { FORCE_COLOR: "false" })).toBe(false);
    expect(useColor(pipe, { FORCE_COLOR: "1", NO_COLOR: "1" })).toBe(true); // FORCE_COLOR wins, as in Node
  });

  it("without colour the diagnostic is the compiler's formatDiagnostic, byte for byte", async () => {
    const dir = tempDir("format", { "h.ts": BAD });
    const [r] = await compileFiles([path.join(dir, "h.ts")]);
    const d = r.diagnostics[0];
    expect(formatDiagnostic(d, false, dir)).toBe(plainDiagnostic(d, dir));
    expect(strip(formatDiagnostic(d, true, dir))).toBe(plainDiagnostic(d, dir));
  });
});

describe("input expansion", () => {
  it("files as given, directories and globs expanded, sorted, without duplicates", async () => {
    const dir = tempDir("inputs", { ...PROJECT, "src/f.grad.ts": "// generated\n" });
    const r = await expandInputs(["src/f.ts", "src", "src/**/*.ts", "src/plain.ts", "src/f.grad.ts"], dir);
    expect(r.files).toEqual(["src/f.ts", "src/nested/g.ts", "src/plain.ts"]);
    expect(r.roots).toEqual(["src", "src"]);
    await expect(expandInputs(["missing/*.ts"], dir)).rejects.toThrowError(InputError);
    await expect(expandInputs(["src/types.d.ts"], dir)).rejects.toThrowError(/not a TypeScript source file/);
    expect(globBase("src/**/*.ts")).toBe("src");
    expect(globBase("*.ts")).toBe(".");
    expect(globBase("a/b/{c,d}/*.ts")).toBe("a/b");
  });
});

describe("staged writes", () => {
  it("write everything, or nothing and leave no temporaries", () => {
    const dir = tempDir("stage", { "keep.txt": "old\n", "blocker": "a file\n" });
    const keep = path.join(dir, "keep.txt");
    expect(() => writeAll([{ target: keep, text: "new\n" }, { target: path.join(dir, "blocker/x.ts"), text: "x" }])).toThrowError(WriteError);
    expect(fs.readFileSync(keep, "utf8")).toBe("old\n");
    expect(listing(dir)).toEqual(["blocker", "keep.txt"]);
    // directories created for the outputs are removed again
    expect(() => writeAll([{ target: path.join(dir, "a/b/c.ts"), text: "c" }, { target: path.join(dir, "blocker/y.ts"), text: "y" }])).toThrowError(/blocker\/y\.ts: a parent path is not a directory/);
    expect(listing(dir)).toEqual(["blocker", "keep.txt"]);
    const ok = writeAll([{ target: keep, text: "old\n" }, { target: path.join(dir, "a/b/c.ts"), text: "c" }]);
    expect(ok).toEqual({ written: [path.join(dir, "a/b/c.ts")], unchanged: [keep] });
    expect(fs.readFileSync(path.join(dir, "a/b/c.ts"), "utf8")).toBe("c");
  });

  it("names the cause in words with the code", () => {
    expect(describeFsError(Object.assign(new Error("x"), { code: "EACCES" }))).toBe("permission denied (EACCES)");
    expect(describeFsError(Object.assign(new Error("x"), { code: "EWHATEVER" }))).toBe("ewhatever (EWHATEVER)");
    expect(describeFsError(new Error("first line\nsecond"))).toBe("first line");
  });
});
