/**
 * Checkpointed loops (`@checkpoint`): the schedules on their own (runtime/checkpoint.ts), then
 * every function of fixtures/programs/checkpoint.ts compiled with and without its tags (value
 * bit-identical, gradients and Hessian-vector products equal to 1e-12, and both against finite
 * differences), the tape they need, and the diagnostics.
 */
import fs from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it, vi } from "vitest";
import {
  checkpointSchedule, nextAction, nextSnapshot, tripCount, binomialCost, binomialSteps, setCheckpointTapeBudget, startTaping, tapeTail,
  type CheckpointKind,
} from "../../runtime/checkpoint.ts";
import { Tape } from "../../runtime/tape.ts";
import { maxRelativeError, type Args } from "../../runtime/gradcheck.ts";
import { load, compileText, expectAllModes, clone, randomPoints, ROOT, type Mod } from "../helpers.ts";

// ---------------------------------------------------------------------------------- schedules

interface Run {
  /** Steps run without taping in the reverse sweep. */
  advanced: number;
  /** Steps re-run with taping (each reversed right after). */
  rerun: number;
  /** The most snapshots held at once. */
  most: number;
  /** The most snapshots held once the reverse sweep has started. */
  mostReverse: number;
  /** The longest run of steps taped at once. */
  longest: number;
  stored: number[];
  /** Steps the loop taped as it ran (reversed by "unwind"), and the most bytes they held. */
  unwound: number;
  tapedBytes: number;
}

/**
 * Drives a schedule as generated code does, on a model of the loop: the state is the step it is
 * at, snapshots are a stack. Checks that every action is possible (a step is reversed from the
 * state before it, each step exactly once, last first; a restore has a snapshot) and that no
 * snapshot is left over.
 */
function drive(kind: CheckpointKind, steps: number, snapshots: number, perStep?: number): Run {
  const online = kind === "online" || kind === "online-binomial";
  const fwd = checkpointSchedule(kind, online ? -1 : steps, snapshots);
  const stack: number[] = [];
  const stored: number[] = [];
  // with `perStep` (bytes a step tapes), the loop tapes as it runs where the schedule says, as generated code does
  const taped: number[] = [];
  let bytes = 1000; // what the tape held before the loop
  let next = perStep === undefined ? 0 : startTaping(fwd, bytes);
  for (let k = 0; k < steps; k++) {
    if (k === next) {
      stack.push(k);
      stored.push(k);
      next = nextSnapshot(fwd, k);
      expect(next).toBeGreaterThan(k);
    }
    if (perStep !== undefined && k + 1 > fwd.untaped) {
      taped.push(k);
      bytes += perStep;
      if (k === 0) next = tapeTail(fwd, bytes);
    }
  }
  const run: Run = { advanced: 0, rerun: 0, most: stack.length, mostReverse: 0, longest: 0, stored, unwound: 0, tapedBytes: taped.length * (perStep ?? 0) };
  const rev = checkpointSchedule(kind, steps, snapshots, perStep === undefined ? -1 : fwd.tail);
  let at: number | undefined; // the state after the rest of the function ran: unknown
  let pending = steps; // steps below this one are still to be reversed
  while (nextAction(rev)) {
    const { action, from, to } = rev;
    switch (action) {
      case "restore":
        expect(stack.length, "restore without a snapshot").toBeGreaterThan(0);
        at = stack.pop();
        break;
      case "store":
        expect(at, "store of an unknown state").toBeDefined();
        stack.push(at!);
        break;
      case "advance":
        expect(at, `advance ${from}..${to}`).toBe(from);
        expect(to).toBeGreaterThan(from);
        run.advanced += to - from;
        at = to;
        break;
      case "reverse":
        expect(at, `reverse ${from}..${to}`).toBe(from);
        expect(to, "steps are reversed last first, each once").toBe(pending);
        expect(to).toBeGreaterThan(from);
        pending = from;
        run.rerun += to - from;
        run.longest = Math.max(run.longest, to - from);
        at = undefined; // the reverse sweep restores what it needs, not the whole state
        break;
      case "unwind":
        expect(to, "steps are reversed last first, each once").toBe(pending);
        expect(taped.splice(taped.length - (to - from)), `unwind ${from}..${to}: the last steps taped`).toEqual(Array.from({ length: to - from }, (_, i) => from + i));
        pending = from;
        run.unwound += to - from;
        at = undefined;
        break;
      default:
        throw new Error(`unexpected action '${action}'`);
    }
    run.most = Math.max(run.most, stack.length);
    run.mostReverse = Math.max(run.mostReverse, stack.length);
  }
  expect(pending, "every step is reversed").toBe(0);
  expect(taped, "every step taped as the loop ran is unwound").toEqual([]);
  expect(stack, "no snapshot is left over").toEqual([]);
  return run;
}

