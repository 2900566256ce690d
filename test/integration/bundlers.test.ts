/**
 * adjoint's bundler plugin under webpack (with ts-loader), Rollup (with rollup-plugin-esbuild)
 * and Rolldown, with the README's configs, run for real: examples/plugin-project's train.ts is bundled (the generated module
 * compiled in memory, `grad(loss)` rewritten) and the bundle trains; a broken annotated function
 * fails the build with adjoint's located message. (Vite and esbuild: vite.test.ts, esbuild.test.ts.)
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BROKEN, ROOT, buildDist, run, removeTempProjects, tempProject } from "./helpers.ts";

const EXAMPLE = path.join(ROOT, "examples/plugin-project");
const WEBPACK = path.join(ROOT, "node_modules/webpack-cli/bin/cli.js");
const ROLLUP = path.join(ROOT, "node_modules/rollup/dist/bin/rollup");
const ROLLDOWN = path.join(ROOT, "node_modules/rolldown/bin/cli.mjs");

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

const ROLLUP_CONFIG = `import adjoint from "adjoint/rollup";
import esbuild from "rollup-plugin-esbuild";

export default {
  input: "src/train.ts",
  output: { file: "dist/train.mjs", format: "es" },
  external: ["adjoint-runtime"],
  plugins: [adjoint(), esbuild()],
};
`;

const ROLLDOWN_CONFIG = `import { defineConfig } from "rolldown";
import adjoint from "adjoint/rolldown";

export default defineConfig({
  input: "src/train.ts",
  platform: "node",
  output: { file: "dist/train.mjs" },
  plugins: [adjoint()],
});
`;

const BROKEN_MAIN = `import { grad } from "adjoint";\nimport { broken } from "./broken.js";\nconsole.log(grad(broken)(1));\n`;

interface Bundler {
  name: string;
  files: Record<string, string>;
  build: string[];
  out: string;
  /** Builds src/main.ts instead of src/train.ts. */
  retarget: (files: Record<string, string>) => Record<string, string>;
  /** What the bundler prints on success (a size summary) when it cannot be told not to. */
  summary?: RegExp;
}

const BUNDLERS: Bundler[] = [
  {
    name: "webpack",
    files: { "webpack.config.js": WEBPACK_CONFIG },
    build: [WEBPACK, "--stats=errors-only"],
    out: "dist/train.cjs",
    retarget: (f) => ({ "webpack.config.js": f["webpack.config.js"].replace("./src/train.ts", "./src/main.ts") }),
  },
  {
    name: "Rollup",
    files: { "rollup.config.mjs": ROLLUP_CONFIG },
    build: [ROLLUP, "-c", "--silent"],
    out: "dist/train.mjs",
    retarget: (f) => ({ "rollup.config.mjs": f["rollup.config.mjs"].replace("src/train.ts", "src/main.ts") }),
  },
  {
    name: "Rolldown",
    files: { "rolldown.config.mjs": ROLLDOWN_CONFIG },
    build: [ROLLDOWN, "-c", "--logLevel", "warn"],
    out: "dist/train.mjs",
    retarget: (f) => ({ "rolldown.config.mjs": f["rolldown.config.mjs"].replace("src/train.ts", "src/main.ts") }),
    // its summary, as printed on a terminal or, without one (CI=true), with "[log]"/"[success]" tags
    summary: /^(?:\[log\] ?)?(<DIR>\/train\.mjs\s+chunk │ size: [\d.]+ kB|(?:✔|\[success\]) rolldown v[\d.]+ Finished in [\d.]+ m?s|\s*)$/,
  },
];

afterAll(removeTempProjects);

beforeAll(() => buildDist());

it("the configs are the README's", () => {
  const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
  for (const config of [WEBPACK_CONFIG, ROLLUP_CONFIG, ROLLDOWN_CONFIG]) expect(readme).toContain(config);
});

describe.each(BUNDLERS)("adjoint/$name", (bundler) => {
  it("bundles train.ts with the generated module compiled in memory, and the bundle trains", { timeout: 240_000 }, async () => {
    const dir = tempProject(`bundle-${bundler.name}`, bundler.files, EXAMPLE);
    expect(fs.existsSync(path.join(dir, "src/model.grad.ts"))).toBe(false);
    const build = await run(dir, bundler.build);
    const printed = build.output.split("\n").filter((line) => !bundler.summary?.test(line)).join("\n");
    expect(printed).toBe("");
    expect(build.status).toBe(0);
    expect(fs.existsSync(path.join(dir, "src/model.grad.ts"))).toBe(false); // nothing written
    const bundle = fs.readFileSync(path.join(dir, bundler.out), "utf8");
    expect(bundle).not.toContain("was called at run time");
    const trained = await run(dir, [bundler.out]);
    expect(trained.stderr).toBe("");
    expect(trained.status).toBe(0);
    expect(trained.stdout).toMatch(/^step 0: loss 0\.693147$/m);
    expect(trained.stdout).toMatch(/^step 100: loss 0\.1\d+$/m);
    expect(trained.stdout).toMatch(/final loss 0\.\d+, \|dL\/db\| [\d.e+-]+, accuracy (9\d|100)\.\d%/);
  });

  it("fails the build on a broken annotated function, with file:line:col and the code frame", { timeout: 240_000 }, async () => {
    const dir = tempProject(`bundle-${bundler.name}-broken`, { ...bundler.retarget(bundler.files), "src/broken.ts": BROKEN, "src/main.ts": BROKEN_MAIN }, EXAMPLE);
    const r = await run(dir, bundler.build);
    expect(r.status).not.toBe(0);
    expect(r.output).toContain("src/broken.ts:4:3 - error AD1001: A try/catch statement is not supported in a differentiable function");
    expect(r.output).toContain("> 4 |   try {");
    expect(fs.existsSync(path.join(dir, bundler.out))).toBe(false);
  });
});
