// GradBench `lse`: log-sum-exp of a vector, computed stably with the max trick.
// LSE(x) = a + log Σ exp(x_i − a), a = max x.
//
// The shift `a` is any number as far as the value's derivative goes: ∂LSE/∂a = 1 − Σ softmax = 0
// exactly. `stopGradient` says so, as JAX's `logsumexp` does (`lax.stop_gradient` on its max):
// the gradient is then the softmax alone, with no adjoint routed through the maximum.
import { stopGradient } from "adjoint-runtime";

/** @differentiable */
export function lse(x: Float64Array): number {
  let a = x[0];
  for (let i = 1; i < x.length; i++) a = Math.max(a, x[i]);
  const shift = stopGradient(a);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.exp(x[i] - shift);
  return Math.log(s) + shift;
}
