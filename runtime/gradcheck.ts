/**
 * adjoint/runtime/gradcheck: finite-difference checking of generated derivatives.
 *
 * Contract
 * - `richardson(f, h0)` estimates g'(0) for g = f, a scalar function of a step h.
 *   It uses central differences D(h) = (f(h) - f(-h)) / 2h refined by Richardson
 *   extrapolation in a Ridders (Numerical Recipes `dfridr`) tableau: the step
 *   starts at h0 and halves at each level (at most 8 levels); it stops as soon as
 *   the error estimate stops improving and returns the best entry. f must be
 *   defined on [-h0, h0]; if D(h0) is not finite the step is shrunk until it is.
 * - `numericGradient(f, args, which, { step })` gives, for each argument index in `which`
 *   (default: all), the partial derivative(s) of f: a number for a number
 *   argument, a Float64Array of partials for a Float64Array argument (one element
 *   perturbed at a time). Other entries are null. The caller's arrays are never
 *   mutated: f always receives fresh copies, refilled before every call, so even
 *   an f that writes into its inputs cannot corrupt the estimate.
 *   The step for an element x is the power of two nearest step * max(1, |x|)
 *   (step 1e-3 unless given), so x ± h is exact in floating point for ordinary
 *   values.
 * - `directionalDerivative(f, args, direction, { step })` is
 *   d/dt f(args + t * direction) at t = 0, with the same extrapolation; the first
 *   t moves no component by more than step * max(1, |x|).
 * - `relativeError(a, b)` is relative above 1 in magnitude, absolute below:
 *   |a - b| / max(|a|, |b|) when max(|a|, |b|) >= 1, else |a - b|. Equal values
 *   (including equal infinities) give 0; otherwise a NaN or an infinity on either
 *   side gives Infinity, so that it can never pass a tolerance test.
 * - `checkGradient(f, args, analytic, opts)` compares an analytic gradient with
 *   these estimates entry by entry and reports the worst entries. An entry that
 *   disagrees is estimated again with smaller first steps (a step that crosses a
 *   kink of f, as ReLU's at 0, spoils the estimate); if it still disagrees, the
 *   one-sided differences at three small steps tell whether f has a kink there:
 *   a jump between the left and right slopes that does not shrink with the step.
 *   At a kink an analytic value between the two one-sided slopes is reported as
 *   "kink" and does not fail the check (unless `allowKinks: false`); anything
 *   else that disagrees is FAILED. Arguments may be trees (objects of numbers and
 *   arrays, nested, and arrays of them; see tree.ts): they are checked leaf by leaf,
 *   with labels such as `p.layers[1].W[3]`, against an analytic gradient of the
 *   same shape.
 * - `mulberry32(seed)` is a small deterministic PRNG in [0, 1);
 *   `randomArray(rng, n, lo, hi)` fills a Float64Array uniformly in [lo, hi).
 *
 * Dependency-free: imports only tree.ts.
 */
import { type Tree, type TreeLike, leaves, fromLeaves } from "./tree.ts";

/** Positional arguments of a function under test. */
export type Args = (number | Float64Array)[];

/** A derivative estimate together with the tableau's error estimate. */
export interface Estimate {
  value: number;
  error: number;
}

/** Factor by which the step shrinks between tableau levels. */
const SHRINK = 2;
const SHRINK2 = SHRINK * SHRINK;
/** Number of tableau levels (steps h0, h0/2, ..., h0/2^7). */
const MAX_LEVELS = 8;
/** Stop when the diagonal moves by more than SAFE times the best error estimate. */
const SAFE = 2;
/** Relative size of the first finite-difference step in numericGradient. */
const STEP_SCALE = 1e-3;

function centralDifference(f: (h: number) => number, h: number): number {
  return (f(h) - f(-h)) / (2 * h);
}

/**
 * Ridders' extrapolation of central differences. Returns the best estimate of
 * f'(0) and the tableau's estimate of its error.
 */
