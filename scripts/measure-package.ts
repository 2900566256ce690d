/**
 * What installing adjoint costs a user, measured from the packed tarballs (scripts/packed.ts):
 *
 * - each tarball: size, file count, and bytes by top-level entry;
 * - installs into a fresh project: the application's production dependencies alone
 *   (`adjoint-runtime`), and with the development tools (`adjoint` and TypeScript, its peer), with
 *   the bytes of each top-level package;
 * - start-up of the installed `adjoint`: `--help`, `--version`, and `gen` of a one-function file;
 * - `tspc` over examples/plugin-project, with and without the plugin in tsconfig.json.
 *
 * Each timing is the best of `--runs N` (default 5), wall time: on a shared machine the minimum is
 * the least disturbed run, and still only indicative. Installs use the npm cache only, so run
 * `npm ci` in this repository first.
 *
 *   npx tsx scripts/measure-package.ts [--runs 5] [--json] [--root <checkout>]
 *
 * `--root` measures another checkout (after `npm ci` in it), an older commit say, by the same
 * procedure, for a before-and-after comparison on the same machine at the same time.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ROOT, installOffline, packAll } from "./packed.ts";

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf("--runs") + 1] || 0) || 5;
const json = args.includes("--json");
const root = args.includes("--root") ? path.resolve(args[args.indexOf("--root") + 1]) : ROOT;
const work = fs.mkdtempSync(path.join(os.tmpdir(), "adjoint-measure-"));

function run(cmd: string, argv: string[], cwd: string): void {
  const r = spawnSync(cmd, argv, { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(" ")} (in ${cwd}) exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
}

/** Best wall time of `runs` calls, in milliseconds. */
function best(f: () => void): number {
  let min = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    f();
    min = Math.min(min, Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return Math.round(min);
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

try {
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

  // ---------------------------------------------------------------- start-up
  const bin = path.join(app, "node_modules/.bin/adjoint");
  fs.writeFileSync(path.join(app, "model.ts"), `/** @differentiable */\nexport function f(x: number, y: number): number {\n  return x * Math.sin(y) + y * y;\n}\n`);
  const help = best(() => run(bin, ["--help"], app));
  const hasVersion = spawnSync(bin, ["--version"], { cwd: app }).status === 0;
  const version = hasVersion ? best(() => run(bin, ["--version"], app)) : null;
  const gen = best(() => {
    fs.rmSync(path.join(app, "model.grad.ts"), { force: true });
    run(bin, ["gen", "model.ts"], app);
  });

  // the application's production install: what it ships with
  run("npm", ["prune", "--omit=dev", "--offline", "--no-audit", "--no-fund", "--loglevel=error"], app);
  const productionInstall = { bytes: bytes(path.join(app, "node_modules")), packages: topLevel(path.join(app, "node_modules")) };

  // ---------------------------------------------------------------- tspc
  const project = path.join(work, "plugin-project");
  fs.cpSync(path.join(root, "examples/plugin-project"), project, { recursive: true, filter: (s) => !/node_modules|[/\\]dist$|\.grad\.ts$|package(-lock)?\.json$/.test(s) });
  installOffline(project, tarballs, { dependencies: production, devDependencies: [...tools, "ts-patch"], manifest: { type: "module" } }, root);
  const tspc = path.join(project, "node_modules/.bin/tspc");
  const withPlugin = best(() => {
    fs.rmSync(path.join(project, "src/model.grad.ts"), { force: true });
    fs.rmSync(path.join(project, "dist"), { recursive: true, force: true });
    run(tspc, ["-p", "."], project);
  });
  // without the plugin: the generated module stays on disk (from the last build) and train.ts
  // imports it instead of using the marker, so the program type-checks as plain TypeScript
  const train = fs.readFileSync(path.join(project, "src/train.ts"), "utf8");
  fs.writeFileSync(path.join(project, "src/train.ts"), train.replace(/^import \{ grad \} from "adjoint";$/m, "").replace(/\bgrad\(loss\)/g, "lossGrad"));
  const config = JSON.parse(fs.readFileSync(path.join(project, "tsconfig.json"), "utf8"));
  delete config.compilerOptions.plugins;
  fs.writeFileSync(path.join(project, "tsconfig.plain.json"), JSON.stringify(config, null, 2));
  const withoutPlugin = best(() => {
    fs.rmSync(path.join(project, "dist"), { recursive: true, force: true });
    run(tspc, ["-p", "tsconfig.plain.json"], project);
  });

  const result = {
    runs,
    node: process.version,
    tarballs: packs,
    install: { withTools: { bytes: withTools.bytes, withoutTypescript: withTools.bytes - typescriptBytes, packages: withTools.packages }, production: productionInstall },
    ms: { help, version, gen, tspcWithPlugin: withPlugin, tspcWithoutPlugin: withoutPlugin },
  };
  const mb = (b: number) => `${(b / 1e6).toFixed(2)} MB`;
  const kb = (b: number) => `${(b / 1e3).toFixed(1)} kB`;
  if (json) console.log(JSON.stringify(result, null, 2));
  else {
    for (const p of packs) {
      console.log(`${p.name}: tarball ${kb(p.size)}, unpacked ${kb(p.unpackedSize)}, ${p.files} files`);
      for (const [d, b] of Object.entries(p.byEntry).sort((a, b) => b[1] - a[1])) console.log(`  ${d.padEnd(24)} ${kb(b)}`);
    }
    console.log(`install with the tools (adjoint, typescript): ${mb(withTools.bytes)} (${mb(withTools.bytes - typescriptBytes)} without typescript)`);
    for (const p of withTools.packages) console.log(`  ${p.name.padEnd(28)} ${mb(p.bytes)}`);
    console.log(`production install (npm prune --omit=dev): ${mb(productionInstall.bytes)}: ${productionInstall.packages.map((p) => p.name).join(", ")}`);
    console.log(`best of ${runs} (indicative: wall time, node ${process.version}):`);
    console.log(`  adjoint --help          ${help} ms`);
    console.log(`  adjoint --version       ${version === null ? "(no --version)" : `${version} ms`}`);
    console.log(`  adjoint gen model.ts    ${gen} ms`);
    console.log(`  tspc, plugin-project    ${withPlugin} ms with the plugin, ${withoutPlugin} ms without`);
  }
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
