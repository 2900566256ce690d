// GradBench `lse`: log-sum-exp of a vector, computed stably with the max trick.
// LSE(x) = a + log Σ exp(x_i − a), a = max x.

/** @differentiable */
export function lse(x: Float64Array): number {
  let a = x[0];
  for (let i = 1; i < x.length; i++) a = Math.max(a, x[i]);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.exp(x[i] - a);
  return Math.log(s) + a;
}
