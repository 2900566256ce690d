// GradBench `gmm`: log posterior of a Gaussian mixture with a Wishart prior on the precision
// matrices (ADBench's objective GMM with GradBench's fixes).
//
// Layout (row-major, flat): alpha[k]; mu[k·d]; q[k·d] (log of the diagonal of Q_k); l[k·d(d−1)/2]
// (strictly lower part of Q_k row by row, as GradBench's jagged `l[k][r]`: (1,0), (2,0), (2,1),
// (3,0), …); x[n·d]. Q_k = diag(exp(q_k)) + L_k; the precision of component k is Q_kᵀ Q_k.
//
// F = −n·(d/2)·log 2π − n·lse(alpha) + Σ_i lse_k(β_ik)
//     + Σ_k (−γ²/2·‖Q_k‖²_F + m·Σ_j q_kj) + k·(d·n'·log(γ/√2) − log Γ_d(n'/2)),  n' = d + m + 1,
// β_ik = alpha_k + Σ_j q_kj − ½‖Q_k (x_i − mu_k)‖².

/** log Γ(z) for z > 0: shift up to z ≥ 8, then Stirling's series. */
function logGamma(z: number): number {
  let shift = 0;
  while (z < 8) {
    shift += Math.log(z);
    z += 1;
  }
  const z2 = 1 / (z * z);
  const series = (1 / 12 - z2 * (1 / 360 - z2 * (1 / 1260 - z2 / 1680))) / z;
  return (z - 0.5) * Math.log(z) - z + 0.5 * Math.log(2 * Math.PI) + series - shift;
}

/** Log of the multivariate gamma function Γ_p(a). */
function logMultiGamma(a: number, p: number): number {
  let out = ((p * (p - 1)) / 4) * Math.log(Math.PI);
  for (let j = 1; j <= p; j++) out += logGamma(a + (1 - j) / 2);
  return out;
}

/** log Σ exp(v_i) over the first `len` entries, with the max trick. */
function logsumexp(v: Float64Array, len: number): number {
  let mx = v[0];
  for (let i = 1; i < len; i++) mx = Math.max(mx, v[i]);
  let s = 0;
  for (let i = 0; i < len; i++) s += Math.exp(v[i] - mx);
  return Math.log(s) + mx;
}

/** @differentiable @wrt alpha mu q l */
export function gmm(
  d: number, k: number, n: number,
  alpha: Float64Array, mu: Float64Array, q: Float64Array, l: Float64Array,
  x: Float64Array, gamma: number, m: number,
): number {
  const lsz = (d * (d - 1)) / 2;
  const qdiag = new Float64Array(d * k);
  const sumq = new Float64Array(k);
  for (let ik = 0; ik < k; ik++) {
    let s = 0;
    for (let j = 0; j < d; j++) {
      s += q[ik * d + j];
      qdiag[ik * d + j] = Math.exp(q[ik * d + j]);
    }
    sumq[ik] = s;
  }

  const beta = new Float64Array(k);
  const xc = new Float64Array(d);
  let slse = 0;
  for (let i = 0; i < n; i++) {
    for (let ik = 0; ik < k; ik++) {
      // x_i − mu_k, as the reference's `subtract` into its `xcentered`
      for (let j = 0; j < d; j++) xc[j] = x[i * d + j] - mu[ik * d + j];
      // ‖Q_k xc‖², one row of Q_k at a time
      let sq = 0;
      for (let r = 0; r < d; r++) {
        const row = ik * lsz + (r * (r - 1)) / 2;
        let v = qdiag[ik * d + r] * xc[r];
        for (let c = 0; c < r; c++) v += l[row + c] * xc[c];
        sq += v * v;
      }
      beta[ik] = alpha[ik] + sumq[ik] - 0.5 * sq;
    }
    slse += logsumexp(beta, k);
  }

  // Wishart prior on the precision matrices
  const dof = d + m + 1;
  let prior = 0;
  for (let ik = 0; ik < k; ik++) {
    let frob = 0;
    for (let j = 0; j < d; j++) frob += qdiag[ik * d + j] * qdiag[ik * d + j];
    for (let j = 0; j < lsz; j++) frob += l[ik * lsz + j] * l[ik * lsz + j];
    prior += -0.5 * gamma * gamma * frob + m * sumq[ik];
  }
  const c = d * dof * (Math.log(gamma) - 0.5 * Math.log(2)) - logMultiGamma(0.5 * dof, d);

  return -n * d * 0.5 * Math.log(2 * Math.PI) + slse - n * logsumexp(alpha, k) + prior + k * c;
}
