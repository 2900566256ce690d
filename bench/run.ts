/**
 * `npm run bench [-- --quick] [-- --json] [-- <problem filter>...]`
 *
 * Compiles the annotated problems in bench/problems with adjoint, checks every gradient before
 * timing it, and prints gradient time / objective time per problem and tool, all measured in
 * this one run. `--json` writes bench/results.json and regenerates docs/benchmarks.md from it.
 */
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { compileFiles } from "../compiler/index.ts";
import { compare, machine, progress, fmtMs } from "./harness.ts";
import { loopCases, type Case, type Gen } from "./cases.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const args = process.argv.slice(2);
const quick = args.includes("--quick");
const json = args.includes("--json");
const filters = args.filter((a) => !a.startsWith("--"));

export interface Row {
  problem: string;
  size: string;
  tool: string;
  objectiveMs: number;
  gradientMs: number;
  ratio: number;
}

async function compileProblems(names: string[]): Promise<Record<string, { src: Gen; gen: Gen }>> {
  const dir = path.join(ROOT, ".tmp/bench");
  fs.mkdirSync(dir, { recursive: true });
  const files = names.map((n) => path.join(ROOT, "bench/problems", `${n}.ts`));
  const results = await compileFiles(files, { runtime: path.join(ROOT, "runtime/index.ts") });
  const out: Record<string, { src: Gen; gen: Gen }> = {};
  for (const [i, r] of results.entries()) {
    if (r.diagnostics.length || !r.output) throw new Error(`cannot compile ${files[i]}: ${r.diagnostics.map((d) => d.message).join("; ")}`);
    const target = path.join(dir, `${names[i]}.grad.ts`);
    fs.writeFileSync(target, r.output.replaceAll(path.join(ROOT, "runtime/index.ts"), path.join(ROOT, "runtime/index.ts")));
    out[names[i]] = { src: await import(pathToFileURL(files[i]).href), gen: await import(pathToFileURL(target).href) };
  }
  return out;
}

async function main() {
  const mods = await compileProblems(["dot", "logreg", "ode"]);
  const cases: Case[] = loopCases({
    dot: mods.dot.gen, logreg: mods.logreg.gen, ode: mods.ode.gen,
    src: { dot: mods.dot.src, logreg: mods.logreg.src, ode: mods.ode.src },
  }, quick).filter((c) => filters.length === 0 || filters.some((f) => c.problem.includes(f)));

  const minMs = quick ? 20 : 400;
  const rows: Row[] = [];
  const total = cases.reduce((n, c) => n + c.tools.length, 0);
  let done = 0;
  let failures = 0;
  for (const c of cases) {
    for (const t of c.tools) {
      progress(done, total, `${c.problem} ${c.size} ${t.tool}`);
      const err = t.check();
      if (!(err <= t.tolerance)) {
        console.error(`MISMATCH ${c.problem} ${c.size} ${t.tool}: error ${err} > ${t.tolerance}; not timed`);
        failures++;
        done++;
        continue;
      }
      const [obj, grad] = compare([t.objective ?? c.objective, t.gradient], minMs);
      rows.push({ problem: c.problem, size: c.size, tool: t.tool, objectiveMs: obj.ms, gradientMs: grad.ms, ratio: grad.ms / obj.ms });
      done++;
    }
  }
  progress(total, total, "done");
  const table = markdownTable(rows);
  console.log(`\n${machine()}${quick ? " (quick run: small sizes, short timings)" : ""}\n\n${table}`);
  if (json && !quick) {
    fs.writeFileSync(path.join(ROOT, "bench/results.json"), JSON.stringify(rows, null, 2) + "\n");
    writeDocs(rows);
  }
  if (failures > 0) process.exitCode = 1;
}

export function markdownTable(rows: Row[]): string {
  const lines = ["| problem | size | tool | objective ms | gradient ms | gradient / objective |", "| --- | --- | --- | ---: | ---: | ---: |"];
  for (const r of rows) lines.push(`| ${r.problem} | ${r.size} | ${r.tool} | ${fmtMs(r.objectiveMs)} | ${fmtMs(r.gradientMs)} | ${r.ratio.toFixed(2)} |`);
  return lines.join("\n");
}

function writeDocs(rows: Row[]) {
  const file = path.join(ROOT, "docs/benchmarks.md");
  const prev = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
  const begin = "<!-- loop-benchmarks:begin -->", end = "<!-- loop-benchmarks:end -->";
  const section = `${begin}\nMeasured by \`npm run bench -- --json\` on ${machine()}, ${new Date().toISOString().slice(0, 10)}. Each figure is the median time per call; ratios are within this one run.\n\n${markdownTable(rows)}\n${end}`;
  const next = prev.includes(begin)
    ? prev.replace(new RegExp(`${begin}[\\s\\S]*${end}`), section)
    : `# Benchmarks\n\n## Gradient cost of loop code\n\n${section}\n`;
  fs.writeFileSync(file, next);
}

await main();
