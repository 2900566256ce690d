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
 *      "unwind"   run the reverse sweep of steps from…to-1, which the loop taped as it ran;
 *      "restore"  pop the last stored snapshot into the state;
 *      "store"    push the state as a snapshot;
 *      "advance"  run steps from…to-1 without taping.
 *
 * The kinds:
 *  - "sqrt" (trip count known when the loop starts): a snapshot every ⌈√n⌉ steps. Tape: ⌈√n⌉
 *    steps and about √n snapshots; each step is re-run once (one extra forward sweep).
 *    As the loop runs, it also tapes its first step and, within a budget of tape bytes
 *    (`setCheckpointTapeBudget`, 32 MiB unless set), its last steps: those the reverse sweep
 *    reverses at once, without re-running them ("unwind"). The first step measures what a step
 *    tapes (`startTaping`, `tapeTail`), which sizes the tail; the snapshots are spaced over the
 *    steps in between. A loop whose every step fits the budget is taped whole, as if it had no tag.
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
export type CheckpointAction = "" | "reverse" | "unwind" | "restore" | "store" | "advance";

/** Bytes of tape a "sqrt" schedule lets its loop fill with steps taped as it runs. */
let tapeBudget = 32 * 1024 * 1024;

/**
 * Sets how many bytes of tape a checkpointed loop with the default (√n) schedule may fill with
 * steps it tapes as it runs (see the module comment); 0 tapes none. Returns the previous budget.
 */
export function setCheckpointTapeBudget(bytes: number): number {
  if (!(bytes >= 0)) throw new RangeError(`setCheckpointTapeBudget: bytes must be a non-negative number, got ${bytes}`);
  const before = tapeBudget;
  tapeBudget = bytes;
  return before;
}

type Step = [CheckpointAction, number, number];

/** What a checkpointed loop asks: where to store snapshots, then what to do in its reverse sweep. */
export class CheckpointSchedule {
  /** The current action of the reverse sweep (after `nextAction`). */
  action: CheckpointAction = "";
  /** Steps `from` … `to - 1` of a "reverse" or "advance" action. */
  from = 0;
  to = 0;
  /** The loop tapes step k as it runs when k + 1 > `untaped` ("sqrt" only; see `startTaping`). */
  untaped = Infinity;
  private fwd: Forward | undefined;
  private rev: Reverse | undefined;
  /** The tape's bytes before the first step, while it is measured. */
  private before = 0;

  /**
   * @param kind the schedule (see the module comment)
   * @param steps the number of steps, or -1 when it is not known yet (the online kinds, forward)
   * @param snapshots N for the binomial kinds (at least 1); ignored by the others
   * @param tail "sqrt": the first of the last steps the loop taped as it ran (it taped step 0
   *   too), as its `tail` was when it ended; -1 when it taped none
   */
  constructor(readonly kind: CheckpointKind, readonly steps: number, readonly snapshots: number, public tail = -1) {
    if (tail !== -1 && !(kind === "sqrt" && Number.isInteger(tail) && tail >= 1 && tail <= steps)) {
      throw new RangeError(`checkpoint schedule: a tail from step ${tail} does not fit a '${kind}' schedule of ${steps} steps`);
    }
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
    const f = new CheckpointSchedule(this.kind, this.kind === "online" || this.kind === "online-binomial" ? -1 : this.steps, this.snapshots, this.tail);
    for (let k = this.tail === -1 ? 0 : 1; k < (this.tail === -1 ? this.steps : this.tail); k = nextSnapshot(f, k)) out.push(k);
    return out;
  }

  /** @internal */
  forward(): Forward {
    return (this.fwd ??= this.tail === -1 ? makeForward(this.kind, this.steps, this.snapshots) : makeForward("sqrt", this.tail - 1, 0, 1));
  }

  /** @internal */
  reverse(): Reverse {
    if (this.steps < 0) throw new RangeError("checkpoint schedule: the reverse sweep needs the number of steps");
    return (this.rev ??= makeReverse(this.kind, this.steps, this.snapshots, this.tail));
  }

  /** @internal (see `startTaping`) */
  start(bytes: number): number {
    if (this.kind !== "sqrt" || this.steps < 2 || tapeBudget <= 0) return 0;
    this.untaped = 0;
    this.before = bytes;
    return Infinity;
  }

  /** @internal (see `tapeTail`) */
  measured(bytes: number): number {
    const perStep = Math.max(bytes - this.before, 1);
    const tail = Math.max(1, this.steps - Math.floor(tapeBudget / perStep));
    this.tail = this.untaped = tail;
    return tail > 1 ? 1 : Infinity;
  }
}

/**
 * A schedule for a loop of `steps` steps (-1: not known yet); in the reverse sweep of a "sqrt"
 * loop, `tail` is what the loop pushed (see `CheckpointSchedule`).
 */
export function checkpointSchedule(kind: CheckpointKind, steps: number, snapshots: number, tail = -1): CheckpointSchedule {
  return new CheckpointSchedule(kind, steps, snapshots, tail);
}

/**
 * Before a "sqrt" loop runs, given the tape's bytes: whether it tapes its first step (then
 * `schedule.untaped` is 0, and it calls `tapeTail` after that step). Returns the first step at
 * which the loop stores its state: 0, or none yet when it tapes the first step.
 */
export function startTaping(schedule: CheckpointSchedule, bytes: number): number {
  return schedule.start(bytes);
}

/**
 * After the first step, taped, given the tape's bytes: sizes the loop's tail to the budget by
 * what that step taped, and returns the next step at which the loop stores its state.
 */
export function tapeTail(schedule: CheckpointSchedule, bytes: number): number {
  return schedule.measured(bytes);
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

/** `first`: "sqrt" only, the step the snapshots start from (the `steps` after it are spaced). */
function makeForward(kind: CheckpointKind, steps: number, snapshots: number, first = 0): Forward {
  switch (kind) {
    case "sqrt": {
      const every = Math.max(1, Math.ceil(Math.sqrt(steps)));
      const end = first + steps;
      return { after: (k) => (k + every < end ? k + every : Infinity) };
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

function makeReverse(kind: CheckpointKind, steps: number, snapshots: number, tail: number): Reverse {
  if (kind === "sqrt" || kind === "online") {
    // the tail taped as the loop ran, then every snapshot starts a segment, reversed last first,
    // then the first step, taped as the loop ran
    const queue: Step[] = [];
    if (tail !== -1 && tail < steps) queue.push(["unwind", tail, steps]);
    const starts = new CheckpointSchedule(kind, steps, snapshots, tail).snapshotSteps();
    const end = tail === -1 ? steps : tail;
    for (let j = starts.length - 1; j >= 0; j--) queue.push(["restore", 0, 0], ["reverse", starts[j]!, j + 1 < starts.length ? starts[j + 1]! : end]);
    if (tail !== -1) queue.push(["unwind", 0, 1]);
    let j = 0;
    return { next: () => queue[j++] };
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
