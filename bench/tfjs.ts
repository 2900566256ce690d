/**
 * TensorFlow.js baselines (pure-JS CPU backend, float32): the same objectives written with
 * tensor operations, differentiated by `tf.grads`. Inputs are converted to tensors once, outside
 * the timed calls; each timed call computes on the backend and reads the result back
 * (`dataSync`), and frees its intermediates (`tf.tidy`).
 */
import type * as TF from "@tensorflow/tfjs";

export type Tf = typeof TF;

let loaded: Promise<Tf> | undefined;

/** Loads tfjs once, selects the CPU backend and production mode (no debug checks or banners). */
export function loadTf(): Promise<Tf> {
  loaded ??= (async () => {
    const tf = await import("@tensorflow/tfjs");
    tf.enableProdMode();
    await tf.setBackend("cpu");
    await tf.ready();
    return tf;
  })();
  return loaded;
}

/** tfjs takes Float32Array, not Float64Array: inputs are rounded to float32 once. */
const f32 = (a: Float64Array) => Float32Array.from(a);

export interface TfRun {
  /** The objective's value (read back to the host). */
  objective: () => number;
  /** The gradient with respect to each differentiated input, in order (read back). */
  gradient: () => Float32Array[];
  /** Peak bytes of tensors alive during one `gradient()` call beyond those before it. */
  peakBytes: () => Promise<number>;
  dispose: () => void;
}

/**
 * The most tensor bytes alive at once during one call of `fn`, less those alive before it.
 * The engine keeps the running total in `tf.engine().state.numBytes`; for the call, that field
 * becomes an accessor that also records its maximum. (`tf.profile` reports a peak too, but it
 * takes it with `Math.max(...kernels)`, which overflows the stack beyond ~10⁵ kernels: lstm.)
 */
async function peakOf(tf: Tf, fn: () => void): Promise<number> {
  const state = tf.engine().state;
  const before = state.numBytes;
  let current = before, peak = before;
  Object.defineProperty(state, "numBytes", {
    configurable: true, enumerable: true,
    get: () => current,
    set: (v: number) => { current = v; if (v > peak) peak = v; },
  });
  try {
    fn();
  } finally {
    delete (state as { numBytes?: number }).numBytes;
    state.numBytes = current;
  }
  return peak - before;
}

function run(tf: Tf, f: (...xs: TF.Tensor[]) => TF.Scalar, inputs: TF.Tensor[], keep: TF.Tensor[]): TfRun {
  const grads = tf.grads(f);
  const gradient = () => {
    let out: Float32Array[] = [];
    tf.tidy(() => { out = grads(inputs).map((g) => g.dataSync() as Float32Array); });
    return out;
  };
  return {
    objective: () => {
      let v = NaN;
      tf.tidy(() => { v = f(...inputs).dataSync()[0]; });
      return v;
    },
    gradient,
    peakBytes: () => peakOf(tf, gradient),
    dispose: () => tf.dispose([...inputs, ...keep]),
  };
}

/** log Σ exp(x_i), from primitives (max, subtract, exp, sum, log), as GradBench asks. */
export function tfLse(tf: Tf, x: Float64Array): TfRun {
  const f = (v: TF.Tensor): TF.Scalar => {
    const a = tf.max(v);
    return tf.add(tf.log(tf.sum(tf.exp(tf.sub(v, a)))), a) as TF.Scalar;
  };
  return run(tf, f as (...xs: TF.Tensor[]) => TF.Scalar, [tf.tensor1d(f32(x))], []);
}

/** ½‖s − T x‖² with T_ij = t_i^j (built inside the objective, as the TypeScript one does). */
export function tfLlsq(tf: Tf, x: Float64Array, n: number): TfRun {
  const m = x.length;
  const tv = new Float32Array(n);
  for (let i = 0; i < n; i++) tv[i] = -1 + (i * 2) / (n - 1);
  const t = tf.tensor2d(tv, [n, 1]);
  const j = tf.range(0, m).reshape([1, m]);
  const s = tf.sign(t).reshape([n]);
  const f = (xv: TF.Tensor): TF.Scalar => {
    const T = tf.pow(t, j) as TF.Tensor2D;
    const r = tf.sub(s, tf.matMul(T, xv.reshape([m, 1])).reshape([n]));
    return tf.mul(0.5, tf.sum(tf.square(r))) as TF.Scalar;
  };
  return run(tf, f as (...xs: TF.Tensor[]) => TF.Scalar, [tf.tensor1d(f32(x))], [t, j, s]);
}

