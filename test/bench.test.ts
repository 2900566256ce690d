/**
 * The benchmark's smoke run, for real: `npm run bench -- --quick` compiles every problem in
 * bench/problems, checks every gradient (adjoint, manual, fd, tfjs) before timing it, and prints
 * the table. Any failed check makes it exit 1. Quick sizes are tiny: this takes seconds.
 */
import { spawn } from "node:child_process";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "./helpers.ts";

const TIMEOUT = 120_000;

let result: { code: number | null; stdout: string; stderr: string };

beforeAll(async () => {
  result = await new Promise((resolve, reject) => {
    const child = spawn("npm", ["run", "--silent", "bench", "--", "--quick"], { cwd: ROOT, env: { ...process.env, FORCE_COLOR: "0" } });
    let stdout = "", stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}, TIMEOUT);

describe("npm run bench -- --quick", () => {
  it("exits 0: every gradient passed its check before being timed", () => {
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(/MISMATCH|ERROR/);
  });

  it("prints the results table with a row per problem and tool", () => {
    const out = result.stdout;
    expect(out).toContain("| problem | size | tool | objective ms | gradient ms | gradient / objective |");
    const rows = out.split("\n").filter((l) => /^\| [a-z0-9-]+ \| .* \| (adjoint|manual|fd|tfjs) \|/.test(l));
    const seen = [...new Set(rows.map((l) => l.split("|").slice(1, 4).map((c) => c.trim()).filter((_, i) => i !== 1).join(" ")))];
    for (const p of ["dot", "logreg", "ode", "ba", "ode-rk4"]) expect(seen, p).toContain(`${p} adjoint`);
    for (const p of ["lse", "llsq", "gmm"]) for (const t of ["adjoint", "manual", "fd", "tfjs"]) expect(seen, `${p} ${t}`).toContain(`${p} ${t}`);
    expect(seen).toContain("ba fd");
    // every timing is a positive number
    for (const l of rows) {
      const cells = l.split("|").map((c) => c.trim());
      for (const c of cells.slice(4, 7)) expect(Number(c), l).toBeGreaterThan(0);
    }
  });

  it("prints the summary against the goals", () => {
    expect(result.stdout).toContain("adjoint gradient / objective");
    expect(result.stdout).toMatch(/\| gmm \| d=2 K=3 n=20 \| [0-9.]+ [✓✗] \| ≤ 3 \|/);
  });
});
