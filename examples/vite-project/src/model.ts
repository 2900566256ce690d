/**
 * A one-hidden-layer network's squared error on one sample: `h = tanh(W x + c)`, `y = v·h + b`.
 * `W` is `hidden` rows of `x.length` weights, row by row.
 *
 * @differentiable @wrt W c v b
 */
export function netLoss(W: Float64Array, c: Float64Array, v: Float64Array, b: number, x: Float64Array, target: number): number {
  const hidden = c.length;
  const n = x.length;
  let y = b;
  for (let i = 0; i < hidden; i++) {
    let a = c[i];
    for (let j = 0; j < n; j++) a += W[i * n + j] * x[j];
    y += v[i] * Math.tanh(a);
  }
  const e = y - target;
  return 0.5 * e * e;
}

/**
 * The Rosenbrock function; its Hessian is generated too.
 *
 * @differentiable @modes grad hessian
 */
export function rosenbrock(x: number, y: number): number {
  return (1 - x) ** 2 + 100 * (y - x * x) ** 2;
}