/**
 * GMM log posterior, batched over components: xc = X − mu_k (k×n×d), Q_k xc by a batched matMul,
 * logsumexp over components per point. Q_k = diag(exp q_k) + L_k, L_k assembled from slices of
 * l (a `tf.gather` would be shorter, but its gradient on the CPU backend, an unsorted segment sum
 * with one pass per segment, takes 90 s at d = 64, K = 50).
 */
export function tfGmm(
  tf: Tf, d: number, k: number, n: number,
  alpha: Float64Array, mu: Float64Array, q: Float64Array, l: Float64Array,
  x: Float64Array, gamma: number, m: number, constant: number,
): TfRun {
  const lsz = (d * (d - 1)) / 2;
  const eye = tf.eye(d).reshape([1, d, d]);
  const X = tf.tensor2d(f32(x), [n, d]).reshape([1, n, d]);
  const zeroRow = tf.zeros([k, d]);
  const f = (a: TF.Tensor, muT: TF.Tensor, qT: TF.Tensor, lT: TF.Tensor): TF.Scalar => {
    // L_k row by row: row r is l's r entries for that row, padded with zeros to d
    const rows: TF.Tensor[] = [zeroRow];
    for (let r = 1; r < d; r++) rows.push(tf.pad(tf.slice(lT, [0, (r * (r - 1)) / 2], [k, r]), [[0, 0], [0, d - r]]));
    const L = tf.stack(rows, 1); // k×d×d
    const qdiag = tf.exp(qT);
    const Q = tf.add(L, tf.mul(qdiag.reshape([k, d, 1]), eye)) as TF.Tensor3D;
    const xc = tf.sub(X, muT.reshape([k, 1, d])) as TF.Tensor3D; // k×n×d
    const v = tf.matMul(xc, Q, false, true); // (Q xc) for every point: k×n×d
    const sq = tf.sum(tf.square(v), 2); // k×n
    const sumq = tf.sum(qT, 1); // k
    const beta = tf.sub(tf.add(a, sumq).reshape([k, 1]), tf.mul(0.5, sq)); // k×n
    const bmax = tf.max(beta, 0);
    const lse = tf.add(tf.log(tf.sum(tf.exp(tf.sub(beta, bmax)), 0)), bmax); // n
    const amax = tf.max(a);
    const lseAlpha = tf.add(tf.log(tf.sum(tf.exp(tf.sub(a, amax)))), amax);
    const frob = tf.add(tf.sum(tf.square(qdiag)), tf.sum(tf.square(lT)));
    const prior = tf.add(tf.mul(-0.5 * gamma * gamma, frob), tf.mul(m, tf.sum(qT)));
    return tf.addN([tf.sum(lse), tf.mul(-n, lseAlpha), prior, tf.scalar(constant)]) as TF.Scalar;
  };
  const inputs = [tf.tensor1d(f32(alpha)), tf.tensor2d(f32(mu), [k, d]), tf.tensor2d(f32(q), [k, d]), tf.tensor2d(f32(l), [k, lsz])];
  return run(tf, f as (...xs: TF.Tensor[]) => TF.Scalar, inputs, [eye, X, zeroRow]);
}

/**
 * ADBench's D-LSTM, one tensor of b units per gate and layer: per character and layer the
 * element-wise gate arithmetic on b-long vectors (the weights are diagonal, so there is no
 * matrix product), then the log-softmax (with ADBench's + 2) against the next character.
 * The character rows are split into tensors once, outside the timed calls.
 */