/** Griewank's recurrence, by dynamic programming: the fewest steps run to reverse l steps with s snapshots. */
function optimalCosts(L: number, S: number): number[][] {
  const t = Array.from({ length: L + 1 }, () => new Array<number>(S + 1).fill(Infinity));
  for (let s = 1; s <= S; s++) t[0]![s] = 0;
  for (let s = 1; s <= S; s++) t[1]![s] = 0;
  for (let l = 2; l <= L; l++) {
    t[l]![1] = (l * (l - 1)) / 2; // one snapshot: run from the start to each step in turn
    for (let s = 2; s <= S; s++) {
      let best = Infinity;
      for (let m = 1; m < l; m++) best = Math.min(best, m + t[l - m]![s - 1]! + t[m]![s]!);
      t[l]![s] = best;
    }
  }
  return t;
}

describe("checkpoint schedules", () => {
  const L = 64;
  const S = 8;
  const opt = optimalCosts(L, S);

  it("binomialCost is Griewank's closed form r·n − β(s+1, r−1) and equals the optimum of the recurrence", () => {
    expect(binomialSteps(3, 2)).toBe(10); // C(5, 3)
    for (let n = 0; n <= L; n++) for (let s = 1; s <= S; s++) expect(binomialCost(n, s), `n=${n} s=${s}`).toBe(opt[n]![s]);
    // the textbook cases: 10 steps with 3 snapshots take 18 forward steps (r = 2), 15 steps with 2 take 32
    expect([binomialCost(10, 3), binomialCost(15, 2), binomialCost(100, 1)]).toEqual([opt[10]![3], opt[15]![2], 4950]);
  });

  it("binomial: revolve's optimal recomputation, N snapshots (N + 1 until the reverse sweep starts)", () => {
    for (let n = 0; n <= L; n++) {
      for (let s = 1; s <= S; s++) {
        const r = drive("binomial", n, s);
        // the first forward sweep (to the last step) is the loop itself: it is not recomputation
        expect(r.advanced + Math.max(0, n - 1), `n=${n} N=${s}`).toBe(opt[n]![s]);
        expect(r.rerun).toBe(n);
        expect(r.longest).toBeLessThanOrEqual(1);
        expect(r.most).toBeLessThanOrEqual(s + 1);
        expect(r.mostReverse).toBeLessThanOrEqual(s);
      }
    }
  });

  it("online-binomial: the optimum from the state the loop started from, N snapshots", () => {
    for (let n = 0; n <= L; n++) {
      for (let s = 1; s <= S; s++) {
        const r = drive("online-binomial", n, s);
        expect(r.advanced, `n=${n} N=${s}`).toBe(opt[n]![s]);
        expect(r.stored).toEqual(n > 0 ? [0] : []);
        expect(r.most).toBeLessThanOrEqual(s);
      }
    }
  });

  it("sqrt: ⌈√n⌉-step segments, each step re-run once", () => {
    for (let n = 0; n <= 400; n++) {
      const r = drive("sqrt", n, 0);
      const k = Math.ceil(Math.sqrt(n));
      expect(r.advanced).toBe(0);
      expect(r.rerun).toBe(n);
      expect(r.longest).toBeLessThanOrEqual(k);
      expect(r.most).toBe(n === 0 ? 0 : Math.ceil(n / k));
    }
    expect(drive("sqrt", 100_000, 0)).toMatchObject({ longest: 317, most: 316, advanced: 0 });
  });

  it("sqrt, taping as the loop runs: the first step, and the last steps within the budget, are not re-run", () => {
    const before = setCheckpointTapeBudget(1000);
    try {
      for (let n = 0; n <= 300; n++) {
        for (const perStep of [0, 7, 100, 333, 1000, 5000]) {
          const r = drive("sqrt", n, 0, perStep);
          if (n < 2) {
            // nothing to gain: the default schedule
            expect(r).toMatchObject(drive("sqrt", n, 0));
            continue;
          }
          const tail = Math.min(n - 1, Math.floor(1000 / Math.max(perStep, 1)));
          expect(r.unwound, `n=${n} perStep=${perStep}`).toBe(1 + tail);
          expect(r.rerun).toBe(n - 1 - tail);
          expect(r.advanced).toBe(0);
          expect(r.tapedBytes).toBeLessThanOrEqual(1000 + perStep);
          const k = Math.ceil(Math.sqrt(n - 1 - tail));
          expect(r.longest).toBeLessThanOrEqual(k);
          expect(r.most).toBe(n - 1 - tail === 0 ? 0 : Math.ceil((n - 1 - tail) / k));
        }
      }
      setCheckpointTapeBudget(0);
      expect(drive("sqrt", 100, 0, 8)).toMatchObject({ ...drive("sqrt", 100, 0), unwound: 0 });
    } finally {
      setCheckpointTapeBudget(before);
    }
    expect(() => setCheckpointTapeBudget(-1)).toThrow(RangeError);
    expect(() => checkpointSchedule("online", 10, 0, 3)).toThrow(RangeError);
    expect(() => checkpointSchedule("sqrt", 10, 0, 11)).toThrow(RangeError);
  });

  it("online: segments of 1, 2, 3, … steps, about √(2n) of each, whatever n turns out to be", () => {
    for (let n = 0; n <= 400; n++) {
      const r = drive("online", n, 0);
      expect(r.advanced).toBe(0);
      expect(r.rerun).toBe(n);
      const bound = Math.ceil(Math.sqrt(2 * n)) + 1;
      expect(r.longest).toBeLessThanOrEqual(bound);
      expect(r.most).toBeLessThanOrEqual(bound);
    }
    expect(drive("online", 10, 0).stored).toEqual([0, 1, 3, 6]);
  });

  it("large loops: binomial schedules for 100,000 steps are quick and near one sweep per snapshot budget", () => {
    const r = drive("binomial", 100_000, 100);
    expect(r.advanced + 99_999).toBe(binomialCost(100_000, 100));
    expect(r.advanced / 100_000).toBeLessThan(2); // three sweeps in all with 100 snapshots
  });

  it("tripCount counts what the loop runs", () => {
    const count = (a: number, b: number, k: number, cmp: "<" | "<=" | ">" | ">=") => {
      let n = 0;
      const test = (i: number) => (cmp === "<" ? i < b : cmp === "<=" ? i <= b : cmp === ">" ? i > b : i >= b);
      for (let i = a; test(i); i += k) n++;
      return n;
    };
    for (const [a, b, k] of [[0, 10, 1], [0, 0, 1], [3, 10, 2], [0, 2.5, 1], [5, 10, 3], [-2, 7, 4]] as const) {
      expect(tripCount(a, b, k, "<")).toBe(count(a, b, k, "<"));
      expect(tripCount(a, b, k, "<=")).toBe(count(a, b, k, "<="));
      expect(tripCount(b, a, -k, ">")).toBe(count(b, a, -k, ">"));
      expect(tripCount(b, a, -k, ">=")).toBe(count(b, a, -k, ">="));
    }
  });

  it("rejects what is not a schedule", () => {
    expect(() => checkpointSchedule("binomial", 10, 0)).toThrow(RangeError);
    expect(() => checkpointSchedule("sqrt", -1, 0)).toThrow(RangeError);
    expect(() => checkpointSchedule("sqrt", 2.5, 0)).toThrow(RangeError);
    expect(() => nextAction(checkpointSchedule("online", -1, 0))).toThrow(RangeError);
  });
});

