/**
 * adjoint/esbuild, run for real: examples/plugin-project's train.ts bundled by esbuild (the
 * generated module compiled in memory, `grad(loss)` rewritten), then run; a broken annotated
 * function is a build error at its file, line and column.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BROKEN, ROOT, buildDist, run, removeTempProjects, tempProject } from "./helpers.ts";

const EXAMPLE = path.join(ROOT, "examples/plugin-project");

/** The README's build.mjs. */
const BUILD = `import * as esbuild from "esbuild";
import adjoint from "adjoint/esbuild";

await esbuild.build({
  entryPoints: ["src/train.ts"],
  bundle: true,
  platform: "node",
  format: "esm",
  outfile: "dist/train.mjs",
  plugins: [adjoint()],
});
`;

afterAll(removeTempProjects);

beforeAll(() => buildDist());

describe("adjoint/esbuild", () => {
  it("the build script is the README's", () => {
    expect(fs.readFileSync(path.join(ROOT, "README.md"), "utf8")).toContain(BUILD);
  });

  it("bundles train.ts with the generated module compiled in memory", { timeout: 240_000 }, async () => {
    const dir = tempProject("esbuild", { "build.mjs": BUILD }, EXAMPLE);
    // the bundle needs no model.grad.ts on disk
    expect(fs.existsSync(path.join(dir, "src/model.grad.ts"))).toBe(false);
    const build = await run(dir, ["build.mjs"]);
    expect(build.output).toBe("");
    expect(build.status).toBe(0);
    const bundle = fs.readFileSync(path.join(dir, "dist/train.mjs"), "utf8");
    expect(bundle).toContain("function lossGrad(");
    expect(bundle).not.toContain("was called at run time");
    const trained = await run(dir, ["dist/train.mjs"]);
    expect(trained.status).toBe(0);
    expect(trained.stdout).toMatch(/^step 0: loss 0\.693147$/m);
    expect(trained.stdout).toMatch(/^step 100: loss 0\.1\d+$/m);
  });

  it("rewrites markers of differentiable arrow functions, imported and declared in the same module", { timeout: 240_000 }, async () => {
    const dir = tempProject("esbuild-arrow", {
      "build.mjs": BUILD.replace("src/train.ts", "src/main.ts"),
      "src/arrow.ts": "/** @differentiable */\nexport const sq = (x: number, y: number): number => x * x * y;\n",
      "src/main.ts": [
        'import { grad } from "adjoint";',
        'import { sq } from "./arrow.ts";',
        "/** @differentiable */",
        "const cube = function (x: number): number {",
        "  return x * x * x;",
        "};",
        "console.log(JSON.stringify([grad(sq)(3, 2), grad(cube)(2)]));",
        "",
      ].join("\n"),
    });
    const build = await run(dir, ["build.mjs"]);
    expect(build.output).toBe("");
    expect(build.status).toBe(0);
    const r = await run(dir, ["dist/train.mjs"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([{ value: 18, grad: { x: 12, y: 9 } }, { value: 8, grad: { x: 12 } }]);
  });

  it("reports a broken annotated function at file:line:col", { timeout: 240_000 }, async () => {
    const dir = tempProject("esbuild-broken", {
      "build.mjs": BUILD.replace("src/train.ts", "src/main.ts"),
      "src/broken.ts": BROKEN,
      "src/main.ts": `import { grad } from "adjoint";\nimport { broken } from "./broken.ts";\nconsole.log(grad(broken)(1));\n`,
    });
    const r = await run(dir, ["build.mjs"]);
    expect(r.status).toBe(1);
    expect(r.output).toContain("src/broken.ts:4:2:");
    expect(r.output).toContain("AD1001: A try/catch statement is not supported in a differentiable function");
  });
});
