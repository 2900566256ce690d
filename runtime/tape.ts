/**
 * The value tape: what the reverse sweep of a loop needs and the loop overwrote.
 *
 * Two growable stacks, `Float64Array` for values and `Int32Array` for trip counts and branch
 * decisions. Each generated function owns one module-level tape; `begin()` empties it and
 * returns it, so buffers are allocated once and reused across calls (no allocation per
 * iteration, and none per call once the tape has grown to the working size).
 *
 * High-water mark (for benchmarks and memory budgets; generated code never reads it): each tape
 * remembers the most it has held since `resetPeak()`, in bytes (`peakBytes`), and
 * `Tape.peakBytes()` / `Tape.resetPeaks()` do the same over every live tape, so a caller can
 * measure a generated function's tape without access to its module-level instance. The mark is
 * taken where the stacks turn from growing to shrinking (each pop compares the top with the
 * mark) and at `begin()`; pushes cost nothing extra.
 */
export class Tape {
  private f = new Float64Array(1024);
  private fTop = 0;
  private fPeak = 0;
  private i = new Int32Array(256);
  private iTop = 0;
  private iPeak = 0;

  constructor() {
    const ref = new WeakRef(this);
    live.add(ref);
    unregister.register(this, ref);
  }

  /** Empties the tape (keeping its buffers) and returns it. */
  begin(): this {
    this.mark();
    this.fTop = 0;
    this.iTop = 0;
    return this;
  }

  pushF(v: number): void {
    if (this.fTop === this.f.length) this.f = grow(this.f, new Float64Array(this.f.length * 2));
    this.f[this.fTop++] = v;
  }

  popF(): number {
    const top = this.fTop;
    if (top > this.fPeak) this.fPeak = top;
    return this.f[(this.fTop = top - 1)];
  }

  pushI(v: number): void {
    if (this.iTop === this.i.length) this.i = grow(this.i, new Int32Array(this.i.length * 2));
    this.i[this.iTop++] = v;
  }

  popI(): number {
    const top = this.iTop;
    if (top > this.iPeak) this.iPeak = top;
    return this.i[(this.iTop = top - 1)];
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

  /** The most this tape has held since it was made or `resetPeak()`, in bytes (8 per value, 4 per integer). */
  get peakBytes(): number {
    this.mark();
    return 8 * this.fPeak + 4 * this.iPeak;
  }

  /** Bytes of the buffers the tape keeps allocated (they only grow). */
  get capacityBytes(): number {
    return this.f.byteLength + this.i.byteLength;
  }

  /** Starts a new high-water mark from what the tape holds now. */
  resetPeak(): void {
    this.fPeak = this.fTop;
    this.iPeak = this.iTop;
  }

  /** Sum over every live tape of its `peakBytes`. */
  static peakBytes(): number {
    let sum = 0;
    for (const ref of live) sum += ref.deref()?.peakBytes ?? 0;
    return sum;
  }

  /** `resetPeak()` on every live tape. */
  static resetPeaks(): void {
    for (const ref of live) ref.deref()?.resetPeak();
  }

  private mark(): void {
    if (this.fTop > this.fPeak) this.fPeak = this.fTop;
    if (this.iTop > this.iPeak) this.iPeak = this.iTop;
  }
}

/** Every tape not yet garbage-collected (weakly: a tape of an unloaded module can go). */
const live = new Set<WeakRef<Tape>>();
const unregister = new FinalizationRegistry<WeakRef<Tape>>((ref) => live.delete(ref));

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
