/**
 * `npm run bench [-- --quick] [-- --json] [-- --no-tfjs] [-- --isolate] [-- <problem>...]`
 *
 * Compiles the annotated problems in bench/problems with adjoint, checks every gradient before
 * timing it, and prints gradient time / objective time per problem and tool, all measured in
 * this one run: adjoint's generated code, hand-written gradients (manual), central finite
 * differences (fd) and TensorFlow.js on its pure-JS CPU backend (tfjs). Beside the times, the
 * peak memory of one gradient call: adjoint's tapes (`Tape.measure`), tfjs's tensors
 * (`tf.profile`).
 *
 * - `--quick`: tiny sizes and short timings (seconds; the test suite runs it), all problems in
 *   this one process.
 * - `--isolate`: each problem in a child process of its own (a full run always does this).
 * - `<problem>...`: only these problems (dot, logreg, quickstart, ode, lse, llsq, gmm, ba,
 *   ode-rk4, mlp, lstm, kmeans, det, heat, and compile-scale: compile time against function
 *   size, bench/compile-scale.ts); a word that is not a problem's name selects every problem
 *   whose name contains it.
 * - `--json`: write bench/results.json (rows of the problems run replace their old rows) and
 *   regenerate the marked section of docs/benchmarks.md from it. Ignored with --quick.
 *
 * A gradient whose check fails is not timed; the rest of its problem is skipped and the exit
 * code is 1.
 */
import fs from "node:fs";
import path from "node:path";
import os from "node:os";
import { spawnSync } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { compileFiles } from "../compiler/index.ts";
import { compare, machine, progress, fmtMs, clockName } from "./harness.ts";
import { loopCases, lseCases, llsqCases, gmmCases, baCases, odeRk4Cases, mlpCases, quickstartCases, lstmCases, kmeansCases, detCases, fmtBytes, TOL, FD_BUDGET_MS, type Case, type Mods, type Tool, type ToolRun } from "./cases.ts";
import { Tape } from "../runtime/tape.ts";
import { loadTf, type Tf } from "./tfjs.ts";
import { compileScale, scaleTable } from "./compile-scale.ts";
import { heatCases, HEAT_MODEL, HEAT_GOAL } from "./heat.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const RESULTS = path.join(ROOT, "bench/results.json");
const DOCS = path.join(ROOT, "docs/benchmarks.md");

export interface Row {
  problem: string;
  size: string;
  tool: Tool;
  objectiveMs: number;
  gradientMs: number;
  ratio: number;
  /** Peak memory of one gradient call, in bytes, and what it counts (see `peakOf`). */
  peakBytes?: number;
  peakKind?: "tape" | "tensors";
}

/** Problems in report order, each with the source files it compiles and its case builder. */
const PROBLEMS: { name: string; files: string[]; tfjs: boolean; cases: (mods: Mods, quick: boolean, tf?: Tf) => Case[] }[] = [
  { name: "dot", files: ["dot"], tfjs: false, cases: (m, q) => loopCases(m, q).filter((c) => c.problem === "dot") },
  { name: "logreg", files: ["logreg"], tfjs: false, cases: (m, q) => loopCases(m, q).filter((c) => c.problem === "logreg") },
  { name: "quickstart", files: ["examples/quickstart/model"], tfjs: true, cases: quickstartCases },
  { name: "ode", files: ["ode"], tfjs: true, cases: (m, q, tf) => loopCases(m, q, tf).filter((c) => c.problem === "ode") },
  { name: "lse", files: ["lse"], tfjs: true, cases: lseCases },
  { name: "llsq", files: ["llsq"], tfjs: true, cases: llsqCases },
  { name: "gmm", files: ["gmm"], tfjs: true, cases: gmmCases },
  { name: "ba", files: ["ba"], tfjs: false, cases: baCases },
  { name: "ode-rk4", files: ["odeRk4"], tfjs: false, cases: odeRk4Cases },
  { name: "mlp", files: ["fixtures/programs/layers"], tfjs: false, cases: mlpCases },
  { name: "lstm", files: ["lstm"], tfjs: true, cases: lstmCases },
  { name: "kmeans", files: ["kmeans"], tfjs: true, cases: kmeansCases },
  { name: "det", files: ["det"], tfjs: false, cases: detCases },
  { name: "heat", files: [HEAT_MODEL], tfjs: false, cases: heatCases },
];

