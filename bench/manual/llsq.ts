// Hand-written gradient of GradBench's llsq: ∂y/∂x_j = −Σ_i r_i t_i^j, r_i = s_i − Σ_j x_j t_i^j.
// The powers of one t_i are kept in `pow` (length m) between the residual and the gradient pass.

export function llsqGradManual(x: Float64Array, n: number, g: Float64Array, pow: Float64Array): { value: number; grad: Float64Array } {
  const m = x.length;
  g.fill(0);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const t = -1 + (i * 2) / (n - 1);
    let r = Math.sign(t);
    for (let j = 0; j < m; j++) {
      const p = Math.pow(t, j);
      pow[j] = p;
      r -= x[j] * p;
    }
    sum += r * r;
    for (let j = 0; j < m; j++) g[j] -= r * pow[j];
  }
  return { value: sum / 2, grad: g };
}
