/**
 * adjoint/runtime/optim: first-order optimizers for the gradient objects that
 * generated code returns.
 *
 * Contract
 * - Parameters and gradients are trees of the same shape: objects whose fields
 *   are `number`, `Float64Array`, `number[]`, nested objects and arrays of them,
 *   e.g. `{ layers: [{ W, b }, …], out: { w: Float64Array, b: number } }`.
 * - `step(params, grads)` updates arrays in place and replaces number fields in
 *   their object (`params.out.b = ...`). Optimizer state is kept per leaf, by
 *   its path (`layers[1].W`).
 * - Keys of `params` missing from `grads` (or whose gradient is null/undefined)
 *   are left untouched, and their optimizer state does not advance. Keys of
 *   `grads` that are not in `params` are ignored (a gradient object may cover
 *   inputs that are not trained).
 * - A gradient whose shape differs from its parameter's (number vs array, or a
 *   different length) throws a RangeError naming the key; so does a parameter
 *   whose shape changes after its optimizer state was allocated.
 * - Optimizer state (velocity, moments) is allocated lazily, once per key, on
 *   the first step that key receives a gradient, and reused afterwards.
 * - `lr` is a public field so that schedules can change it between steps.
 * - Weight decay is classic L2 regularization: weightDecay * param is added to
 *   the gradient before the update (as in PyTorch's SGD and Adam).
 *
 * Dependency-free: imports nothing.
 */

/** Value of one trainable leaf. */
export type ParamValue = number | Float64Array | number[];

/** A gradient tree matching the parameter tree P (fields may be missing or null). */
export type GradsOf<P> = P extends number ? number
  : P extends Float64Array ? Float64Array
  : P extends readonly number[] ? readonly number[]
  : P extends readonly (infer E)[] ? readonly (GradsOf<E> | null | undefined)[]
  : { readonly [K in keyof P]?: GradsOf<P[K]> | null };

function shapeOf(v: unknown): string {
  if (typeof v === "number") return "number";
  if (v instanceof Float64Array) return `Float64Array(${v.length})`;
  if (Array.isArray(v)) return `array(${v.length})`;
  return v === null ? "null" : typeof v;
}

function shapeError(key: string, param: unknown, grad: unknown): RangeError {
  return new RangeError(`gradient for "${key}" has shape ${shapeOf(grad)}, parameter has shape ${shapeOf(param)}`);
}

function checkNonNegative(name: string, v: number): void {
  if (!(v >= 0) || !Number.isFinite(v)) throw new RangeError(`${name} must be a finite non-negative number, got ${v}`);
}

function checkBeta(name: string, v: number): void {
  if (!(v >= 0 && v < 1)) throw new RangeError(`${name} must be in [0, 1), got ${v}`);
}

const isNumericArray = (v: unknown): v is Float64Array | number[] =>
  v instanceof Float64Array || (Array.isArray(v) && (v.length === 0 || typeof v[0] === "number"));

/**
 * Calls `visit` for every trained leaf of a parameter tree: each number and numeric array that
 * has a gradient, with its path (`layers[1].W`), its gradient, and for a number a setter (numbers
 * are replaced in their object, arrays updated in place). Throws on a shape mismatch.
 */
function forEachLeaf(
  params: unknown,
  grads: unknown,
  visit: (key: string, p: number | Float64Array | number[], g: number | ArrayLike<number>, set: (x: number) => void) => void,
  prefix = "",
): void {
  const node = params as Record<string, unknown>;
  const gnode = grads as Record<string, unknown>;
  const keys = Array.isArray(node) ? node.map((_, i) => String(i)) : Object.keys(node);
  for (const k of keys) {
    const g = gnode[k];
    if (g === undefined || g === null) continue;
    const key = Array.isArray(node) ? `${prefix}[${k}]` : prefix ? `${prefix}.${k}` : k;
    const p = node[k];
    if (typeof p === "number") {
      if (typeof g !== "number") throw shapeError(key, p, g);
      visit(key, p, g, (x) => { node[k] = x; });
    } else if (isNumericArray(p)) {
      if (!isNumericArray(g) || g.length !== p.length) throw shapeError(key, p, g);
      visit(key, p, g, () => {});
    } else if (p !== null && typeof p === "object") {
      if (typeof g !== "object" || isNumericArray(g) || Array.isArray(p) !== Array.isArray(g)) throw shapeError(key, p, g);
      forEachLeaf(p, g, visit, key);
    } else {
      throw new TypeError(`parameter "${key}" is ${shapeOf(p)}, expected a number, a numeric array or an object of them`);
    }
  }
}

/** 1 for a number, the length for an array. */
function sizeOf(p: ParamValue): number {
  return typeof p === "number" ? 1 : p.length;
}

/** Fetch the state buffer for key, allocating it on first use. */
function stateBuffer(map: Map<string, Float64Array>, key: string, size: number): Float64Array {
  let buf = map.get(key);
  if (buf === undefined) {
    buf = new Float64Array(size);
    map.set(key, buf);
  } else if (buf.length !== size) {
    throw new RangeError(`parameter "${key}" changed size from ${buf.length} to ${size} since the optimizer's first step`);
  }
  return buf;
}