// ---------------------------------------------------------------------------------- fixtures

/** Runs `f` with the tape budget of checkpointed loops set to `bytes`. */
function withTapeBudget<T>(bytes: number, f: () => T): T {
  const before = setCheckpointTapeBudget(bytes);
  try {
    return f();
  } finally {
    setCheckpointTapeBudget(before);
  }
}

const FIXTURE = path.join(ROOT, "fixtures/programs/checkpoint.ts");
const allModes = (text: string) => text.replaceAll("/** @differentiable", "/** @differentiable @modes grad jvp hvp");
/** The same source without its @checkpoint tags (lines kept, so line comments stay the same). */
const untagged = (text: string) => text.replace(/\/\*\* @checkpoint[^*]*\*\//g, "");

let ck: { src: Mod; grad: Mod; output: string };
let plain: { src: Mod; grad: Mod; output: string };
beforeAll(async () => {
  const text = fs.readFileSync(FIXTURE, "utf8");
  ck = await load(allModes(text), "checkpoint");
  plain = await load(allModes(untagged(text)), "uncheckpointed");
}, 120_000);

type Spec = [number, number] | [number, number, number];
const u = (n: number, lo = -1, hi = 1): Spec => [n, lo, hi];
/** name, parameters, differentiated ones, random points (specs), fixed points */
const CASES: [string, string[], string[], Spec[], Args[]][] = [
  ["heat", ["u0", "r", "steps"], ["u0", "r"], [u(9), [0.05, 0.3], [25, 25]], [[new Float64Array(9), 0.2, 0], [Float64Array.of(1, 2, 3), 0.1, 1]]],
  ["pendulum", ["theta", "omega", "g", "steps"], ["theta", "omega", "g"], [[-1, 1], [-1, 1], [5, 12], [40, 40]], [[0.3, 0.1, 9.8, 0], [0.3, 0.1, 9.8, 1], [0.3, 0.1, 9.8, 7]]],
  ["decay", ["x", "k", "tol"], ["x", "k"], [], [[1.3, 0.3, 0.5], [1.3, 0.3, 0.013], [2.2, 0.05, 0.66], [0.4, 0.3, 0.5]]],
  ["halve", ["x", "k", "tol"], ["x", "k"], [], [[1.3, 0.3, 0.05], [9.1, 0.7, 0.0021], [0.3, 0.2, 0.5]]],
  ["firstCrossing", ["xs", "a"], ["xs", "a"], [u(12, 0.2, 0.4), [0.3, 1.2]], [[Float64Array.of(0.3, 0.5, 0.9, 1.4, 0.2, 0.8), 0.7]]],
  ["nested", ["x", "a", "outer", "inner"], ["x", "a"], [u(4), [0.1, 0.4], [5, 5], [4, 4]], [[Float64Array.of(0.1, 0.2), 0.3, 1, 1], [Float64Array.of(0.1, 0.2), 0.3, 0, 3]]],
  ["rounds", ["w", "a", "count", "steps"], ["w", "a"], [u(5), [0.3, 0.9], [3, 3], [6, 6]], [[Float64Array.of(0.5, -0.5), 0.5, 2, 0]]],
  ["branch", ["x", "a", "steps"], ["x", "a"], [[-1, 1], [0.2, 1], [12, 12]], [[0.4, -0.7, 11], [0.4, 0.7, 1]]],
];

const points = (name: string, specs: Spec[], fixed: Args[]): Args[] =>
  [...fixed, ...(specs.length ? randomPoints(name.length * 7717, 3, specs) : [])].map((a) => a.map((x, i) => (specs[i] && specs[i]!.length === 2 && specs[i]![0] === specs[i]![1] ? Math.round(x as number) : x)));

describe("checkpointed fixtures", () => {
  it("the fixture checkpoints a loop of each kind, with each schedule", () => {
    for (const kind of ["sqrt", "binomial", "online", "online-binomial"]) expect(ck.output).toContain(`checkpointSchedule("${kind}"`);
    expect(plain.output).not.toContain("checkpointSchedule");
  });

  for (const [name, params, wrt, specs, fixed] of CASES) {
    it(`${name}: the same value, gradient and Hvp with and without @checkpoint, and against finite differences`, () => {
      // a budget that tapes no step as the loop runs, one that tapes a few, one that tapes them all
      for (const budget of [0, 200, Infinity]) withTapeBudget(budget, () => {
      for (const args of points(name, specs, fixed)) {
        const a = ck.grad[name + "Grad"](...clone(args));
        const b = plain.grad[name + "Grad"](...clone(args));
        expect(Object.is(a.value, b.value), `${name}: value ${a.value} vs ${b.value}`).toBe(true);
        for (const w of wrt) expect(maxRelativeError(a.grad[w], b.grad[w]), `${name} grad.${w}`).toBeLessThanOrEqual(1e-12);
        const v: Record<string, number | Float64Array> = {};
        wrt.forEach((w, i) => { const g = a.grad[w]; v[w] = typeof g === "number" ? 0.5 - 0.1 * i : Float64Array.from(g as Float64Array, (_, e) => Math.cos(e + i)); });
        const h1 = ck.grad[name + "Hvp"](...clone(args), v);
        const h2 = plain.grad[name + "Hvp"](...clone(args), v);
        for (const w of wrt) expect(maxRelativeError(h1.hvp[w], h2.hvp[w]), `${name} hvp.${w}`).toBeLessThanOrEqual(1e-12);
        expectAllModes(ck.src, ck.grad, name, args, params, wrt);
      }
      });
    });
  }

  it("Jvp ignores the tag: forward mode is the same code with and without it", async () => {
    const text = fs.readFileSync(FIXTURE, "utf8").replaceAll("/** @differentiable", "/** @differentiable @modes jvp");
    const a = await compileText(text, "jvp");
    const b = await compileText(untagged(text), "jvp");
    expect(a.result.diagnostics).toEqual([]);
    expect(a.result.output).toBe(b.result.output);
  });
});

// ---------------------------------------------------------------------------------- memory

describe("tape of a checkpointed loop", () => {
  const source = (tag: string) => `
/** @differentiable @wrt u0 r */
export function heat(u0: Float64Array, r: number, steps: number): number {
  const n = u0.length;
  const u = Float64Array.from(u0);
  ${tag}
  for (let t = 0; t < steps; t++) {
    let left = u[0];
    for (let i = 1; i < n - 1; i++) {
      const c = u[i];
      u[i] = c + r * (left - 2 * c + u[i + 1]);
      left = c;
    }
  }
  let s = 0;
  for (let i = 0; i < n; i++) s += u[i] * u[i];
  return s;
}

/** @differentiable @wrt x k */
export function decay(x: number, k: number, tol: number): number {
  let y = x;
  ${tag}
  while (y > tol) y = y * Math.exp(-k) + 1e-5 * Math.sin(y);
  return y;
}
`;
  let mods: Record<string, Mod>;
  beforeAll(async () => {
    mods = {};
    for (const [k, tag] of [["plain", ""], ["sqrt", "/** @checkpoint */"], ["binomial", "/** @checkpoint 4 */"]] as const) mods[k] = (await load(source(tag), `tape-${k}`)).grad;
  }, 120_000);

  const measure = (f: () => { grad: Record<string, unknown> }) => Tape.measure(f);

  it("heat: O(√n · state) with @checkpoint, O(N · state) with @checkpoint N, O(n · state) without", () => {
    const cells = 40;
    const steps = 900;
    const u0 = Float64Array.from({ length: cells }, (_, i) => Math.sin((Math.PI * i) / (cells - 1)));
    const plain = measure(() => mods.plain!.heatGrad(u0, 0.2, steps));
    // no step taped as the loop runs: the √n schedule alone
    const sqrt = withTapeBudget(0, () => measure(() => mods.sqrt!.heatGrad(u0, 0.2, steps)));
    const binomial = measure(() => mods.binomial!.heatGrad(u0, 0.2, steps));
    for (const m of [sqrt, binomial]) {
      expect(maxRelativeError(m.result.grad.u0 as Float64Array, plain.result.grad.u0 as Float64Array)).toBeLessThanOrEqual(1e-12);
      expect(maxRelativeError(m.result.grad.r as number, plain.result.grad.r as number)).toBeLessThanOrEqual(1e-12);
    }
    const state = 8 * cells; // bytes of one snapshot
    const perStep = plain.peakBytes / steps; // what one step keeps on the tape
    expect(perStep).toBeGreaterThanOrEqual(8 * (cells - 2)); // the uncheckpointed tape grows with the steps
    const k = Math.ceil(Math.sqrt(steps));
    const slack = 1.01; // Tape.measure rounds up by less than 1/256 of a buffer
    expect(sqrt.peakBytes).toBeLessThanOrEqual(slack * (Math.ceil(steps / k) * state + k * perStep));
    expect(binomial.peakBytes).toBeLessThanOrEqual(slack * (5 * state + perStep) + 4096);
    expect(sqrt.peakBytes).toBeLessThan(plain.peakBytes / 10);
    expect(binomial.peakBytes).toBeLessThan(plain.peakBytes / 100);
  });

  it("heat: the steps taped as the loop runs stay within the budget; a loop that fits it is taped whole", () => {
    const cells = 40;
    const steps = 900;
    const u0 = Float64Array.from({ length: cells }, (_, i) => Math.sin((Math.PI * i) / (cells - 1)));
    const plain = measure(() => mods.plain!.heatGrad(u0, 0.2, steps));
    const state = 8 * cells;
    const perStep = 8 * (cells - 2); // the step's tape: one value per inner cell
    const budget = 100 * perStep;
    const some = withTapeBudget(budget, () => measure(() => mods.sqrt!.heatGrad(u0, 0.2, steps)));
    const whole = withTapeBudget(Infinity, () => measure(() => mods.sqrt!.heatGrad(u0, 0.2, steps)));
    for (const m of [some, whole]) {
      expect(maxRelativeError(m.result.grad.u0 as Float64Array, plain.result.grad.u0 as Float64Array)).toBeLessThanOrEqual(1e-12);
      expect(maxRelativeError(m.result.grad.r as number, plain.result.grad.r as number)).toBeLessThanOrEqual(1e-12);
    }
    // the first step and 100 last ones, then √n segments over the 799 steps in between
    const k = Math.ceil(Math.sqrt(steps - 101));
    const slack = 1.01;
    expect(some.peakBytes).toBeGreaterThanOrEqual(101 * perStep);
    expect(some.peakBytes).toBeLessThanOrEqual(slack * (101 * perStep + Math.ceil((steps - 101) / k) * state + k * perStep) + 64);
    expect(whole.peakBytes).toBeLessThanOrEqual(slack * plain.peakBytes + 64);
    expect(whole.peakBytes).toBeGreaterThanOrEqual(steps * perStep);
  });

  it("a while loop of unknown length: O(√n) with the online schedule", () => {
    const plain = measure(() => mods.plain!.decayGrad(1, 1e-4, 0.5));
    const online = measure(() => mods.sqrt!.decayGrad(1, 1e-4, 0.5));
    const binomial = measure(() => mods.binomial!.decayGrad(1, 1e-4, 0.5));
    const steps = plain.peakBytes / 16; // y and exp(-k) kept per trip
    expect(steps).toBeGreaterThan(5000);
    expect(online.result.grad).toEqual(plain.result.grad);
    expect(binomial.result.grad).toEqual(plain.result.grad);
    // a snapshot is y and the loop's condition (8 + 8 bytes: a decision sits on the value stack); a step keeps 16 bytes
    const segments = Math.ceil(Math.sqrt(2 * steps)) + 2;
    expect(online.peakBytes).toBeLessThanOrEqual(1.01 * (16 + 16) * segments + 64);
    expect(binomial.peakBytes).toBeLessThanOrEqual(256);
  });
});

// ---------------------------------------------------------------------------------- more loops

describe("checkpointed loops in other places", () => {
  it("@out results hold their final values after a Vjp that re-ran the loop writing them", async () => {
    const text = (tag: string) => `
/** @differentiable @out y @wrt x c */
export function simulate(x: Float64Array, c: number, steps: number, y: Float64Array): void {
  const n = x.length;
  for (let i = 0; i < n; i++) y[i] = x[i];
  ${tag}
  for (let t = 0; t < steps; t++) {
    for (let i = 0; i < n; i++) y[i] = y[i] + c * Math.cos(y[i]);
  }
}
`;
    const a = await load(text("/** @checkpoint */"), "out-ck");
    const b = await load(text(""), "out-plain");
    expect(a.output).toContain("restoreArray(y, y_final)");
    const x = Float64Array.of(0.1, -0.4, 0.9);
    const cot = { y: Float64Array.of(1, -2, 0.5) };
    const y1 = new Float64Array(3), y2 = new Float64Array(3), y3 = new Float64Array(3);
    const r1 = a.grad.simulateVjp(x, 0.3, 10, y1, cot);
    const r2 = b.grad.simulateVjp(x, 0.3, 10, y2, cot);
    a.src.simulate(x, 0.3, 10, y3);
    expect(y1).toEqual(y3);
    expect(y2).toEqual(y3);
    expect(maxRelativeError(r1.grad.x, r2.grad.x)).toBeLessThanOrEqual(1e-12);
    expect(maxRelativeError(r1.grad.c, r2.grad.c)).toBeLessThanOrEqual(1e-12);
  });

  it("re-running a loop does not repeat its console output", async () => {
    const { grad } = await load(`
/** @differentiable */
export function logged(x: number, n: number): number {
  let y = x;
  /** @checkpoint 2 */
  for (let t = 0; t < n; t++) {
    y = Math.sin(y) + 0.5 * y;
    if (t === 3) console.log("step 3", y);
  }
  return y;
}
`, "logged");
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    try {
      grad.loggedGrad(0.4, 9);
      expect(log).toHaveBeenCalledTimes(1);
    } finally {
      log.mockRestore();
    }
  });
});

// ---------------------------------------------------------------------------------- diagnostics

describe("checkpoint diagnostics", () => {
  const fn = (body: string) => `/** @differentiable */\nexport function f(x: number, n: number, xs: Float64Array): number {\n${body}\n}\n`;
  const cases: [string, string, string, number, number, RegExp, RegExp][] = [
    ["a tag before a declaration", fn("  /** @checkpoint */\n  let y = x;\n  for (let i = 0; i < n; i++) y = y * x;\n  return y;"), "AD1008", 3, 3,
      /'@checkpoint' must come right before a for, while or do loop, but it is before a declaration/, /move it to the loop/],
    ["a malformed N", fn("  let y = x;\n  /** @checkpoint some */\n  for (let i = 0; i < n; i++) y = y * x;\n  return y;"), "AD1008", 4, 3,
      /'@checkpoint some' is malformed/, /'@checkpoint N' with N a positive whole number/],
    ["N = 0", fn("  let y = x;\n  /** @checkpoint 0 */\n  while (y > 1) y = y / 2;\n  return y;"), "AD1008", 4, 3, /'@checkpoint 0' is malformed/, /such as '@checkpoint 20'/],
    ["a line comment", fn("  let y = x;\n  // @checkpoint\n  for (let i = 0; i < n; i++) y = y * x;\n  return y;"), "AD1008", 4, 3,
      /'@checkpoint' in a \/\/ comment is ignored/, /write it as a JSDoc comment, \/\*\* @checkpoint \*\//],
    ["a block comment", fn("  let y = x;\n  /* @checkpoint 3 */\n  for (let i = 0; i < n; i++) y = y * x;\n  return y;"), "AD1008", 4, 3,
      /'@checkpoint' in a \/\* \*\/ comment is ignored/, /JSDoc comment/],
    ["an input overwritten after the loop", fn("  const u = Float64Array.from(xs);\n  let s = 0;\n  /** @checkpoint */\n  for (let t = 0; t < n; t++) s = s + x * u[1] * s;\n  u[1] = 5;\n  return s + u[1];"), "AD1010", 7, 3,
      /'u' is overwritten here, but the checkpointed loop at line 6 reads it/, /write the new values into a separate array/],
    ["an input refilled by an outer loop", fn("  const u = new Float64Array(2);\n  let s = 0;\n  for (let e = 0; e < 3; e++) {\n    u[0] = x * e;\n    /** @checkpoint */\n    for (let t = 0; t < n; t++) s = s * Math.sin(u[0] + s);\n  }\n  return s;"), "AD1010", 6, 5,
      /'u' is overwritten here, but the checkpointed loop at line 8 reads it/, /compute them inside the checkpointed loop/],
  ];
  for (const [what, source, code, line, col, names, fix] of cases) {
    it(`${what}: ${code} at ${line}:${col}`, async () => {
      const { result } = await compileText(source, "ckerr");
      expect(result.output).toBeUndefined();
      expect(result.diagnostics).toHaveLength(1);
      const d = result.diagnostics[0]!;
      expect({ code: d.code, line: d.line, col: d.col }).toEqual({ code, line, col });
      expect(d.message).toMatch(names);
      expect(d.message).toMatch(fix);
      expect(d.frame).toContain(`> ${line} |`);
    });
  }

  it("a tag in a helper is reported once, however often the helper is called", async () => {
    const { result } = await compileText(`
function step(x: number): number {
  /** @checkpoint */
  const y = x * x;
  return y;
}
/** @differentiable */
export function f(x: number): number {
  return step(x) + step(2 * x) + step(3 * x);
}
`, "ckhelper");
    expect(result.diagnostics.map((d) => [d.code, d.line])).toEqual([["AD1008", 3]]);
  });
});
