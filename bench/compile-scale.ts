/**
 * Compile time against function size: `npm run bench -- compile-scale`.
 *
 * Compiles, in-process, one straight-line `@differentiable` function of 100, 1,000 and 5,000
 * lines (assignments, Math calls, element reads and branches, in a repeating pattern) and one
 * file of 200 small functions, each in a child process of its own so that its peak memory
 * (`VmHWM`) is its own. Time is the whole pipeline, parse to printed module.
 *
 * Goals: ≤ 1 s for 1,000 lines, ≤ 5 s for 5,000 lines, ≤ 2 s for 200 functions; time linear in
 * size (the ms per line of the largest function within 2× that of the 1,000-line one).
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { compileSource } from "../compiler/index.ts";
import { peakRssBytes } from "./harness.ts";

/** A straight-line function of `n` statements. */
export function straightLine(n: number): string {
  const lines = ["/** @differentiable */", "export function f(x: Float64Array, a: number, b: number): number {", "  let s = a;"];
  for (let i = 0; i < n; i++) {
    const k = i % 5;
    lines.push(k === 0 ? `  const v${i} = Math.sin(s * ${1 + (i % 7) / 10}) + x[${i % 4}];`
      : k === 1 ? `  s = s + v${i - 1} * b;`
      : k === 2 ? `  const v${i} = Math.exp(-s * s) * a;`
      : k === 3 ? `  s = s * 0.5 + v${i - 1};`
      : "  if (s > 1) s = s / 2;");
  }
  lines.push("  return s;", "}");
  return lines.join("\n");
}

/** A file of `n` small functions with a loop each. */
export function manyFunctions(n: number): string {
  return Array.from({ length: n }, (_, i) =>
    `/** @differentiable */\nexport function f${i}(x: number, y: number): number {\n  const a = x * y + ${i};\n  let s = Math.sin(a);\n  for (let k = 0; k < 3; k++) s = s * a + y;\n  return s * s;\n}`).join("\n\n");
}

export interface ScaleRow {
  what: string;
  lines: number;
  ms: number;
  peakMB: number;
  goalMs?: number;
}

/** One measurement, in this process: compile time and the process's peak RSS. */
async function measure(kind: "lines" | "functions", n: number): Promise<{ ms: number; peakMB: number; lines: number }> {
  const text = kind === "lines" ? straightLine(n) : manyFunctions(n);
  // warm the compiler's own code on a small input first: the figure is the compile, not module loading
  await compileSource(kind === "lines" ? straightLine(10) : manyFunctions(2), "/virtual/warm.ts");
  const t0 = performance.now();
  const r = await compileSource(text, `/virtual/${kind}${n}.ts`);
  const ms = performance.now() - t0;
  if (r.diagnostics.length > 0 || !r.output) throw new Error(`compile-scale: ${kind} ${n} did not compile: ${r.diagnostics.map((d) => d.message).join("; ")}`);
  return { ms, peakMB: peakRssBytes() / 2 ** 20, lines: text.split("\n").length };
}

const CASES: { what: string; kind: "lines" | "functions"; n: number; goalMs?: number }[] = [
  { what: "100 lines", kind: "lines", n: 100 },
  { what: "1,000 lines", kind: "lines", n: 1000, goalMs: 1000 },
  { what: "5,000 lines", kind: "lines", n: 5000, goalMs: 5000 },
  { what: "200 functions", kind: "functions", n: 200, goalMs: 2000 },
];

/** Runs every case in a child process (`quick`: smaller sizes). */
export function compileScale(quick = false): ScaleRow[] {
  const self = fileURLToPath(import.meta.url);
  return CASES.map((c) => {
    const n = quick ? Math.max(5, Math.round(c.n / 50)) : c.n;
    const r = spawnSync(process.execPath, [...process.execArgv, self, c.kind, String(n)], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`compile-scale ${c.what}: ${r.stderr || r.stdout}`);
    const m = JSON.parse(r.stdout.trim().split("\n").pop()!) as { ms: number; peakMB: number; lines: number };
    return { what: quick ? `${c.what} (quick: ${n})` : c.what, lines: m.lines, ms: m.ms, peakMB: m.peakMB, ...(quick || c.goalMs === undefined ? {} : { goalMs: c.goalMs }) };
  });
}

export function scaleTable(rows: ScaleRow[]): string {
  const out = ["| input | source lines | compile ms | ms per 1,000 lines | peak RSS | goal |", "| --- | ---: | ---: | ---: | ---: | ---: |"];
  for (const r of rows) {
    const goal = r.goalMs === undefined ? "" : `≤ ${r.goalMs} ms ${r.ms <= r.goalMs ? "✓" : "✗"}`;
    out.push(`| ${r.what} | ${r.lines} | ${r.ms.toFixed(0)} | ${((1000 * r.ms) / r.lines).toFixed(0)} | ${r.peakMB.toFixed(0)} MB | ${goal} |`);
  }
  const [, k1, k5] = rows;
  if (k1 && k5) out.push("", `Growth: ${((k5.ms / k5.lines) / (k1.ms / k1.lines)).toFixed(2)}× the time per line from ${k1.what} to ${k5.what} (1.00 is linear).`);
  return out.join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const [kind, n] = process.argv.slice(2);
  if (kind === "lines" || kind === "functions") console.log(JSON.stringify(await measure(kind, Number(n))));
  else console.log(scaleTable(compileScale(process.argv.includes("--quick"))));
}
