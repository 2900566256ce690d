/**
 * Custom derivatives and stopGradient, run: `npx tsx examples/custom-derivatives/run.ts`.
 * Prints the generated derivatives at a few points and checks each custom rule against finite
 * differences of its function.
 */
import { checkGradient, pushforwardGradient } from "adjoint-runtime";
import { logAddExp, logAddExpPullback, logAddExpPushforward, newtonSqrt, newtonSqrtPullback } from "./model.ts";
import { median, medianPullback, medianPushforward } from "./robust.ts";
import { softplusLossGrad, hypotenuseGrad, hypotenuseHvp, medianResidualGrad, quantizedLossGrad } from "./model.grad.ts";

export function main(log: (line: string) => void = console.log): { ok: boolean } {
  // log(1 + e^(w·x)) where e^(w·x) overflows: value and gradient stay finite
  const s = softplusLossGrad(800, 1.5);
  log(`softplusLoss(800, 1.5) = ${s.value}, grad ${JSON.stringify(s.grad)}`);
  const h = hypotenuseGrad(3, 4);
  log(`hypotenuse(3, 4) = ${h.value}, grad ${JSON.stringify(h.grad)}, H·(1, 0) = ${JSON.stringify(hypotenuseHvp(3, 4, { x: 1 }).hvp)}`);
  const xs = new Float64Array([1, 2, 3, 4, 5]);
  const ys = new Float64Array([2.1, 3.9, 6.2, 40, 9.8]); // one outlier
  const r = medianResidualGrad(1.5, xs, ys);
  log(`medianResidual(1.5) = ${r.value}, d/dw = ${r.grad.w}`);
  const q = quantizedLossGrad(1.3, 0.5);
  log(`quantizedLoss(1.3, 0.5) = ${q.value} (w rounded to 1), d/dw = ${q.grad.w} (as if not rounded)`);

  // each rule against finite differences of its function
  const checks = [
    checkGradient(logAddExp, [0.3, -1.2], logAddExpPullback(0.3, -1.2, 1), { names: ["a", "b"] }),
    checkGradient(logAddExp, [0.3, -1.2], pushforwardGradient(logAddExpPushforward, [0.3, -1.2], ["a", "b"]), { names: ["a", "b"] }),
    checkGradient(newtonSqrt, [2], newtonSqrtPullback(2, 1), { names: ["a"] }),
    checkGradient(median, [ys], medianPullback(ys, 1), { names: ["xs"] }),
    checkGradient(median, [ys], pushforwardGradient(medianPushforward, [ys], ["xs"]), { names: ["xs"] }),
  ];
  for (const c of checks) log(c.report.split("\n")[0]!);
  return { ok: checks.every((c) => c.ok) };
}

if (import.meta.url === `file://${process.argv[1]}`) main();