export function richardsonWithError(f: (h: number) => number, h0: number = 0.01): Estimate {
  if (!(h0 > 0) || !Number.isFinite(h0)) {
    throw new RangeError(`richardson: initial step must be positive and finite, got ${h0}`);
  }
  let h = h0;
  let d = centralDifference(f, h);
  // The first step may leave f's domain (e.g. log near 0): back off.
  for (let tries = 0; !Number.isFinite(d) && tries < 20; tries++) {
    h /= 8;
    d = centralDifference(f, h);
  }
  if (!Number.isFinite(d)) return { value: d, error: Infinity };

  // prev[j] is the tableau entry of the previous level after j extrapolations.
  let prev: number[] = [d];
  let best = d;
  let error = Infinity;
  for (let level = 1; level < MAX_LEVELS; level++) {
    h /= SHRINK;
    const row: number[] = [centralDifference(f, h)];
    let fac = SHRINK2;
    for (let j = 1; j <= level; j++) {
      // Eliminate the h^(2j) term: combine this level with the previous one.
      row[j] = (row[j - 1] * fac - prev[j - 1]) / (fac - 1);
      fac *= SHRINK2;
      const e = Math.max(Math.abs(row[j] - row[j - 1]), Math.abs(row[j] - prev[j - 1]));
      if (e <= error) {
        error = e;
        best = row[j];
      }
    }
    // Higher order is getting worse (round-off dominates): stop.
    if (Math.abs(row[level] - prev[level - 1]) >= SAFE * error) break;
    prev = row;
  }
  return { value: best, error };
}

/** Derivative at 0 of a scalar function of a step; see `richardsonWithError`. */
export function richardson(f: (h: number) => number, h0: number = 0.01): number {
  return richardsonWithError(f, h0).value;
}

/** Options of the finite-difference estimates. */
export interface StepOptions {
  /** First step relative to max(1, |x|) (default 1e-3); Richardson's tableau then halves it. */
  step?: number;
}

function stepScale(opts: StepOptions | undefined): number {
  const s = opts?.step ?? STEP_SCALE;
  if (!(s > 0) || !Number.isFinite(s)) throw new RangeError(`step must be positive and finite, got ${s}`);
  return s;
}

/** Power of two nearest scale * max(1, |x|): x ± h is then exact for ordinary x. */
function stepFor(x: number, scale: number = STEP_SCALE): number {
  const target = scale * Math.max(1, Math.abs(x));
  if (!Number.isFinite(target)) return scale;
  return 2 ** Math.round(Math.log2(target));
}

function resolveWhich(args: Args, which: number[] | undefined): number[] {
  if (which === undefined) return args.map((_, i) => i);
  for (const i of which) {
    if (!Number.isInteger(i) || i < 0 || i >= args.length) {
      throw new RangeError(`argument index ${i} out of range (function has ${args.length} arguments)`);
    }
  }
  return which;
}

/**
 * Private copies of the arguments: `pristine` keeps the original values,
 * `call` is the argument list handed to f, whose arrays are refilled from
 * `pristine` before every evaluation.
 */
class ArgCopies {
  readonly pristine: unknown[];
  readonly call: unknown[];

  constructor(args: readonly unknown[]) {
    this.pristine = args.map((a) => (a instanceof Float64Array ? new Float64Array(a) : a));
    this.call = args.map((a) => (a instanceof Float64Array ? new Float64Array(a.length) : a));
  }

  /** Restore every argument to its original value. */
  refill(): void {
    for (let j = 0; j < this.call.length; j++) {
      const src = this.pristine[j];
      if (src instanceof Float64Array) (this.call[j] as Float64Array).set(src);
      else this.call[j] = src;
    }
  }
}

/**
 * Numerical partial derivatives of f at args, for the argument indices in
 * `which` (default: all). Entries for other arguments are null.
 */
export function numericGradient(
  f: (...args: any[]) => number,
  args: Args,
  which?: number[],
  opts?: StepOptions,
): (number | Float64Array | null)[] {
  const indices = resolveWhich(args, which);
  const scale = stepScale(opts);
  const out: (number | Float64Array | null)[] = args.map(() => null);
  const copies = new ArgCopies(args);

  for (const k of indices) {
    const x = copies.pristine[k];
    if (typeof x === "number") {
      out[k] = richardson(along(f, copies, k, -1, x), stepFor(x, scale));
    } else if (x instanceof Float64Array) {
      const partials = new Float64Array(x.length);
      for (let e = 0; e < x.length; e++) partials[e] = richardson(along(f, copies, k, e, x[e]), stepFor(x[e], scale));
      out[k] = partials;
    } else {
      throw new TypeError(`argument ${k} is neither a number nor a Float64Array`);
    }
  }
  return out;
}

/**
 * h ↦ f with argument k (element e of it when e ≥ 0) set to x + h and every other input as
 * given: the scalar function whose derivative at 0 is one partial derivative.
 */
