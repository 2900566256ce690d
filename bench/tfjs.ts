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
  dispose: () => void;
}

function run(tf: Tf, f: (...xs: TF.Tensor[]) => TF.Scalar, inputs: TF.Tensor[], keep: TF.Tensor[]): TfRun {
  const grads = tf.grads(f);
  return {
    objective: () => {
      let v = NaN;
      tf.tidy(() => { v = f(...inputs).dataSync()[0]; });
      return v;
    },
    gradient: () => {
      let out: Float32Array[] = [];
      tf.tidy(() => { out = grads(inputs).map((g) => g.dataSync() as Float32Array); });
      return out;
    },
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
