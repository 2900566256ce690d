/**
 * TypeScript is a peer dependency (package.json: ">=5.3 <7"): the compiler runs on whichever
 * version the project has. This runs the CLI with each version installed here (the lowest
 * supported, 5.3; the development version, 5.9; and 6.x, through the `typescript5.3` and
 * `typescript6` aliases in devDependencies), by a module hook that makes `import "typescript"`
 * load that version, and checks that the generated code is the committed golden code, byte for
 * byte, and that the diagnostics are the same. (The tsc plugin under TypeScript 6 is built and
 * run by package.test.ts, from the packed tarball.)
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT, childEnv } from "./helpers.ts";

const TSX = import.meta.resolve("tsx");
const BIN = path.join(ROOT, "cli/bin.ts");
const OUT = path.join(ROOT, ".tmp", `typescript-${process.pid}`);
const PEER_RANGE = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).peerDependencies.typescript;

const VERSIONS = [
  { package: "typescript5.3", major: "5.3" },
  { package: "typescript", major: "5.9" },
  { package: "typescript6", major: "6." },
];

/** `--import` a hook that resolves `typescript` to the given package's entry. */
function useTypescript(pkg: string): string {
  const entry = pathToFileURL(path.join(ROOT, "node_modules", pkg, "lib/typescript.js")).href;
  const hooks = `export async function resolve(s, c, next) {
  if (s === "typescript") return { url: ${JSON.stringify(entry)}, format: "commonjs", shortCircuit: true };
  return next(s, c);
}`;
  const register = `import { register } from "node:module"; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});`;
  return `data:text/javascript,${encodeURIComponent(register)}`;
}

function node(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: childEnv() });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

afterAll(() => fs.rmSync(OUT, { recursive: true, force: true }));

describe.each(VERSIONS)("the compiler on $package", (v) => {
  it(`is TypeScript ${v.major}, within the peer range`, async () => {
    const r = await node(["--import", useTypescript(v.package), "--input-type=module", "-e", `import ts from "typescript"; console.log(ts.version);`]);
    expect(r.stderr).toBe("");
    const version = r.stdout.trim();
    expect(version.startsWith(v.major)).toBe(true);
    const [lo, hi] = [/>=(\d+)\.(\d+)/.exec(PEER_RANGE)!, /<(\d+)/.exec(PEER_RANGE)!];
    const [major, minor] = version.split(".").map(Number);
    expect(major > Number(lo[1]) || (major === Number(lo[1]) && minor >= Number(lo[2]))).toBe(true);
    expect(major).toBeLessThan(Number(hi[1]));
  });

  it("generates the golden code, byte for byte", { timeout: 240_000 }, async () => {
    // the fixtures' sources, copied: each module is generated beside its source, as the goldens
    // are (a generated module imports the functions with their own derivatives from its source)
    const out = path.join(OUT, v.package);
    for (const d of ["fixtures/seeds", "fixtures/programs"]) {
      fs.mkdirSync(out, { recursive: true });
      for (const f of fs.readdirSync(path.join(ROOT, d))) if (f.endsWith(".ts") && !f.endsWith(".grad.ts")) fs.copyFileSync(path.join(ROOT, d, f), path.join(out, f));
    }
    const r = await node(["--import", useTypescript(v.package), "--import", TSX, BIN, "gen", out, "--quiet"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const written = fs.readdirSync(out).filter((f) => f.endsWith(".grad.ts")).sort();
    // one module per fixture with @differentiable functions: the goldens beside them
    const goldens = ["fixtures/seeds", "fixtures/programs"].flatMap((d) => fs.readdirSync(path.join(ROOT, d)).filter((f) => f.endsWith(".grad.ts") && !f.endsWith(".forward.grad.ts")));
    expect(written).toEqual(goldens.sort());
    for (const f of written) {
      const golden = ["fixtures/seeds", "fixtures/programs"].map((d) => path.join(ROOT, d, f)).find((g) => fs.existsSync(g))!;
      expect(fs.readFileSync(path.join(out, f), "utf8"), f).toBe(fs.readFileSync(golden, "utf8"));
    }
  });

  it.skipIf(v.package === "typescript")("reports the same diagnostics as TypeScript 5.9", { timeout: 240_000 }, async () => {
    const errors = (pkg: string) => node(["--import", useTypescript(pkg), "--import", TSX, BIN, "gen", "fixtures/errors", "-o", path.join(OUT, `errors-${pkg}`)]);
    const [mine, reference] = await Promise.all([errors(v.package), errors("typescript")]);
    expect(mine.status).toBe(1);
    expect(mine.stderr).toMatch(/error AD1001/);
    expect(mine.stderr).toMatch(/\d+ errors; nothing written\./);
    expect(mine.stderr).toBe(reference.stderr);
  });
});
