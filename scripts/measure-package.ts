/**
 * What installing adjoint costs a user, measured from the packed tarballs (scripts/packed.ts):
 *
 * - each tarball: size, file count, and bytes by top-level entry;
 * - installs into a fresh project: the application's production dependencies alone
 *   (`adjoint-runtime`), and with the development tools (`adjoint` and TypeScript, its peer), with
 *   the bytes of each top-level package;
 * - start-up of the installed `adjoint`: `--help`, `--version`, and `gen` of a one-function file,
 *   with the command's code cache (cli/startup.ts) filled by an earlier run, and with it empty
 *   (a first run after an install or an upgrade); and `node` doing nothing, the floor of them all;
 * - a warm compile in one process, with the installed `adjoint/compiler`: the one-function file,
 *   and the fixtures (fixtures/programs, fixtures/seeds) per annotated function;
 * - `tspc` over examples/plugin-project, with and without the plugin in tsconfig.json.
 *
 * Each timing is the best of `--runs N` (default 5), wall time: on a shared machine the minimum is
 * the least disturbed run, and still only indicative. Installs use the npm cache only, so run
 * `npm ci` in this repository first.
 *
 *   npm run bench:tooling                  # prints, and rewrites docs/benchmarks.md's Tooling section
 *   npx tsx scripts/measure-package.ts [--runs 5] [--json] [--root <checkout>] [--before <checkout>] [--write]
 *
 * `--root` measures another checkout (after `npm ci` in it), an older commit say, by the same
 * procedure. `--before <checkout>` measures that checkout too, in the same run on the same
 * machine, for a before-and-after comparison. `--write` replaces the "Tooling" section of
 * docs/benchmarks.md (of this repository) with the figures, leaving every other section as it is.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ROOT, installOffline, packAll } from "./packed.ts";

const args = process.argv.slice(2);
const option = (name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const runs = Number(option("--runs") || 0) || 5;
const json = args.includes("--json");
const write = args.includes("--write");
const root = option("--root") ? path.resolve(option("--root")!) : ROOT;
const before = option("--before") ? path.resolve(option("--before")!) : undefined;

/**
 * The environment of the measured commands. Each checkout's commands keep their code cache in a
 * directory of their own, under the work directory (`cache`), so that nothing outside it (a
 * cache another run filled, NODE_DISABLE_COMPILE_CACHE) decides what is measured.
 */
function environment(cache?: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
  delete env.NODE_COMPILE_CACHE;
  delete env.NODE_DISABLE_COMPILE_CACHE;
  return cache ? { ...env, NODE_COMPILE_CACHE: cache } : env;
}

function run(cmd: string, argv: string[], cwd: string, cache?: string): string {
  const r = spawnSync(cmd, argv, { cwd, encoding: "utf8", env: environment(cache) });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(" ")} (in ${cwd}) exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function bytes(dir: string): number {
  let total = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) total += fs.statSync(path.join(e.parentPath, e.name)).size;
  }
  return total;
}

function topLevel(nodeModules: string): { name: string; bytes: number }[] {
  if (!fs.existsSync(nodeModules)) return [];
  return fs.readdirSync(nodeModules)
    .filter((n) => !n.startsWith("."))
    .flatMap((n) => (n.startsWith("@") ? fs.readdirSync(path.join(nodeModules, n)).map((m) => `${n}/${m}`) : [n]))
    .map((name) => ({ name, bytes: bytes(path.join(nodeModules, name)) }))
    .sort((a, b) => b.bytes - a.bytes);
}

/**
 * Run in the installed application with plain node: compiles each file once (cold: TypeScript's
 * library files are parsed then), then `runs` more times, and prints the best of those warm
 * compiles per file, with the number of annotated functions in it.
 */
