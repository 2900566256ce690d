/**
 * adjoint/plugin under ts-patch's `tspc`, run for real: examples/plugin-project is built (the
 * plugin writes src/model.grad.ts and rewrites `grad(loss)`), then run with plain Node; a broken
 * annotated function is a compiler error at its file, line and column.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileFiles } from "../../compiler/index.ts";
import { BROKEN, ROOT, TSPC, buildDist, childEnv, linkAdjoint, run, removeTempProjects, tempProject } from "./helpers.ts";

const EXAMPLE = path.join(ROOT, "examples/plugin-project");
const GENERATED = path.join(EXAMPLE, "src/model.grad.ts");

afterAll(removeTempProjects);

beforeAll(() => {
  buildDist();
  linkAdjoint(EXAMPLE);
});

describe("examples/plugin-project built with tspc", () => {
  it("generates model.grad.ts before type checking, emits, and trains", { timeout: 240_000 }, async () => {
    fs.rmSync(GENERATED, { force: true });
    fs.rmSync(path.join(EXAMPLE, "dist"), { recursive: true, force: true });

    const build = await run(EXAMPLE, [TSPC, "-p", "."]);
    expect(build.output).toBe("");
    expect(build.status).toBe(0);

    // the file the CLI would write, byte for byte
    const [cli] = await compileFiles([path.join(EXAMPLE, "src/model.ts")], { runtime: "adjoint-runtime" });
    expect(fs.readFileSync(GENERATED, "utf8")).toBe(cli.output);

    // grad(loss) became the generated function; the marker import is gone
    const train = fs.readFileSync(path.join(EXAMPLE, "dist/train.js"), "utf8");
    expect(train).toContain('import * as model_grad from "./model.grad.js";');
    expect(train).toContain("const lossAndGrad = model_grad.lossGrad;");
    expect(train).not.toMatch(/from "adjoint";/);
    expect(fs.existsSync(path.join(EXAMPLE, "dist/model.grad.js"))).toBe(true);

    const trained = await run(EXAMPLE, ["dist/train.js"]);
    expect(trained.stderr).toBe("");
    expect(trained.status).toBe(0);
    const losses = [...trained.stdout.matchAll(/step \d+: loss ([\d.]+)/g)].map((m) => Number(m[1]));
    expect(losses).toHaveLength(6);
    expect(losses[0]).toBeCloseTo(Math.log(2), 6);
    for (let i = 1; i < losses.length; i++) expect(losses[i]).toBeLessThan(losses[i - 1]);
    expect(losses.at(-1)).toBeLessThan(0.2);
    expect(trained.stdout).toMatch(/final loss 0\.\d+, \|dL\/db\| [\d.e+-]+, accuracy (9\d|100)\.\d%/);
  });
});

describe("in process", () => {
  it("compiles on the TypeScript that tsc runs, without a child process", { timeout: 240_000 }, async () => {
    const dir = tempProject("plugin-in-process", {
      // loaded before tspc: records the child processes started, and what the compiler's
      // require("typescript") returned (ts-patch loads typescript.js for itself, and runs its
      // patched tsc as a module of its own, the instance it hands to plugins)
      "watch.cjs": `const cp = require("node:child_process");
const Module = require("node:module");
const started = [];
for (const k of ["spawn", "spawnSync", "exec", "execSync", "execFile", "execFileSync", "fork"]) {
  const f = cp[k];
  cp[k] = function (...args) { started.push(k + " " + String(args[0])); return f.apply(this, args); };
}
const compilerGot = [];
let typescriptJs;
const load = Module._load;
Module._load = function (request, parent) {
  const exports = load.apply(this, arguments);
  if (request === "typescript" && parent && /[\\/]ts-patch[\\/]/.test(parent.filename)) typescriptJs = exports;
  if (request === "typescript" && parent && /[\\/]dist[\\/]cjs[\\/]compiler[\\/]/.test(parent.filename)) {
    compilerGot.push({ typescriptJs: exports === typescriptJs, createProgram: typeof exports.createProgram });
  }
  return exports;
};
process.on("exit", () => require("node:fs").writeFileSync("report.json", JSON.stringify({ started, compilerGot })));
`,
    }, EXAMPLE);
    const build = await run(dir, ["--require", "./watch.cjs", TSPC, "-p", "."]);
    expect(build.output).toBe("");
    expect(build.status).toBe(0);
    expect(fs.existsSync(path.join(dir, "src/model.grad.ts"))).toBe(true);
    const report = JSON.parse(fs.readFileSync(path.join(dir, "report.json"), "utf8"));
    expect(report.started).toEqual([]);
    expect(report.compilerGot.length).toBeGreaterThan(0);
    expect(report.compilerGot.every((g: { typescriptJs: boolean; createProgram: string }) => !g.typescriptJs && g.createProgram === "function")).toBe(true);
  });
});

describe("CommonJS output", () => {
  it("builds and runs the example as CommonJS (node10 resolution)", { timeout: 240_000 }, async () => {
    const dir = tempProject("plugin-cjs", {}, EXAMPLE);
    const config = JSON.parse(fs.readFileSync(path.join(dir, "tsconfig.json"), "utf8"));
    config.compilerOptions = { ...config.compilerOptions, module: "CommonJS", moduleResolution: "Node10", esModuleInterop: true };
    fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify(config, null, 2));
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ ...pkg, type: "commonjs" }, null, 2));

    const build = await run(dir, [TSPC, "-p", "."]);
    expect(build.output).toBe("");
    expect(build.status).toBe(0);
    expect(fs.readFileSync(path.join(dir, "dist/train.js"), "utf8")).toContain('const lossAndGrad = model_grad.lossGrad;');
    const trained = await run(dir, ["dist/train.js"]);
    expect(trained.stderr).toBe("");
    expect(trained.stdout).toMatch(/^step 100: loss 0\.1\d+$/m);
  });
});

describe("diagnostics in tspc's output", () => {
  it("locates an error found after lowering in a file shifted down by blank lines", { timeout: 240_000 }, async () => {
    // reverse mode reports this one (a BLAS call scaled by a differentiated number), at line 6
    // of the function's source; five blank lines above it move it to line 11
    const late = `import { scal } from "adjoint-runtime";
/** @differentiable */
export function late(x: Float64Array, a: number): number {
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = x[i];
  scal(y.length, a, y);
  return y[0];
}
`;
    const dir = tempProject("plugin-shifted", { "src/late.ts": "\n".repeat(5) + late }, EXAMPLE);
    const r = await run(dir, [TSPC, "-p", ".", "--noEmit"]);
    expect(r.status).toBe(2);
    expect(r.output).toContain("src/late.ts(11,3): error TS91001: Argument 2 of 'scal' depends on a differentiated input");
  });

  it("rewrites markers of differentiable arrow functions and function expressions", { timeout: 240_000 }, async () => {
    const dir = tempProject("plugin-arrow", {
      "src/arrow.ts": "/** @differentiable */\nexport const sq = (x: number, y: number): number => x * x * y;\n",
      "src/arrows.ts": [
        'import { grad } from "adjoint";',
        'import { sq } from "./arrow.js";',
        "/** @differentiable */",
        "const cube = function (x: number): number {",
        "  return x * x * x;",
        "};",
        "console.log(JSON.stringify([grad(sq)(3, 2).grad.y, grad(cube)(2)]));",
        "",
      ].join("\n"),
    }, EXAMPLE);
    const build = await run(dir, [TSPC, "-p", "."]);
    expect(build.output).toBe("");
    expect(build.status).toBe(0);
    const r = await run(dir, ["dist/arrows.js"]);
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual([9, { value: 8, grad: { x: 12 } }]);
  });

  it("reports adjoint errors and marker misuse as located compiler errors", { timeout: 240_000 }, async () => {
    const dir = tempProject("plugin-broken", {
      "src/broken.ts": BROKEN,
      "src/markers.ts": `import { grad, hessian, vjp } from "adjoint";
