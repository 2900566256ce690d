// The heat equation u_t = u_xx on a rod with fixed ends, by explicit finite differences: n cells,
// each step u_i += r·(u_{i−1} − 2u_i + u_{i+1}) (stable for r ≤ 1/2). The misfit between the
// temperature after `steps` steps and a measured `target` is differentiated with respect to the
// initial temperature u0 and the coefficient r.
//
// Without checkpointing, the reverse sweep keeps what every step needs on the tape: 8 bytes per
// cell and step, 0.8 GB for 1,000 cells over 100,000 steps. With `/** @checkpoint */` on the time
// loop it keeps a snapshot of u every ⌈√steps⌉ steps and re-runs one stretch at a time.

/** One explicit step, in place (the ends stay fixed). */
function step(u: Float64Array, r: number, n: number): void {
  let left = u[0];
  for (let i = 1; i < n - 1; i++) {
    const c = u[i];
    u[i] = c + r * (left - 2 * c + u[i + 1]);
    left = c;
  }
}

/** @differentiable @wrt u0 r */
export function misfit(u0: Float64Array, r: number, target: Float64Array, steps: number): number {
  const n = u0.length;
  const u = Float64Array.from(u0);
  /** @checkpoint */
  for (let t = 0; t < steps; t++) step(u, r, n);
  let s = 0;
  for (let i = 0; i < n; i++) {
    const d = u[i] - target[i];
    s += d * d;
  }
  return s;
}

/** The same misfit without @checkpoint, to compare: its tape grows with the number of steps. */
/** @differentiable @wrt u0 r */
export function misfitTaped(u0: Float64Array, r: number, target: Float64Array, steps: number): number {
  const n = u0.length;
  const u = Float64Array.from(u0);
  for (let t = 0; t < steps; t++) step(u, r, n);
  let s = 0;
  for (let i = 0; i < n; i++) {
    const d = u[i] - target[i];
    s += d * d;
  }
  return s;
}