function along(f: (...args: any[]) => number, copies: ArgCopies, k: number, e: number, x: number): (h: number) => number {
  return (h) => {
    copies.refill();
    if (e < 0) copies.call[k] = x + h;
    else (copies.call[k] as Float64Array)[e] = x + h;
    return f(...copies.call);
  };
}

/**
 * d/dt f(args + t * direction) at t = 0. `direction` has one entry per
 * argument, of the same shape; a zero direction may be given as 0 or null.
 */
export function directionalDerivative(
  f: (...args: any[]) => number,
  args: Args,
  direction: (number | Float64Array | null | undefined)[],
  opts?: StepOptions,
): number {
  if (direction.length !== args.length) {
    throw new RangeError(`direction has ${direction.length} entries, expected ${args.length}`);
  }
  const scale = stepScale(opts);
  // Largest t such that no component moves by more than scale * max(1, |x|).
  let h0 = Infinity;
  const consider = (x: number, d: number) => {
    if (d !== 0) h0 = Math.min(h0, (scale * Math.max(1, Math.abs(x))) / Math.abs(d));
  };
  for (let j = 0; j < args.length; j++) {
    const a = args[j];
    const d = direction[j];
    if (d === null || d === undefined || d === 0) continue;
    if (typeof a === "number") {
      if (typeof d !== "number") throw new RangeError(`direction ${j}: expected a number (argument is a number)`);
      consider(a, d);
    } else if (a instanceof Float64Array) {
      if (!(d instanceof Float64Array) || d.length !== a.length) {
        throw new RangeError(`direction ${j}: expected a Float64Array of length ${a.length}`);
      }
      for (let e = 0; e < a.length; e++) consider(a[e], d[e]);
    } else {
      throw new TypeError(`argument ${j} is neither a number nor a Float64Array`);
    }
  }
  if (h0 === Infinity) return 0; // zero direction
  if (!Number.isFinite(h0) || !(h0 > 0)) return NaN;

  const copies = new ArgCopies(args);
  return richardson((t) => {
    for (let j = 0; j < args.length; j++) {
      const x = copies.pristine[j];
      const d = direction[j];
      if (d === null || d === undefined || d === 0) {
        if (x instanceof Float64Array) (copies.call[j] as Float64Array).set(x);
        else copies.call[j] = x;
      } else if (typeof x === "number") {
        copies.call[j] = x + t * (d as number);
      } else {
        const src = x as Float64Array;
        const dst = copies.call[j] as Float64Array;
        const dir = d as Float64Array;
        for (let e = 0; e < src.length; e++) dst[e] = src[e] + t * dir[e];
      }
    }
    return f(...copies.call);
  }, h0);
}

/**
 * Relative error above 1 in magnitude, absolute error below:
 * |a - b| / max(|a|, |b|) if max(|a|, |b|) >= 1, else |a - b|.
 * Equal values give 0; otherwise NaN or an infinity on either side gives Infinity.
 */
export function relativeError(a: number, b: number): number {
  if (a === b) return 0;
  // NaN, or an infinity that the other side does not match, never passes.
  if (!Number.isFinite(a) || !Number.isFinite(b)) return Infinity;
  const diff = Math.abs(a - b);
  const scale = Math.max(Math.abs(a), Math.abs(b));
  return scale >= 1 ? diff / Math.max(1e-300, scale) : diff;
}

/** Elementwise maximum of `relativeError`. Shapes must match (RangeError otherwise). */
export function maxRelativeError(a: number | Float64Array, b: number | Float64Array): number {
  if (typeof a === "number" && typeof b === "number") return relativeError(a, b);
  if (a instanceof Float64Array && b instanceof Float64Array) {
    if (a.length !== b.length) throw new RangeError(`length mismatch: ${a.length} vs ${b.length}`);
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, relativeError(a[i], b[i]));
    return worst;
  }
  throw new RangeError("shape mismatch: cannot compare a number with a Float64Array");
}

export interface CheckGradientOptions extends StepOptions {
  /** Argument indices to check (default: all). */
  which?: number[];
  /** Largest acceptable `relativeError` (default 1e-6). */
  tol?: number;
  /** Parameter names in argument order; required when `analytic` is an object. */
  names?: string[];
  /** How many of the worst entries the report lists (default 5). */
  worst?: number;
  /**
   * Whether an entry where f has a kink (a jump between its left and right derivatives) and
   * the analytic value lies between the two passes as "kink" (default true); false fails it.
   */
  allowKinks?: boolean;
}