/** The goals (reported, not enforced): GradBench's best published ratios or better. */
const RATIO_GOAL: Record<string, number> = { gmm: 2, lse: 1.3, llsq: 1.2, ba: 6, lstm: 2, "ode-rk4": 2.5, mlp: 3, heat: HEAT_GOAL.ratio };
const MANUAL_GOAL = 1.1;
const TFJS_GOAL = 10;

/** Compiles the problems into .tmp/bench (a quick run: .tmp/bench-quick, leaving the full run's). */
async function compileProblems(names: string[], quick: boolean): Promise<Mods> {
  const dir = path.join(ROOT, quick ? ".tmp/bench-quick" : ".tmp/bench");
  fs.mkdirSync(dir, { recursive: true });
  const runtime = path.join(ROOT, "runtime/index.ts");
  // a problem is a file of bench/problems, or a path from the repository root (a fixture)
  const files = names.map((n) => (n.includes("/") ? path.join(ROOT, `${n}.ts`) : path.join(ROOT, "bench/problems", `${n}.ts`)));
  const results = await compileFiles(files, { runtime });
  const out: Mods = {};
  for (const [i, r] of results.entries()) {
    if (r.diagnostics.length || !r.output) throw new Error(`cannot compile ${files[i]}: ${r.diagnostics.map((d) => d.message).join("; ")}`);
    // examples/<name>/model: one file per problem, not one per basename
    const target = path.join(dir, `${names[i].startsWith("examples/") ? names[i].split("/")[1] : path.basename(names[i])}.grad.ts`);
    // atomically: another run (the test suite's quick run) may be importing the same file
    const tmp = `${target}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, r.output);
    fs.renameSync(tmp, target);
    out[names[i]] = { src: await import(pathToFileURL(files[i]).href), gen: await import(pathToFileURL(target).href), genFile: target };
  }
  return out;
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  const quick = argv.includes("--quick");
  const json = argv.includes("--json");
  const noTf = argv.includes("--no-tfjs");
  const isolate = !quick || argv.includes("--isolate");
  const childOut = argv.find((a) => a.startsWith("--child-out="))?.slice("--child-out=".length);
  const all = argv.filter((a) => !a.startsWith("--"));
  // compile-scale measures the compiler, not a gradient: it runs after the problems
  const scale = all.length === 0 || all.includes("compile-scale");
  const filters = all.filter((a) => a !== "compile-scale");
  if (all.length > 0 && filters.length === 0) return runScale(quick, json);
  const unknown = argv.filter((a) => a.startsWith("--") && !["--quick", "--json", "--no-tfjs", "--isolate"].includes(a) && a !== `--child-out=${childOut}`);
  if (unknown.length) {
    console.error(`unknown option ${unknown.join(", ")}; usage: npm run bench [-- --quick] [-- --json] [-- --no-tfjs] [-- --isolate] [-- <problem>...]`);
    return 2;
  }
  // a filter names a problem exactly, or else selects every problem whose name contains it
  const matches = (f: string, name: string) => (PROBLEMS.some((p) => p.name === f) ? name === f : name.includes(f));
  const selected = PROBLEMS.filter((p) => filters.length === 0 || filters.some((f) => matches(f, p.name)));
  if (selected.length === 0) {
    console.error(`no problem matches ${filters.join(", ")}; problems: ${PROBLEMS.map((p) => p.name).join(", ")}, compile-scale`);
    return 2;
  }

  const t0 = performance.now();
  let outcome: Outcome;
  if (childOut) {
    // a child of an isolated run: measure, hand the outcome to the parent, print nothing else
    outcome = await runProblems(selected, quick, noTf);
    fs.writeFileSync(childOut, JSON.stringify(outcome));
    return 0;
  } else if (isolate && selected.length > 1) {
    outcome = { rows: [], notes: [], checks: [], failures: 0 };
    for (const p of selected) {
      const part = runChild(p.name, quick, noTf);
      outcome.rows.push(...part.rows);
      outcome.notes.push(...part.notes);
      outcome.checks.push(...part.checks);
      outcome.failures += part.failures;
    }
  } else {
    outcome = await runProblems(selected, quick, noTf);
  }
  const { rows, notes, checks, failures } = outcome;

  const seconds = (performance.now() - t0) / 1000;
  console.log(`\n${machine()}${quick ? " (quick run: tiny sizes, short timings)" : ""}\n`);
  console.log(markdownTable(rows));
  console.log(`\n${summaryTable(rows)}`);
  if (notes.length) console.log(`\n${notes.map((n) => `- ${n}`).join("\n")}`);
  console.log(`\nchecks (error against the reference, before timing):\n${checks.map((c) => `  ${c}`).join("\n")}`);
  console.log(`\n${rows.length} rows in ${seconds.toFixed(1)} s${failures ? `; ${failures} case(s) failed their check and were not timed` : ""}`);

  if (json && quick) console.log("(--json ignored in a quick run: its figures are not worth keeping)");
  if (json && !quick) {
    const all = mergeResults(rows, selected.map((p) => p.name));
    fs.writeFileSync(RESULTS, JSON.stringify(all, null, 2) + "\n");
    writeDocs(all, notes, selected.map((p) => p.name));
    console.log(`wrote ${path.relative(ROOT, RESULTS)} and ${path.relative(ROOT, DOCS)}`);
  }
  if (scale) await runScale(quick, json);
  return failures > 0 ? 1 : 0;
}

/** What a run of some problems measured: rows, notes, the checks' errors and failed cases. */
interface Outcome {
  rows: Row[];
  notes: string[];
  checks: string[];
  failures: number;
}

/** Compiles, checks and times the selected problems in this process. */
async function runProblems(selected: typeof PROBLEMS, quick: boolean, noTf: boolean): Promise<Outcome> {
  const mods = await compileProblems([...new Set(selected.flatMap((p) => p.files))], quick);
  const tf = !noTf && selected.some((p) => p.tfjs) ? await loadTf() : undefined;

  const minMs = quick ? 20 : 400;
  const rows: Row[] = [];
  const notes: string[] = [];
  const checks: string[] = [];
  let failures = 0;

  // build every case first so the progress bar knows the total
  const cases: Case[] = [];
  for (const p of selected) {
    if (!process.stderr.isTTY && !quick) console.error(`preparing ${p.name}…`);
    cases.push(...p.cases(mods, quick, p.tfjs ? tf : undefined));
  }
  const fnsOf = (c: Case) => 1 + c.tools.length + c.tools.filter((t) => t.objective).length;
  const total = cases.reduce((n, c) => n + fnsOf(c), 0);
  let done = 0;
  const failed = new Set<string>();

  for (const c of cases) {
    for (const note of c.notes ?? []) notes.push(`${c.problem} ${c.size}: ${note}`);
    if (failed.has(c.problem)) {
      done += fnsOf(c);
      continue;
    }
    if (!process.stderr.isTTY && !quick) console.error(`${c.problem} ${c.size}: checking, then timing ${c.tools.map((t) => t.tool + (t.variant ? ` ${t.variant}` : "")).join(", ")}`);
    // correctness before speed: every tool of the case, before any timing
    let ok = true;
    for (const t of c.tools) {
      progress(done, total, `${c.problem} ${c.size} check ${t.tool}`);
      let err: number;
      try {
        err = t.check();
      } catch (e) {
        console.error(`\nERROR ${c.problem} ${c.size} ${t.tool}: ${(e as Error).stack ?? e}`);
        err = NaN;
      }
      checks.push(`${c.problem} ${c.size} ${t.tool}${t.variant ? ` (${t.variant})` : ""}: ${err.toExponential(1)} (≤ ${t.tolerance})`);
      if (!(err <= t.tolerance)) {
        console.error(`\nMISMATCH ${c.problem} ${c.size} ${t.tool}${t.variant ? ` (${t.variant})` : ""}: error ${err} > ${t.tolerance}; ${c.problem} is not timed`);
        ok = false;
      }
    }
    if (!ok) {
      failures++;
      failed.add(c.problem);
      done += fnsOf(c);
      c.dispose?.();
      continue;
    }
    // memory: one more gradient call per tool, before any timing
    const peaks: ({ bytes: number; kind: "tape" | "tensors" } | undefined)[] = [];
    for (const t of c.tools) peaks.push(await peakOf(t));
    // one interleaved comparison per case: the objective(s) and every gradient
    const fns: (() => unknown)[] = [c.objective];
    const slots = c.tools.map((t) => {
      let obj = 0;
      if (t.objective) {
        obj = fns.length;
        fns.push(t.objective);
      }
      const grad = fns.length;
      fns.push(t.gradient);
      return { obj, grad };
    });
    const base = done;
    const timings = compare(fns, minMs, (f) => progress(base + f * fns.length, total, `${c.problem} ${c.size} timing ${fns.length} functions`, !quick));
    done = base + fns.length;
    c.tools.forEach((t, i) => {
      const obj = timings[slots[i].obj].ms, grad = timings[slots[i].grad].ms;
      rows.push({
        problem: c.problem, size: t.variant ? `${c.size} (${t.variant})` : c.size, tool: t.tool, objectiveMs: obj, gradientMs: grad, ratio: grad / obj,
        ...(peaks[i] ? { peakBytes: peaks[i]!.bytes, peakKind: peaks[i]!.kind } : {}),
      });
    });
    c.dispose?.();
  }
  progress(total, total, "done");
  return { rows, notes, checks, failures };
}

/**
 * One problem in a child process of its own, as GradBench runs every tool on every eval: no
 * problem's figures depend on which problems ran before it in the same process (the JIT's
 * feedback on the shared runtime, the heap left behind).
 */
function runChild(name: string, quick: boolean, noTf: boolean): Outcome {
  const out = path.join(os.tmpdir(), `adjoint-bench-${process.pid}-${name}.json`);
  const args = [...process.execArgv, fileURLToPath(import.meta.url), name, `--child-out=${out}`, ...(quick ? ["--quick"] : []), ...(noTf ? ["--no-tfjs"] : [])];
  const r = spawnSync(process.execPath, args, { stdio: ["ignore", "inherit", "inherit"] });
  try {
    if (r.status !== 0 || !fs.existsSync(out)) {
      console.error(`\nERROR ${name}: its process exited with ${r.status ?? r.signal}`);
      return { rows: [], notes: [], checks: [], failures: 1 };
    }
    return JSON.parse(fs.readFileSync(out, "utf8")) as Outcome;
  } finally {
    fs.rmSync(out, { force: true });
  }
}

const SCALE_BEGIN = "<!-- compile-scale:begin (generated by `npm run bench -- compile-scale --json`; edit outside these markers) -->";
const SCALE_END = "<!-- compile-scale:end -->";

/** Compile time against function size; with `json`, its section of docs/benchmarks.md. */
async function runScale(quick: boolean, json: boolean): Promise<number> {
  if (!process.stderr.isTTY && !quick) console.error("measuring compile time…");
  const rows = compileScale(quick);
  console.log(`\ncompile time (${machine()}):\n\n${scaleTable(rows)}`);
  if (json && !quick) {
    const prev = fs.existsSync(DOCS) ? fs.readFileSync(DOCS, "utf8") : "# Benchmarks\n";
    const section = [SCALE_BEGIN, `Measured by \`npm run bench -- compile-scale --json\` on ${machine()}, ${new Date().toISOString().slice(0, 10)}: one child process per input, the whole pipeline from parse to printed module, after a warm-up compile.`, "", scaleTable(rows), SCALE_END].join("\n");
    const start = prev.indexOf(SCALE_BEGIN.slice(0, 24));
    const next = start >= 0 && prev.includes(SCALE_END)
      ? prev.slice(0, start) + section + prev.slice(prev.indexOf(SCALE_END, start) + SCALE_END.length)
      : `${prev.trimEnd()}\n\n## Compile time\n\n${section}\n`;
    fs.writeFileSync(DOCS, next);
    console.log(`wrote ${path.relative(ROOT, DOCS)}`);
  }
  return 0;
}

