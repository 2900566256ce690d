/**
 * Benchmark cases: each problem's data (fixed seed), objective, and the gradients to time,
 * each with a correctness check that runs before any timing.
 *
 * References and tolerances (ρ = |x − y| / max(1, |x| + |y|), ADBench's measure, worst entry):
 * - manual: against Richardson-extrapolated central differences along a random direction, ≤ 1e-6
 *   (kmeans, piecewise quadratic: one central difference at a step that keeps every point's
 *   closest centroid, exact up to rounding there; see `kmeansSafeStep`);
 * - adjoint: value bit-identical to the objective's; gradient against manual, ρ ≤ 1e-8, or (no
 *   manual) against Richardson finite differences, ≤ 1e-6;
 * - fd (plain central differences, what a user without AD would write): against the same
 *   reference, ρ ≤ 1e-6;
 * - tfjs (float32): against manual, ρ ≤ 1e-2 (float32 sums with cancellation: at gmm d=64 K=50
 *   the worst entry of mu's gradient is off by 1.2e-3).
 */
import { mulberry32, randomArray, directionalDerivative, relativeError, numericGradient, type Args } from "../runtime/gradcheck.ts";
import { Tape } from "../runtime/tape.ts";
import { measure } from "./harness.ts";
import { gmmInstance, baInstance, lstmInstance, kmeansInstance, detInstance, normal, uniform, rngFor, SEED, type KmeansInstance } from "./data.ts";
import { lseGradManual } from "./manual/lse.ts";
import { llsqGradManual } from "./manual/llsq.ts";
import { gmmGradManual, gmmScratch, gmmConstant } from "./manual/gmm.ts";
import { lstmGradManual, lstmScratch } from "./manual/lstm.ts";
import { kmeansDirManual, kmeansOut } from "./manual/kmeans.ts";
import { detGradManual, detScratch } from "./manual/det.ts";
import { logisticGradManual } from "./manual/logistic.ts";
import { tfLse, tfLlsq, tfGmm, tfLstm, tfKmeans, tfLogisticScalar, tfPendulumScalar, type Tf, type TfRun } from "./tfjs.ts";

/* eslint-disable @typescript-eslint/no-explicit-any */
export type Gen = Record<string, any>;

export type Tool = "adjoint" | "manual" | "tfjs" | "fd";

export interface ToolRun {
  tool: Tool;
  /** Appended to the case's size in the results (a variant of the same tool). */
  variant?: string;
  /** The tool's own objective, when it differs from the TypeScript one (tfjs). */
  objective?: () => unknown;
  gradient: () => unknown;
  /** Error of the gradient against the reference; must be ≤ tolerance before timing. */
  check: () => number;
  tolerance: number;
  /**
   * Peak memory of one gradient call in bytes, and what it counts. Left out, an adjoint tool
   * is measured by the runtime tapes' high-water mark (`Tape.measure`); others report none.
   */
  peak?: { kind: "tape" | "tensors"; bytes: () => number | Promise<number> };
}

export interface Case {
  problem: string;
  size: string;
  objective: () => unknown;
  tools: ToolRun[];
  /** Why a baseline was left out (printed and written to the docs). */
  notes?: string[];
  dispose?: () => void;
}

/** Compiled problem modules: `src` the annotated source, `gen` the generated gradients (written to `genFile`). */
export type Mods = Record<string, { src: Gen; gen: Gen; genFile?: string }>;

export const TOL = { manual: 1e-6, adjointVsManual: 1e-8, adjointVsFd: 1e-6, fd: 1e-6, tfjs: 1e-2 } as const;

/** An fd gradient is timed only when its estimated cost (2·P objective calls) is below this. */
export const FD_BUDGET_MS = 500;

// ---------------------------------------------------------------------------------------------
// errors

/** ADBench's ρ between two numbers. */
export function rho(x: number, y: number): number {
  if (Object.is(x, y)) return 0;
  const e = Math.abs(x - y) / Math.max(1, Math.abs(x) + Math.abs(y));
  return Number.isNaN(e) ? Infinity : e;
}

type Field = number | Float64Array | Float32Array;

/** Worst ρ over corresponding entries of two lists of numbers/arrays (lengths must agree). */
export function maxRho(a: Field[], b: Field[]): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i], y = b[i];
    if (typeof x === "number" || typeof y === "number") {
      if (typeof x !== "number" || typeof y !== "number") return Infinity;
      worst = Math.max(worst, rho(x, y));
      continue;
    }
    if (x.length !== y.length) return Infinity;
    for (let e = 0; e < x.length; e++) worst = Math.max(worst, rho(x[e], y[e]));
  }
  return worst;
}