const WARM = `import fs from "node:fs";
import { compileFiles } from "adjoint/compiler";
const [runs, ...files] = process.argv.slice(2);
const out = [];
for (const file of files) {
  const t0 = performance.now();
  const [cold] = compileFiles([file]);
  const coldMs = performance.now() - t0;
  if (!cold.output || cold.diagnostics.length > 0) throw new Error(file + ": " + JSON.stringify(cold.diagnostics));
  let warm = Infinity;
  for (let i = 0; i < Number(runs); i++) {
    const t = performance.now();
    compileFiles([file]);
    warm = Math.min(warm, performance.now() - t);
  }
  const functions = (fs.readFileSync(file, "utf8").match(/@differentiable/g) ?? []).length;
  out.push({ file, functions, coldMs, warmMs: warm });
}
console.log(JSON.stringify(out));
`;

interface WarmCompile { file: string; functions: number; coldMs: number; warmMs: number }

/** A checkout packed and installed: an application, and examples/plugin-project. */
function install(root: string, work: string) {
  // ---------------------------------------------------------------- tarballs
  const tarballs = packAll(path.join(work, "tarballs"), root);
  // an application's production dependency: the runtime package, where there is one (without
  // it, generated code imports adjoint/runtime, so adjoint itself is a production dependency)
  const split = tarballs.some((t) => t.name === "adjoint-runtime");
  const production = split ? ["adjoint-runtime"] : ["adjoint"];
  const tools = split ? ["adjoint", "typescript"] : ["typescript"];
  const packs = tarballs.map((t) => {
    const dir = t.name === "adjoint" ? root : path.join(root, "runtime");
    const r = spawnSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: dir, encoding: "utf8" });
    const info = JSON.parse(r.stdout.slice(r.stdout.indexOf("[")))[0];
    const byEntry: Record<string, number> = {};
    for (const f of info.files as { path: string; size: number }[]) {
      // dist/ by its subdirectories (dist/compiler/, …), everything else by its top-level entry
      const parts = f.path.split("/");
      const depth = parts[0] === "dist" && parts.length > 2 ? 2 : 1;
      const top = parts.length > depth ? `${parts.slice(0, depth).join("/")}/` : f.path;
      byEntry[top] = (byEntry[top] ?? 0) + f.size;
    }
    return { name: t.name, size: fs.statSync(t.file).size, unpackedSize: info.unpackedSize as number, files: info.entryCount as number, byEntry };
  });

  // ---------------------------------------------------------------- installs
  const app = path.join(work, "app");
  installOffline(app, tarballs, { dependencies: production, devDependencies: tools, manifest: { type: "module" } }, root);
  const withTools = { bytes: bytes(path.join(app, "node_modules")), packages: topLevel(path.join(app, "node_modules")) };
  const typescriptBytes = withTools.packages.find((p) => p.name === "typescript")?.bytes ?? 0;
  fs.writeFileSync(path.join(app, "model.ts"), `/** @differentiable */\nexport function f(x: number, y: number): number {\n  return x * Math.sin(y) + y * y;\n}\n`);
  const bin = path.join(app, "node_modules/.bin/adjoint");

  const project = path.join(work, "plugin-project");
  fs.cpSync(path.join(root, "examples/plugin-project"), project, { recursive: true, filter: (s) => !/node_modules|[/\\]dist$|\.grad\.ts$|package(-lock)?\.json$/.test(s) });
  installOffline(project, tarballs, { dependencies: production, devDependencies: [...tools, "ts-patch"], manifest: { type: "module" } }, root);
  const tspc = path.join(project, "node_modules/.bin/tspc");
  // without the plugin: a copy of src/ (plain/) with the generated module of a first build, and
  // train.ts importing it instead of using the marker, so the program type-checks as plain
  // TypeScript
  run(tspc, ["-p", "."], project);
  fs.cpSync(path.join(project, "src"), path.join(project, "plain"), { recursive: true });
  const train = fs.readFileSync(path.join(project, "plain/train.ts"), "utf8");
  fs.writeFileSync(path.join(project, "plain/train.ts"), train.replace(/^import \{ grad \} from "adjoint";$/m, "").replace(/\bgrad\(loss\)/g, "lossGrad"));
  const config = JSON.parse(fs.readFileSync(path.join(project, "tsconfig.json"), "utf8"));
  delete config.compilerOptions.plugins;
  Object.assign(config.compilerOptions, { rootDir: "plain", outDir: "dist-plain" });
  config.include = ["plain"];
  fs.writeFileSync(path.join(project, "tsconfig.plain.json"), JSON.stringify(config, null, 2));

  return {
    root,
    commit: spawnSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8" }).stdout.trim(),
    packs, app, bin, project, tspc, withTools, typescriptBytes,
    // where the command keeps its code cache; none for a checkout whose command keeps none (on
    // Node >= 22.1 the variable would turn on Node's own cache for it, which its users do not get)
    cache: fs.existsSync(path.join(app, "node_modules/adjoint/dist/cli/startup.js")) ? path.join(work, "compile-cache") : undefined,
    hasVersion: spawnSync(bin, ["--version"], { cwd: app }).status === 0,
  };
}

