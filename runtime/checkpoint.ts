/**
 * Schedules of checkpointed loops (`/** @checkpoint *\/` before a loop in a differentiable
 * function). Without checkpointing, the reverse sweep of a loop reads what every iteration left
 * on the tape, so the tape grows with the trip count. A checkpointed loop instead runs without
 * taping and stores *snapshots* of its state (the variables and arrays it changes) at some
 * steps; its reverse sweep restores a snapshot, re-runs the steps after it with taping and
 * reverses them, segment by segment, last first.
 *
 * Generated code keeps the snapshots on the function's tape (so `Tape.measure` counts them, and
 * forward-over-reverse code carries their tangents along) and asks a schedule what to do:
 *
 *  - while the loop runs, `nextSnapshot(schedule, step)` gives the next step at which the state
 *    is stored (steps count from 0; a `while` loop has one more step than trips, the test that
 *    ends it);
 *  - in the reverse sweep, each `nextAction(schedule)` sets `schedule.action` (with
 *    `schedule.from`, `schedule.to`) until it returns false:
 *      "reverse"  re-run steps from…to-1 with taping, then run their reverse sweep, last first;
 *      "restore"  pop the last stored snapshot into the state;
 *      "store"    push the state as a snapshot;
 *      "advance"  run steps from…to-1 without taping.
 *
 * The kinds:
 *  - "sqrt" (trip count known when the loop starts): a snapshot every ⌈√n⌉ steps. Tape: ⌈√n⌉
 *    steps and about √n snapshots; each step is re-run once (one extra forward sweep).
 *  - "online" (trip count unknown until the loop ends): snapshots at steps 0, 1, 3, 6, 10, …
 *    (segments of 1, 2, 3, … steps), so that after n steps there are about √(2n) snapshots and
 *    segments of at most about √(2n) steps, whatever n turns out to be. One extra forward sweep.
 *  - "binomial" (known trip count, N snapshots): Griewank's binomial checkpointing (revolve),
 *    which re-runs the fewest steps possible with N snapshots: with r the smallest integer such
 *    that C(N + r, N) ≥ n, r·n − C(N + r + 1, r − 1) steps in all, the first forward sweep
 *    included. The tape holds one step; until the reverse sweep reaches the loop it also holds
 *    the state before the last step (revolve's current state), N + 1 snapshots at most.
 *  - "online-binomial" (unknown trip count, N snapshots): the loop stores only the state it
 *    starts from and counts its steps; the reverse sweep then follows the binomial schedule
 *    from there (one forward sweep more than "binomial" for the same n).
 *
 * Dependency-free; the schedules are plain arithmetic on step numbers, tested on their own.
 */

export type CheckpointKind = "sqrt" | "online" | "binomial" | "online-binomial";
export type CheckpointAction = "" | "reverse" | "restore" | "store" | "advance";

type Step = [CheckpointAction, number, number];

/** What a checkpointed loop asks: where to store snapshots, then what to do in its reverse sweep. */
export class CheckpointSchedule {
  /** The current action of the reverse sweep (after `nextAction`). */
  action: CheckpointAction = "";
  /** Steps `from` … `to - 1` of a "reverse" or "advance" action. */
  from = 0;
  to = 0;
  private fwd: Forward | undefined;
  private rev: Reverse | undefined;

  /**
   * @param kind the schedule (see the module comment)
   * @param steps the number of steps, or -1 when it is not known yet (the online kinds, forward)
   * @param snapshots N for the binomial kinds (at least 1); ignored by the others
   */
  constructor(readonly kind: CheckpointKind, readonly steps: number, readonly snapshots: number) {
    const known = steps >= 0;
    if (steps !== -1 && !(Number.isInteger(steps) && steps >= 0)) throw new RangeError(`checkpoint schedule: steps must be a non-negative integer, got ${steps}`);
    if ((kind === "binomial" || kind === "online-binomial") && !(Number.isInteger(snapshots) && snapshots >= 1)) {
      throw new RangeError(`checkpoint schedule: a binomial schedule needs at least one snapshot, got ${snapshots}`);
    }
    if (!known && (kind === "sqrt" || kind === "binomial")) throw new RangeError(`checkpoint schedule: '${kind}' needs the number of steps`);
    if (kind !== "sqrt" && kind !== "online" && kind !== "binomial" && kind !== "online-binomial") throw new RangeError(`checkpoint schedule: unknown kind '${String(kind)}'`);
  }

  /** The steps at which the loop stores its state, in order (for tests and tools; needs `steps`). */
  snapshotSteps(): number[] {
    const out: number[] = [];
    if (this.steps <= 0) return out;
    const f = new CheckpointSchedule(this.kind, this.kind === "online" || this.kind === "online-binomial" ? -1 : this.steps, this.snapshots);
    for (let k = 0; k < this.steps; k = nextSnapshot(f, k)) out.push(k);
    return out;
  }