/**
 * Peak memory of one gradient call: for adjoint, the high-water mark of the runtime's tapes
 * (every generated function keeps its values in a module-level `Tape`; local arrays and the
 * result buffers are not counted); for tfjs, the peak bytes of the tensors alive at once beyond
 * those before the call (`tf.profile`); none for manual and fd (their buffers are allocated
 * once, outside the call).
 */
async function peakOf(t: ToolRun): Promise<{ bytes: number; kind: "tape" | "tensors" } | undefined> {
  if (t.peak) return { bytes: await t.peak.bytes(), kind: t.peak.kind };
  if (t.tool !== "adjoint") return undefined;
  return { bytes: Tape.measure(t.gradient).peakBytes, kind: "tape" };
}

// ---------------------------------------------------------------------------------------------
// reporting

export function markdownTable(rows: Row[]): string {
  const lines = ["| problem | size | tool | objective ms | gradient ms | gradient / objective | peak memory |", "| --- | --- | --- | ---: | ---: | ---: | ---: |"];
  const peak = (r: Row) => (r.peakBytes === undefined ? "" : `${fmtBytes(r.peakBytes)} ${r.peakKind}`);
  for (const r of rows) lines.push(`| ${r.problem} | ${r.size} | ${r.tool} | ${fmtMs(r.objectiveMs)} | ${fmtMs(r.gradientMs)} | ${r.ratio.toFixed(2)} | ${peak(r)} |`);
  return lines.join("\n");
}