type Installed = ReturnType<typeof install>;

/** The timed commands of one installed checkout. */
function commands(i: Installed): Record<"node" | "help" | "version" | "gen" | "genFirst" | "npxGen" | "tspcWithPlugin" | "tspcWithoutPlugin", (() => void) | null> {
  const gen = (cmd: string, argv: string[]) => () => {
    fs.rmSync(path.join(i.app, "model.grad.ts"), { force: true });
    run(cmd, argv, i.app, i.cache);
  };
  return {
    node: () => run(process.execPath, ["-e", ""], i.app),
    help: () => run(i.bin, ["--help"], i.app, i.cache),
    version: i.hasVersion ? () => run(i.bin, ["--version"], i.app, i.cache) : null,
    // after the first round, with the code cache the runs before it left
    gen: gen(i.bin, ["gen", "model.ts"]),
    // with an empty code cache: the first run after an install, or an upgrade of Node or TypeScript
    genFirst: () => {
      if (i.cache) fs.rmSync(i.cache, { recursive: true, force: true });
      gen(i.bin, ["gen", "model.ts"])();
    },
    // `npx adjoint gen`: npx finds the installed bin, and adds its own start-up
    npxGen: gen("npx", ["--no-install", "adjoint", "gen", "model.ts"]),
    tspcWithPlugin: () => {
      fs.rmSync(path.join(i.project, "src/model.grad.ts"), { force: true });
      fs.rmSync(path.join(i.project, "dist"), { recursive: true, force: true });
      run(i.tspc, ["-p", "."], i.project);
    },
    tspcWithoutPlugin: () => {
      fs.rmSync(path.join(i.project, "dist-plain"), { recursive: true, force: true });
      run(i.tspc, ["-p", "tsconfig.plain.json"], i.project);
    },
  };
}

/**
 * Best wall time of each command over `runs` rounds, in milliseconds. Each round runs every
 * command of every checkout once, in turn, so that a checkout measured before another does not
 * meet a quieter or busier machine than it.
 */
function timeAll(installs: Installed[]): Record<string, number | null>[] {
  const cmds = installs.map(commands);
  const mins = installs.map(() => new Map<string, number>());
  for (let r = 0; r < runs; r++) {
    for (const name of Object.keys(cmds[0]!) as (keyof ReturnType<typeof commands>)[]) {
      installs.forEach((_, k) => {
        const f = cmds[k]![name];
        if (!f) return;
        const t0 = process.hrtime.bigint();
        f();
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        mins[k]!.set(name, Math.min(mins[k]!.get(name) ?? Infinity, ms));
      });
    }
  }
  return mins.map((m, k) => Object.fromEntries(Object.keys(cmds[k]!).map((n) => [n, m.has(n) ? Math.round(m.get(n)!) : null])));
}

/**
 * Warm compiles in one process per checkout, with its installed compiler: the processes of the
 * checkouts take turns, three rounds, and each file's figure is its best over them.
 */
