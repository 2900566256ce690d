/**
 * Benchmark cases: each problem's data (fixed seed), objective, and the gradients to time,
 * each with a correctness check that runs before any timing.
 */
import { mulberry32, randomArray, directionalDerivative, relativeError, type Args } from "../runtime/gradcheck.ts";

/* eslint-disable @typescript-eslint/no-explicit-any */
export type Gen = Record<string, any>;

export interface ToolRun {
  tool: "adjoint" | "manual" | "tfjs" | "fd";
  /** The tool's own objective, when it differs from the TypeScript one (tfjs). */
  objective?: () => unknown;
  gradient: () => unknown;
  /** Error of the gradient against the reference; must be ≤ tolerance before timing. */
  check: () => number;
  tolerance: number;
}

export interface Case {
  problem: string;
  size: string;
  objective: () => unknown;
  tools: ToolRun[];
}

/** ⟨∇f, v⟩ from an analytic gradient vs a Richardson finite difference along v. */
export function directionalError(f: (...a: any[]) => number, args: Args, grad: (number | Float64Array)[], seed = 5): number {
  const rng = mulberry32(seed);
  const dir: Args = args.map((a, i) => (grad[i] === undefined ? 0 : typeof a === "number" ? rng() - 0.5 : randomArray(rng, a.length, -0.5, 0.5)));
  let analytic = 0;
  grad.forEach((g, i) => {
    if (g === undefined) return;
    const d = dir[i];
    if (typeof g === "number") analytic += g * (d as number);
    else for (let k = 0; k < g.length; k++) analytic += g[k] * (d as Float64Array)[k];
  });
  const numeric = directionalDerivative(f, args, dir);
  return relativeError(analytic, numeric);
}

export function loopCases(gen: { dot: Gen; logreg: Gen; ode: Gen; src: { dot: Gen; logreg: Gen; ode: Gen } }, quick: boolean): Case[] {
  const rng = mulberry32(42);
  const cases: Case[] = [];

  {
    const n = quick ? 1000 : 100_000;
    const w = randomArray(rng, n), x = randomArray(rng, n);
    const out = { w: new Float64Array(n), x: new Float64Array(n) };
    cases.push({
      problem: "dot", size: `n=${n}`,
      objective: () => gen.src.dot.dot(w, x),
      tools: [{
        tool: "adjoint", gradient: () => gen.dot.dotGrad(w, x, out), tolerance: 1e-6,
        check: () => { const g = gen.dot.dotGrad(w, x).grad; return directionalError(gen.src.dot.dot, [w, x], [g.w, g.x]); },
      }],
    });
  }
  {
    const d = 10, n = quick ? 100 : 10_000;
    const w = randomArray(rng, d), X = randomArray(rng, n * d);
    const y = new Float64Array(n).map(() => (rng() < 0.5 ? 0 : 1));
    const out = { w: new Float64Array(d) };
    cases.push({
      problem: "logreg", size: `n=${n} d=${d}`,
      objective: () => gen.src.logreg.logregLoss(w, 0.1, X, y),
      tools: [{
        tool: "adjoint", gradient: () => gen.logreg.logregLossGrad(w, 0.1, X, y, out), tolerance: 1e-6,
        check: () => { const g = gen.logreg.logregLossGrad(w, 0.1, X, y).grad; return directionalError(gen.src.logreg.logregLoss, [w, 0.1, X, y], [g.w, g.b]); },
      }],
    });
  }
  {
    const steps = quick ? 100 : 1000;
    const args = [1.2, 0.3, 0.5, 0.4, 0.0, steps, 0.01] as const;
    cases.push({
      problem: "ode", size: `euler steps=${steps}`,
      objective: () => gen.src.ode.pendulum(...args),
      tools: [{
        tool: "adjoint", gradient: () => gen.ode.pendulumGrad(...args), tolerance: 1e-6,
        check: () => { const g = gen.ode.pendulumGrad(...args).grad; return directionalError(gen.src.ode.pendulum, [...args], [g.k, g.c, g.a, g.x0, g.v0]); },
      }],
    });
  }
  return cases;
}