export function tfLstm(
  tf: Tf, l: number, c: number, b: number,
  mainParams: Float64Array, extraParams: Float64Array, state: Float64Array, sequence: Float64Array,
): TfRun {
  const rows = tf.unstack(tf.tensor2d(f32(sequence), [c, b]));
  const state0 = tf.unstack(tf.tensor2d(f32(state), [2 * l, b]));
  const count = (c - 1) * b;
  const f = (main: TF.Tensor, extra: TF.Tensor): TF.Scalar => {
    const m = tf.unstack(main.reshape([2 * l, 4, b]));
    const gate = (layer: number, row: number, g: number) => m[2 * layer + row].slice([g, 0], [1, b]).reshape([b]);
    const w = Array.from({ length: l }, (_, L) => [0, 1, 2, 3].map((g) => gate(L, 0, g)));
    const bias = Array.from({ length: l }, (_, L) => [0, 1, 2, 3].map((g) => gate(L, 1, g)));
    const [inW, outW, outB] = tf.unstack(extra.reshape([3, b]));
    const h = Array.from({ length: l }, (_, L) => state0[2 * L]);
    const cell = Array.from({ length: l }, (_, L) => state0[2 * L + 1]);
    let total: TF.Tensor = tf.scalar(0);
    for (let t = 0; t < c - 1; t++) {
      let input = tf.mul(rows[t], inW);
      for (let L = 0; L < l; L++) {
        const [wf, wi, wo, wc] = w[L], [bf, bi, bo, bc] = bias[L];
        const forget = tf.sigmoid(tf.add(tf.mul(input, wf), bf));
        const ingate = tf.sigmoid(tf.add(tf.mul(h[L], wi), bi));
        const outgate = tf.sigmoid(tf.add(tf.mul(input, wo), bo));
        const change = tf.tanh(tf.add(tf.mul(h[L], wc), bc));
        cell[L] = tf.add(tf.mul(cell[L], forget), tf.mul(ingate, change));
        h[L] = tf.mul(outgate, tf.tanh(cell[L]));
        input = h[L];
      }
      const y = tf.add(tf.mul(h[l - 1], outW), outB);
      const lse = tf.log(tf.add(tf.sum(tf.exp(y)), 2));
      total = tf.add(total, tf.sum(tf.mul(rows[t + 1], tf.sub(y, lse))));
    }
    return tf.div(tf.neg(total), count) as TF.Scalar;
  };
  return run(tf, f as (...xs: TF.Tensor[]) => TF.Scalar, [tf.tensor2d(f32(mainParams), [2 * l, 4 * b]), tf.tensor2d(f32(extraParams), [3, b])], [...rows, ...state0]);
}

/**
 * k-means: the n×k squared distances as ‖P_i‖² − 2·P_i·C_j + ‖C_j‖² (one matrix product;
 * summing (P_ie − C_je)² coordinate by coordinate keeps 3d tensors of n×k per level of
 * differentiation, and the process grew past 8 GB at k = 1000, n = 10000, d = 16), then the
 * sum of the row minima. In float32 the expansion
 * loses about 1e-6 to cancellation, less than the smallest gap between a point's two closest
 * centroids in these inputs (a flipped assignment would fail the check). GradBench's `dir`
 * needs the Hessian's diagonal, H·1 = ∂/∂C ⟨∂f/∂C, 1⟩, a gradient of a gradient; tfjs cannot
 * differentiate the gradient of `min` (no gradient for its `Equal` mask), so the cost is
 * differentiated in the form Σ_ij M_ij D_ij with M the one-hot matrix of each point's closest
 * centroid (from `argMin`, which passes no gradient). `gradient()` returns [dir, grad, H·1].
 */