function warmCompiles(installs: Installed[]) {
  const lists = installs.map((i) => {
    const fixtures = ["fixtures/programs", "fixtures/seeds"].flatMap((d) =>
      fs.readdirSync(path.join(i.root, d)).filter((f) => f.endsWith(".ts") && !f.endsWith(".grad.ts")).map((f) => path.join(d, f)));
    for (const f of fixtures) fs.cpSync(path.join(i.root, f), path.join(i.app, f));
    fs.writeFileSync(path.join(i.app, "warm.mjs"), WARM);
    return fixtures;
  });
  const bests: WarmCompile[][] = installs.map(() => []);
  for (let round = 0; round < 3; round++) {
    installs.forEach((i, k) => {
      const got = JSON.parse(run(process.execPath, ["warm.mjs", String(Math.max(runs, 5)), "model.ts", ...lists[k]!], i.app)) as WarmCompile[];
      bests[k] = got.map((w, n) => {
        const b = bests[k]![n];
        return b ? { ...w, coldMs: Math.min(b.coldMs, w.coldMs), warmMs: Math.min(b.warmMs, w.warmMs) } : w;
      });
    });
  }
  return bests.map((warm) => {
    const fixtureFunctions = warm.slice(1).reduce((n, w) => n + w.functions, 0);
    const fixtureMs = warm.slice(1).reduce((t, w) => t + w.warmMs, 0);
    return {
      oneFunction: Math.round(warm[0]!.warmMs * 10) / 10,
      oneFunctionCold: Math.round(warm[0]!.coldMs),
      perFunction: Math.round((fixtureMs / fixtureFunctions) * 10) / 10,
      worstPerFunction: Math.round(Math.max(...warm.slice(1).map((w) => w.warmMs / w.functions)) * 10) / 10,
      fixtureFunctions,
      files: warm,
    };
  });
}

function measure(installs: Installed[]) {
  const times = timeAll(installs);
  const compiles = warmCompiles(installs);
  return installs.map((i, k) => {
    const compile = compiles[k]!;
    // the application's production install: what it ships with
    run("npm", ["prune", "--omit=dev", "--offline", "--no-audit", "--no-fund", "--loglevel=error"], i.app);
    const productionInstall = { bytes: bytes(path.join(i.app, "node_modules")), packages: topLevel(path.join(i.app, "node_modules")) };
    const ms = times[k]!;
    return {
      commit: i.commit,
      tarballs: i.packs,
      install: { withTools: { bytes: i.withTools.bytes, withoutTypescript: i.withTools.bytes - i.typescriptBytes, packages: i.withTools.packages }, production: productionInstall },
      compile,
      ms: { node: ms.node!, help: ms.help!, version: ms.version ?? null, gen: ms.gen!, genFirst: ms.genFirst!, npxGen: ms.npxGen!, tspcWithPlugin: ms.tspcWithPlugin!, tspcWithoutPlugin: ms.tspcWithoutPlugin! },
    };
  });
}

type Measured = ReturnType<typeof measure>[number];

const mb = (b: number) => `${(b / 1e6).toFixed(2)} MB`;
const kb = (b: number) => `${(b / 1e3).toFixed(1)} kB`;
const overhead = (m: Measured) => {
  const pct = Math.round((m.ms.tspcWithPlugin / m.ms.tspcWithoutPlugin - 1) * 100);
  return pct < 0 ? `${pct}%` : `+${pct}%`;
};

