/**
 * The value tape: what the reverse sweep of a loop needs and the loop overwrote.
 *
 * Two growable stacks, `Float64Array` for values and branch decisions (1 or 0) and `Int32Array`
 * for trip counts, and a stack of references for the arrays a loop allocates afresh in every iteration
 * (its reverse reads each iteration's own array). Each generated function owns one module-level tape; `begin()` empties it and
 * returns it, so buffers are allocated once and reused across calls (no allocation per
 * iteration, and none per call once the tape has grown to the working size).
 *
 * High-water mark (for benchmarks and memory budgets; generated code never reads it):
 * `Tape.measure(fn)` runs `fn` and returns the most every live tape held at once during it, in
 * bytes, so a caller can measure a generated function's tape without access to its module-level
 * instance. A push compares the top with a limit, normally the buffer's length (the growth check
 * every push makes anyway); while measuring, the limit is also a checkpoint every 1/256 of the
 * buffer, and the slow path taken there records the mark. Pushes and pops cost nothing extra,
 * and the slow path stays as rare as growth, so measuring does not change how V8 optimises
 * the generated code (in our measurements a mark taken at every pop made tape-heavy gradients
 * 20–45 % slower, and one taken at every push while measuring left them 5–10 % slower after).
 */
export class Tape {
  private f = new Float64Array(1024);
  private fTop = 0;
  /** `f.length`, or while measuring the next checkpoint: the top at which a push takes the slow path */
  private fLimit = 1024;
  private fPeak = 0;
  private i = new Int32Array(256);
  private iTop = 0;
  private iLimit = 256;
  private iPeak = 0;
  private a: KeptArray[] = [];
  private aTop = 0;
  /** Bytes of the arrays the reference stack holds, and their most while measuring. */
  private aBytes = 0;
  private aPeak = 0;
  private measuring = false;

  constructor() {
    const ref = new WeakRef(this);
    live.add(ref);
    unregister.register(this, ref);
    if (measureRunning) this.startMeasuring();
  }

  /** Empties the tape (keeping its buffers) and returns it. */
  begin(): this {
    this.fTop = 0;
    this.iTop = 0;
    // references left by a call that threw: let their arrays go
    if (this.aTop > 0) this.a.fill(undefined as unknown as KeptArray, 0, this.aTop);
    this.aTop = 0;
    this.aBytes = 0;
    return this;
  }

  pushF(v: number): void {
    if (this.fTop === this.fLimit) this.moreF();
    this.f[this.fTop++] = v;
  }

  popF(): number {
    return this.f[--this.fTop];
  }

  /**
   * A window for a loop that knows how many values it pushes: makes room for `n` more values and
   * returns the buffer, which the loop writes from `topF()` on (`buffer[top++] = v`) before
   * handing its top back with `setTopF`. No push in between.
   */
  reserveF(n: number): Float64Array {
    const need = this.fTop + n;
    if (need > this.fLimit) this.roomF(need);
    return this.f;
  }

  /** The buffer a loop reads its popped values from (`buffer[--top]`, from `topF()` down). */
  bufferF(): Float64Array {
    return this.f;
  }

  /** The top of the value stack, where a window starts. */
  topF(): number {
    return this.fTop;
  }

  /** Ends a window: the top after its pushes (at most what `reserveF` made room for) or pops. */
  setTopF(top: number): void {
    this.fTop = top;
    if (this.measuring) this.markF();
  }

  pushI(v: number): void {
    if (this.iTop === this.iLimit) this.moreI();
    this.i[this.iTop++] = v;
  }

  popI(): number {
    return this.i[--this.iTop];
  }

  /** A branch decision, kept on the value stack (as 1 or 0) so a loop's window covers it too. */
  pushB(b: boolean): void {
    this.pushF(b ? 1 : 0);
  }

  popB(): boolean {
    return this.popF() !== 0;
  }