const mark = (ok: boolean) => (ok ? "✓" : "✗");

/** Per problem and size: adjoint's ratio against the goal, against manual and against tfjs. */
export function summaryTable(rows: Row[]): string {
  const lines = [
    "| problem | size | adjoint gradient / objective | goal | adjoint / manual (gradient time) | tfjs / adjoint (gradient time) |",
    "| --- | --- | ---: | ---: | ---: | ---: |",
  ];
  const keys = [...new Set(rows.map((r) => `${r.problem}\u0000${r.size}`))];
  for (const key of keys) {
    const [problem, size] = key.split("\u0000");
    const of = (tool: Tool) => rows.find((r) => r.problem === problem && r.size === size && r.tool === tool);
    const ad = of("adjoint");
    if (!ad) continue;
    const goal = RATIO_GOAL[problem];
    const man = of("manual"), tf = of("tfjs");
    const vsMan = man ? ad.gradientMs / man.gradientMs : undefined;
    const vsTf = tf ? tf.gradientMs / ad.gradientMs : undefined;
    lines.push(`| ${problem} | ${size} | ${ad.ratio.toFixed(2)}${goal ? ` ${mark(ad.ratio <= goal)}` : ""} | ${goal ? `≤ ${goal}` : ""} | ${vsMan === undefined ? "" : `${vsMan.toFixed(2)} ${mark(vsMan <= MANUAL_GOAL)}`} | ${vsTf === undefined ? "" : `${vsTf.toFixed(1)}× ${mark(vsTf >= TFJS_GOAL)}`} |`);
  }
  return lines.join("\n");
}