  /** @internal */
  forward(): Forward {
    return (this.fwd ??= makeForward(this.kind, this.steps, this.snapshots));
  }

  /** @internal */
  reverse(): Reverse {
    if (this.steps < 0) throw new RangeError("checkpoint schedule: the reverse sweep needs the number of steps");
    return (this.rev ??= makeReverse(this.kind, this.steps, this.snapshots));
  }
}

/** A schedule for a loop of `steps` steps (-1: not known yet). */
export function checkpointSchedule(kind: CheckpointKind, steps: number, snapshots: number): CheckpointSchedule {
  return new CheckpointSchedule(kind, steps, snapshots);
}

/** The step after `step` (where the loop has just stored its state) at which it stores it next; Infinity for none. */
export function nextSnapshot(schedule: CheckpointSchedule, step: number): number {
  return schedule.forward().after(step);
}

/** Sets the schedule's next action of the reverse sweep; false when the loop's reverse sweep is complete. */
export function nextAction(schedule: CheckpointSchedule): boolean {
  const s = schedule.reverse().next();
  if (s === undefined) {
    schedule.action = "";
    return false;
  }
  [schedule.action, schedule.from, schedule.to] = s;
  return true;
}

/** Trips of `for (let i = start; i <cmp> end; i += step)` (step > 0 for < and <=, < 0 for > and >=). */
export function tripCount(start: number, end: number, step: number, cmp: "<" | "<=" | ">" | ">="): number {
  const span = (end - start) / step;
  const n = cmp === "<" || cmp === ">" ? Math.ceil(span) : Math.floor(span) + 1;
  return n > 0 ? n : 0;
}

/**
 * A copy of an array the caller sees (an output, or a parameter written in place): re-running a
 * checkpointed loop in the reverse sweep overwrites it, and `restoreArray` puts its final values back.
 */
export function saveArray<T extends Float64Array | number[]>(a: T): T {
  return (Array.isArray(a) ? a.slice() : Float64Array.from(a)) as T;
}

/** Copies `saved` back into `a` (see `saveArray`). */
export function restoreArray<T extends Float64Array | number[]>(a: T, saved: T): void {
  for (let i = 0; i < a.length; i++) a[i] = saved[i]!;
}

// ---------------------------------------------------------------- binomial arithmetic

/** β(s, r) = C(s + r, s): the most steps s snapshots reverse with each step run at most r + 1 times. */
export function binomialSteps(s: number, r: number): number {
  if (r < 0) return 0;
  let b = 1;
  for (let i = 1; i <= r; i++) b = (b * (s + i)) / i;
  return b;
}

/** The repetition number: the smallest r with β(s, r) ≥ n. */
function repetitions(n: number, s: number): number {
  if (n <= 1) return 0;
  if (s === 1) return n - 1;
  let r = 0;
  let b = 1;
  while (b < n) {
    b = (b * (s + r + 1)) / (r + 1);
    r++;
  }
  return r;
}

/**
 * The fewest step evaluations ("advance" steps, the first forward sweep included) that reverse
 * n steps with s snapshots, one of them holding the starting state (Griewank and Walther).
 */
export function binomialCost(n: number, s: number): number {
  if (n <= 1) return 0;
  const r = repetitions(n, s);
  return r * n - binomialSteps(s + 1, r - 1);
}

/**
 * Where to store the next snapshot when reversing l ≥ 2 steps with s ≥ 2 snapshots: the m that
 * minimises m + cost(l − m, s − 1) + cost(m, s). The cost is convex in m, with increments
 * 1 + r(m + 1, s) − r(l − m, s − 1): the smallest m where that is not negative.
 */
function split(l: number, s: number): number {
  let lo = 1;
  let hi = l - 1;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (1 + repetitions(m + 1, s) >= repetitions(l - m, s - 1)) hi = m;
    else lo = m + 1;
  }
  return lo;
}

// ---------------------------------------------------------------- forward: where to store

interface Forward {
  after(step: number): number;
}

function makeForward(kind: CheckpointKind, steps: number, snapshots: number): Forward {
  switch (kind) {
    case "sqrt": {
      const every = Math.max(1, Math.ceil(Math.sqrt(steps)));
      return { after: (k) => (k + every < steps ? k + every : Infinity) };
    }
    case "online":
      // triangular numbers: 0, 1, 3, 6, 10, …
      return { after: (k) => { const j = Math.floor((Math.sqrt(8 * k + 1) - 1) / 2); return ((j + 1) * (j + 2)) / 2; } };
    case "online-binomial":
      return { after: () => Infinity };
    case "binomial": {
      const sp = spine(steps, snapshots);
      let i = 0;
      return {
        after: (k) => {
          if (sp.stored[i] !== k) throw new Error(`checkpoint schedule: a snapshot at step ${k} was not scheduled`);
          i++;
          return i < sp.stored.length ? sp.stored[i]! : Infinity;
        },
      };
    }
  }
}

