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

export interface LstmInstance {
  l: number; c: number; b: number;
  mainParams: Float64Array; // 2l × 4b
  extraParams: Float64Array; // 3 × b
  state: Float64Array; // 2l × b
  sequence: Float64Array; // c × b, bits
}

/** Character bits per row of the lstm sequence, as in GradBench's inputs (its text needs 14). */
export const LSTM_BITS = 14;

/**
 * Text-like characters: GradBench encodes the first c characters of a text file
 * (`evals/lstm/data/lstm_full.txt`) as rows of ⌈log₂ max code⌉ = 14 bits, most significant
 * first. Ours come from a seeded generator instead: lower-case letters and spaces mostly, some
 * capitals, digits and punctuation, and an em dash (U+2014, the character that needs 14 bits)
 * about once per 200 characters and at least once.
 */
export function lstmText(rng: Rng, c: number): number[] {
  const lower = "etaoinshrdlucmfwypvbgkjqxz", other = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,;:'\"()-!?";
  const codes: number[] = [];
  for (let t = 0; t < c; t++) {
    const u = rng();
    // letters by rough English frequency: the first of `lower` most often
    const ch = u < 0.17 ? " " : u < 0.9 ? lower[Math.floor(lower.length * rng() ** 2)] : u < 0.995 ? other[Math.floor(other.length * rng())] : "\u2014";
    codes.push(ch.charCodeAt(0));
  }
  if (c > 1 && !codes.includes(0x2014)) codes[Math.floor(c / 2)] = 0x2014;
  return codes;
}

/** As GradBench's lstm generator: parameters and state ~ U(0, 1), the sequence text as bits. */
export function lstmInstance(l: number, c: number, seed = SEED): LstmInstance {
  const rng = rngFor(seed);
  const b = LSTM_BITS;
  const sequence = new Float64Array(c * b);
  lstmText(rng, c).forEach((code, t) => {
    for (let bit = 0; bit < b; bit++) sequence[t * b + bit] = (code >> (b - 1 - bit)) & 1;
  });
  // GradBench draws state, then main, then extra parameters
  const state = uniform(rng, 2 * l * b);
  const mainParams = uniform(rng, 2 * l * 4 * b);
  const extraParams = uniform(rng, 3 * b);
  return { l, c, b, mainParams, extraParams, state, sequence };
}

export interface KmeansInstance {
  n: number; k: number; d: number;
  points: Float64Array; // n × d
  centroids: Float64Array; // k × d
}

/** As GradBench's kmeans generator: points ~ U(0, 1)^d, the centroids are the last k points. */
export function kmeansInstance(k: number, n: number, d: number, seed = SEED): KmeansInstance {
  const points = uniform(rngFor(seed), n * d);
  return { n, k, d, points, centroids: points.slice((n - k) * d) };
}

/** As GradBench's det generator: an ℓ×ℓ matrix with entries ~ U(0, 1), row-major. */
export function detInstance(ell: number, seed = SEED): Float64Array {
  return uniform(rngFor(seed), ell * ell);
}