export interface CheckGradientResult {
  ok: boolean;
  /** Worst `relativeError` over the entries not at kinks. */
  maxError: number;
  report: string;
  /** Labels (`w[3]`, `b`) of the entries found at kinks of f. */
  kinks: string[];
}

type Status = "ok" | "smaller step" | "kink" | "FAILED";

interface Entry {
  label: string;
  analytic: number | string;
  numeric: number | string;
  error: number;
  status: Status;
  /** The step the estimate that passed started from (status "smaller step"). */
  step?: number;
  /** Left and right one-sided derivatives (status "kink", or FAILED at a kink). */
  left?: number;
  right?: number;
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return "missing";
  if (typeof v === "number") return "number";
  if (v instanceof Float64Array) return `Float64Array(${v.length})`;
  return typeof v;
}

function fmt(v: number | string): string {
  return typeof v === "number" ? v.toPrecision(12) : v;
}

/** Retried first steps: h0/16, h0/256, … while at least this fraction of max(1, |x|). */
const RETRY_SHRINK = 16;
const MIN_RETRY_STEP = 2 ** -20;
/** Steps of the one-sided differences that look for a kink, relative to max(1, |x|). */
const PROBE_STEPS = [2 ** -14, 2 ** -18, 2 ** -22];

/**
 * Checks one partial derivative: `g(h)` is f with the entry moved by h, `x` the entry's value,
 * `h0` the first step. See the contract at the top for the procedure.
 */
function checkEntry(g: (h: number) => number, x: number, analytic: number, h0: number, tol: number, allowKinks: boolean): Omit<Entry, "label" | "analytic"> {
  const first = richardson(g, h0);
  const error = relativeError(analytic, first);
  if (error <= tol) return { numeric: first, error, status: "ok" };
  const scale = Math.max(1, Math.abs(x));
  let best = { numeric: first, error };
  // 1. smaller first steps: a kink within h0 of x spoils the first estimate, not these
  for (let h = h0 / RETRY_SHRINK; h >= MIN_RETRY_STEP * scale; h /= RETRY_SHRINK) {
    const est = richardson(g, h);
    const e = relativeError(analytic, est);
    if (e <= tol) return { numeric: est, error: e, status: "smaller step", step: h };
    if (e < best.error) best = { numeric: est, error: e };
  }
  // 2. one-sided differences at small steps: a kink at x keeps their jump as the step shrinks
  const f0 = g(0);
  const probes = PROBE_STEPS.map((r) => {
    const h = stepFor(x, r);
    const fp = g(h), fm = g(-h);
    const right = (fp - f0) / h, left = (f0 - fm) / h;
    // rounding in f alone moves a one-sided difference by about ε·|f| / h
    const noise = (8 * Number.EPSILON * (Math.abs(f0) + Math.abs(fp) + Math.abs(fm))) / h;
    return { right, left, central: (fp - fm) / (2 * h), jump: Math.abs(right - left), noise };
  });
  const last = probes[probes.length - 1];
  const central = relativeError(analytic, last.central);
  if (central <= tol) return { numeric: last.central, error: central, status: "smaller step", step: stepFor(x, PROBE_STEPS[PROBE_STEPS.length - 1]) };
  if (central < best.error) best = { numeric: last.central, error: central };
  const { left, right } = last;
  const size = Math.max(1, Math.abs(left), Math.abs(right));
  // smooth f: the jump shrinks in proportion to the step (16× per probe); at a kink it stays
  const kink = last.jump > Math.max(last.noise, tol * size) && last.jump > probes[0].jump / 4;
  if (kink) {
    const lo = Math.min(left, right), hi = Math.max(left, right);
    // a one-sided difference is off by O(h): by less than it moved since the previous probe
    const prev = probes[probes.length - 2];
    const slack = tol * size + Math.max(Math.abs(left - prev.left), Math.abs(right - prev.right));
    if (analytic >= lo - slack && analytic <= hi + slack) {
      return { numeric: `${left.toPrecision(6)} | ${right.toPrecision(6)}`, error: 0, status: allowKinks ? "kink" : "FAILED", left, right };
    }
    return { ...best, status: "FAILED", left, right };
  }
  return { ...best, status: "FAILED" };
}

/**
 * Compare an analytic gradient with the numerical one. `analytic` is either an
 * array in argument order or an object keyed by parameter name (then
 * `opts.names` gives the names in argument order). The report lists the worst
 * entries and every kink; `ok` is true when no entry FAILED. Integer typed arrays among the
 * arguments (a sparse matrix's indices) are held fixed.
 */