interface Frame {
  /** Reverse steps a … b-1; the state at step a is the last stored snapshot; s snapshots (that one included). */
  a: number;
  b: number;
  s: number;
}

/**
 * The binomial schedule's first forward sweep: it stores the states at 0 = c₀ < c₁ < … < c_k,
 * each cᵢ₊₁ the split of the steps after cᵢ with one snapshot fewer, until one snapshot is left
 * or one step; and the state before the last step. The frames it leaves to its reverse sweep are
 * the steps before each split (`pending`) and the last segment.
 */
function spine(steps: number, snapshots: number): { stored: number[]; pending: Frame[]; last: Frame } {
  const stored: number[] = [];
  const pending: Frame[] = [];
  if (steps === 0) return { stored, pending, last: { a: 0, b: 0, s: snapshots } };
  let f: Frame = { a: 0, b: steps, s: snapshots };
  stored.push(0);
  while (f.s >= 2 && f.b - f.a >= 2) {
    const m = f.a + split(f.b - f.a, f.s);
    pending.push({ a: f.a, b: m, s: f.s });
    stored.push(m);
    f = { a: m, b: f.b, s: f.s - 1 };
  }
  if (steps - 1 > f.a) stored.push(steps - 1);
  return { stored, pending, last: f };
}

// ---------------------------------------------------------------- reverse: what to do

interface Reverse {
  next(): Step | undefined;
}

function makeReverse(kind: CheckpointKind, steps: number, snapshots: number): Reverse {
  if (kind === "sqrt" || kind === "online") {
    // every snapshot starts a segment, reversed last first
    const starts = new CheckpointSchedule(kind, steps, snapshots).snapshotSteps();
    let j = starts.length - 1;
    let restored = false;
    return {
      next: () => {
        if (j < 0) return undefined;
        if (!restored) {
          restored = true;
          return ["restore", 0, 0];
        }
        const seg: Step = ["reverse", starts[j]!, j + 1 < starts.length ? starts[j + 1]! : steps];
        j--;
        restored = false;
        return seg;
      },
    };
  }
  return new BinomialReverse(steps, snapshots, kind === "binomial");
}

/**
 * The reverse sweep of the binomial schedule, with an explicit stack of frames (at most N + 1
 * deep): a frame (a, b, s) restores the state at a, advances to the split m, stores it, and
 * leaves (m, b, s − 1) then (a, m, s); with one snapshot it re-runs from a to each step in turn
 * (the last first); a frame of one step restores and reverses it.
 */
class BinomialReverse implements Reverse {
  private frames: Frame[] = [];
  private queue: Step[] = [];
  /** The step the state is at, when known (a restore that would change nothing is skipped). */
  private at: number | undefined;

  constructor(steps: number, snapshots: number, known: boolean) {
    if (steps === 0) return;
    if (!known) {
      this.frames.push({ a: 0, b: steps, s: snapshots });
      return;
    }
    const sp = spine(steps, snapshots);
    this.frames.push(...sp.pending);
    const last = sp.last;
    if (steps - 1 > last.a) {
      // the forward sweep stored the state before the last step: reverse that step first
      this.queue.push(["restore", 0, 0], ["reverse", steps - 1, steps]);
      this.frames.push({ a: last.a, b: steps - 1, s: last.s });
    } else {
      this.frames.push(last);
    }
  }

  next(): Step | undefined {
    while (this.queue.length === 0) {
      const f = this.frames.pop();
      if (!f) return undefined;
      this.expand(f);
    }
    return this.queue.shift();
  }

  /** The state at a, keeping its snapshot. */
  private peek(a: number) {
    if (this.at === a) return;
    this.queue.push(["restore", 0, 0], ["store", 0, 0]);
    this.at = a;
  }

  private expand({ a, b, s }: Frame) {
    const l = b - a;
    if (l === 1) {
      this.queue.push(["restore", 0, 0], ["reverse", a, b]);
      this.at = undefined;
    } else if (s === 1) {
      this.peek(a);
      this.queue.push(["advance", a, b - 1], ["reverse", b - 1, b]);
      this.at = undefined;
      this.frames.push({ a, b: b - 1, s });
    } else {
      const m = a + split(l, s);
      this.peek(a);
      this.queue.push(["advance", a, m], ["store", 0, 0]);
      this.at = m;
      this.frames.push({ a, b: m, s }, { a: m, b, s: s - 1 });
    }
  }
}
