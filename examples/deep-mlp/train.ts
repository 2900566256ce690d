// A network whose parameters are one nested object, { layers: Layer[], head }, learns
// y = sin(2x) on [-1.5, 1.5]: Adam steps the whole object with the gradient object of the same
// shape that the generated lossGrad returns.
// Run: npx tsx examples/deep-mlp/train.ts
import { Adam, mulberry32 } from "adjoint/runtime";
import { lossGrad } from "./model.grad.ts";
import { loss, type Net } from "./model.ts";

export function main({ widths = [1, 8, 8], batch = 48, steps = 600, lr = 0.02, log = console.log } = {}) {
  const rng = mulberry32(3);
  const init = (k: number, scale: number) => Float64Array.from({ length: k }, () => scale * (2 * rng() - 1));
  const net: Net = {
    layers: widths.slice(1).map((m, l) => ({ W: init(m * widths[l]!, 1 / Math.sqrt(widths[l]!)), b: init(m, 0.1) })),
    head: { w: init(widths[widths.length - 1]!, 0.5), c: 0 },
  };
  const xs = Float64Array.from({ length: batch }, (_, i) => -1.5 + (3 * i) / (batch - 1));
  const ys = xs.map((x) => Math.sin(2 * x));
  const opt = new Adam({ lr });
  const losses: number[] = [];
  for (let step = 0; step <= steps; step++) {
    const { value, grad } = lossGrad(net, xs, ys);
    losses.push(value);
    if (step % 100 === 0) log(`step ${String(step).padStart(4)}  loss ${value.toFixed(5)}`);
    opt.step(net, grad.net);
  }
  return { losses, final: loss(net, xs, ys) };
}

if (import.meta.url === `file://${process.argv[1]}`) main();
