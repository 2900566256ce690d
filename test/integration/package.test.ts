/**
 * The packages as a user gets them: `npm pack` of adjoint and adjoint-runtime, the tarballs
 * installed into fresh projects offline (scripts/packed.ts: from the npm cache `npm ci` of this
 * repository filled), and the README's setups run there: the CLI (with tsx), the tsc plugin (with
 * TypeScript 5.9 and 6), Vitest with adjoint/vite, webpack with adjoint/webpack. Each project's
 * files are the README's, verbatim (checked below), so the README shows what is tested.
 *
 * Also: publint finds nothing to report in either tarball; an application's production install
 * (`npm prune --omit=dev`) is adjoint-runtime alone, and the built application runs on it.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { publint } from "publint";
import ts from "typescript";
import { formatMessage } from "publint/utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installOffline, packAll, type ProjectSpec, type Tarball } from "../../scripts/packed.ts";
import { ROOT, run } from "./helpers.ts";

// outside the repository, so that nothing resolves from its node_modules: a project has only what
// its install gave it
const BASE = path.join(os.tmpdir(), `adjoint-package-${process.pid}`);
const README = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
const NPX = (dir: string, bin: string) => path.join(dir, "node_modules/.bin", bin);

// ---------------------------------------------------------------- the README's files

const MODEL = `/** @differentiable @wrt w b */
export function loss(w: Float64Array, b: number, x: Float64Array, y: number): number {
  let z = b;
  for (let i = 0; i < w.length; i++) z += w[i] * x[i];
  const p = 1 / (1 + Math.exp(-z));
  return -(y * Math.log(p) + (1 - y) * Math.log(1 - p));
}
`;

const TSCONFIG = `{
  "compilerOptions": {
    "target": "ES2022",
    "module": "NodeNext",
    "strict": true,
    "rootDir": "src",
    "outDir": "dist",
    "plugins": [{ "transform": "adjoint/plugin", "transformProgram": true }]
  },
  "include": ["src"]
}
`;

const TRAIN_MARKERS = `import { grad } from "adjoint";
import { SGD } from "adjoint-runtime";
import { loss } from "./model.js";

const lossGrad = grad(loss); // the build replaces this with the generated lossGrad