export interface SGDOptions {
  lr: number;
  /** Momentum factor (default 0: plain gradient descent). */
  momentum?: number;
  /** Nesterov momentum (requires momentum > 0). */
  nesterov?: boolean;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay?: number;
}

/**
 * Stochastic gradient descent, optionally with (Nesterov) momentum:
 *   g = grad + weightDecay * p
 *   v = momentum * v + g                    (v starts at 0)
 *   p = p - lr * (nesterov ? g + momentum * v : v)      (p - lr * g without momentum)
 */
export class SGD {
  lr: number;
  readonly momentum: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;
  private readonly velocity = new Map<string, Float64Array>();

  constructor(opts: SGDOptions) {
    this.lr = opts.lr;
    this.momentum = opts.momentum ?? 0;
    this.nesterov = opts.nesterov ?? false;
    this.weightDecay = opts.weightDecay ?? 0;
    checkNonNegative("lr", this.lr);
    checkNonNegative("momentum", this.momentum);
    checkNonNegative("weightDecay", this.weightDecay);
    if (this.nesterov && this.momentum === 0) throw new RangeError("nesterov momentum requires momentum > 0");
  }

  step<P extends object>(params: P, grads: GradsOf<P>): void {
    forEachLeaf(params, grads, (key, p, g, set) => {
      const v = this.momentum !== 0 ? stateBuffer(this.velocity, key, sizeOf(p)) : null;
      if (typeof p === "number") set(this.updated(p, g as number, v, 0));
      else {
        const ga = g as ArrayLike<number>;
        for (let i = 0; i < p.length; i++) p[i] = this.updated(p[i]!, ga[i]!, v, i);
      }
    });
  }

  /** New value of one parameter element p with gradient g (velocity v[i], if any). */
  private updated(p: number, g: number, v: Float64Array | null, i: number): number {
    let d = this.weightDecay !== 0 ? g + this.weightDecay * p : g;
    if (v !== null) {
      v[i] = this.momentum * v[i] + d;
      d = this.nesterov ? d + this.momentum * v[i] : v[i];
    }
    return p - this.lr * d;
  }

  /** Forget all velocity buffers. */
  reset(): void {
    this.velocity.clear();
  }
}

export interface AdamOptions {
  lr: number;
  /** Decay rate of the first moment (default 0.9). */
  beta1?: number;
  /** Decay rate of the second moment (default 0.999). */
  beta2?: number;
  /** Denominator fuzz (default 1e-8). */
  eps?: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay?: number;
}

/**
 * Adam (Kingma & Ba, 2015) with bias correction. Per key, with t the number of
 * steps that key has taken (starting at 1):
 *   g = grad + weightDecay * p
 *   m = beta1 * m + (1 - beta1) * g
 *   v = beta2 * v + (1 - beta2) * g^2
 *   p = p - lr * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)
 */
export class Adam {
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  private readonly m = new Map<string, Float64Array>();
  private readonly v = new Map<string, Float64Array>();
  private readonly t = new Map<string, number>();

  constructor(opts: AdamOptions) {
    this.lr = opts.lr;
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0;
    checkNonNegative("lr", this.lr);
    checkBeta("beta1", this.beta1);
    checkBeta("beta2", this.beta2);
    checkNonNegative("eps", this.eps);
    checkNonNegative("weightDecay", this.weightDecay);
  }

  step<P extends object>(params: P, grads: GradsOf<P>): void {
    forEachLeaf(params, grads, (key, p, g, set) => {
      const size = sizeOf(p);
      const m = stateBuffer(this.m, key, size);
      const v = stateBuffer(this.v, key, size);
      const t = (this.t.get(key) ?? 0) + 1;
      this.t.set(key, t);
      const bc1 = 1 - this.beta1 ** t;
      const bc2 = 1 - this.beta2 ** t;
      if (typeof p === "number") set(this.updated(p, g as number, m, v, 0, bc1, bc2));
      else {
        const ga = g as ArrayLike<number>;
        for (let i = 0; i < p.length; i++) p[i] = this.updated(p[i]!, ga[i]!, m, v, i, bc1, bc2);
      }
    });
  }

  /** New value of one parameter element; bc1, bc2 are the bias corrections 1 - beta^t. */
  private updated(p: number, g: number, m: Float64Array, v: Float64Array, i: number, bc1: number, bc2: number): number {
    const d = this.weightDecay !== 0 ? g + this.weightDecay * p : g;
    m[i] = this.beta1 * m[i] + (1 - this.beta1) * d;
    v[i] = this.beta2 * v[i] + (1 - this.beta2) * d * d;
    return p - (this.lr * (m[i] / bc1)) / (Math.sqrt(v[i] / bc2) + this.eps);
  }

  /** Forget the moment estimates and step counts (the next step is a first step again). */
  reset(): void {
    this.m.clear();
    this.v.clear();
    this.t.clear();
  }
}
