/**
 * Seeded problem instances (GradBench's distributions, our own generator): every run of the
 * benchmark sees the same numbers.
 */
import { mulberry32 } from "../runtime/gradcheck.ts";

export const SEED = 31337;

export type Rng = () => number;

export function rngFor(seed: number): Rng {
  return mulberry32(seed);
}

export function uniform(rng: Rng, n: number, lo = 0, hi = 1): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * rng();
  return a;
}

/** Standard normal samples (Box–Muller). */
export function normal(rng: Rng, n: number, sigma = 1): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = 1 - rng(); // (0, 1]
    const v = rng();
    const r = Math.sqrt(-2 * Math.log(u)) * sigma;
    a[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) a[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return a;
}

export interface GmmInstance {
  d: number; k: number; n: number;
  alpha: Float64Array; mu: Float64Array; q: Float64Array; l: Float64Array; x: Float64Array;
  gamma: number; m: number;
}

/** As GradBench's gmm generator: x, q, l, alpha ~ N(0, 1), mu ~ U(0, 1), m = 0, γ = 1. */
export function gmmInstance(d: number, k: number, n: number, seed = SEED): GmmInstance {
  const rng = rngFor(seed);
  const x = normal(rng, n * d);
  const mu = uniform(rng, k * d);
  const q = normal(rng, k * d);
  const l = normal(rng, (k * d * (d - 1)) / 2);
  const alpha = normal(rng, k);
  return { d, k, n, alpha, mu, q, l, x, gamma: 1, m: 0 };
}

export interface BaInstance {
  nCams: number; nPts: number; nObs: number;
  cams: Float64Array; // 11 per camera
  X: Float64Array; // 3 per point
  w: Float64Array; // 1 per observation
  obs: Int32Array; // (camera, point) per observation
  feats: Float64Array; // 2 per observation
}

/**
 * A bundle-adjustment scene: cameras about 10 units in front of a cloud of points, small
 * rotations, focal length ≈ 500, slight radial distortion; each observation pairs a camera with
 * a random point, and its feature is the point's projection plus noise.
 */
export function baInstance(nCams: number, nPts: number, nObs: number, project: (cam: Float64Array, X: Float64Array, out: Float64Array) => void, seed = SEED): BaInstance {
  const rng = rngFor(seed);
  const cams = new Float64Array(11 * nCams);
  for (let c = 0; c < nCams; c++) {
    const o = 11 * c;
    const rot = normal(rng, 3, 0.1);
    cams.set(rot, o);
    cams[o + 3] = -1 + 2 * rng();
    cams[o + 4] = -1 + 2 * rng();
    cams[o + 5] = -10 - rng();
    cams[o + 6] = 450 + 100 * rng();
    cams[o + 7] = -5 + 10 * rng();
    cams[o + 8] = -5 + 10 * rng();
    cams[o + 9] = -0.1 + 0.2 * rng();
    cams[o + 10] = -0.01 + 0.02 * rng();
  }
  const X = new Float64Array(3 * nPts);
  for (let p = 0; p < nPts; p++) {
    X[3 * p] = -3 + 6 * rng();
    X[3 * p + 1] = -3 + 6 * rng();
    X[3 * p + 2] = -1 + 2 * rng();
  }
  const w = new Float64Array(nObs);
  const obs = new Int32Array(2 * nObs);
  const feats = new Float64Array(2 * nObs);
  const proj = new Float64Array(2);
  const noise = normal(rng, 2 * nObs, 2);
  for (let i = 0; i < nObs; i++) {
    const c = i % nCams;
    const p = Math.floor(rng() * nPts);
    obs[2 * i] = c;
    obs[2 * i + 1] = p;
    w[i] = 0.5 + rng();
    project(cams.subarray(11 * c, 11 * c + 11), X.subarray(3 * p, 3 * p + 3), proj);
    feats[2 * i] = proj[0] + noise[2 * i];
    feats[2 * i + 1] = proj[1] + noise[2 * i + 1];
  }
  return { nCams, nPts, nObs, cams, X, w, obs, feats };
}