const params = { w: new Float64Array([0.1, -0.2, 0.3]), b: 0 };
const x = new Float64Array([1, 2, -1]);
const sgd = new SGD({ lr: 0.1 });
for (let step = 0; step <= 100; step++) {
  const { value, grad: g } = lossGrad(params.w, params.b, x, 1);
  if (step % 25 === 0) console.log(\`step \${step}: loss \${value.toFixed(6)}\`);
  sgd.step(params, g); // params.w -= 0.1 * g.w, params.b -= 0.1 * g.b
}
`;

const TRAIN_GENERATED = `import { SGD } from "adjoint-runtime";
import { lossGrad } from "./model.grad.ts"; // written by \`adjoint gen src\`

const params = { w: new Float64Array([0.1, -0.2, 0.3]), b: 0 };
const x = new Float64Array([1, 2, -1]);
const sgd = new SGD({ lr: 0.1 });
for (let step = 0; step <= 100; step++) {
  const { value, grad } = lossGrad(params.w, params.b, x, 1);
  if (step % 25 === 0) console.log(\`step \${step}: loss \${value.toFixed(6)}\`);
  sgd.step(params, grad);
}
`;

const VITEST_CONFIG = `import { defineConfig } from "vitest/config";
import adjoint from "adjoint/vite";

export default defineConfig({
  plugins: [adjoint()],
});
`;

const VITEST_TEST = `import { expect, it } from "vitest";
import { grad } from "adjoint";
import { loss } from "../src/model.ts";
import { lossGrad } from "../src/model.grad.ts"; // compiled from model.ts by the plugin

it("differentiates loss", () => {
  const w = new Float64Array([0.1, -0.2, 0.3]);
  const x = new Float64Array([1, 2, -1]);
  const r = grad(loss)(w, 0, x, 1);
  expect(r).toEqual(lossGrad(w, 0, x, 1));
  expect(r.value).toBe(loss(w, 0, x, 1));
});
`;

const WEBPACK_CONFIG = `import path from "node:path";
import adjoint from "adjoint/webpack";

export default {
  mode: "production",
  target: "node",
  entry: "./src/train.ts",
  output: { path: path.resolve(import.meta.dirname, "dist"), filename: "train.cjs" },
  resolve: { extensions: [".ts", ".js"], extensionAlias: { ".js": [".ts", ".js"] } },
  module: { rules: [{ test: /\\.ts$/, loader: "ts-loader", options: { transpileOnly: true } }] },
  plugins: [adjoint()],
};
`;

const WEBPACK_TSCONFIG = `{
  "compilerOptions": {
    "target": "ES2022",
    "module": "NodeNext",
    "strict": true,
    "skipLibCheck": true
  },
  "include": ["src"]
}
`;

/** What the README says train.js prints (tsc, webpack and the CLI's tsx run print the same). */
const TRAINED = /^step 0: loss 1\.037488\nstep 25: loss 0\.\d+\nstep 50: loss 0\.\d+\nstep 75: loss 0\.\d+\nstep 100: loss 0\.014794\n$/;

// ---------------------------------------------------------------- projects

let tarballs: Tarball[];
const projects: string[] = [];

function project(name: string, spec: ProjectSpec, files: Record<string, string>): string {
  const dir = path.join(BASE, name);
  fs.rmSync(dir, { recursive: true, force: true });
  for (const [f, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), text);
  }
  installOffline(dir, tarballs, { ...spec, manifest: { type: "module", ...spec.manifest } });
  projects.push(dir);
  return dir;
}

/** The top-level packages in a project's node_modules. */
function installed(dir: string): string[] {
  const nm = path.join(dir, "node_modules");
  return fs.readdirSync(nm).filter((n) => !n.startsWith(".")).flatMap((n) => (n.startsWith("@") ? fs.readdirSync(path.join(nm, n)).map((m) => `${n}/${m}`) : [n])).sort();
}

/** An application's production install: `npm prune --omit=dev`, offline. */
function prune(dir: string): void {
  const r = spawnSync("npm", ["prune", "--omit=dev", "--offline", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: dir, encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
}

beforeAll(() => {
  fs.rmSync(BASE, { recursive: true, force: true });
  tarballs = packAll(path.join(BASE, "tarballs"));
}, 300_000);

afterAll(() => fs.rmSync(BASE, { recursive: true, force: true }));

describe("the tarballs", () => {
  it("are adjoint and adjoint-runtime, with compiled JavaScript and no sources beyond the export conditions'", async () => {
    expect(tarballs.map((t) => t.name)).toEqual(["adjoint", "adjoint-runtime"]);
    const adjointManifest = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
    expect(adjointManifest.bin.adjoint).toBe("./dist/cli/bin.js");
    expect(Object.keys(adjointManifest.dependencies)).not.toContain("tsx");
    expect(Object.keys(adjointManifest.dependencies)).not.toContain("esbuild");
    expect(Object.keys(adjointManifest.dependencies)).not.toContain("typescript");
    expect(adjointManifest.peerDependencies.typescript).toBe(">=5.3 <7");
    const runtimeManifest = JSON.parse(fs.readFileSync(path.join(ROOT, "runtime/package.json"), "utf8"));
    expect(runtimeManifest.dependencies).toBeUndefined();
  });

  it("the declarations they ship type-check (the ones of their dependencies aside)", () => {
    const files = [path.join(ROOT, "dist"), path.join(ROOT, "runtime/dist")].flatMap((d) =>
      (fs.readdirSync(d, { recursive: true }) as string[]).filter((f) => /\.d\.c?ts$/.test(f)).map((f) => path.join(d, f)));
    expect(files.length).toBeGreaterThan(20);
    const program = ts.createProgram(files, { strict: true, noEmit: true, skipLibCheck: false, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, types: ["node"] });
    const ours = ts.getPreEmitDiagnostics(program).filter((d) => d.file && !d.file.fileName.includes("/node_modules/"));
    expect(ours.map((d) => `${d.file!.fileName}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`)).toEqual([]);
  });

  it.each(["adjoint", "adjoint-runtime"])("%s: publint reports nothing, not even a suggestion", async (name) => {
    const t = tarballs.find((x) => x.name === name)!;
    const buffer = fs.readFileSync(t.file);
    const { messages, pkg } = await publint({ pack: { tarball: buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength) as ArrayBuffer }, level: "suggestion", strict: true });
    expect(messages.map((m) => formatMessage(m, pkg, { color: false }))).toEqual([]);
  });
});

describe("the README's setups, from the tarballs", () => {
  it("the setups' files are the README's", () => {
    for (const text of [MODEL, TSCONFIG, TRAIN_MARKERS, TRAIN_GENERATED, VITEST_CONFIG, VITEST_TEST, WEBPACK_CONFIG, WEBPACK_TSCONFIG]) expect(README).toContain(text);
  });

  it("CLI: adjoint gen a directory, run with tsx; --help and --version answer fast", { timeout: 300_000 }, async () => {
    const dir = project("cli", { dependencies: ["adjoint-runtime"], devDependencies: ["adjoint", "typescript", "tsx"] }, { "src/model.ts": MODEL, "src/train.ts": TRAIN_GENERATED });
    const gen = await run(dir, [NPX(dir, "adjoint"), "gen", "src"]);
    expect(gen.output).toBe("wrote src/model.grad.ts (loss)\n");
    expect(gen.status).toBe(0);
    expect(fs.readFileSync(path.join(dir, "src/model.grad.ts"), "utf8")).toContain('import { gradBuffer } from "adjoint-runtime";');
    const check = await run(dir, [NPX(dir, "adjoint"), "gen", "--check", "src/model.ts"]);
    expect(check.status).toBe(0);
    const trained = await run(dir, [NPX(dir, "tsx"), "src/train.ts"]);
    expect(trained.stderr).toBe("");
    expect(trained.stdout).toMatch(TRAINED);

    // the installed bin is compiled JavaScript: no TypeScript loader, no compiler for --help
    const bin = fs.realpathSync(NPX(dir, "adjoint"));
    expect(bin).toBe(path.join(dir, "node_modules/adjoint/dist/cli/bin.js"));
    const version = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).version;
    for (const args of [["--version"], ["--help"]]) {
      let best = Infinity;
      for (let i = 0; i < 3; i++) {
        const t0 = performance.now();
        const r = await run(dir, [bin, ...args]);
        best = Math.min(best, performance.now() - t0);
        expect(r.status).toBe(0);
        if (args[0] === "--version") expect(r.stdout).toBe(`${version}\n`);
      }
      // 0.1 s on a quiet machine (scripts/measure-package.ts); generous for a loaded one
      expect(best, `adjoint ${args[0]} took ${best.toFixed(0)} ms`).toBeLessThan(1000);
    }
  });

  it.each([
    { typescript: "typescript", version: "5.9" },
    { typescript: "typescript6", version: "6." },
  ])("tsc plugin with TypeScript $version: tspc builds and the built code runs on adjoint-runtime alone", { timeout: 300_000 }, async ({ typescript, version }) => {
    const dir = project(`tsc-${typescript}`, {
      dependencies: ["adjoint-runtime"],
      devDependencies: ["adjoint", "typescript", "ts-patch", "@types/node"],
      aliases: { typescript },
    }, { "tsconfig.json": TSCONFIG, "src/model.ts": MODEL, "src/train.ts": TRAIN_MARKERS });
    expect(JSON.parse(fs.readFileSync(path.join(dir, "node_modules/typescript/package.json"), "utf8")).version.startsWith(version)).toBe(true);
    const build = await run(dir, [NPX(dir, "tspc")]);
    expect(build.output).toBe("");
    expect(build.status).toBe(0);
    expect(fs.existsSync(path.join(dir, "src/model.grad.ts"))).toBe(true);
    expect(fs.readFileSync(path.join(dir, "dist/train.js"), "utf8")).not.toMatch(/from "adjoint"/);
    expect((await run(dir, ["dist/train.js"])).stdout).toMatch(TRAINED);

    // the production install of the application: the runtime, with no dependencies of its own
    prune(dir);
    expect(installed(dir)).toEqual(["adjoint-runtime"]);
    const trained = await run(dir, ["dist/train.js"]);
    expect(trained.stderr).toBe("");
    expect(trained.stdout).toMatch(TRAINED);
  });

  it("Vitest with adjoint/vite", { timeout: 300_000 }, async () => {
    const dir = project("vite", { dependencies: ["adjoint-runtime"], devDependencies: ["adjoint", "typescript", "vitest"] }, {
      "vitest.config.ts": VITEST_CONFIG, "src/model.ts": MODEL, "test/model.test.ts": VITEST_TEST,
    });
    const r = await run(dir, [NPX(dir, "vitest"), "run"]);
    expect(r.output).toMatch(/✓ test\/model\.test\.ts \(1 test\)/);
    expect(r.output).toMatch(/Tests\s+1 passed \(1\)/);
    expect(r.status).toBe(0);
    expect(fs.existsSync(path.join(dir, "src/model.grad.ts"))).toBe(false);
  });

  it("webpack with adjoint/webpack and ts-loader: the bundle runs", { timeout: 300_000 }, async () => {
    const dir = project("webpack", { devDependencies: ["adjoint", "adjoint-runtime", "typescript", "webpack", "webpack-cli", "ts-loader"] }, {
      "webpack.config.js": WEBPACK_CONFIG, "tsconfig.json": WEBPACK_TSCONFIG, "src/model.ts": MODEL, "src/train.ts": TRAIN_MARKERS,
    });
    const build = await run(dir, [NPX(dir, "webpack")]);
    expect(build.output).toMatch(/compiled successfully/);
    expect(build.status).toBe(0);
    expect(fs.existsSync(path.join(dir, "src/model.grad.ts"))).toBe(false);
    // a bundle needs nothing installed: the runtime is in it
    fs.rmSync(path.join(dir, "node_modules"), { recursive: true, force: true });
    const trained = await run(dir, ["dist/train.cjs"]);
    expect(trained.stderr).toBe("");
    expect(trained.stdout).toMatch(TRAINED);
  });
});
