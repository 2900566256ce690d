/**
 * The heat example (examples/heat/model.ts): 1,000 cells of an explicit heat equation, the misfit
 * after `steps` steps differentiated with respect to the initial state and the coefficient, with
 * `@checkpoint` on the time loop (`misfitGrad`) and without (`misfitTapedGrad`).
 *
 * - Checks: each gradient against Richardson differences along a random direction; the taped
 *   gradient also against the checkpointed one (they must agree to 1e-12).
 * - Memory: the tape's high-water mark of one call (the table's peak column) and, in full runs,
 *   the peak RSS of one call in a fresh process (bench/heat-rss.ts), beside a process that runs
 *   only the objective (Node's own baseline).
 * - Without `@checkpoint` the tape grows by 8 bytes per cell and step: at 100,000 steps it would
 *   hold 0.8 GB, so that size runs with `@checkpoint` only and the note gives the taped tape
 *   extrapolated from the measured one at 10,000 steps (exact: the tape is linear in steps).
 */
import path from "node:path";
import { spawnSync } from "node:child_process";
import { Tape } from "../runtime/tape.ts";
import { setCheckpointTapeBudget } from "../runtime/checkpoint.ts";
import { TOL, directionalError, fmtBytes, maxRho, type Case, type Mods, type ToolRun } from "./cases.ts";
import { shape, simulate } from "../examples/heat/train.ts";

export const HEAT_MODEL = "examples/heat/model";

/** The bench's goals for the checkpointed gradient (issue 12): tape and gradient / objective. */
export const HEAT_GOAL = { tapeBytes: 64 * 2 ** 20, ratio: 4 };

const ROOT = path.resolve(import.meta.dirname, "..");

/** Peak RSS of one call in a fresh process (see bench/heat-rss.ts). */
export function rssOf(genFile: string, what: "gradient" | "objective", fn: string, n: number, steps: number): { maxRssBytes: number; tapeBytes: number; ms: number } {
  const r = spawnSync(process.execPath, ["--import", "tsx", path.join(ROOT, "bench/heat-rss.ts"), genFile, what, fn, String(n), String(steps)], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`heat-rss ${what} ${fn} ${n} ${steps} exited ${r.status ?? r.signal}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

/**
 * Quick sizes fit the default tape budget of checkpointed loops whole (they would run as if
 * untagged); a budget of 1 KiB, a tail of 7 of the 200 steps, keeps the √n schedule in play.
 */
const QUICK_TAPE_BUDGET = 1024;

/** `f` with the tape budget of checkpointed loops set to `bytes` while it runs. */
function budgeted<A extends unknown[], R>(bytes: number, f: (...a: A) => R): (...a: A) => R {
  return (...a) => {
    const before = setCheckpointTapeBudget(bytes);
    try {
      return f(...a);
    } finally {
      setCheckpointTapeBudget(before);
    }
  };
}

export function heatCases(mods: Mods, quick: boolean): Case[] {
  const { src, gen: loaded, genFile } = mods[HEAT_MODEL]!;
  const gen = quick ? { ...loaded, misfitGrad: budgeted(QUICK_TAPE_BUDGET, loaded.misfitGrad!) } : loaded;
  const n = quick ? 20 : 1000;
  // [steps, with the taped variant too]
  const sizes: [number, boolean][] = quick ? [[200, true]] : [[10_000, true], [100_000, false]];
  let tapedPerStep: number | undefined; // the taped tape's bytes per step, measured at the first size
  return sizes.map(([steps, taped]) => {
    const u0 = shape(n);
    // the measurement: the rod after `steps` steps from a slightly different start and coefficient
    const target = simulate(u0.map((x) => 1.1 * x), 0.24, steps);
    const r = 0.25;
    const objective = () => src.misfit(u0, r, target, steps);
    const f = (u: Float64Array, rv: number) => src.misfit(u, rv, target, steps);
    const gCk = new Float64Array(n), gTp = new Float64Array(n);
    const notes: string[] = [];
    const fdCheck = (res: { value: number; grad: { u0: Float64Array; r: number } }) =>
      Object.is(res.value, objective()) ? directionalError(f, [u0, r], [res.grad.u0, res.grad.r]) : Infinity;
    const tools: ToolRun[] = [{
      tool: "adjoint", variant: "@checkpoint", tolerance: TOL.adjointVsFd,
      gradient: () => gen.misfitGrad(u0, r, target, steps, { u0: gCk }),
      check: () => fdCheck(gen.misfitGrad(u0, r, target, steps)),
    }];
    if (taped) {
      tools.push({
        tool: "adjoint", variant: "no @checkpoint", tolerance: TOL.adjointVsFd,
        gradient: () => gen.misfitTapedGrad(u0, r, target, steps, { u0: gTp }),
        check: () => {
          const a = gen.misfitTapedGrad(u0, r, target, steps), b = gen.misfitGrad(u0, r, target, steps);
          // the same gradient with and without @checkpoint, to 1e-12
          const same = maxRho([a.grad.u0, a.grad.r], [b.grad.u0, b.grad.r]);
          return same <= 1e-12 ? fdCheck(a) : Infinity;
        },
      });
      const bytes = Tape.measure(() => gen.misfitTapedGrad(u0, r, target, steps)).peakBytes;
      tapedPerStep = bytes / steps;
    } else if (tapedPerStep !== undefined) {
      notes.push(`without @checkpoint the tape would hold ${fmtBytes(tapedPerStep * steps)} (extrapolated from the tape measured at the smaller size: it grows linearly with the steps); this size runs with @checkpoint only`);
    }
    const ckTape = Tape.measure(() => gen.misfitGrad(u0, r, target, steps)).peakBytes;
    notes.push(`@checkpoint tape ${fmtBytes(ckTape)} (goal ≤ ${fmtBytes(HEAT_GOAL.tapeBytes)}${ckTape <= HEAT_GOAL.tapeBytes ? " ✓" : " ✗"})`);
    if (!quick && genFile) {
      // peak RSS of one call, each in a fresh process
      const base = rssOf(genFile, "objective", "misfit", n, steps);
      const ck = rssOf(genFile, "gradient", "misfitGrad", n, steps);
      const parts = [`objective only ${fmtBytes(base.maxRssBytes)}`, `gradient with @checkpoint ${fmtBytes(ck.maxRssBytes)}`];
      if (taped) parts.push(`gradient without ${fmtBytes(rssOf(genFile, "gradient", "misfitTapedGrad", n, steps).maxRssBytes)}`);
      notes.push(`peak RSS of one call in a fresh process: ${parts.join(", ")}`);
    }
    return { problem: "heat", size: `n=${n} steps=${steps}`, objective, tools, notes };
  });
}