import { loss } from "./model.js";
import { broken } from "./broken.js";

export function plain(x: number): number {
  return x;
}
export const a = hessian(loss);
export const b = grad(plain);
export const c = vjp(loss);
export const d = grad(broken);
`,
    }, EXAMPLE);
    const r = await run(dir, [TSPC, "-p", ".", "--pretty"]);
    expect(r.status).toBe(2);
    expect(r.output).toContain("src/broken.ts:4:3 - error TS91001: A try/catch statement is not supported in a differentiable function");
    expect(r.output).toContain("(adjoint AD1001)");
    expect(r.output).toContain("src/markers.ts:8:18 - error TS91103: hessian(loss): adjoint generated no lossHessian for 'loss' (it has lossGrad). Ask for it in the function's comment: /** @differentiable @modes grad hessian */");
    expect(r.output).toContain("src/markers.ts:9:23 - error TS91102: grad(plain): 'plain' is not marked /** @differentiable */.");
    expect(r.output).toContain("src/markers.ts:10:18 - error TS91103: vjp(loss): 'loss' returns a number, so adjoint generates lossGrad for it, not lossVjp. Use grad(loss)");
    // grad(broken): its module's error is the one reported, once
    expect(r.output.match(/TS91001/g)).toHaveLength(1);
    expect(r.output).toMatch(/Found 4 errors in 2 files/);
    // nothing written for the broken module; the good one still generated
    expect(fs.existsSync(path.join(dir, "src/broken.grad.ts"))).toBe(false);
    expect(fs.existsSync(path.join(dir, "src/model.grad.ts"))).toBe(true);

    // without --pretty (tsc's default when not on a terminal): file(line,col); and an up-to-date
    // generated module is left alone (written only when it changes, so watch mode does not loop)
    const generated = path.join(dir, "src/model.grad.ts");
    const mtime = fs.statSync(generated).mtimeMs;
    const plain = await run(dir, [TSPC, "-p", ".", "--noEmit"]);
    expect(plain.output).toContain("src/broken.ts(4,3): error TS91001:");
    expect(fs.statSync(generated).mtimeMs).toBe(mtime);
  });
});

describe("a generated module formatted by the project", () => {
  it("is left as formatted while its code is current, and rewritten when it is not", { timeout: 240_000 }, async () => {
    const rc = { singleQuote: true, semi: false, printWidth: 60, trailingComma: "all" };
    const dir = tempProject("plugin-formatted", { ".prettierrc": `${JSON.stringify(rc)}\n` }, EXAMPLE);
    const generated = path.join(dir, "src/model.grad.ts");
    const first = await run(dir, [TSPC, "-p", "."]);
    expect(first.output).toBe("");
    const original = fs.readFileSync(generated, "utf8");
    // (.gitignore lists the generated module, which prettier would skip: it reads .prettierignore only)
    const format = await run(dir, [path.join(ROOT, "node_modules/prettier/bin/prettier.cjs"), "--ignore-path", ".prettierignore", "--write", "src/model.grad.ts"]);
    expect(format.status).toBe(0);
    const formatted = fs.readFileSync(generated, "utf8");
    expect(formatted).not.toBe(original);
    const old = new Date("2001-02-03T04:05:06Z");
    fs.utimesSync(generated, old, old);

    // rebuilt: the formatted file stays, byte for byte, and the build emits and trains as before
    fs.rmSync(path.join(dir, "dist"), { recursive: true, force: true });
    const second = await run(dir, [TSPC, "-p", "."]);
    expect(second.output).toBe("");
    expect(second.status).toBe(0);
    expect(fs.readFileSync(generated, "utf8")).toBe(formatted);
    expect(fs.statSync(generated).mtimeMs).toBe(old.getTime());
    const trained = await run(dir, ["dist/train.js"]);
    expect(trained.status).toBe(0);
    expect(trained.stdout).toMatch(/^step 100: loss 0\.1\d+$/m);

    // a change to its code: rewritten as adjoint generates it
    fs.writeFileSync(generated, formatted.replace(/return \{ value: /, "return { value: -"));
    const third = await run(dir, [TSPC, "-p", ".", "--noEmit"]);
    expect(third.output).toBe("");
    expect(fs.readFileSync(generated, "utf8")).toBe(original);
  });
});

/** A long-running process and a way to wait for what it prints (stdout and stderr, in order). */
function startProcess(cwd: string, args: string[]) {
  const child = spawn(process.execPath, args, { cwd, env: childEnv() });
  let all = "";
  child.stdout.setEncoding("utf8").on("data", (s: string) => (all += s));
  child.stderr.setEncoding("utf8").on("data", (s: string) => (all += s));
  return { child, output: () => all, mark: () => all.length };
}

/** Polls until `test()` holds (or fails after `ms`, showing `output()`). */
async function until(what: string, test: () => boolean, output: () => string, ms = 120_000): Promise<void> {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}:\n${output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const edited = (text: string) => text.replace("return total / n;", "return (2 * total) / n;");
/** The edit as the generated code has it: `const t21 = 2 * total;`. */
const EDITED = / = 2 \* total;/;
const stepZero = (stdout: string) => Number(/^step 0: loss ([\d.]+)$/m.exec(stdout)?.[1]);

describe("tspc --watch and --incremental", () => {
  it("--watch regenerates and re-emits after edits of a @differentiable file, and reports errors without dying", { timeout: 300_000 }, async () => {
    const dir = tempProject("plugin-watch", {}, EXAMPLE);
    const model = path.join(dir, "src/model.ts");
    const generated = path.join(dir, "src/model.grad.ts");
    const emitted = path.join(dir, "dist/model.grad.js");
    const w = startProcess(dir, [TSPC, "-p", ".", "--watch", "--preserveWatchOutput"]);
    const idle = (from: number) => () => /Found 0 errors\. Watching for file changes\./.test(w.output().slice(from));
    try {
      await until("the first build", () => idle(0)() && fs.existsSync(emitted), w.output);
      expect(w.output()).not.toMatch(/Debug Failure|error TS/);
      expect(stepZero((await run(dir, ["dist/train.js"])).stdout)).toBeCloseTo(Math.log(2), 6);

      // edit the model: model.grad.ts is rewritten, dist/model.grad.js re-emitted, and train.js uses it
      const source = fs.readFileSync(model, "utf8");
      let at = w.mark();
      fs.writeFileSync(model, edited(source));
      const [want] = await compileFiles([model], { runtime: "adjoint-runtime" });
      await until("model.grad.ts regenerated", () => fs.readFileSync(generated, "utf8") === want.output, w.output);
      await until("the rebuild", () => idle(at)() && EDITED.test(fs.readFileSync(emitted, "utf8")), w.output);
      expect(w.output().slice(at)).not.toMatch(/Debug Failure|error TS/);
      expect(stepZero((await run(dir, ["dist/train.js"])).stdout)).toBeCloseTo(2 * Math.log(2), 6);

      // an adjoint error: reported at its place, and the watch goes on
      at = w.mark();
      fs.writeFileSync(model, source.replace("let total = 0;", "let total = 0;\n  try { total = 1; } catch { total = 2; }"));
      await until("the error", () => /Found 1 error\. Watching for file changes\./.test(w.output().slice(at)), w.output);
      expect(w.output().slice(at)).toMatch(/src\/model\.ts\(\d+,3\): error TS91001: A try\/catch statement is not supported/);
      expect(w.child.exitCode).toBe(null);

      // fixed: built again
      at = w.mark();
      fs.writeFileSync(model, source);
      await until("the fixed build", () => idle(at)() && !EDITED.test(fs.readFileSync(emitted, "utf8")), w.output);
      expect(w.output()).not.toMatch(/Debug Failure/);
      expect(stepZero((await run(dir, ["dist/train.js"])).stdout)).toBeCloseTo(Math.log(2), 6);
    } finally {
      w.child.kill();
    }
  });

  it("--incremental rebuilds after an edit, re-emitting the generated module, and leaves an unchanged build alone", { timeout: 300_000 }, async () => {
    const dir = tempProject("plugin-incremental", {}, EXAMPLE);
    const model = path.join(dir, "src/model.ts");
    const emitted = path.join(dir, "dist/model.grad.js");
    const first = await run(dir, [TSPC, "-p", ".", "--incremental"]);
    expect(first.output).toBe("");
    expect(first.status).toBe(0);
    expect(stepZero((await run(dir, ["dist/train.js"])).stdout)).toBeCloseTo(Math.log(2), 6);

    fs.writeFileSync(model, edited(fs.readFileSync(model, "utf8")));
    const second = await run(dir, [TSPC, "-p", ".", "--incremental"]);
    expect(second.output).toBe("");
    expect(second.status).toBe(0);
    expect(fs.readFileSync(emitted, "utf8")).toMatch(EDITED);
    expect(stepZero((await run(dir, ["dist/train.js"])).stdout)).toBeCloseTo(2 * Math.log(2), 6);

    // nothing changed: nothing re-emitted (the generated module's version matches .tsbuildinfo)
    const mtime = fs.statSync(emitted).mtimeMs;
    const third = await run(dir, [TSPC, "-p", ".", "--incremental"]);
    expect(third.output).toBe("");
    expect(third.status).toBe(0);
    expect(fs.statSync(emitted).mtimeMs).toBe(mtime);
  });
});
