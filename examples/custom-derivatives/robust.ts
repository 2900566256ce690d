/**
 * A small statistics library: plain TypeScript that adjoint cannot differentiate (it sorts with
 * a comparator, a closure). `median` gives its own derivatives, so differentiable code may call it.
 */

/**
 * The median of an odd number of values.
 * @pullback medianPullback
 * @pushforward medianPushforward
 */
export function median(xs: Float64Array): number {
  return xs[medianIndex(xs)]!;
}

/** Where the median is: the middle of the indices sorted by value. */
function medianIndex(xs: Float64Array): number {
  const order = Array.from(xs.keys()).sort((i, j) => xs[i]! - xs[j]!);
  return order[(order.length - 1) / 2]!;
}

/** Almost everywhere, the median moves with the middle value alone: its gradient is one-hot. */
export function medianPullback(xs: Float64Array, dm: number): { xs: Float64Array } {
  const d = new Float64Array(xs.length);
  d[medianIndex(xs)] = dm;
  return { xs: d };
}

export function medianPushforward(xs: Float64Array, t: { xs: Float64Array }): { value: number; tangent: number } {
  const k = medianIndex(xs);
  return { value: xs[k]!, tangent: t.xs[k]! };
}