function mergeResults(rows: Row[], ran: string[]): Row[] {
  let old: Row[] = [];
  try {
    old = JSON.parse(fs.readFileSync(RESULTS, "utf8")) as Row[];
  } catch { /* none yet */ }
  const kept = old.filter((r) => !ran.includes(r.problem));
  const order = PROBLEMS.map((p) => p.name);
  const all = [...kept, ...rows];
  // stable: by problem in report order, then as measured
  return all.map((r, i) => ({ r, i })).sort((a, b) => order.indexOf(a.r.problem) - order.indexOf(b.r.problem) || a.i - b.i).map(({ r }) => r);
}

const BEGIN = "<!-- bench:begin (generated by `npm run bench -- --json`; edit outside these markers) -->";
const END = "<!-- bench:end -->";

function writeDocs(rows: Row[], runNotes: string[], ran: string[]) {
  const prev = fs.existsSync(DOCS) ? fs.readFileSync(DOCS, "utf8") : "";
  // notes of the problems not run this time stay as they were
  const oldSection = prev.includes(END) ? prev.slice(prev.indexOf(BEGIN.slice(0, 18)), prev.indexOf(END)) : "";
  const kept = oldSection.split("\n").filter((l) => l.startsWith("- ")).map((l) => l.slice(2)).filter((l) => !ran.includes(l.split(" ")[0]));
  const order = PROBLEMS.map((p) => p.name);
  const notes = [...kept, ...runNotes].sort((a, b) => order.indexOf(a.split(" ")[0]) - order.indexOf(b.split(" ")[0]));
  const section = [
    BEGIN,
    `Measured by \`npm run bench -- --json\` on ${machine()}, ${new Date().toISOString().slice(0, 10)}. Each figure is the median ${clockName()} per call over samples taken in alternation with the other functions of its problem and size; each problem runs in a Node process of its own, and ratios are within this one run.`,
    "",
    markdownTable(rows),
    "",
    `Goals: adjoint's gradient / objective ≤ ${RATIO_GOAL.gmm} for gmm, ≤ ${RATIO_GOAL.lse} for lse, ≤ ${RATIO_GOAL.llsq} for llsq, ≤ ${RATIO_GOAL.ba} for the ba Jacobian, ≤ ${RATIO_GOAL.lstm} for lstm, ≤ ${RATIO_GOAL["ode-rk4"]} for ode-rk4, ≤ ${RATIO_GOAL.mlp} for mlp, ≤ ${RATIO_GOAL.heat} for heat with @checkpoint, with at most ${fmtBytes(HEAT_GOAL.tapeBytes)} of tape; adjoint / manual ≤ ${MANUAL_GOAL}; tfjs at least ${TFJS_GOAL}× slower than adjoint.`,
    "",
    summaryTable(rows),
    ...(notes.length ? ["", ...notes.map((n) => `- ${n}`)] : []),
    "",
    "Peak memory: of one gradient call; `tape` is the high-water mark of adjoint's runtime tapes (the values the reverse sweep reads back; local arrays and result buffers not counted), `tensors` the peak bytes of tfjs tensors alive at once during the call beyond those before it (`tf.profile`).",
    "",
    `Checks before timing (ρ = |x − y| / max(1, |x| + |y|), worst entry): manual against Richardson differences ≤ ${TOL.manual}; adjoint value bit-identical to the objective, gradient against manual ρ ≤ ${TOL.adjointVsManual} (against Richardson differences ≤ ${TOL.adjointVsFd} where there is no manual gradient); fd ρ ≤ ${TOL.fd}; tfjs (float32) ρ ≤ ${TOL.tfjs}. fd is timed only where 2·P objective calls take under ${FD_BUDGET_MS} ms.`,
    END,
  ].join("\n");
  let next: string;
  if (prev.includes(BEGIN.slice(0, 18)) && prev.includes(END)) {
    const start = prev.indexOf(BEGIN.slice(0, 18));
    const stop = prev.indexOf(END, start) + END.length;
    next = prev.slice(0, start) + section + prev.slice(stop);
  } else if (prev) {
    next = `${prev.trimEnd()}\n\n## adjoint against the field\n\n${section}\n`;
  } else {
    next = `# Benchmarks\n\n## adjoint against the field\n\n${section}\n`;
  }
  fs.writeFileSync(DOCS, next);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  process.exitCode = await main();
}