function print(label: string, m: Measured): void {
  console.log(`${label} (${m.commit})`);
  for (const p of m.tarballs) {
    console.log(`${p.name}: tarball ${kb(p.size)}, unpacked ${kb(p.unpackedSize)}, ${p.files} files`);
    for (const [d, b] of Object.entries(p.byEntry).sort((a, b) => b[1] - a[1])) console.log(`  ${d.padEnd(24)} ${kb(b)}`);
  }
  console.log(`install with the tools (adjoint, typescript): ${mb(m.install.withTools.bytes)} (${mb(m.install.withTools.withoutTypescript)} without typescript)`);
  for (const p of m.install.withTools.packages) console.log(`  ${p.name.padEnd(28)} ${mb(p.bytes)}`);
  console.log(`production install (npm prune --omit=dev): ${mb(m.install.production.bytes)}: ${m.install.production.packages.map((p) => p.name).join(", ")}`);
  console.log(`best of ${runs} (indicative: wall time, node ${process.version}, load average ${load.start} to ${load.end}):`);
  console.log(`  node -e ""              ${m.ms.node} ms`);
  console.log(`  adjoint --help          ${m.ms.help} ms`);
  console.log(`  adjoint --version       ${m.ms.version === null ? "(no --version)" : `${m.ms.version} ms`}`);
  console.log(`  adjoint gen model.ts    ${m.ms.gen} ms (npx adjoint gen: ${m.ms.npxGen} ms; with an empty code cache: ${m.ms.genFirst} ms)`);
  console.log(`  warm compile            ${m.compile.oneFunction} ms for model.ts; ${m.compile.perFunction} ms per function over ${m.compile.fixtureFunctions} fixture functions (worst file ${m.compile.worstPerFunction} ms)`);
  for (const w of m.compile.files) console.log(`    ${w.file.padEnd(32)} ${String(w.functions).padStart(3)} functions  ${w.warmMs.toFixed(1)} ms warm, ${w.coldMs.toFixed(0)} ms cold`);
  console.log(`  tspc, plugin-project    ${m.ms.tspcWithPlugin} ms with the plugin, ${m.ms.tspcWithoutPlugin} ms without (${overhead(m)})`);
}

