// Linear regression by gradient descent (lecture notes 002): N = 1000 samples, D = 3 features,
// 300 steps; the loss curve goes to examples/linear-regression/loss.svg.
// Run: npx tsx examples/linear-regression/train.ts
import fs from "node:fs";
import path from "node:path";
import { mulberry32, SGD } from "adjoint/runtime";
import { mseGrad } from "./model.grad.ts";
import { lineChart } from "../plot.ts";

export interface Result {
  losses: number[];
  w: Float64Array;
  b: number;
  trueW: Float64Array;
  trueB: number;
}

/** `out`: where to write the loss curve (SVG); nothing is written without it. */
export function main({ n = 1000, steps = 300, lr = 0.1, log = console.log, out = undefined as string | undefined } = {}): Result {
  const rng = mulberry32(2);
  const d = 3;
  const trueW = new Float64Array([2, -3, 0.5]);
  const trueB = 1;
  const X = new Float64Array(n * d);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let t = trueB;
    for (let j = 0; j < d; j++) {
      X[i * d + j] = 2 * rng() - 1;
      t += trueW[j] * X[i * d + j];
    }
    y[i] = t + 0.1 * (rng() - 0.5); // a little noise
  }

  const params = { w: new Float64Array(d), b: 0 };
  const opt = new SGD({ lr });
  const gw = new Float64Array(d); // gradient buffer, reused every step
  const losses: number[] = [];
  for (let step = 0; step <= steps; step++) {
    const { value, grad } = mseGrad(params.w, params.b, X, y, { w: gw });
    losses.push(value);
    if (step % 50 === 0) log(`step ${String(step).padStart(3)}  loss ${value.toFixed(6)}`);
    if (step < steps) opt.step(params, grad);
  }
  const fmt = (v: ArrayLike<number>) => Array.from(v, (x) => x.toFixed(3)).join(", ");
  log(`true  w = [${fmt(trueW)}], b = ${trueB.toFixed(3)}`);
  log(`found w = [${fmt(params.w)}], b = ${params.b.toFixed(3)}`);
  if (out) {
    fs.writeFileSync(out, lineChart({ title: `Linear regression: mean squared error (SGD, lr ${lr})`, xLabel: "step", yLabel: "loss", series: [{ label: "loss", y: losses }], logY: true }));
    log(`loss curve written to ${path.relative(process.cwd(), out)}`);
  }
  return { losses, w: params.w, b: params.b, trueW, trueB };
}

if (import.meta.url === `file://${process.argv[1]}`) main({ out: path.join(import.meta.dirname, "loss.svg") });
