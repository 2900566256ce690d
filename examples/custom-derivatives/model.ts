import { stopGradient } from "adjoint-runtime";
import { median } from "./robust.ts";

/**
 * log(eᵃ + eᵇ) without overflow: the larger argument is factored out.
 * @pullback logAddExpPullback
 * @pushforward logAddExpPushforward
 */
export function logAddExp(a: number, b: number): number {
  const m = Math.max(a, b);
  if (m === -Infinity) return -Infinity;
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
}

/** ∂/∂a = eᵃ⁻ᶻ, ∂/∂b = eᵇ⁻ᶻ with z = logAddExp(a, b): softmax weights, which never overflow. */
export function logAddExpPullback(a: number, b: number, dz: number): { a: number; b: number } {
  const z = logAddExp(a, b);
  return { a: dz * Math.exp(a - z), b: dz * Math.exp(b - z) };
}

export function logAddExpPushforward(a: number, b: number, t: { a: number; b: number }): { value: number; tangent: number } {
  const z = logAddExp(a, b);
  return { value: z, tangent: Math.exp(a - z) * t.a + Math.exp(b - z) * t.b };
}

/** @differentiable @modes grad jvp hvp */
export function softplusLoss(w: number, x: number): number {
  return logAddExp(0, w * x);
}

/**
 * √a (a > 0) by Newton's iteration. Its derivative comes from the equation y² − a = 0, not from
 * the iterations: by the implicit function theorem dy/da = −(∂F/∂a) / (∂F/∂y) = 1 / (2y).
 * @pullback newtonSqrtPullback
 */
export function newtonSqrt(a: number): number {
  let y = a > 1 ? a : 1;
  for (let k = 0; k < 60; k++) {
    const next = 0.5 * (y + a / y);
    if (next >= y) return y;
    y = next;
  }
  return y;
}

export function newtonSqrtPullback(a: number, dy: number): { a: number } {
  return { a: dy / (2 * newtonSqrt(a)) };
}

/** @differentiable @modes grad hvp */
export function hypotenuse(x: number, y: number): number {
  return newtonSqrt(x * x + y * y);
}

/**
 * The median absolute residual of a line through the origin: robust to outliers.
 * @differentiable @modes grad jvp @wrt w
 */
export function medianResidual(w: number, xs: Float64Array, ys: Float64Array): number {
  const r = new Float64Array(xs.length);
  for (let i = 0; i < xs.length; i++) r[i] = Math.abs(ys[i]! - w * xs[i]!);
  return median(r);
}

/**
 * Rounded to whole units in the value, the identity in the derivative (a straight-through estimator).
 * @differentiable @modes grad jvp hvp
 */
export function quantizedLoss(w: number, x: number): number {
  const q = w + stopGradient(Math.round(w) - w);
  return (q * x - 1) ** 2;
}