export function checkGradient(
  f: (...args: any[]) => number,
  args: Args | readonly TreeLike[],
  analytic: Record<string, number | Float64Array> | (number | Float64Array | null | undefined)[] | Record<string, TreeLike> | readonly (TreeLike | null | undefined)[],
  opts: CheckGradientOptions = {},
): CheckGradientResult {
  const fixed = args.map(isIntegerArray);
  if (fixed.some(Boolean)) return checkWithConstants(f, args as Args | readonly Tree[], fixed, analytic, opts);
  if (args.some((a) => typeof a !== "number" && !(a instanceof Float64Array))) return checkTreeGradient(f, args as readonly Tree[], analytic as Record<string, Tree> | readonly (Tree | null | undefined)[], opts);
  return checkLeafGradient(f, args as Args, analytic as Record<string, number | Float64Array> | (number | Float64Array | null | undefined)[], opts);
}

/** An integer typed array (`Int32Array`, `Uint8Array`, …): indices or counts, which have no derivative. */
function isIntegerArray(a: unknown): boolean {
  return ArrayBuffer.isView(a) && !(a instanceof DataView) && !(a instanceof Float64Array) && !(a instanceof Float32Array)
    && !(a instanceof BigInt64Array) && !(a instanceof BigUint64Array);
}

/** checkGradient with the integer-array arguments held fixed: f of the other arguments. */
function checkWithConstants(
  f: (...args: any[]) => number,
  args: Args | readonly Tree[],
  fixed: boolean[],
  analytic: Parameters<typeof checkGradient>[2],
  opts: CheckGradientOptions,
): CheckGradientResult {
  const keep = args.map((_, i) => i).filter((i) => !fixed[i]);
  const asked = opts.which?.find((i) => fixed[i]);
  if (asked !== undefined) throw new RangeError(`checkGradient: argument ${opts.names?.[asked] ?? asked} is an integer array, whose elements have no derivative: leave it out of opts.which`);
  const g = (...xs: unknown[]) => {
    const full: unknown[] = args.slice();
    keep.forEach((i, k) => (full[i] = xs[k]));
    return f(...full);
  };
  const which = (opts.which ?? keep).map((i) => keep.indexOf(i));
  const names = opts.names && keep.map((i) => opts.names![i]!);
  const rest = Array.isArray(analytic) ? keep.map((i) => (analytic as unknown[])[i]) : analytic;
  return checkGradient(g, keep.map((i) => args[i]!) as Args | Tree[], rest as Parameters<typeof checkGradient>[2], { ...opts, which, ...(names ? { names } : {}) });
}

/** checkGradient over the leaves of tree arguments: each leaf is one argument of a flattened f. */
function checkTreeGradient(
  f: (...args: any[]) => number,
  args: readonly Tree[],
  analytic: Record<string, Tree> | readonly (Tree | null | undefined)[],
  opts: CheckGradientOptions,
): CheckGradientResult {
  if (!Array.isArray(analytic) && opts.names === undefined) {
    throw new TypeError("checkGradient: opts.names is required when the analytic gradient is an object");
  }
  const which = opts.which ?? args.map((_, i) => i);
  const flat: Args = [];
  const labels: string[] = [];
  const flatAnalytic: (number | Float64Array | null)[] = [];
  const flatWhich: number[] = [];
  const counts: number[] = [];
  args.forEach((a, i) => {
    const name = opts.names?.[i] ?? `arg${i}`;
    const ls = leaves(a, name);
    counts.push(ls.length);
    const g = Array.isArray(analytic) ? analytic[i] : (analytic as Record<string, Tree>)[name];
    // paired by path: the gradient of a class instance has its public data fields, not all its own ones
    const gs = new Map((g === null || g === undefined ? [] : leaves(g, name)).map((l) => [l.path, l.value]));
    ls.forEach((l) => {
      if (which.includes(i)) flatWhich.push(flat.length);
      flat.push(typeof l.value === "number" ? l.value : Float64Array.from(l.value));
      labels.push(l.path);
      const gv = gs.get(l.path);
      flatAnalytic.push(gv === undefined ? null : typeof gv === "number" ? gv : Float64Array.from(gv));
    });
  });
  const rebuild = (...xs: Args) => {
    let k = 0;
    return f(...args.map((a, i) => {
      const vals = xs.slice(k, (k += counts[i]!));
      return fromLeaves(a, vals);
    }));
  };
  return checkLeafGradient(rebuild, flat, flatAnalytic, { ...opts, names: labels, which: flatWhich });
}