export function tfKmeans(tf: Tf, n: number, k: number, d: number, points: Float64Array, centroids: Float64Array): TfRun {
  const P = tf.tensor2d(f32(points), [n, d]);
  const pp = tf.sum(tf.square(P), 1, true); // n×1
  const C0 = tf.tensor2d(f32(centroids), [k, d]);
  const dist = (C: TF.Tensor): TF.Tensor =>
    tf.add(tf.sub(pp, tf.mul(2, tf.matMul(P, C, false, true))), tf.sum(tf.square(C), 1).reshape([1, k]));
  const cost = (C: TF.Tensor): TF.Scalar => tf.sum(tf.min(dist(C), 1));
  const assigned = (C: TF.Tensor): TF.Scalar => {
    const D = dist(C);
    return tf.sum(tf.mul(tf.oneHot(tf.argMin(D, 1), k), D));
  };
  const grad = tf.grad(assigned);
  const hdiag = tf.grad((C: TF.Tensor) => tf.sum(grad(C)));
  const gradient = () => {
    let out: Float32Array[] = [];
    tf.tidy(() => {
      const g = grad(C0), h = hdiag(C0);
      out = [tf.div(g, h), g, h].map((t) => t.dataSync() as Float32Array);
    });
    return out;
  };
  return {
    objective: () => {
      let v = NaN;
      tf.tidy(() => { v = cost(C0).dataSync()[0]; });
      return v;
    },
    gradient,
    peakBytes: () => peakOf(tf, gradient),
    dispose: () => tf.dispose([P, pp, C0]),
  };
}

/**
 * A function of scalars written with scalar tfjs operations, as a user would port scalar code:
 * every argument is a 0-d tensor and `tf.grads` differentiates with respect to all of them.
 * `gradient()` returns one Float32Array holding the partials in argument order.
 */
function runScalars(tf: Tf, f: (...xs: TF.Scalar[]) => TF.Scalar, values: number[], keep: TF.Tensor[]): TfRun {
  const inputs = values.map((v) => tf.scalar(v));
  const grads = tf.grads(f as (...xs: TF.Tensor[]) => TF.Tensor);
  const gradient = () => {
    let out: Float32Array[] = [];
    tf.tidy(() => { out = [Float32Array.from(grads(inputs).map((g) => g.dataSync()[0]))]; });
    return out;
  };
  return {
    objective: () => {
      let v = NaN;
      tf.tidy(() => { v = f(...inputs).dataSync()[0]; });
      return v;
    },
    gradient,
    peakBytes: () => peakOf(tf, gradient),
    dispose: () => tf.dispose([...inputs, ...keep]),
  };
}

/** The quick start's logistic loss (examples/quickstart/model.ts) in scalar tfjs operations; arguments w_0 … w_{d−1}, b. */
export function tfLogisticScalar(tf: Tf, w: Float64Array, b: number, x: Float64Array, y: number): TfRun {
  const d = w.length;
  const f = (...args: TF.Scalar[]): TF.Scalar => {
    let z: TF.Tensor = args[d];
    for (let i = 0; i < d; i++) z = tf.add(z, tf.mul(args[i], x[i]));
    const p = tf.div(1, tf.add(1, tf.exp(tf.neg(z))));
    return tf.neg(tf.add(tf.mul(y, tf.log(p)), tf.mul(1 - y, tf.log(tf.sub(1, p))))) as TF.Scalar;
  };
  return runScalars(tf, f, [...w, b], []);
}

/** The Euler oscillator of bench/problems/ode.ts in scalar tfjs operations; arguments k, c, a, x0, v0. */
export function tfPendulumScalar(tf: Tf, k: number, c: number, a: number, x0: number, v0: number, steps: number, dt: number): TfRun {
  const f = (kT: TF.Scalar, cT: TF.Scalar, aT: TF.Scalar, x0T: TF.Scalar, v0T: TF.Scalar): TF.Scalar => {
    let x: TF.Tensor = x0T;
    let v: TF.Tensor = v0T;
    for (let i = 0; i < steps; i++) {
      const t = i * dt;
      const acc = tf.add(tf.sub(tf.neg(tf.mul(kT, tf.sin(x))), tf.mul(cT, v)), tf.mul(aT, Math.cos(1.3 * t)));
      x = tf.add(x, tf.mul(dt, v));
      v = tf.add(v, tf.mul(dt, acc));
    }
    return tf.add(tf.mul(x, x), tf.mul(0.1, tf.mul(v, v))) as TF.Scalar;
  };
  return runScalars(tf, f as (...xs: TF.Scalar[]) => TF.Scalar, [k, c, a, x0, v0], []);
}