/** ⟨∇f, v⟩ from an analytic gradient vs a Richardson finite difference along a random v. */
export function directionalError(f: (...a: any[]) => number, args: Args, grad: (number | Float64Array | undefined)[], seed = 5): number {
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

/** The adjoint value must be the objective's value, bit for bit; otherwise the check fails. */
function sameValue(value: number, objective: number, err: number): number {
  return Object.is(value, objective) ? err : Infinity;
}

// ---------------------------------------------------------------------------------------------
// finite differences as a user would write them

/** Step for a central difference at x: a power of two near ∛ε·max(1, |x|), so x ± h is exact. */
function fdStep(x: number): number {
  return 2 ** Math.round(Math.log2(6e-6 * Math.max(1, Math.abs(x))));
}

/**
 * The full gradient by central differences with respect to the arrays `args[which]`, perturbing
 * them in place (restored after each entry), into `out` (one array per index in `which`).
 */
export function fdGradient(f: (...a: any[]) => number, args: any[], which: number[], out: Float64Array[]): Float64Array[] {
  which.forEach((k, o) => {
    const a = args[k] as Float64Array;
    const g = out[o];
    for (let e = 0; e < a.length; e++) {
      const x = a[e];
      const h = fdStep(x);
      a[e] = x + h;
      const fp = f(...args);
      a[e] = x - h;
      const fm = f(...args);
      a[e] = x;
      g[e] = (fp - fm) / (2 * h);
    }
  });
  return out;
}

/** Milliseconds per call after a short warm-up: enough to decide whether fd is affordable. */
export function estimateMs(fn: () => unknown): number {
  return measure(fn, 30).ms;
}

/** An fd tool when 2·P objective calls fit the budget, else a note saying why it was left out. */
function fdTool(
  objective: () => unknown, params: number, make: () => Omit<ToolRun, "tool">, notes: string[], budgetMs = FD_BUDGET_MS,
): ToolRun[] {
  const est = 2 * params * estimateMs(objective);
  if (est > budgetMs) {
    notes.push(`fd skipped: ${2 * params} objective calls per gradient ≈ ${est >= 1000 ? `${(est / 1000).toFixed(1)} s` : `${est.toFixed(0)} ms`} (budget ${budgetMs} ms)`);
    return [];
  }
  return [{ tool: "fd", ...make() }];
}

function tfTools(run: TfRun | undefined, reference: () => Field[], refValue: () => number): ToolRun[] {
  if (!run) return [];
  return [{
    tool: "tfjs", objective: run.objective, gradient: run.gradient, tolerance: TOL.tfjs,
    check: () => Math.max(rho(run.objective(), refValue()), maxRho(run.gradient(), reference())),
    peak: { kind: "tensors", bytes: run.peakBytes },
  }];
}

// ---------------------------------------------------------------------------------------------
// the loop problems (dot, logistic regression, Euler ODE): adjoint checked against FD; the ODE also
// against scalar tfjs

export function loopCases(mods: Mods, quick: boolean, tf?: Tf): Case[] {
  const rng = mulberry32(42);
  const cases: Case[] = [];
  const { dot, logreg, ode } = mods;

  {
    const n = quick ? 1000 : 100_000;
    const w = randomArray(rng, n), x = randomArray(rng, n);
    const out = { w: new Float64Array(n), x: new Float64Array(n) };
    cases.push({
      problem: "dot", size: `n=${n}`,
      objective: () => dot.src.dot(w, x),
      tools: [{
        tool: "adjoint", gradient: () => dot.gen.dotGrad(w, x, out), tolerance: TOL.adjointVsFd,
        check: () => { const r = dot.gen.dotGrad(w, x); return sameValue(r.value, dot.src.dot(w, x), directionalError(dot.src.dot, [w, x], [r.grad.w, r.grad.x])); },
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
      objective: () => logreg.src.logregLoss(w, 0.1, X, y),
      tools: [{
        tool: "adjoint", gradient: () => logreg.gen.logregLossGrad(w, 0.1, X, y, out), tolerance: TOL.adjointVsFd,
        check: () => {
          const r = logreg.gen.logregLossGrad(w, 0.1, X, y);
          return sameValue(r.value, logreg.src.logregLoss(w, 0.1, X, y), directionalError(logreg.src.logregLoss, [w, 0.1, X, y], [r.grad.w, r.grad.b]));
        },
      }],
    });
  }
  {
    const steps = quick ? 100 : 1000;
    const args = [1.2, 0.3, 0.5, 0.4, 0.0, steps, 0.01] as const;
    const f = (k: number, c: number, a: number, x0: number, v0: number) => ode.src.pendulum(k, c, a, x0, v0, steps, 0.01);
    const tfRun = tf ? tfPendulumScalar(tf, ...args) : undefined;
    cases.push({
      problem: "ode", size: `euler steps=${steps}`,
      objective: () => ode.src.pendulum(...args),
      tools: [
        {
          tool: "adjoint", gradient: () => ode.gen.pendulumGrad(...args), tolerance: TOL.adjointVsFd,
          check: () => {
            const r = ode.gen.pendulumGrad(...args);
            return sameValue(r.value, ode.src.pendulum(...args), directionalError(ode.src.pendulum, [...args], [r.grad.k, r.grad.c, r.grad.a, r.grad.x0, r.grad.v0]));
          },
        },
        // scalar tfjs: one 0-d tensor per state variable and step, as a user would port the loop
        ...tfTools(tfRun, () => [Float64Array.from(numericGradient(f, [...args.slice(0, 5)]) as number[])], () => ode.src.pendulum(...args)),
      ],
      dispose: () => tfRun?.dispose(),
    });
  }
  return cases;
}

// ---------------------------------------------------------------------------------------------
// GradBench problems

export function lseCases(mods: Mods, quick: boolean, tf?: Tf): Case[] {
  const { src, gen } = mods.lse;
  const sizes = quick ? [100] : [2500, 1_280_000];
  return sizes.map((n) => {
    const x = uniform(rngFor(SEED), n); // GradBench: U(0, 1)
    const objective = () => src.lse(x);
    const gAd = new Float64Array(n), gMan = new Float64Array(n), gFd = new Float64Array(n);
    const manual = () => lseGradManual(x, new Float64Array(n)).grad;
    const notes: string[] = [];
    const tfRun = tf ? tfLse(tf, x) : undefined;
    const tools: ToolRun[] = [
      {
        tool: "adjoint", gradient: () => gen.lseGrad(x, { x: gAd }), tolerance: TOL.adjointVsManual,
        check: () => { const r = gen.lseGrad(x); return sameValue(r.value, src.lse(x), maxRho([r.grad.x], [manual()])); },
      },
      {
        tool: "manual", gradient: () => lseGradManual(x, gMan), tolerance: TOL.manual,
        check: () => { const r = lseGradManual(x, new Float64Array(n)); return Math.max(rho(r.value, src.lse(x)), directionalError(src.lse, [x], [r.grad])); },
      },
      ...fdTool(objective, n, () => ({
        gradient: () => fdGradient(src.lse, [x], [0], [gFd]), tolerance: TOL.fd,
        check: () => maxRho(fdGradient(src.lse, [new Float64Array(x)], [0], [new Float64Array(n)]), [manual()]),
      }), notes),
      ...tfTools(tfRun, () => [manual()], () => src.lse(x)),
    ];
    return { problem: "lse", size: `n=${n}`, objective, tools, notes, dispose: () => tfRun?.dispose() };
  });
}

export function llsqCases(mods: Mods, quick: boolean, tf?: Tf): Case[] {
  const { src, gen } = mods.llsq;
  const m = quick ? 8 : 128;
  const sizes = quick ? [32] : [1024, 4096];
  return sizes.map((n) => {
    const x = uniform(rngFor(SEED), m); // GradBench: U(0, 1)
    const objective = () => src.llsq(x, n);
    const gAd = new Float64Array(m), gMan = new Float64Array(m), pow = new Float64Array(m), gFd = new Float64Array(m);
    const manual = () => llsqGradManual(x, n, new Float64Array(m), new Float64Array(m)).grad;
    const notes: string[] = [];
    const tfRun = tf ? tfLlsq(tf, x, n) : undefined;
    const f = (xv: Float64Array) => src.llsq(xv, n);
    const tools: ToolRun[] = [
      {
        tool: "adjoint", gradient: () => gen.llsqGrad(x, n, { x: gAd }), tolerance: TOL.adjointVsManual,
        check: () => { const r = gen.llsqGrad(x, n); return sameValue(r.value, src.llsq(x, n), maxRho([r.grad.x], [manual()])); },
      },
      {
        tool: "manual", gradient: () => llsqGradManual(x, n, gMan, pow), tolerance: TOL.manual,
        check: () => { const r = llsqGradManual(x, n, new Float64Array(m), new Float64Array(m)); return Math.max(rho(r.value, src.llsq(x, n)), directionalError(f, [x], [r.grad])); },
      },
      ...fdTool(objective, m, () => ({
        gradient: () => fdGradient(f, [x], [0], [gFd]), tolerance: TOL.fd,
        check: () => maxRho(fdGradient(f, [new Float64Array(x)], [0], [new Float64Array(m)]), [manual()]),
      }), notes),
      ...tfTools(tfRun, () => [manual()], () => src.llsq(x, n)),
    ];
    return { problem: "llsq", size: `n=${n} m=${m}`, objective, tools, notes, dispose: () => tfRun?.dispose() };
  });
}

export function gmmCases(mods: Mods, quick: boolean, tf?: Tf): Case[] {
  const { src, gen } = mods.gmm;
  const sizes: [number, number, number][] = quick ? [[2, 3, 20], [3, 2, 10]] : [[2, 5, 1000], [10, 5, 1000], [20, 10, 1000], [64, 50, 1000]];
  return sizes.map(([d, k, n]) => {
    const I = gmmInstance(d, k, n);
    const { alpha, mu, q, l, x, gamma, m } = I;
    const args = (a = alpha, u = mu, qq = q, ll = l) => [d, k, n, a, u, qq, ll, x, gamma, m] as const;
    const objective = () => src.gmm(...args());
    const newGrad = () => ({ alpha: new Float64Array(k), mu: new Float64Array(k * d), q: new Float64Array(k * d), l: new Float64Array(l.length) });
    const gAd = newGrad(), gMan = newGrad(), scratch = gmmScratch(d, k);
    const gFd = [new Float64Array(k), new Float64Array(k * d), new Float64Array(k * d), new Float64Array(l.length)];
    const manual = () => { const g = gmmGradManual(...args(), newGrad(), gmmScratch(d, k)).grad; return [g.alpha, g.mu, g.q, g.l]; };
    const notes: string[] = [];
    const tfRun = tf ? tfGmm(tf, d, k, n, alpha, mu, q, l, x, gamma, m, gmmConstant(d, k, n, gamma, m)) : undefined;
    const params = alpha.length + mu.length + q.length + l.length;
    const tools: ToolRun[] = [
      {
        tool: "adjoint", gradient: () => gen.gmmGrad(...args(), gAd), tolerance: TOL.adjointVsManual,
        check: () => {
          const r = gen.gmmGrad(...args());
          return sameValue(r.value, src.gmm(...args()), maxRho([r.grad.alpha, r.grad.mu, r.grad.q, r.grad.l], manual()));
        },
      },
      {
        tool: "manual", gradient: () => gmmGradManual(...args(), gMan, scratch), tolerance: TOL.manual,
        check: () => {
          const r = gmmGradManual(...args(), newGrad(), gmmScratch(d, k));
          const f = (a: Float64Array, u: Float64Array, qq: Float64Array, ll: Float64Array) => src.gmm(...args(a, u, qq, ll));
          return Math.max(rho(r.value, src.gmm(...args())), directionalError(f, [alpha, mu, q, l], [r.grad.alpha, r.grad.mu, r.grad.q, r.grad.l]));
        },
      },
      ...fdTool(objective, params, () => ({
        gradient: () => fdGradient(src.gmm, [...args()], [3, 4, 5, 6], gFd), tolerance: TOL.fd,
        check: () => maxRho(fdGradient(src.gmm, [...args(new Float64Array(alpha), new Float64Array(mu), new Float64Array(q), new Float64Array(l))], [3, 4, 5, 6], gFd.map((g) => new Float64Array(g.length))), manual()),
      }), notes),
      ...tfTools(tfRun, manual, () => src.gmm(...args())),
    ];
    return { problem: "gmm", size: `d=${d} K=${k} n=${n}`, objective, tools, notes, dispose: () => tfRun?.dispose() };
  });
}

export function odeRk4Cases(mods: Mods, quick: boolean): Case[] {
  const { src, gen } = mods.odeRk4;
  const sizes: [number, number][] = quick ? [[10, 3]] : [[1000, 100], [10_000, 10]];
  return sizes.map(([n, s]) => {
    const x = uniform(rngFor(SEED), n); // GradBench: U(0, 1)
    const objective = () => src.odeRk4(x, s);
    const gAd = new Float64Array(n), gFd = new Float64Array(n);
    const f = (xv: Float64Array) => src.odeRk4(xv, s);
    const notes: string[] = [];
    const reference = () => numericGradient(f, [x])[0] as Float64Array;
    const tools: ToolRun[] = [
      {
        tool: "adjoint", gradient: () => gen.odeRk4Grad(x, s, { x: gAd }), tolerance: TOL.adjointVsFd,
        check: () => { const r = gen.odeRk4Grad(x, s); return sameValue(r.value, src.odeRk4(x, s), directionalError(f, [x], [r.grad.x])); },
      },
      ...fdTool(objective, n, () => ({
        gradient: () => fdGradient(f, [x], [0], [gFd]), tolerance: TOL.fd,
        check: () => maxRho(fdGradient(f, [new Float64Array(x)], [0], [new Float64Array(n)]), [reference()]),
      }), notes),
    ];
    return { problem: "ode-rk4", size: `n=${n} s=${s}`, objective, tools, notes };
  });
}

/**
 * Bundle adjustment: the residuals of all observations (objective) vs their 2×15 Jacobians
 * (cam 11, X 3, w 1), one generated `reprojErrorJacobian` call per observation. Each
 * observation's camera and point are copied into small buffers first, in both.
 */
export function baCases(mods: Mods, quick: boolean): Case[] {
  const { src, gen } = mods.ba;
  const sizes: [number, number, number][] = quick ? [[3, 10, 30]] : [[49, 7776, 31843]]; // ADBench ba1's shape
  return sizes.map(([nCams, nPts, nObs]) => {
    const B = baInstance(nCams, nPts, nObs, (cam, X, out) => src.reprojError(cam, X, 1, 0, 0, out));
    const cam = new Float64Array(11), X = new Float64Array(3), err = new Float64Array(2);
    const load = (i: number) => {
      const c = B.obs[2 * i], p = B.obs[2 * i + 1];
      for (let j = 0; j < 11; j++) cam[j] = B.cams[11 * c + j];
      X[0] = B.X[3 * p]; X[1] = B.X[3 * p + 1]; X[2] = B.X[3 * p + 2];
    };
    const residuals = new Float64Array(2 * nObs);
    const J = new Float64Array(30 * nObs); // each observation's 2×15 block, row-major
    const objective = () => {
      for (let i = 0; i < nObs; i++) {
        load(i);
        src.reprojError(cam, X, B.w[i], B.feats[2 * i], B.feats[2 * i + 1], err);
        residuals[2 * i] = err[0];
        residuals[2 * i + 1] = err[1];
      }
      return residuals;
    };
    // the generated Jacobian writes each observation's block into a caller's buffer: no allocation per call
    const block = new Float64Array(30);
    const jacobianAll = () => {
      for (let i = 0; i < nObs; i++) {
        load(i);
        gen.reprojErrorJacobian(cam, X, B.w[i], B.feats[2 * i], B.feats[2 * i + 1], err, block);
        J.set(block, 30 * i);
      }
      return J;
    };
    // the same through two reverse sweeps with reused buffers: what the Jacobian API costs
    const e0 = new Float64Array([1, 0]), e1 = new Float64Array([0, 1]);
    const gCam = new Float64Array(11), gX = new Float64Array(3), out = { cam: gCam, X: gX };
    const c0 = { err: e0 }, c1 = { err: e1 };
    const vjpAll = () => {
      for (let i = 0; i < nObs; i++) {
        load(i);
        for (let row = 0; row < 2; row++) {
          const g = gen.reprojErrorVjp(cam, X, B.w[i], B.feats[2 * i], B.feats[2 * i + 1], err, row === 0 ? c0 : c1, out).grad;
          const o = 30 * i + 15 * row;
          for (let j = 0; j < 11; j++) J[o + j] = g.cam[j];
          J[o + 11] = g.X[0]; J[o + 12] = g.X[1]; J[o + 13] = g.X[2];
          J[o + 14] = g.w;
        }
      }
      return J;
    };
    // central differences over the 15 inputs of each observation
    const ep = new Float64Array(2), em = new Float64Array(2);
    const fdAll = () => {
      for (let i = 0; i < nObs; i++) {
        load(i);
        const fx = B.feats[2 * i], fy = B.feats[2 * i + 1];
        for (let j = 0; j < 15; j++) {
          const a = j < 11 ? cam : j < 14 ? X : null;
          const e = j < 11 ? j : j - 11;
          const v = a ? a[e] : B.w[i];
          const h = fdStep(v);
          if (a) a[e] = v + h;
          src.reprojError(cam, X, a ? B.w[i] : v + h, fx, fy, ep);
          if (a) a[e] = v - h;
          src.reprojError(cam, X, a ? B.w[i] : v - h, fx, fy, em);
          if (a) a[e] = v;
          J[30 * i + j] = (ep[0] - em[0]) / (2 * h);
          J[30 * i + 15 + j] = (ep[1] - em[1]) / (2 * h);
        }
      }
      return J;
    };
    // reference: Richardson-extrapolated differences on a sample of observations
    const sample = Array.from({ length: Math.min(nObs, quick ? 10 : 60) }, (_, s) => Math.floor((s * nObs) / Math.min(nObs, quick ? 10 : 60)));
    const reference = (i: number): Float64Array => {
      load(i);
      const fx = B.feats[2 * i], fy = B.feats[2 * i + 1];
      const ref = new Float64Array(30);
      for (let row = 0; row < 2; row++) {
        const f = (c: Float64Array, p: Float64Array, w: number) => { const o = new Float64Array(2); src.reprojError(c, p, w, fx, fy, o); return o[row]; };
        const [gc, gp, gw] = numericGradient(f, [new Float64Array(cam), new Float64Array(X), B.w[i]]) as [Float64Array, Float64Array, number];
        ref.set(gc, 15 * row);
        ref.set(gp, 15 * row + 11);
        ref[15 * row + 14] = gw;
      }
      return ref;
    };
    const checkAll = (all: () => Float64Array) => () => {
      const got = all();
      let worst = 0;
      for (const i of sample) worst = Math.max(worst, maxRho([got.subarray(30 * i, 30 * i + 30)], [reference(i)]));
      return worst;
    };
    const checkResiduals = () => {
      // the Jacobian's companion outputs: err written by the generated code equals the source's
      load(0);
      const a = new Float64Array(2), b = new Float64Array(2);
      src.reprojError(cam, X, B.w[0], B.feats[0], B.feats[1], a);
      gen.reprojErrorJacobian(cam, X, B.w[0], B.feats[0], B.feats[1], b);
      return Object.is(a[0], b[0]) && Object.is(a[1], b[1]) ? 0 : Infinity;
    };
    const tools: ToolRun[] = [
      { tool: "adjoint", gradient: jacobianAll, tolerance: TOL.adjointVsFd, check: () => Math.max(checkResiduals(), checkAll(jacobianAll)()) },
      { tool: "adjoint", variant: "vjp×2", gradient: vjpAll, tolerance: TOL.adjointVsFd, check: checkAll(vjpAll) },
      { tool: "fd", gradient: fdAll, tolerance: TOL.fd, check: checkAll(fdAll) },
    ];
    return { problem: "ba", size: `cams=${nCams} pts=${nPts} obs=${nObs}`, objective, tools, notes: [] };
  });
}

// ---------------------------------------------------------------------------------------------
// one MLP training step at the matrix level (issue 5): adjoint, checked against FD

export function mlpCases(mods: Mods, quick: boolean): Case[] {
  // the two-hidden-layer MLP of fixtures/programs/layers.ts, at a training-size mini-batch
  const mlp = mods["fixtures/programs/layers"];
  const rng = mulberry32(5);
  const [batch, d, h1, h2, c] = quick ? [8, 4, 6, 5, 3] : [128, 64, 128, 64, 10];
  const Y = new Float64Array(batch * c);
  for (let r = 0; r < batch; r++) Y[r * c + Math.floor(rng() * c)] = 1;
  const args = [randomArray(rng, d * h1, -0.1, 0.1), randomArray(rng, h1), randomArray(rng, h1 * h2, -0.1, 0.1), randomArray(rng, h2),
    randomArray(rng, h2 * c, -0.1, 0.1), randomArray(rng, c), randomArray(rng, batch * d), Y];
  const out = { W1: new Float64Array(d * h1), b1: new Float64Array(h1), W2: new Float64Array(h1 * h2), b2: new Float64Array(h2), W3: new Float64Array(h2 * c), b3: new Float64Array(c) };
  return [{
    problem: "mlp", size: `batch=${batch} ${d}-${h1}-${h2}-${c}`,
    objective: () => mlp.src.mlpLoss(...args),
    tools: [{
      tool: "adjoint", gradient: () => mlp.gen.mlpLossGrad(...args, out), tolerance: TOL.adjointVsFd,
      check: () => {
        const r = mlp.gen.mlpLossGrad(...args);
        const g = r.grad;
        return sameValue(r.value, mlp.src.mlpLoss(...args), directionalError(mlp.src.mlpLoss, args, [g.W1, g.b1, g.W2, g.b2, g.W3, g.b3]));
      },
    }],
    notes: [],
  }];
}

// ---------------------------------------------------------------------------------------------
// the quick start's logistic loss: scalar code, against scalar tfjs

export function quickstartCases(mods: Mods, quick: boolean, tf?: Tf): Case[] {
  const { src, gen } = mods["examples/quickstart/model"];
  const sizes = quick ? [3] : [3, 100]; // the quick start's 3 weights, and a wider model
  return sizes.map((d) => {
    const rng = rngFor(SEED);
    const w = normal(rng, d, 0.5), x = normal(rng, d);
    const b = 0.1, y = 1;
    const objective = () => src.loss(w, b, x, y);
    const gAd = new Float64Array(d), gMan = new Float64Array(d), gFd = new Float64Array(d + 1);
    const manual = () => { const g = logisticGradManual(w, b, x, y, new Float64Array(d)).grad; return [g.w, g.b]; };
    const manualFlat = () => { const [gw, gb] = manual() as [Float64Array, number]; return Float64Array.from([...gw, gb]); };
    const f = (wv: Float64Array, bv: number) => src.loss(wv, bv, x, y);
    // fd and tfjs see the d + 1 parameters as one list: w, then b
    const wb = Float64Array.from([...w, b]);
    const fwb = (p: Float64Array) => src.loss(p.subarray(0, d), p[d], x, y);
    const notes: string[] = [];
    const tfRun = tf ? tfLogisticScalar(tf, w, b, x, y) : undefined;
    const tools: ToolRun[] = [
      {
        tool: "adjoint", gradient: () => gen.lossGrad(w, b, x, y, { w: gAd }), tolerance: TOL.adjointVsManual,
        check: () => { const r = gen.lossGrad(w, b, x, y); return sameValue(r.value, src.loss(w, b, x, y), maxRho([r.grad.w, r.grad.b], manual())); },
      },
      {
        tool: "manual", gradient: () => logisticGradManual(w, b, x, y, gMan), tolerance: TOL.manual,
        check: () => { const r = logisticGradManual(w, b, x, y, new Float64Array(d)); return Math.max(rho(r.value, src.loss(w, b, x, y)), directionalError(f, [w, b], [r.grad.w, r.grad.b])); },
      },
      ...fdTool(objective, d + 1, () => ({
        gradient: () => fdGradient(fwb, [wb], [0], [gFd]), tolerance: TOL.fd,
        check: () => maxRho(fdGradient(fwb, [new Float64Array(wb)], [0], [new Float64Array(d + 1)]), [manualFlat()]),
      }), notes),
      ...tfTools(tfRun, () => [manualFlat()], objective),
    ];
    return { problem: "quickstart", size: `d=${d}`, objective, tools, notes, dispose: () => tfRun?.dispose() };
  });
}

// ---------------------------------------------------------------------------------------------
// GradBench lstm, kmeans, det

export function lstmCases(mods: Mods, quick: boolean, tf?: Tf): Case[] {
  const { src, gen } = mods.lstm;
  const sizes: [number, number][] = quick ? [[2, 10]] : [[2, 1024], [4, 4096]]; // b = 14
  return sizes.map(([l, c]) => {
    const I = lstmInstance(l, c);
    const { b, mainParams, extraParams, state, sequence } = I;
    const args = (m = mainParams, e = extraParams) => [l, c, b, m, e, state, sequence] as const;
    const objective = () => src.lstm(...args());
    const newGrad = () => ({ mainParams: new Float64Array(mainParams.length), extraParams: new Float64Array(extraParams.length) });
    const gAd = newGrad(), gMan = newGrad(), scratch = lstmScratch(l, c, b);
    const gFd = [new Float64Array(mainParams.length), new Float64Array(extraParams.length)];
    const manual = () => { const g = lstmGradManual(...args(), newGrad(), lstmScratch(l, c, b)).grad; return [g.mainParams, g.extraParams]; };
    const f = (m: Float64Array, e: Float64Array) => src.lstm(...args(m, e));
    const notes: string[] = [];
    const tfRun = tf ? tfLstm(tf, l, c, b, mainParams, extraParams, state, sequence) : undefined;
    const tools: ToolRun[] = [
      {
        tool: "adjoint", gradient: () => gen.lstmGrad(...args(), gAd), tolerance: TOL.adjointVsManual,
        check: () => { const r = gen.lstmGrad(...args()); return sameValue(r.value, src.lstm(...args()), maxRho([r.grad.mainParams, r.grad.extraParams], manual())); },
      },
      {
        tool: "manual", gradient: () => lstmGradManual(...args(), gMan, scratch), tolerance: TOL.manual,
        check: () => {
          const r = lstmGradManual(...args(), newGrad(), lstmScratch(l, c, b));
          return Math.max(rho(r.value, src.lstm(...args())), directionalError(f, [mainParams, extraParams], [r.grad.mainParams, r.grad.extraParams]));
        },
      },
      ...fdTool(objective, mainParams.length + extraParams.length, () => ({
        gradient: () => fdGradient(src.lstm, [...args()], [3, 4], gFd), tolerance: TOL.fd,
        check: () => maxRho(fdGradient(src.lstm, [...args(new Float64Array(mainParams), new Float64Array(extraParams))], [3, 4], gFd.map((g) => new Float64Array(g.length))), manual()),
      }), notes),
      ...tfTools(tfRun, manual, objective),
    ];
    return { problem: "lstm", size: `l=${l} c=${c} b=${b}`, objective, tools, notes, dispose: () => tfRun?.dispose() };
  });
}

/**
 * The largest step t (at most 1e-3) such that moving the centroids to C ± t·v keeps every
 * point's closest centroid, with half of each gap to spare. For point i with closest centroid
 * b and any other j, ‖C_j − P_i‖² − ‖C_b − P_i‖² moves from its gap g ≥ 0 by t·β + t²·α with
 * β = 2⟨v_b, P_i − C_b⟩ − 2⟨v_j, P_i − C_j⟩ and α = ‖v_j‖² − ‖v_b‖², so |t|·|β| + t²·|α| ≤ g/2
 * suffices. Within that step the cost is a quadratic in t and its gradient linear, so their
 * central differences are exact up to rounding; a larger step can cross to another assignment,
 * where the cost has a kink.
 */
function kmeansSafeStep({ n, k, d, points, centroids }: KmeansInstance, v: Float64Array): number {
  const vv = new Float64Array(k);
  for (let j = 0; j < k; j++) for (let e = 0; e < d; e++) vv[j] += v[j * d + e] ** 2;
  const dist = new Float64Array(k), along = new Float64Array(k); // ‖C_j − P_i‖², ⟨v_j, P_i − C_j⟩
  let t = 1e-3;
  for (let i = 0; i < n; i++) {
    let b = 0;
    for (let j = 0; j < k; j++) {
      let s = 0, p = 0;
      for (let e = 0; e < d; e++) {
        const diff = points[i * d + e] - centroids[j * d + e];
        s += diff * diff;
        p += v[j * d + e] * diff;
      }
      dist[j] = s;
      along[j] = p;
      if (s < dist[b]) b = j;
    }
    for (let j = 0; j < k; j++) {
      if (j === b) continue;
      const g = dist[j] - dist[b];
      const beta = Math.abs(2 * along[b] - 2 * along[j]), alpha = Math.abs(vv[j] - vv[b]);
      // the positive root of α t² + β t = g / 2
      const tj = alpha > 0 ? (-beta + Math.sqrt(beta * beta + 2 * alpha * g)) / (2 * alpha) : g / (2 * beta);
      if (tj < t) t = tj;
    }
  }
  return t;
}

/** (f(x + t·v) − f(x − t·v)) / 2t */
function centralDifference(f: (x: Float64Array) => number, x: Float64Array, v: Float64Array, t: number): number {
  const xp = x.map((xe, e) => xe + t * v[e]), xm = x.map((xe, e) => xe - t * v[e]);
  return (f(xp) - f(xm)) / (2 * t);
}

/**
 * GradBench's kmeans `dir` (the Newton direction grad / diag H). adjoint: one `kmeansHvp` with a
 * direction of ones gives the value, the gradient and H·1, which is the Hessian's diagonal
 * because the Hessian is diagonal (for fixed assignments f = Σ_i Σ_e (C_a(i)e − P_ie)², a sum of
 * squares of single coordinates: ∂²f/∂C_je∂C_j'e' = 2·n_j when (j, e) = (j', e'), else 0).
 * The "grad only" variant times `kmeansGrad` alone.
 */
export function kmeansCases(mods: Mods, quick: boolean, tf?: Tf): Case[] {
  const { src, gen } = mods.kmeans;
  // from GradBench's grid k ∈ {10, 100, 1000} × n ∈ {1000, 10000} × d ∈ {8, 16}: the smallest, a middle and the largest
  const sizes: [number, number, number][] = quick ? [[3, 20, 2], [5, 40, 3]] : [[10, 1000, 8], [100, 10000, 8], [1000, 10000, 16]];
  return sizes.map(([k, n, d]) => {
    const I = kmeansInstance(k, n, d);
    const { points, centroids } = I;
    const args = (C = centroids) => [n, k, d, points, C] as const;
    const objective = () => src.kmeans(...args());
    const ones = { centroids: new Float64Array(k * d).fill(1) };
    const dirAd = new Float64Array(k * d), gAd = new Float64Array(k * d);
    const adjointDir = (dir: Float64Array) => {
      const r = gen.kmeansHvp(...args(), ones);
      const g = r.grad.centroids as Float64Array, h = r.hvp.centroids as Float64Array;
      for (let q = 0; q < k * d; q++) dir[q] = g[q] / h[q];
      return { value: r.value as number, dir, grad: g, hess: h };
    };
    const outMan = kmeansOut(k, d), sizesMan = new Float64Array(k);
    const manual = () => kmeansDirManual(...args(), kmeansOut(k, d), new Float64Array(k));
    const rng = mulberry32(5);
    const v = randomArray(rng, k * d, -0.5, 0.5), u = randomArray(rng, k * d, -0.5, 0.5);
    const f = (C: Float64Array) => src.kmeans(...args(C));
    const notes = k === sizes[0][0] && n === sizes[0][1] ? ["fd left out: `dir` needs the Hessian's diagonal; second differences at a step that crosses no kink lose far more than 1e-6 to rounding"] : [];
    const tfRun = tf ? tfKmeans(tf, n, k, d, points, centroids) : undefined;
    const tools: ToolRun[] = [
      {
        tool: "adjoint", gradient: () => adjointDir(dirAd), tolerance: TOL.adjointVsManual,
        check: () => {
          const r = adjointDir(new Float64Array(k * d)), m = manual();
          return sameValue(r.value, src.kmeans(...args()), maxRho([r.dir, r.grad, r.hess], [m.dir, m.grad, m.hess]));
        },
      },
      {
        tool: "adjoint", variant: "grad only", gradient: () => gen.kmeansGrad(...args(), { centroids: gAd }), tolerance: TOL.adjointVsManual,
        check: () => { const r = gen.kmeansGrad(...args()); return sameValue(r.value, src.kmeans(...args()), maxRho([r.grad.centroids], [manual().grad])); },
      },
      {
        tool: "manual", gradient: () => kmeansDirManual(...args(), outMan, sizesMan), tolerance: TOL.manual,
        check: () => {
          // Along random directions v and u, within the step that keeps the assignment: ⟨grad, v⟩
          // against a central difference of the cost, uᵀ·H·v against one of ⟨grad(C + t v), u⟩.
          // Both are exact up to rounding there (a quadratic, a linear function of t), so this is
          // one central difference at that step: Richardson's halvings would only add rounding.
          const m = manual();
          const step = kmeansSafeStep(I, v);
          const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, x, q) => s + x * b[q], 0);
          const gradErr = relativeError(dot(m.grad, v), centralDifference(f, centroids, v, step));
          const gu = (C: Float64Array) => dot(kmeansDirManual(...args(C), kmeansOut(k, d), new Float64Array(k)).grad, u);
          const hessErr = relativeError(dot(m.hess.map((h, q) => h * v[q]), u), centralDifference(gu, centroids, v, step));
          // dir = grad / diag H
          const dirErr = maxRho([m.dir], [m.grad.map((g, q) => g / m.hess[q])]);
          return Math.max(rho(m.value, src.kmeans(...args())), gradErr, hessErr, dirErr);
        },
      },
      ...tfTools(tfRun, () => { const m = manual(); return [m.dir, m.grad, m.hess]; }, objective),
    ];
    return { problem: "kmeans", size: `k=${k} n=${n} d=${d}`, objective, tools, notes, dispose: () => tfRun?.dispose() };
  });
}

/** Minors the expansion of an ℓ×ℓ determinant visits: Σ_{k=1..ℓ} ℓ!/(ℓ−k)!. */
function minorsOf(ell: number): number {
  let sum = 0, term = 1;
  for (let k = 1; k <= ell; k++) {
    term *= ell - k + 1;
    sum += term;
  }
  return sum;
}

/** adjoint's det gradient is run only where its tape is expected to fit in this. */
export const DET_TAPE_BUDGET = 2 ** 30;

export function detCases(mods: Mods, quick: boolean): Case[] {
  const { src, gen } = mods.det;
  const sizes = quick ? [3, 4] : [5, 6, 7, 8, 9, 10, 11]; // GradBench's default ℓ
  // the tape grows with the number of minors: measure it at a small size, scale it up
  const probe = Math.min(7, ...sizes);
  const tapePerMinor = Tape.measure(() => gen.detGrad(probe, detInstance(probe))).peakBytes / minorsOf(probe);
  return sizes.map((ell) => {
    const A = detInstance(ell);
    const objective = () => src.det(ell, A);
    const gAd = new Float64Array(ell * ell), gMan = new Float64Array(ell * ell), gFd = new Float64Array(ell * ell), scratch = detScratch(ell);
    const manual = () => detGradManual(ell, A, new Float64Array(ell * ell), detScratch(ell)).grad;
    const f = (a: Float64Array) => src.det(ell, a);
    const notes = ell === sizes[0] ? ["tfjs left out: it has no determinant, and expansion by minors written with scalar tfjs operations takes two per minor (≈ 2·10⁷ at ℓ = 10)"] : [];
    const tape = tapePerMinor * minorsOf(ell);
    const adjoint: ToolRun[] = tape <= DET_TAPE_BUDGET ? [{
      tool: "adjoint", gradient: () => gen.detGrad(ell, A, { A: gAd }), tolerance: TOL.adjointVsManual,
      check: () => { const r = gen.detGrad(ell, A); return sameValue(r.value, src.det(ell, A), maxRho([r.grad.A], [manual()])); },
    }] : [];
    if (!adjoint.length) notes.push(`adjoint left out: its tape would hold ≈ ${fmtBytes(tape)} (${fmtBytes(tapePerMinor)} per minor, measured at ℓ = ${probe}), over the budget of ${fmtBytes(DET_TAPE_BUDGET)}`);
    const tools: ToolRun[] = [
      ...adjoint,
      {
        tool: "manual", gradient: () => detGradManual(ell, A, gMan, scratch), tolerance: TOL.manual,
        check: () => { const r = detGradManual(ell, A, new Float64Array(ell * ell), detScratch(ell)); return Math.max(rho(r.value, src.det(ell, A)), directionalError(f, [A], [r.grad])); },
      },
      ...fdTool(objective, ell * ell, () => ({
        gradient: () => fdGradient(f, [A], [0], [gFd]), tolerance: TOL.fd,
        check: () => maxRho(fdGradient(f, [new Float64Array(A)], [0], [new Float64Array(ell * ell)]), [manual()]),
      }), notes),
    ];
    return { problem: "det", size: `ℓ=${ell}`, objective, tools, notes };
  });
}

/** 1536 → "1.5 KiB". */
export function fmtBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let u = 0;
  while (bytes >= 1024 && u < units.length - 1) {
    bytes /= 1024;
    u++;
  }
  return `${u === 0 ? bytes.toFixed(0) : bytes.toFixed(bytes >= 100 ? 0 : 1)} ${units[u]}`;
}