function checkLeafGradient(
  f: (...args: any[]) => number,
  args: Args,
  analytic: Record<string, number | Float64Array> | (number | Float64Array | null | undefined)[],
  opts: CheckGradientOptions,
): CheckGradientResult {
  const tol = opts.tol ?? 1e-6;
  const scale = stepScale(opts);
  const allowKinks = opts.allowKinks ?? true;
  const names = opts.names;
  if (!Array.isArray(analytic) && names === undefined) {
    throw new TypeError("checkGradient: opts.names is required when the analytic gradient is an object");
  }
  const indices = resolveWhich(args, opts.which);
  const nameOf = (i: number) => names?.[i] ?? `arg${i}`;
  const analyticOf = (i: number): unknown =>
    Array.isArray(analytic) ? analytic[i] : (analytic as Record<string, unknown>)[names![i]];
  const copies = new ArgCopies(args);
  const check = (label: string, k: number, e: number, x: number, a: number): Entry => ({
    label, analytic: a, ...checkEntry(along(f, copies, k, e, x), x, a, stepFor(x, scale), tol, allowKinks),
  });

  const entries: Entry[] = [];
  for (const i of indices) {
    const a = analyticOf(i);
    const x = copies.pristine[i];
    const name = nameOf(i);
    if (typeof x !== "number" && !(x instanceof Float64Array)) {
      throw new TypeError(`argument ${i} is neither a number nor a Float64Array`);
    }
    if (typeof x === "number" && typeof a === "number") {
      entries.push(check(name, i, -1, x, a));
    } else if (x instanceof Float64Array && a instanceof Float64Array && a.length === x.length) {
      for (let e = 0; e < x.length; e++) entries.push(check(`${name}[${e}]`, i, e, x[e], a[e]));
    } else {
      entries.push({ label: name, analytic: describe(a), numeric: describe(x), error: Infinity, status: "FAILED" });
    }
  }

  const failed = entries.filter((e) => e.status === "FAILED");
  const kinks = entries.filter((e) => e.status === "kink");
  const smaller = entries.filter((e) => e.status === "smaller step").length;
  const maxError = entries.reduce((m, e) => (e.status === "kink" ? m : Math.max(m, e.error)), 0);
  const ok = failed.length === 0;
  const worst = [...entries].filter((e) => e.status !== "kink").sort((x, y) => y.error - x.error).slice(0, opts.worst ?? 5);
  const notes = [
    kinks.length ? `${kinks.length} at kinks of f` : "",
    smaller ? `${smaller} passed with a smaller step` : "",
    failed.length ? `${failed.length} FAILED` : "",
  ].filter(Boolean);
  const lines = [
    `checkGradient ${ok ? "ok" : "FAILED"}: max error ${maxError.toExponential(3)} ` +
      `(tol ${tol}) over ${entries.length} entries${notes.length ? ` (${notes.join(", ")})` : ""}`,
  ];
  const line = (e: Entry) => {
    const sides = e.left === undefined ? "" : `, one-sided derivatives ${fmt(e.left)} (left) ${fmt(e.right!)} (right)`;
    if (e.status === "kink") return `  ${e.label}: kink: analytic ${fmt(e.analytic)}${sides}`;
    const flag = e.status === "FAILED" ? (e.left === undefined ? "  <-- exceeds tol" : "  <-- exceeds tol; f has a kink here and the analytic value is not between its one-sided derivatives") : "";
    const at = e.status === "smaller step" ? ` (at step ${e.step!.toExponential(1)})` : "";
    return `  ${e.label}: analytic ${fmt(e.analytic)}, numeric ${fmt(e.numeric)}${at}, error ${e.error.toExponential(3)}${sides}${flag}`;
  };
  if (worst.length > 0) {
    lines.push("worst entries:");
    for (const e of worst) lines.push(line(e));
  }
  if (kinks.length > 0) {
    lines.push("at kinks (not differentiable there; the analytic value is between the one-sided derivatives):");
    for (const e of kinks) lines.push(line(e));
  }
  return { ok, maxError, report: lines.join("\n"), kinks: kinks.map((e) => e.label) };
}

/** Mulberry32: a tiny, fast, deterministic 32-bit PRNG returning values in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed | 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A Float64Array of n values drawn uniformly from [lo, hi) with `rng`. */
export function randomArray(rng: () => number, n: number, lo: number = -1, hi: number = 1): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * rng();
  return out;
}
