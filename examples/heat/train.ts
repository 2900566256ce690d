// Identifies a rod's diffusion coefficient r and the amplitude a of its initial temperature
// u0 = a·shape from the temperature measured after `steps` explicit steps (model.ts). Each
// iteration takes one gradient of the whole simulation, grad.r directly and ∂misfit/∂a =
// ⟨grad.u0, shape⟩ from the gradient with respect to the initial state, and a quasi-Newton
// (BFGS) step with backtracking. With @checkpoint on the time loop the tape stays a few
// megabytes whatever the number of steps.
// Run: npx tsx examples/heat/train.ts [steps] [iterations]   (1,000 cells; default 20,000 steps, at most 20 iterations)
import { misfit } from "./model.ts";
import { misfitGrad } from "./model.grad.ts";

export interface Result {
  misfits: number[];
  a: number;
  r: number;
  trueA: number;
  trueR: number;
}

/** The shape of the initial temperature: two warm bumps on a cold rod. */
export function shape(n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => {
    const x = i / (n - 1);
    return Math.exp(-(((x - 0.3) / 0.05) ** 2)) + 0.5 * Math.exp(-(((x - 0.7) / 0.08) ** 2));
  });
}

/** The rod after `steps` steps from `u0` (what model.ts computes before the misfit). */
export function simulate(u0: Float64Array, r: number, steps: number): Float64Array {
  const n = u0.length;
  const u = Float64Array.from(u0);
  for (let t = 0; t < steps; t++) {
    let left = u[0]!;
    for (let i = 1; i < n - 1; i++) {
      const c = u[i]!;
      u[i] = c + r * (left - 2 * c + u[i + 1]!);
      left = c;
    }
  }
  return u;
}

export function main({ n = 1000, steps = 20_000, iterations = 20, log = console.log } = {}): Result {
  const trueA = 1, trueR = 0.25;
  const s = shape(n);
  const target = simulate(s.map((x) => trueA * x), trueR, steps); // the measurement
  const u0 = new Float64Array(n);
  const gu0 = new Float64Array(n); // gradient buffer, reused
  const initial = ([a]: number[]) => {
    for (let i = 0; i < n; i++) u0[i] = a! * s[i]!;
    return u0;
  };
  /** The misfit at (a, r) and its gradient: one generated gradient call. */
  const evaluate = (x: number[]): [number, number[]] => {
    const { value, grad } = misfitGrad(initial(x), x[1]!, target, steps, { u0: gu0 });
    let da = 0;
    for (let i = 0; i < n; i++) da += grad.u0[i]! * s[i]!; // chain rule through u0 = a·shape
    return [value, [da, grad.r]];
  };
  const f = (x: number[]) => misfit(initial(x), x[1]!, target, steps);

  // BFGS on (a, r) with Armijo backtracking; H approximates the inverse Hessian
  let x = [0.5, 0.1]; // the first guess
  let [fx, g] = evaluate(x);
  let H = [[1, 0], [0, 1]];
  const misfits = [fx];
  const report = (k: number) => log(`iteration ${String(k).padStart(2)}  misfit ${fx.toExponential(3)}  a ${x[0]!.toFixed(5)}  r ${x[1]!.toFixed(5)}`);
  report(0);
  for (let k = 1; k <= iterations && fx > 0; k++) {
    const p = [-(H[0]![0]! * g[0]! + H[0]![1]! * g[1]!), -(H[1]![0]! * g[0]! + H[1]![1]! * g[1]!)];
    const slope = p[0]! * g[0]! + p[1]! * g[1]!;
    // the first step is as long as 0.1 whatever the gradient's scale; the scheme needs 0 < r ≤ 1/2
    let t = k === 1 ? 0.1 / Math.hypot(p[0]!, p[1]!) : 1;
    let next = [x[0]! + t * p[0]!, x[1]! + t * p[1]!];
    while (!(next[1]! > 0 && next[1]! <= 0.5 && f(next) <= fx + 1e-4 * t * slope) && t > 1e-12) {
      t /= 2;
      next = [x[0]! + t * p[0]!, x[1]! + t * p[1]!];
    }
    if (t <= 1e-12) break; // no step decreases the misfit: converged to rounding
    const [fn, gn] = evaluate(next);
    const sv = [next[0]! - x[0]!, next[1]! - x[1]!], yv = [gn[0]! - g[0]!, gn[1]! - g[1]!];
    const sy = sv[0]! * yv[0]! + sv[1]! * yv[1]!;
    if (sy > 0) {
      if (k === 1) H = [[sy / (yv[0]! ** 2 + yv[1]! ** 2), 0], [0, sy / (yv[0]! ** 2 + yv[1]! ** 2)]];
      // H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ
      const rho = 1 / sy;
      const Hy = [H[0]![0]! * yv[0]! + H[0]![1]! * yv[1]!, H[1]![0]! * yv[0]! + H[1]![1]! * yv[1]!];
      const yHy = yv[0]! * Hy[0]! + yv[1]! * Hy[1]!;
      H = [0, 1].map((i) => [0, 1].map((j) =>
        H[i]![j]! - rho * (Hy[i]! * sv[j]! + sv[i]! * Hy[j]!) + (rho * rho * yHy + rho) * sv[i]! * sv[j]!));
    }
    x = next;
    fx = fn;
    g = gn;
    misfits.push(fx);
    if (k % 2 === 0 || k === iterations) report(k);
  }
  log(`true a = ${trueA}, r = ${trueR}; found a = ${x[0]!.toFixed(5)}, r = ${x[1]!.toFixed(5)}`);
  return { misfits, a: x[0]!, r: x[1]!, trueA, trueR };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [steps, iterations] = process.argv.slice(2).map(Number);
  main({ ...(steps ? { steps } : {}), ...(iterations ? { iterations } : {}) });
}
