// An MLP learns the lecture notes' triangle problem: points inside a triangle are +1, outside −1.
// Prints the accuracy as it trains and writes the decision boundary with the data points to
// examples/triangle-mlp/boundary.svg, and its loss curve to examples/triangle-mlp/loss.svg.
// Run: npx tsx examples/triangle-mlp/train.ts
import fs from "node:fs";
import path from "node:path";
import { Adam, mulberry32 } from "adjoint/runtime";
import { lossGrad } from "./model.grad.ts";
import { fieldChart, lineChart } from "../plot.ts";

const TRIANGLE: [number, number][] = [[-0.7, -0.6], [0.8, -0.4], [0.0, 0.8]];

function inside(px: number, py: number): boolean {
  const s = (a: [number, number], b: [number, number]) => (b[0] - a[0]) * (py - a[1]) - (b[1] - a[1]) * (px - a[0]);
  const d1 = s(TRIANGLE[0], TRIANGLE[1]), d2 = s(TRIANGLE[1], TRIANGLE[2]), d3 = s(TRIANGLE[2], TRIANGLE[0]);
  return (d1 >= 0 && d2 >= 0 && d3 >= 0) || (d1 <= 0 && d2 <= 0 && d3 <= 0);
}

interface Params { W1: Float64Array; b1: Float64Array; W2: Float64Array; b2: number }

/** The network's score f(x) (positive: inside). Plain code: no gradient needed here. */
function score(p: Params, x: number, y: number): number {
  let f = p.b2;
  for (let j = 0; j < p.b1.length; j++) f += p.W2[j] * Math.tanh(x * p.W1[j] + y * p.W1[p.b1.length + j] + p.b1[j]);
  return f;
}

function accuracy(p: Params, X: Float64Array, y: Float64Array): number {
  let ok = 0;
  for (let i = 0; i < y.length; i++) if (Math.sign(score(p, X[2 * i], X[2 * i + 1])) === y[i]) ok++;
  return ok / y.length;
}

/** The decision boundary: the network's probability of "inside" over the square, the triangle, the data. */
function boundary(p: Params, X: Float64Array, y: Float64Array): string {
  return fieldChart({
    probability: (px, py) => 1 / (1 + Math.exp(-score(p, px, py))),
    polygon: TRIANGLE,
    points: Array.from(y, (label, i) => ({ x: X[2 * i], y: X[2 * i + 1], positive: label > 0 })),
  });
}

export function main({
  n = 600, hidden = 12, epochs = 1500, lr = 0.03, log = console.log,
  out = path.join(import.meta.dirname, "boundary.svg"), lossOut = path.join(path.dirname(out), "loss.svg"),
} = {}) {
  const rng = mulberry32(7);
  const X = new Float64Array(2 * n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    X[2 * i] = 2 * rng() - 1;
    X[2 * i + 1] = 2 * rng() - 1;
    y[i] = inside(X[2 * i], X[2 * i + 1]) ? 1 : -1;
  }
  const init = (k: number, scale: number) => Float64Array.from({ length: k }, () => scale * (2 * rng() - 1));
  const params: Params = { W1: init(2 * hidden, 2), b1: init(hidden, 1), W2: init(hidden, 1), b2: 0 };
  const opt = new Adam({ lr });
  const buffers = { W1: new Float64Array(2 * hidden), b1: new Float64Array(hidden), W2: new Float64Array(hidden) };
  const history: { epoch: number; loss: number; accuracy: number }[] = [];
  const losses: number[] = [];
  for (let epoch = 0; epoch <= epochs; epoch++) {
    const { value, grad } = lossGrad(params.W1, params.b1, params.W2, params.b2, X, y, buffers);
    losses.push(value);
    if (epoch % Math.max(1, Math.floor(epochs / 6)) === 0 || epoch === epochs) {
      const acc = accuracy(params, X, y);
      history.push({ epoch, loss: value, accuracy: acc });
      log(`epoch ${String(epoch).padStart(4)}  loss ${value.toFixed(4)}  accuracy ${(100 * acc).toFixed(1)}%`);
    }
    if (epoch < epochs) opt.step(params, grad);
  }
  fs.writeFileSync(out, boundary(params, X, y));
  fs.writeFileSync(lossOut, lineChart({ title: `Triangle MLP: training loss (Adam, ${hidden} hidden units)`, xLabel: "epoch", yLabel: "loss", series: [{ label: "loss", y: losses }], logY: true }));
  log(`decision boundary written to ${path.relative(process.cwd(), out)}, loss curve to ${path.relative(process.cwd(), lossOut)}`);
  return { history, losses, out, lossOut };
}

if (import.meta.url === `file://${process.argv[1]}`) main();
