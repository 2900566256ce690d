/**
 * The benchmark's smoke run, for real: `npm run bench -- --quick` compiles every problem in
 * bench/problems, checks every gradient (adjoint, manual, fd, tfjs) before timing it, and prints
 * the table. Any failed check makes it exit 1. Quick sizes are tiny: this takes seconds.
 */
import { spawn } from "node:child_process";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "./helpers.ts";

const TIMEOUT = 120_000;

type Run = { code: number | null; stdout: string; stderr: string };
let result: Run;

function bench(...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn("npm", ["run", "--silent", "bench", "--", ...args], { cwd: ROOT, env: { ...process.env, FORCE_COLOR: "0" } });
    let stdout = "", stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  result = await bench("--quick");
}, TIMEOUT);

describe("npm run bench -- --quick", () => {
  it("exits 0: every gradient passed its check before being timed", () => {
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(/MISMATCH|ERROR/);
  });

  it("prints the results table with a row per problem and tool", () => {
    const out = result.stdout;
    expect(out).toContain("| problem | size | tool | objective ms | gradient ms | gradient / objective | peak memory |");
    const rows = out.split("\n").filter((l) => /^\| [a-z0-9-]+ \| .* \| (adjoint|manual|fd|tfjs) \|/.test(l));
    const seen = [...new Set(rows.map((l) => l.split("|").slice(1, 4).map((c) => c.trim()).filter((_, i) => i !== 1).join(" ")))];
    for (const p of ["dot", "logreg", "ode", "ba", "ode-rk4", "mlp", "heat"]) expect(seen, p).toContain(`${p} adjoint`);
    for (const p of ["lse", "llsq", "gmm", "lstm", "quickstart"]) for (const t of ["adjoint", "manual", "fd", "tfjs"]) expect(seen, `${p} ${t}`).toContain(`${p} ${t}`);
    for (const t of ["adjoint", "manual", "tfjs"]) expect(seen, `kmeans ${t}`).toContain(`kmeans ${t}`);
    for (const t of ["adjoint", "manual", "fd"]) expect(seen, `det ${t}`).toContain(`det ${t}`);
    expect(seen).toContain("ba fd");
    expect(seen).toContain("ode tfjs");
    // kmeans: the Newton direction through one Hvp, and the gradient alone
    expect(out).toMatch(/\| kmeans \| k=3 n=20 d=2 \| adjoint \|/);
    expect(out).toMatch(/\| kmeans \| k=3 n=20 d=2 \(grad only\) \| adjoint \|/);
    // every timing is a positive number; every adjoint row has its tape's peak, every tfjs row its tensors'
    for (const l of rows) {
      const cells = l.split("|").map((c) => c.trim());
      for (const c of cells.slice(4, 7)) expect(Number(c), l).toBeGreaterThan(0);
      const peak = cells[7];
      if (cells[3] === "adjoint") expect(peak, l).toMatch(/^\d+(\.\d)? (B|KiB|MiB|GiB) tape$/);
      else if (cells[3] === "tfjs") expect(peak, l).toMatch(/^\d+(\.\d)? (B|KiB|MiB|GiB) tensors$/);
      else expect(peak, l).toBe("");
    }
    // loops that overwrite what their reverse sweep needs keep it on the tape; a dot product keeps
    // nothing, and neither does k-means (its running minimum is reversed for the nearest centroid only)
    const peakOf = (problem: string) => rows.find((l) => l.startsWith(`| ${problem} |`) && l.includes("| adjoint |"))!.split("|")[7].trim();
    expect(peakOf("dot")).toBe("0 B tape");
    expect(peakOf("kmeans")).toBe("0 B tape");
    for (const p of ["lstm", "det", "ode"]) expect(peakOf(p), p).not.toBe("0 B tape");
    // heat: the checkpointed simulation's tape is a fraction of the taped one's
    const heatPeak = (variant: string) => {
      const cell = rows.find((l) => l.startsWith("| heat |") && l.includes(`(${variant}) | adjoint |`))!.split("|")[7].trim();
      const [v, unit] = cell.split(" ");
      return Number(v) * 1024 ** ["B", "KiB", "MiB", "GiB"].indexOf(unit!);
    };
    expect(heatPeak("@checkpoint")).toBeLessThan(heatPeak("no @checkpoint") / 4);
  });

  it("measures compile time against function size, with peak memory", () => {
    const out = result.stdout;
    expect(out).toContain("| input | source lines | compile ms | ms per 1,000 lines | peak RSS | goal |");
    for (const what of ["100 lines", "1,000 lines", "5,000 lines", "200 functions"]) {
      const row = out.split("\n").find((l) => l.startsWith(`| ${what} (quick`));
      expect(row, what).toBeDefined();
      const cells = row!.split("|").map((c) => c.trim());
      expect(Number(cells[2]), row).toBeGreaterThan(0);
      expect(Number(cells[3]), row).toBeGreaterThan(0);
      expect(cells[5], row).toMatch(/^\d+ MB$/);
    }
    expect(out).toMatch(/Growth: \d+\.\d\d× the time per line/);
  });

  it("prints the summary against the goals", () => {
    expect(result.stdout).toContain("adjoint gradient / objective");
    expect(result.stdout).toMatch(/\| gmm \| d=2 K=3 n=20 \| [0-9.]+ [✓✗] \| ≤ 2 \|/);
    expect(result.stdout).toMatch(/\| lstm \| [^|]+ \| [0-9.]+ [✓✗] \| ≤ 2 \|/);
  });
});

describe("npm run bench -- --quick --isolate", () => {
  it("runs each problem in a process of its own and reports them all in one table", async () => {
    const r = await bench("--quick", "--isolate", "--no-tfjs", "dot", "lse");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\| dot \| n=1000 \| adjoint \| [0-9.e-]+ \| [0-9.e-]+ \| [0-9.]+ \| 0 B tape \|$/m);
    for (const t of ["adjoint", "manual", "fd"]) expect(r.stdout).toMatch(new RegExp(`^\\| lse \\| n=100 \\| ${t} \\|`, "m"));
    expect(r.stdout).toMatch(/\| lse \| n=100 \| [0-9.]+ [✓✗] \| ≤ 1\.3 \|/);
    expect(r.stdout).toContain("lse n=100 adjoint: ");
    expect(r.stdout).toMatch(/\n4 rows in [0-9.]+ s\n/);
  }, TIMEOUT);
});
