/**
 * The value tape: what the reverse sweep of a loop needs and the loop overwrote.
 *
 * Two growable stacks, `Float64Array` for values and `Int32Array` for trip counts and branch
 * decisions. Each generated function owns one module-level tape; `begin()` empties it and
 * returns it, so buffers are allocated once and reused across calls (no allocation per
 * iteration, and none per call once the tape has grown to the working size).
 */
export class Tape {
  private f = new Float64Array(1024);
  private fTop = 0;
  private i = new Int32Array(256);
  private iTop = 0;

  /** Empties the tape (keeping its buffers) and returns it. */
  begin(): this {
    this.fTop = 0;
    this.iTop = 0;
    return this;
  }

  pushF(v: number): void {
    if (this.fTop === this.f.length) this.f = grow(this.f, new Float64Array(this.f.length * 2));
    this.f[this.fTop++] = v;
  }

  popF(): number {
    return this.f[--this.fTop];
  }

  pushI(v: number): void {
    if (this.iTop === this.i.length) this.i = grow(this.i, new Int32Array(this.i.length * 2));
    this.i[this.iTop++] = v;
  }

  popI(): number {
    return this.i[--this.iTop];
  }

  pushB(b: boolean): void {
    this.pushI(b ? 1 : 0);
  }

  popB(): boolean {
    return this.popI() !== 0;
  }

  /** Values currently stored (for tests and diagnostics). */
  get size(): { f: number; i: number } {
    return { f: this.fTop, i: this.iTop };
  }
}

function grow<T extends Float64Array | Int32Array>(old: T, bigger: T): T {
  bigger.set(old);
  return bigger;
}

/**
 * A zeroed gradient buffer of length `n`: `reuse` when given (checked and cleared), else new.
 * Generated gradient functions use it for the `out` arrays of array parameters.
 */
export function zeros(n: number, reuse?: Float64Array): Float64Array {
  if (reuse === undefined) return new Float64Array(n);
  if (reuse.length !== n) throw new RangeError(`gradient buffer has length ${reuse.length}, expected ${n}`);
  reuse.fill(0);
  return reuse;
}

/**
 * The adjoint seed of an output array in a vector-Jacobian product: a copy of the caller's
 * cotangent (the reverse sweep consumes it), or zeros when none is given.
 */
export function seedCotangent(n: number, cotangent?: Float64Array): Float64Array {
  if (cotangent === undefined) return new Float64Array(n);
  if (cotangent.length !== n) throw new RangeError(`cotangent has length ${cotangent.length}, expected ${n}`);
  return Float64Array.from(cotangent);
}
