/**
 * adjoint/vite under Vitest, run for real: examples/vite-project's tests import a module that
 * exists only as its source (the plugin compiles `model.grad.ts` in memory) and use the `grad`
 * and `hessian` markers; a broken annotated function fails the run with a located error.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BROKEN, ROOT, VITEST, buildDist, linkAdjoint, run, removeTempProjects, tempProject } from "./helpers.ts";

const EXAMPLE = path.join(ROOT, "examples/vite-project");

afterAll(removeTempProjects);

beforeAll(() => {
  buildDist();
  linkAdjoint(EXAMPLE);
});

describe("examples/vite-project under Vitest with adjoint/vite", () => {
  it("serves model.grad.ts from model.ts and rewrites the markers", { timeout: 240_000 }, async () => {
    expect(fs.existsSync(path.join(EXAMPLE, "src/model.grad.ts"))).toBe(false);
    const r = await run(EXAMPLE, [VITEST, "run"]);
    expect(r.output).toMatch(/Tests\s+3 passed \(3\)/);
    expect(r.status).toBe(0);
    expect(fs.existsSync(path.join(EXAMPLE, "src/model.grad.ts"))).toBe(false); // nothing written
  });

  it("fails a test file whose annotated module has an error, at file:line:col", { timeout: 240_000 }, async () => {
    const dir = tempProject("vite-broken", {
      "src/broken.ts": BROKEN,
      "test/broken.test.ts": `import { it, expect } from "vitest";
import { grad } from "adjoint";
import { broken } from "../src/broken.ts";

it("differentiates", () => {
  expect(grad(broken)(1).value).toBe(1);
});
`,
    }, EXAMPLE);
    const r = await run(dir, [VITEST, "run", "test/broken.test.ts"]);
    expect(r.status).toBe(1);
    expect(r.output).toContain("src/broken.ts:4:3 - error AD1001: A try/catch statement is not supported in a differentiable function");
    expect(r.output).toContain("> 4 |   try {"); // the code frame
  });

  it("serves a browser app: dev server requests and a production build", { timeout: 240_000 }, async () => {
    const dir = tempProject("vite-app", {
      "index.html": `<!doctype html><script type="module" src="/src/main.ts"></script>\n`,
      "src/main.ts": `import { grad } from "adjoint";
import { rosenbrock } from "./model.ts";
import { netLossGrad } from "./model.grad.ts";
document.body.textContent = String(grad(rosenbrock)(1, 2).value + typeof netLossGrad);
`,
      "serve.mjs": `import { build, createServer } from "vite";
import adjoint from "adjoint/vite";
const root = import.meta.dirname;
const server = await createServer({ root, configFile: false, logLevel: "warn", plugins: [adjoint()], server: { middlewareMode: true } });
const main = await server.transformRequest("/src/main.ts");
const generated = await server.transformRequest("/src/model.grad.ts"); // as the browser asks for it
await server.close();
const out = await build({ root, configFile: false, logLevel: "warn", plugins: [adjoint()], build: { write: false, minify: false } });
const chunks = (Array.isArray(out) ? out[0] : out).output.filter((c) => c.type === "chunk").map((c) => c.code).join("\\n");
console.log(JSON.stringify({ main: main.code, generated: generated.code, chunks }));
`,
    }, EXAMPLE);
    fs.rmSync(path.join(dir, "test"), { recursive: true, force: true });
    const r = await run(dir, ["serve.mjs"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const { main, generated, chunks } = JSON.parse(r.stdout);
    expect(main).toContain("String(__adjoint_rosenbrockGrad(1, 2).value");
    expect(main).toMatch(/import \{ rosenbrockGrad as __adjoint_rosenbrockGrad \} from "\/src\/model\.grad\.ts"/);
    expect(generated).toContain("function rosenbrockGrad(");
    expect(chunks).toContain("function rosenbrockGrad(");
    expect(chunks).not.toContain("was called at run time");
  });

  it("reports a missing mode at the marker call", { timeout: 240_000 }, async () => {
    const dir = tempProject("vite-modes", {
      "test/modes.test.ts": `import { it } from "vitest";
import { jvp } from "adjoint";
import { netLoss } from "../src/model.ts";

it("needs a Jvp", () => {
  jvp(netLoss);
});
`,
    }, EXAMPLE);
    const r = await run(dir, [VITEST, "run", "test/modes.test.ts"]);
    expect(r.status).toBe(1);
    expect(r.output).toContain("test/modes.test.ts:6:3 - error: jvp(netLoss): adjoint generated no netLossJvp for 'netLoss' (it has netLossGrad).");
  });
});