  /** Keeps an array (by reference) for the reverse sweep. */
  pushA(x: KeptArray): void {
    this.a[this.aTop++] = x;
    this.aBytes += x.byteLength;
    if (this.measuring && this.aBytes > this.aPeak) this.aPeak = this.aBytes;
  }

  /** The array kept last (of the type it was pushed with); the tape lets it go. */
  popA<T extends KeptArray = Float64Array>(): T {
    const x = this.a[--this.aTop]! as T;
    this.a[this.aTop] = undefined as unknown as KeptArray;
    this.aBytes -= x.byteLength;
    return x;
  }

  /**
   * Bytes the tape holds now: 8 per value, 4 per integer, and the arrays it keeps by reference
   * (a checkpointed loop measures what one step tapes by the difference). Not inside a window.
   */
  bytes(): number {
    return 8 * this.fTop + 4 * this.iTop + this.aBytes;
  }

  /** Values currently stored (for tests and diagnostics). */
  get size(): { f: number; i: number; a: number } {
    return { f: this.fTop, i: this.iTop, a: this.aTop };
  }

  /** Bytes of the buffers the tape keeps allocated (they only grow). */
  get capacityBytes(): number {
    return this.f.byteLength + this.i.byteLength;
  }

  /**
   * Runs `fn` and returns its result with `peakBytes`: the sum over every live tape (those made
   * during `fn` included) of the most it held at once during `fn`, 8 bytes per value and 4 per
   * integer, and the bytes of the arrays it kept by reference, counting what it held when `fn`
   * started. Rounded up by less than 1/256 of the
   * tape's buffer (a tape that `fn` does not push to counts exactly what it holds).
   */
  static measure<T>(fn: () => T): { result: T; peakBytes: number } {
    if (measureRunning) throw new Error("Tape.measure: already measuring (calls do not nest)");
    measureRunning = true;
    for (const ref of live) ref.deref()?.startMeasuring();
    let peakBytes = 0;
    let result: T;
    try {
      result = fn();
    } finally {
      measureRunning = false;
      for (const ref of live) {
        const t = ref.deref();
        if (t?.measuring) peakBytes += t.stopMeasuring();
      }
    }
    return { result, peakBytes };
  }

  private startMeasuring(): void {
    this.measuring = true;
    this.fPeak = this.fTop;
    this.iPeak = this.iTop;
    this.aBytes = 0;
    for (let k = 0; k < this.aTop; k++) this.aBytes += this.a[k]!.byteLength;
    this.aPeak = this.aBytes;
    // the first push takes the slow path
    this.fLimit = this.fTop;
    this.iLimit = this.iTop;
  }

  /** Ends measuring; returns the high-water mark in bytes (see `measure`). */
  private stopMeasuring(): number {
    this.measuring = false;
    this.fLimit = this.f.length;
    this.iLimit = this.i.length;
    return 8 * this.fPeak + 4 * this.iPeak + this.aPeak;
  }

  /**
   * The slow path of `pushF`: grows the buffer when it is full. While measuring, the limit is
   * also a checkpoint every 1/256 of the buffer above the top: reaching one records it as the
   * mark (rounded up to the next checkpoint, or the buffer's end) and sets the next.
   */
  private moreF(): void {
    if (this.fTop === this.f.length) this.f = grow(this.f, new Float64Array(this.f.length * 2));
    if (this.measuring) {
      this.fLimit = Math.min(this.f.length, this.fTop + checkpoint(this.f.length));
      if (this.fLimit > this.fPeak) this.fPeak = this.fLimit;
    } else {
      this.fLimit = this.f.length;
    }
  }

  /** The slow path of `reserveF`: room for `need` values in all. */
  private roomF(need: number): void {
    let size = this.f.length;
    while (size < need) size *= 2;
    if (size !== this.f.length) this.f = grow(this.f, new Float64Array(size));
    // no mark here, even while measuring: a window's room is a bound (a branch may push less),
    // and the top it hands back to setTopF is what it held
    this.fLimit = this.f.length;
  }

