// Explicit Euler on a damped, driven nonlinear oscillator: x'' = −k·sin(x) − c·x' + a·cos(ω t).

/** @differentiable @wrt k c a x0 v0 */
export function pendulum(k: number, c: number, a: number, x0: number, v0: number, steps: number, dt: number): number {
  let x = x0;
  let v = v0;
  for (let i = 0; i < steps; i++) {
    const t = i * dt;
    const acc = -k * Math.sin(x) - c * v + a * Math.cos(1.3 * t);
    x = x + dt * v;
    v = v + dt * acc;
  }
  return x * x + 0.1 * v * v;
}
