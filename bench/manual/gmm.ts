// Hand-written gradient of GradBench's gmm log posterior (layout as in bench/problems/gmm.ts).
//
// With xc = x_i − mu_k, v = Q_k xc and β_ik = alpha_k + Σ_j q_kj − ½‖v‖², the likelihood term
// Σ_i lse_k(β_ik) has ∂/∂β_ik = w_ik = softmax_k(β_i·), and
//   ∂β/∂alpha_k = 1,  ∂β/∂q_kr = 1 − v_r·exp(q_kr)·xc_r,  ∂β/∂L_k[r][c] = −v_r·xc_c,
//   ∂β/∂mu_k = Q_kᵀ v.
// The prior adds −γ²·exp(2q_kr) + m to ∂/∂q_kr and −γ²·l to ∂/∂l; −n·lse(alpha) adds
// −n·softmax(alpha).

export interface GmmScratch {
  qdiag: Float64Array; // k·d
  xc: Float64Array; // k·d: x_i − mu_k for the current point
  v: Float64Array; // k·d: Q_k xc
  beta: Float64Array; // k
  sumq: Float64Array; // k: Σ_j q_kj
  dxc: Float64Array; // d
}

export function gmmScratch(d: number, k: number): GmmScratch {
  return { qdiag: new Float64Array(k * d), xc: new Float64Array(k * d), v: new Float64Array(k * d), beta: new Float64Array(k), sumq: new Float64Array(k), dxc: new Float64Array(d) };
}

export interface GmmGrad {
  alpha: Float64Array;
  mu: Float64Array;
  q: Float64Array;
  l: Float64Array;
}

function logsumexp(v: Float64Array, len: number): number {
  let mx = v[0];
  for (let i = 1; i < len; i++) if (v[i] > mx) mx = v[i];
  let s = 0;
  for (let i = 0; i < len; i++) s += Math.exp(v[i] - mx);
  return Math.log(s) + mx;
}

/** log Γ(z), z > 0 (same series as the problem's helper). */
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

export function gmmGradManual(
  d: number, k: number, n: number,
  alpha: Float64Array, mu: Float64Array, q: Float64Array, l: Float64Array,
  x: Float64Array, gamma: number, m: number,
  g: GmmGrad, s: GmmScratch,
): { value: number; grad: GmmGrad } {
  const lsz = (d * (d - 1)) / 2;
  const { qdiag, xc, v, beta, sumq, dxc } = s;
  const ga = g.alpha, gmu = g.mu, gq = g.q, gl = g.l;
  ga.fill(0);
  gmu.fill(0);
  gq.fill(0);
  gl.fill(0);

  let sumqAll = 0;
  for (let ik = 0; ik < k; ik++) {
    let sk = 0;
    for (let r = 0; r < d; r++) {
      qdiag[ik * d + r] = Math.exp(q[ik * d + r]);
      sk += q[ik * d + r];
    }
    sumq[ik] = sk;
    sumqAll += sk;
  }

  let slse = 0;
  for (let i = 0; i < n; i++) {
    const xi = i * d;
    for (let ik = 0; ik < k; ik++) {
      const kd = ik * d;
      for (let r = 0; r < d; r++) xc[kd + r] = x[xi + r] - mu[kd + r];
      let sq = 0;
      for (let r = 0; r < d; r++) {
        const row = ik * lsz + (r * (r - 1)) / 2;
        let vr = qdiag[kd + r] * xc[kd + r];
        for (let c = 0; c < r; c++) vr += l[row + c] * xc[kd + c];
        v[kd + r] = vr;
        sq += vr * vr;
      }
      beta[ik] = alpha[ik] + sumq[ik] - 0.5 * sq;
    }
    const lse = logsumexp(beta, k);
    slse += lse;

    for (let ik = 0; ik < k; ik++) {
      const w = Math.exp(beta[ik] - lse);
      const kd = ik * d;
      ga[ik] += w;
      dxc.fill(0);
      for (let r = 0; r < d; r++) {
        const row = ik * lsz + (r * (r - 1)) / 2;
        const dv = -w * v[kd + r];
        gq[kd + r] += w + dv * qdiag[kd + r] * xc[kd + r];
        dxc[r] += dv * qdiag[kd + r];
        for (let c = 0; c < r; c++) {
          gl[row + c] += dv * xc[kd + c];
          dxc[c] += dv * l[row + c];
        }
      }
      for (let r = 0; r < d; r++) gmu[kd + r] -= dxc[r];
    }
  }

  // −n·lse(alpha)
  const lseAlpha = logsumexp(alpha, k);
  for (let ik = 0; ik < k; ik++) ga[ik] -= n * Math.exp(alpha[ik] - lseAlpha);

  // Wishart prior
  let frob = 0;
  for (let i = 0; i < k * d; i++) {
    frob += qdiag[i] * qdiag[i];
    gq[i] += -gamma * gamma * qdiag[i] * qdiag[i] + m;
  }
  for (let i = 0; i < k * lsz; i++) {
    frob += l[i] * l[i];
    gl[i] -= gamma * gamma * l[i];
  }
  const prior = -0.5 * gamma * gamma * frob + m * sumqAll;

  const value = slse - n * lseAlpha + prior + gmmConstant(d, k, n, gamma, m);
  return { value, grad: g };
}

/** The parameter-free terms: −n·(d/2)·log 2π + k·(d·n'·log(γ/√2) − log Γ_d(n'/2)). */
export function gmmConstant(d: number, k: number, n: number, gamma: number, m: number): number {
  const dof = d + m + 1;
  let logGammaD = ((d * (d - 1)) / 4) * Math.log(Math.PI);
  for (let j = 1; j <= d; j++) logGammaD += logGamma(0.5 * dof + (1 - j) / 2);
  const c = d * dof * (Math.log(gamma) - 0.5 * Math.log(2)) - logGammaD;
  return -n * d * 0.5 * Math.log(2 * Math.PI) + k * c;
}
