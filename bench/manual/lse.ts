// Hand-written gradient of log-sum-exp: ∂/∂x_i = exp(x_i − a) / Σ_j exp(x_j − a).

export function lseGradManual(x: Float64Array, g: Float64Array): { value: number; grad: Float64Array } {
  const n = x.length;
  let a = x[0];
  for (let i = 1; i < n; i++) if (x[i] > a) a = x[i];
  let s = 0;
  for (let i = 0; i < n; i++) {
    const e = Math.exp(x[i] - a);
    g[i] = e;
    s += e;
  }
  const inv = 1 / s;
  for (let i = 0; i < n; i++) g[i] *= inv;
  return { value: Math.log(s) + a, grad: g };
}
