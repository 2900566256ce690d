// GradBench `llsq` (from cmpad's llsq_obj): a polynomial least-squares fit of the sign function,
// y(x) = ½ Σ_i (s_i − Σ_j x_j t_i^j)², t_i = −1 + 2i/(n − 1), s_i = sign(t_i); m = x.length.

/** @differentiable @wrt x */
export function llsq(x: Float64Array, n: number): number {
  const m = x.length;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const t = -1 + (i * 2) / (n - 1);
    const sign = Math.sign(t);
    let r = sign;
    for (let j = 0; j < m; j++) r -= x[j] * Math.pow(t, j);
    sum += r * r;
  }
  return sum / 2;
}
