// GradBench `ode` (from cmpad's an_ode): y_0' = x_0, y_i' = x_i·y_{i−1} (i > 0), y(0) = 0,
// integrated to t = 2 with s steps of classical Runge–Kutta.
//
// GradBench differentiates the last component y_{n−1}(2) ≈ Π x_i · 2ⁿ/n!, which underflows to 0
// for n ≳ 170 (its gradient is then identically zero and nothing can be checked). The objective
// here is the sum of the final state, Σ_i y_i(2): the same integrator, tape and reverse sweep.

/** z = f(y): z_0 = x_0, z_i = x_i·y_{i−1}. */
function odeFun(x: Float64Array, y: Float64Array, z: Float64Array): void {
  z[0] = x[0];
  for (let i = 1; i < x.length; i++) z[i] = x[i] * y[i - 1];
}

/** @differentiable @wrt x */
export function odeRk4(x: Float64Array, s: number): number {
  const n = x.length;
  const h = 2 / s;
  const y = new Float64Array(n);
  const k1 = new Float64Array(n);
  const k2 = new Float64Array(n);
  const k3 = new Float64Array(n);
  const k4 = new Float64Array(n);
  const tmp = new Float64Array(n);
  for (let step = 0; step < s; step++) {
    odeFun(x, y, k1);
    for (let i = 0; i < n; i++) tmp[i] = y[i] + (h * k1[i]) / 2;
    odeFun(x, tmp, k2);
    for (let i = 0; i < n; i++) tmp[i] = y[i] + (h * k2[i]) / 2;
    odeFun(x, tmp, k3);
    for (let i = 0; i < n; i++) tmp[i] = y[i] + h * k3[i];
    odeFun(x, tmp, k4);
    for (let i = 0; i < n; i++) y[i] += (h * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i])) / 6;
  }
  let sum = 0;
  for (let i = 0; i < n; i++) sum += y[i];
  return sum;
}