/** The Tooling section of docs/benchmarks.md. */
function section(after: Measured, before: Measured | undefined, load: { start: string; end: string }): string {
  const cpu = os.cpus()[0]?.model.split(" ").slice(0, 2).join(" ") ?? "unknown CPU";
  const cols = before ? `| | before (${before.commit}) | after (${after.commit}) | goal |` : `| | ${after.commit} | goal |`;
  const rule = before ? "| --- | ---: | ---: | --- |" : "| --- | ---: | --- |";
  const row = (name: string, f: (m: Measured) => string, goal: string) =>
    before ? `| ${name} | ${f(before)} | ${f(after)} | ${goal} |` : `| ${name} | ${f(after)} | ${goal} |`;
  const ms = (v: number | null) => (v === null ? "–" : `${v} ms`);
  const runtime = (m: Measured) => m.tarballs.find((t) => t.name === "adjoint-runtime");
  return [
    "## Tooling",
    "",
    "What the command, the compiler and the tsc plugin cost, measured from the packed tarballs",
    "installed into a fresh project (scripts/measure-package.ts; this section is its output):",
    "",
    "```sh",
    "npm run bench:tooling                          # prints, and rewrites this section",
    "npm run bench:tooling -- --before <checkout>   # and an older checkout, side by side",
    "```",
    "",
    `${cpu}, ${os.cpus().length} cores, Node ${process.version}, ${os.platform()} ${os.arch()}; best of ${runs} runs, wall time,`,
    `the checkouts taking turns run by run; load average ${load.start} at the start, ${load.end} at the end.`,
    "Indicative: the figures move with whatever else the machine is running.",
    "",
    cols,
    rule,
    row("`node -e \"\"` (Node's own start-up, the floor)", (m) => ms(m.ms.node), ""),
    row("`adjoint --help`", (m) => ms(m.ms.help), "< 300 ms"),
    row("`adjoint --version`", (m) => ms(m.ms.version), "< 300 ms"),
    row("`adjoint gen` on a one-function file", (m) => ms(m.ms.gen), "≤ 400 ms"),
    row("the same, with an empty code cache (a first run)", (m) => ms(m.ms.genFirst), ""),
    row("`npx adjoint gen` on a one-function file", (m) => ms(m.ms.npxGen), "≤ 800 ms"),
    row("warm compile of that file, in process", (m) => `${m.compile.oneFunction} ms`, ""),
    row("warm compile per function (the fixtures)", (m) => `${m.compile.perFunction} ms (${m.compile.fixtureFunctions})`, "≤ 50 ms"),
    row("the same, the slowest fixture file", (m) => `${m.compile.worstPerFunction} ms`, ""),
    row("`tspc` on examples/plugin-project, without the plugin", (m) => ms(m.ms.tspcWithoutPlugin), ""),
    row("`tspc` with the plugin", (m) => `${m.ms.tspcWithPlugin} ms (${overhead(m)})`, "≤ +20%"),
    row("production install of an application (runtime only)", (m) => mb(m.install.production.bytes), ""),
    row("development install (adjoint, typescript)", (m) => mb(m.install.withTools.bytes), ""),
    row("the same, without typescript", (m) => mb(m.install.withTools.withoutTypescript), ""),
    row("adjoint tarball (unpacked)", (m) => kb(m.tarballs.find((t) => t.name === "adjoint")!.unpackedSize), ""),
    row("adjoint-runtime tarball (unpacked)", (m) => (runtime(m) ? kb(runtime(m)!.unpackedSize) : "–"), ""),
    "",
    "`adjoint gen` runs with the code cache an earlier run left (cli/startup.ts: V8's compiled",
    "TypeScript, in a compile cache directory of the measurement's own); the row after it empties",
    "that directory before each run, as after an install or an upgrade of Node or TypeScript.",
    "`npx adjoint gen` is `adjoint gen` and npx's own start-up.",
    "The warm compile is `compileFiles` of the installed `adjoint/compiler`, after one cold compile",
    "in the same process (which parses TypeScript's library files, shared by later programs); per",
    "function, the time of each file of fixtures/programs and fixtures/seeds over its annotated",
    "functions (their number in brackets: each checkout compiles its own fixtures), and the",
    "slowest file's. `tspc` without the plugin builds the same project with the generated module",
    "already on disk and imported instead of the marker.",
    "The development install's packages:",
    "",
    "| package | bytes |",
    "| --- | ---: |",
    ...after.install.withTools.packages.map((p) => `| ${p.name} | ${mb(p.bytes)} |`),
    "",
  ].join("\n");
}

/** Replaces the "## Tooling" section of `file` (up to the next `## ` heading), or appends it. */
function writeSection(file: string, text: string): void {
  const doc = fs.readFileSync(file, "utf8");
  const start = doc.search(/^## Tooling$/m);
  if (start < 0) {
    fs.writeFileSync(file, `${doc.trimEnd()}\n\n${text}`);
    return;
  }
  const rest = doc.slice(start + 1);
  const next = rest.search(/^## /m);
  const end = next < 0 ? doc.length : start + 1 + next;
  fs.writeFileSync(file, `${doc.slice(0, start)}${text}${next < 0 ? "" : `\n${doc.slice(end)}`}`);
}

const loadAverage = () => os.loadavg()[0]!.toFixed(1);
const load = { start: loadAverage(), end: "" };
const work = fs.mkdtempSync(path.join(os.tmpdir(), "adjoint-measure-"));
try {
  const installs = [install(root, path.join(work, "after")), ...(before ? [install(before, path.join(work, "before"))] : [])];
  const [after, earlier] = measure(installs) as [Measured, Measured | undefined];
  load.end = loadAverage();
  if (json) console.log(JSON.stringify({ runs, node: process.version, load, after, before: earlier }, null, 2));
  else {
    if (earlier) print("before", earlier);
    print(earlier ? "after" : "measured", after);
  }
  if (write) {
    writeSection(path.join(ROOT, "docs/benchmarks.md"), section(after, earlier, load));
    console.log("docs/benchmarks.md: Tooling section written");
  }
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