  /**
   * While measuring, after a window: its top raises the mark (rounded up to the next checkpoint,
   * as `moreF` rounds), and the limit comes back to the mark, so a push or a window's room past
   * it takes the slow path again.
   */
  private markF(): void {
    if (this.fTop > this.fPeak) this.fPeak = Math.min(this.f.length, this.fTop + checkpoint(this.f.length));
    this.fLimit = this.fPeak;
  }

  private moreI(): void {
    if (this.iTop === this.i.length) this.i = grow(this.i, new Int32Array(this.i.length * 2));
    if (this.measuring) {
      this.iLimit = Math.min(this.i.length, this.iTop + checkpoint(this.i.length));
      if (this.iLimit > this.iPeak) this.iPeak = this.iLimit;
    } else {
      this.iLimit = this.i.length;
    }
  }
}

/** An array a loop allocates afresh in every iteration: a Float64Array, or an integer array. */
export type KeptArray = Float64Array | Int8Array | Uint8Array | Uint8ClampedArray | Int16Array | Uint16Array | Int32Array | Uint32Array;

/** Distance between the checkpoints of a measured stack of this capacity. */
function checkpoint(capacity: number): number {
  return Math.max(1, capacity >>> 8);
}

/** Every tape not yet garbage-collected (weakly: a tape of an unloaded module can go). */
const live = new Set<WeakRef<Tape>>();
const unregister = new FinalizationRegistry<WeakRef<Tape>>((ref) => live.delete(ref));
/** Whether `Tape.measure` is running. */
let measureRunning = false;

function grow<T extends Float64Array | Int32Array>(old: T, bigger: T): T {
  bigger.set(old);
  return bigger;
}

/**
 * A zeroed gradient buffer of length `n`: `reuse` when given (checked and cleared), else new.
 * Generated gradient functions use it for the `out` arrays of array parameters.
 */
export function zeros(n: number, reuse?: Float64Array): Float64Array {
  return reuse === undefined ? new Float64Array(n) : gradBuffer(n, reuse).fill(0);
}

/** An index argument of `subarray` or `slice` as JavaScript clamps it (negative counts from the end). */
export function clampIndex(i: number, n: number): number {
  const t = Math.trunc(i);
  return t < 0 ? Math.max(n + t, 0) : Math.min(t, n);
}

/** The index `xs.at(i)` reads, as JavaScript computes it: truncated (NaN is 0), counted from `n` when negative; out of range reads no element. */
export function atIndex(i: number, n: number): number {
  const t = Math.trunc(i) || 0;
  return t < 0 ? t + n : t;
}

/**
 * A gradient buffer of length `n` that the caller fills completely before reading it: `reuse`
 * when given (checked, not cleared), else new.
 */
export function gradBuffer(n: number, reuse?: Float64Array): Float64Array {
  if (reuse === undefined) return new Float64Array(n);
  if (reuse.length !== n) throw new RangeError(`gradient buffer has length ${reuse.length}, expected ${n}`);
  return reuse;
}

/** A zeroed gradient of a `number[]` parameter: `reuse` when given (checked and cleared), else new. */
export function zerosArray(n: number, reuse?: number[]): number[] {
  if (reuse === undefined) return new Array<number>(n).fill(0);
  if (reuse.length !== n) throw new RangeError(`gradient buffer has length ${reuse.length}, expected ${n}`);
  reuse.fill(0);
  return reuse;
}

/**
 * A working copy of a direction for an array the function writes in place (forward mode writes
 * its tangent), or zeros when none is given: the caller's direction is never modified.
 */
export function copyOf<T extends Float64Array | number[]>(n: number, given: T | undefined, like: T): T {
  if (given === undefined) return (Array.isArray(like) ? new Array<number>(n).fill(0) : new Float64Array(n)) as T;
  if (given.length !== n) throw new RangeError(`direction has length ${given.length}, expected ${n}`);
  return (Array.isArray(given) ? given.slice() : Float64Array.from(given)) as T;
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
