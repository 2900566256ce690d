/**
 * Stop-gradient and the helpers generated code uses around user-supplied derivatives
 * (`@pullback` / `@pushforward`), plus a way to check such a rule against finite differences.
 */

/** A numeric array as user code holds one: a Float64Array or a number[]. */
export type NumericArray = Float64Array | number[];

/**
 * The value of `x`, through which no derivative flows: its derivative is zero in every mode
 * (gradient, tangent, second order). A number is returned as it is; an array is returned as a
 * copy of the same kind, so that writing the result never changes `x`.
 */
export function stopGradient(x: number): number;
export function stopGradient<T extends NumericArray>(x: T): T;
export function stopGradient(x: number | NumericArray): number | NumericArray {
  if (typeof x === "number") return x;
  return Array.isArray(x) ? x.slice() : Float64Array.from(x);
}

/** y[i] = x[i] for the first n elements, with no derivative flowing from x to y (`stopGradient` of an array). */
export function stopGradientCopy(n: number, x: ArrayLike<number>, y: NumericArray): void {
  if (x.length < n || y.length < n) throw new RangeError(`stopGradientCopy: x and y must have length at least ${n} (got ${x.length}, ${y.length})`);
  for (let i = 0; i < n; i++) y[i] = x[i]!;
}

/**
 * into[i] += from[i]: adds the cotangent a pullback returned for an array parameter into that
 * parameter's gradient. The lengths must match (RangeError otherwise).
 */
export function accumulate(into: NumericArray, from: ArrayLike<number>): void {
  if (from.length !== into.length) throw new RangeError(`accumulate: a pullback returned ${from.length} cotangents for an array of length ${into.length}`);
  for (let i = 0; i < into.length; i++) into[i] = into[i]! + from[i]!;
}

/** Σ x[i]·y[i] over two arrays of one length (RangeError otherwise): a pullback's cotangent against a tangent. */
export function innerProduct(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (x.length !== y.length) throw new RangeError(`innerProduct: a pullback returned ${x.length} cotangents for an array of length ${y.length}`);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * y[i]!;
  return s;
}

/**
 * The gradient of a scalar function `f(...args)` assembled from its pushforward, one call per
 * input coordinate along a unit tangent: an object keyed by `names` (in argument order), ready
 * for `checkGradient(f, args, pushforwardGradient(fPushforward, args, names), { names })`.
 * Arguments not listed in `which` (indices; default all) get no entry.
 */
export function pushforwardGradient(
  pushforward: (...a: any[]) => { value: number; tangent: number },
  args: readonly (number | Float64Array)[],
  names: readonly string[],
  which?: readonly number[],
): Record<string, number | Float64Array> {
  if (names.length !== args.length) throw new RangeError(`pushforwardGradient: ${names.length} names for ${args.length} arguments`);
  const zero = () => Object.fromEntries(args.map((a, i) => [names[i]!, typeof a === "number" ? 0 : new Float64Array(a.length)]));
  const out: Record<string, number | Float64Array> = {};
  for (const [i, a] of args.entries()) {
    if (which && !which.includes(i)) continue;
    const name = names[i]!;
    if (typeof a === "number") {
      const t = zero();
      t[name] = 1;
      out[name] = pushforward(...args, t).tangent;
    } else {
      const g = new Float64Array(a.length);
      for (let e = 0; e < a.length; e++) {
        const t = zero();
        (t[name] as Float64Array)[e] = 1;
        g[e] = pushforward(...args, t).tangent;
      }
      out[name] = g;
    }
  }
  return out;
}
