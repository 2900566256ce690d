/**
 * The examples, run at a small size: they train with generated gradients and reach their goal.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, it, expect } from "vitest";
import { ROOT, expectAllModesTree } from "./helpers.ts";
import * as deepModel from "../examples/deep-mlp/model.ts";
import * as deepModelGrad from "../examples/deep-mlp/model.grad.ts";
import { mulberry32, randomArray } from "../runtime/gradcheck.ts";
import { main as linearRegression } from "../examples/linear-regression/train.ts";
import { main as triangle } from "../examples/triangle-mlp/train.ts";
import { main as deepMlp } from "../examples/deep-mlp/train.ts";
import { main as customDerivatives } from "../examples/custom-derivatives/run.ts";
import { main as heat, shape } from "../examples/heat/train.ts";
import { misfitGrad, misfitTapedGrad } from "../examples/heat/model.grad.ts";
import { Tape } from "../runtime/tape.ts";
import { setCheckpointTapeBudget } from "../runtime/checkpoint.ts";
import { compileFiles } from "../compiler/index.ts";

const quiet = () => {};

describe("examples", () => {
  it("commit the modules adjoint generates from their sources today", () => {
    const committed = ["custom-derivatives", "deep-mlp", "heat", "linear-regression", "quickstart", "triangle-mlp"].map((d) => path.join(ROOT, "examples", d, "model.ts"));
    for (const r of compileFiles(committed)) {
      expect(r.diagnostics, r.source).toEqual([]);
      const onDisk = fs.readFileSync(r.source.replace(/\.ts$/, ".grad.ts"), "utf8");
      expect(r.output === onDisk, `${path.relative(ROOT, r.source)}: run \`adjoint gen\` on it`).toBe(true);
    }
  });

  it("linear regression recovers the true weights", () => {
    const r = linearRegression({ n: 200, steps: 300, log: quiet });
    expect(r.losses[r.losses.length - 1]).toBeLessThan(r.losses[0] / 1000);
    for (let j = 0; j < 3; j++) expect(Math.abs(r.w[j] - r.trueW[j])).toBeLessThan(0.05);
    expect(Math.abs(r.b - r.trueB)).toBeLessThan(0.05);
  });

  it("a network given as { layers: Layer[], head } learns sin(2x) with Adam on the object", () => {
    const r = deepMlp({ steps: 300, log: quiet });
    expect(r.losses[0]).toBeGreaterThan(0.1);
    expect(r.final).toBeLessThan(r.losses[0]! / 100);
  });

  it("the network's gradient agrees with finite differences for layers of different widths", () => {
    // widths 2 → 5 → 3 → 4, a batch of three
    const rng = mulberry32(12);
    const widths = [2, 5, 3, 4];
    const net = {
      layers: widths.slice(1).map((m, l) => ({ W: randomArray(rng, m * widths[l]!), b: randomArray(rng, m) })),
      head: { w: randomArray(rng, 4), c: 0.1 },
    };
    expectAllModesTree(deepModel, deepModelGrad, "loss", [net, randomArray(rng, 6), randomArray(rng, 3)], ["net", "xs", "ys"], ["net"]);
  });

  it("the triangle MLP learns the triangle and draws its decision boundary", () => {
    const out = path.join(ROOT, ".tmp", `boundary-${process.pid}.svg`);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    const { history } = triangle({ n: 300, hidden: 10, epochs: 600, log: quiet, out });
    const first = history[0], last = history[history.length - 1];
    expect(last.loss).toBeLessThan(first.loss / 5);
    expect(last.accuracy).toBeGreaterThan(0.95);
    const text = fs.readFileSync(out, "utf8");
    expect(text.startsWith("<svg")).toBe(true);
    expect(text.match(/<circle /g)).toHaveLength(300);
    expect(text).toContain("<polygon");
  });

  it("custom derivatives: stable logAddExp, Newton's square root, a median from a library, a straight-through rounding", () => {
    const lines: string[] = [];
    const r = customDerivatives((line) => lines.push(line));
    expect(r.ok).toBe(true);
    // log(1 + e^1200) is 1200 to double precision; the gradient of log(1 + e^(w·x)) is σ(w·x)·(x, w)
    expect(lines[0]).toBe('softplusLoss(800, 1.5) = 1200, grad {"w":1.5,"x":800}');
    expect(lines.filter((l) => l.startsWith("checkGradient ok"))).toHaveLength(5);
  });

  it("the heat example identifies the rod's coefficient and initial amplitude through a checkpointed simulation", () => {
    const r = heat({ n: 100, steps: 2000, iterations: 20, log: quiet });
    expect(r.misfits[r.misfits.length - 1]).toBeLessThan(r.misfits[0] * 1e-8);
    expect(Math.abs(r.a - r.trueA)).toBeLessThan(1e-4);
    expect(Math.abs(r.r - r.trueR)).toBeLessThan(1e-4);
  });

  it("the heat example's gradient is the same with and without @checkpoint, on a tape ~√steps as long", () => {
    const n = 100, steps = 10_000;
    const u0 = shape(n), target = new Float64Array(n).fill(0.1);
    // no step taped as the loop runs (budget 0): the √steps schedule alone
    const before = setCheckpointTapeBudget(0);
    let ck: ReturnType<typeof Tape.measure<ReturnType<typeof misfitGrad>>>;
    try {
      ck = Tape.measure(() => misfitGrad(u0, 0.2, target, steps));
    } finally {
      setCheckpointTapeBudget(before);
    }
    const taped = Tape.measure(() => misfitTapedGrad(u0, 0.2, target, steps));
    // with the default budget (32 MiB), this size (7.8 MB of tape) is taped whole as the loop runs
    const whole = Tape.measure(() => misfitGrad(u0, 0.2, target, steps));
    expect(whole.result).toEqual(taped.result);
    expect(whole.peakBytes).toBeGreaterThanOrEqual(8 * (n - 2) * steps);
    expect(whole.peakBytes).toBeLessThanOrEqual(1.01 * 8 * (n - 2) * steps + 4096);
    expect(ck.result.value).toBe(taped.result.value);
    expect(Math.abs(ck.result.grad.r - taped.result.grad.r)).toBeLessThanOrEqual(1e-12 * Math.abs(taped.result.grad.r));
    let worst = 0;
    for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(ck.result.grad.u0[i]! - taped.result.grad.u0[i]!) / Math.max(1e-300, Math.abs(taped.result.grad.u0[i]!)));
    expect(worst).toBeLessThanOrEqual(1e-12);
    // without: 8 bytes per interior cell and step (r's partial); with: ⌈√steps⌉ snapshots of n cells and one segment's tape
    expect(taped.peakBytes).toBeGreaterThanOrEqual(8 * (n - 2) * steps);
    expect(taped.peakBytes).toBeLessThanOrEqual(1.01 * 8 * (n - 2) * steps + 4096);
    // Tape.measure rounds up by less than 1/256 of the tape's buffer, which the example's run above
    // grew to 2 MiB: its 2,000 steps fit the budget and were taped whole as the loop ran
    expect(ck.peakBytes).toBeLessThanOrEqual(8 * n * 101 + 8 * (n - 2) * 100 + 4096 + 2 ** 21 / 256);
  });
});
