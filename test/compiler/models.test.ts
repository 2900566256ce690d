import fs from "node:fs";
import path from "node:path";
import { describe, it, expect, beforeAll } from "vitest";
import { load, expectGradient, randomPoints, ROOT, type Mod } from "../helpers.ts";

type Spec = ([number, number] | [number, number, number])[];

let m: { src: Mod; grad: Mod; output: string };
beforeAll(async () => {
  m = await load(fs.readFileSync(path.join(ROOT, "fixtures/programs/models.ts"), "utf8"), "models");
}, 60_000);

/** Gradient-checks `name` at `count` seeded random points; returns the points and results. */
function check(name: string, params: string[], spec: Spec, wrt: string[] = params, count = 5, seed = 0) {
  const pts = randomPoints(seed || name.length * 7919 + name.charCodeAt(0), count, spec);
  expect(pts.length).toBeGreaterThanOrEqual(4);
  return pts.map((args) => ({ args, ...expectGradient(m.src[name], m.grad[name + "Grad"], args, params, wrt) }));
}

const arr = (v: number | Float64Array): Float64Array => {
  if (!(v instanceof Float64Array)) throw new TypeError("expected a Float64Array");
  return v;
};
const sum = (v: number | Float64Array): number => arr(v).reduce((s, x) => s + x, 0);

describe("1. one-hidden-layer tanh MLP", () => {
  const params = ["W1", "b1", "w2", "b2", "x", "target"];
  // h = 3 hidden units, d = 4 inputs
  const spec: Spec = [[12, -1, 1], [3, -0.5, 0.5], [3, -1, 1], [-0.5, 0.5], [4, -1, 1], [-1, 1]];

  it("gradient w.r.t. W1, b1, w2, b2, x and target matches central differences", () => {
    check("mlpLoss", params, spec);
  });

  it("agrees with the hand-derived backprop of the lecture notes", () => {
    const [[W1, b1, w2, b2, x, target]] = randomPoints(3, 1, spec) as [[Float64Array, Float64Array, Float64Array, number, Float64Array, number]];
    const h = 3, d = 4;
    const out = new Float64Array(h);
    let y = b2;
    for (let i = 0; i < h; i++) {
      let z = b1[i];
      for (let j = 0; j < d; j++) z += W1[i * d + j] * x[j];
      out[i] = Math.tanh(z);
      y += w2[i] * out[i];
    }
    const dy = 2 * (y - target);
    const r = m.grad.mlpLossGrad(W1, b1, w2, b2, x, target);
    expect(r.grad.b2).toBeCloseTo(dy, 12);
    expect(r.grad.target).toBeCloseTo(-dy, 12);
    const dx = new Float64Array(d);
    for (let i = 0; i < h; i++) {
      expect(r.grad.w2[i]).toBeCloseTo(dy * out[i], 12);
      const dz = dy * w2[i] * (1 - out[i] * out[i]); // ∇z2 L = ∇out L · tanh'(z2)
      expect(r.grad.b1[i]).toBeCloseTo(dz, 12); // ∇b1 L = ∇z2 L
      for (let j = 0; j < d; j++) {
        expect(r.grad.W1[i * d + j]).toBeCloseTo(dz * x[j], 12); // ∇W1 L = x ∇z1 L
        dx[j] += dz * W1[i * d + j]; // ∇x L = ∇z1 L W1
      }
    }
    for (let j = 0; j < d; j++) expect(r.grad.x[j]).toBeCloseTo(dx[j], 12);
  });
});

describe("2. scanning MLP with shared parameters", () => {
  const params = ["W1", "b1", "w2", "b2", "seq", "stride"];
  // h = 2 hidden units, window d = 3, sequence of 11 → 9 positions at stride 1, 5 at stride 2
  const spec = (stride: number): Spec => [[6, -1, 1], [2, -0.5, 0.5], [2, -1, 1], [-0.5, 0.5], [11, -1, 1], [stride, stride]];

  it("stride 1: gradients accumulate over all positions", () => {
    check("scanningMlp", params, spec(1), ["W1", "b1", "w2", "b2", "seq"]);
  });

  it("stride 2: gradients accumulate over every other window", () => {
    check("scanningMlp", params, spec(2), ["W1", "b1", "w2", "b2", "seq"]);
  });

  it("the shared-parameter gradient is the sum of the per-position gradients", () => {
    const [[W1, b1, w2, b2, seq]] = randomPoints(11, 1, spec(1)) as [[Float64Array, Float64Array, Float64Array, number, Float64Array]];
    const whole = m.grad.scanningMlpGrad(W1, b1, w2, b2, seq, 1);
    const sumW1 = new Float64Array(6);
    let sumB2 = 0;
    for (let p = 0; p + 3 <= seq.length; p++) {
      // one position = a sequence that is exactly one window long
      const one = m.grad.scanningMlpGrad(W1, b1, w2, b2, seq.slice(p, p + 3), 1);
      for (let k = 0; k < 6; k++) sumW1[k] += one.grad.W1[k];
      sumB2 += one.grad.b2;
    }
    expect(whole.grad.b2).toBeCloseTo(sumB2, 10);
    for (let k = 0; k < 6; k++) expect(whole.grad.W1[k]).toBeCloseTo(sumW1[k], 10);
  });
});

describe("3. RNN recurrence with an in-place state array", () => {
  it("H = 3, D = 2, T = 4: gradient w.r.t. Wh, Wx, b and the inputs", () => {
    check("rnnLoss", ["Wh", "Wx", "b", "xs"], [[9, -0.8, 0.8], [6, -1, 1], [3, -0.5, 0.5], [8, -1, 1]]);
  });

  it("H = 2, D = 3, T = 6", () => {
    check("rnnLoss", ["Wh", "Wx", "b", "xs"], [[4, -0.8, 0.8], [6, -1, 1], [2, -0.5, 0.5], [18, -1, 1]], undefined, 4, 99);
  });
});

describe("4. explicit-Euler ODEs over 1000 steps", () => {
  it("damped oscillator: d(final x)/d(k, c, x0, v0)", () => {
    check("dampedOscillator", ["k", "c", "x0", "v0"], [[0.5, 4], [0.05, 1], [-1, 1], [-1, 1]]);
  });

  it("damped oscillator: d/dx0 is the (0,0) entry of the product of step matrices", () => {
    const k = 2, c = 0.3, dt = 0.01;
    let a = 1, b = 0; // first column of the propagator applied to e_x
    for (let s = 0; s < 1000; s++) {
      const na = a + dt * b;
      const nb = b + dt * (-k * a - c * b);
      a = na;
      b = nb;
    }
    expect(m.grad.dampedOscillatorGrad(k, c, 0.4, -0.2).grad.x0).toBeCloseTo(a, 10);
  });

  it("logistic growth: d(final p)/d(r, K, p0)", () => {
    check("logisticGrowth", ["r", "K", "p0"], [[0.2, 1.5], [1, 3], [0.05, 0.5]]);
  });
});

describe("5. softmax cross-entropy and logsumexp (@wrt logits)", () => {
  it("softmax cross-entropy: gradient is softmax - onehot", () => {
    for (const label of [0, 2, 4]) {
      for (const [logits] of randomPoints(label + 5, 4, [[5, -3, 3]]) as [Float64Array][]) {
        const r = expectGradient(m.src.softmaxCrossEntropy, m.grad.softmaxCrossEntropyGrad, [logits, label], ["logits", "label"], ["logits"]);
        expect(Object.keys(r.grad)).toEqual(["logits"]);
        const mx = Math.max(...logits);
        const z = logits.reduce((s, v) => s + Math.exp(v - mx), 0);
        logits.forEach((v, i) => expect(arr(r.grad.logits)[i]).toBeCloseTo(Math.exp(v - mx) / z - (i === label ? 1 : 0), 12));
      }
    }
  });

  it("softmax cross-entropy is stable for huge logits", () => {
    const logits = new Float64Array([1000, 1001, 999]);
    const r = m.grad.softmaxCrossEntropyGrad(logits, 1);
    expect(Number.isFinite(r.value)).toBe(true);
    expect(Array.from(r.grad.logits).every(Number.isFinite)).toBe(true);
    expect(r.grad.logits.reduce((s: number, v: number) => s + v, 0)).toBeCloseTo(0, 12);
  });

  it("logsumexp: gradient w.r.t. logits only", () => {
    for (const args of randomPoints(17, 5, [[6, -4, 4], [0.5, 2]])) {
      const r = expectGradient(m.src.logsumexp, m.grad.logsumexpGrad, args, ["logits", "temperature"], ["logits"]);
      expect(Object.keys(r.grad)).toEqual(["logits"]);
      // the softmax sums to 1
      expect(sum(r.grad.logits)).toBeCloseTo(1, 12);
    }
  });
});

describe("6. logistic regression with an L2 term", () => {
  function data(seed: number, N: number, D: number): (number | Float64Array)[][] {
    return randomPoints(seed, 5, [[D, -1, 1], [-0.5, 0.5], [N * D, -2, 2], [N, 0, 1], [0.01, 0.5]]).map((a) => {
      const y = a[3] as Float64Array;
      for (let i = 0; i < y.length; i++) y[i] = y[i] > 0.5 ? 1 : 0;
      return a;
    });
  }
  it("N = 8, D = 3: gradient w.r.t. w, bias, X and lambda", () => {
    for (const args of data(6, 8, 3)) {
      expectGradient(m.src.logisticRegression, m.grad.logisticRegressionGrad, args, ["w", "bias", "X", "y", "lambda"], ["w", "bias", "X", "lambda"]);
    }
  });
  it("labels get a zero gradient (they only select a branch)", () => {
    const [args] = data(7, 5, 2);
    const r = m.grad.logisticRegressionGrad(...args);
    expect(Array.from(r.grad.y)).toEqual([0, 0, 0, 0, 0]);
  });
});

describe("7. iterate until converged (data-dependent trip count)", () => {
  it("Newton's sqrt: d/da = 1 / (2 sqrt a), d/dx0 = 0", () => {
    for (const r of check("newtonSqrt", ["a", "x0"], [[0.5, 20], [0.5, 5]])) {
      const a = r.args[0] as number;
      expect(r.grad.a).toBeCloseTo(1 / (2 * Math.sqrt(a)), 8);
      expect(Math.abs(r.grad.x0 as number)).toBeLessThan(1e-6);
    }
  });

  it("fixed-point iteration: implicit-function derivative", () => {
    for (const r of check("fixedPoint", ["c", "s"], [[-0.7, 0.7], [-1, 1]])) {
      const [c, sh] = r.args as [number, number];
      let x = 0;
      for (let k = 0; k < 200; k++) x = c * Math.cos(x) + sh;
      // x* = c cos x* + s  =>  dx*/ds = 1 / (1 + c sin x*), dx*/dc = cos x* / (1 + c sin x*)
      const den = 1 + c * Math.sin(x);
      expect(r.grad.s).toBeCloseTo((2 * x) / den, 9);
      expect(r.grad.c).toBeCloseTo((2 * x * Math.cos(x)) / den, 9);
    }
  });
});

describe("8. helpers taking Float64Arrays, inside loops and branches", () => {
  it("gradient w.r.t. A, v, t", () => {
    check("helperArrays", ["A", "v", "t"], [[12, -1, 1], [4, -1, 1], [-2, 2]], undefined, 8);
  });
});

describe("9. textbook loops", () => {
  it("Horner: d/dcoeffs[k] = t^k, d/dt = p'(t)", () => {
    const rs = check("horner", ["coeffs", "t"], [[6, -2, 2], [-1.5, 1.5]]);
    expect(rs.length).toBe(5);
    const r = m.grad.hornerGrad(new Float64Array([1, 2, 3]), 2); // 1 + 2t + 3t^2
    expect(r.value).toBe(17);
    expect(r.grad.t).toBe(14);
    expect(Array.from(r.grad.coeffs)).toEqual([1, 2, 4]);
  });

  it("Gauss–Seidel sweeps in place", () => {
    check("gaussSeidel", ["f", "m", "g"], [[6, -1, 1], [0.1, 1], [6, -1, 1]]);
  });
});

describe("out buffers and inactive array parameters", () => {
  const spec: Spec = [[12, -1, 1], [3, -0.5, 0.5], [3, -1, 1], [-0.5, 0.5], [4, -1, 1], [-1, 1]];

  it("fills the given buffers, overwriting (not accumulating), and returns the same objects", () => {
    const [args] = randomPoints(42, 1, spec);
    const fresh = m.grad.mlpLossGrad(...args);
    const out = { W1: new Float64Array(12).fill(7), b1: new Float64Array(3).fill(-3), x: new Float64Array(4).fill(1e9) };
    const r1 = m.grad.mlpLossGrad(...args, out);
    expect(r1.grad.W1).toBe(out.W1);
    expect(r1.grad.b1).toBe(out.b1);
    expect(r1.grad.x).toBe(out.x);
    expect(r1.grad.w2).not.toBe(out.W1);
    const snap = { W1: out.W1.slice(), b1: out.b1.slice(), x: out.x.slice() };
    const r2 = m.grad.mlpLossGrad(...args, out);
    expect(r2.grad.W1).toBe(out.W1);
    expect(out.W1).toEqual(snap.W1);
    expect(out.b1).toEqual(snap.b1);
    expect(out.x).toEqual(snap.x);
    expect(out.W1).toEqual(fresh.grad.W1);
    expect(out.b1).toEqual(fresh.grad.b1);
    expect(out.x).toEqual(fresh.grad.x);
    expect(r2.grad.w2).toEqual(fresh.grad.w2);
  });

  it("buffers work through loops with local arrays too (RNN), twice in a row", () => {
    const [args] = randomPoints(5, 1, [[9, -0.8, 0.8], [6, -1, 1], [3, -0.5, 0.5], [8, -1, 1]]);
    const fresh = m.grad.rnnLossGrad(...args);
    const out = { Wh: new Float64Array(9).fill(1), Wx: new Float64Array(6).fill(2), b: new Float64Array(3).fill(3), xs: new Float64Array(8).fill(4) };
    for (let k = 0; k < 2; k++) {
      const r = m.grad.rnnLossGrad(...args, out);
      for (const key of ["Wh", "Wx", "b", "xs"] as const) {
        expect(r.grad[key]).toBe(out[key]);
        expect(out[key]).toEqual(fresh.grad[key]);
      }
    }
  });

  it("a buffer of the wrong length is rejected", () => {
    const [args] = randomPoints(42, 1, spec);
    expect(() => m.grad.mlpLossGrad(...args, { W1: new Float64Array(5) })).toThrow(RangeError);
  });

  it("an inactive array parameter gets a zero gradient array (also into an out buffer)", () => {
    for (const args of randomPoints(8, 4, [[5, -1, 1], [5, -1, 1], [0.5, 2]])) {
      const r = expectGradient(m.src.withInactive, m.grad.withInactiveGrad, args, ["w", "mask", "s"]);
      expect(r.grad.mask).toBeInstanceOf(Float64Array);
      expect(Array.from(arr(r.grad.mask))).toEqual([0, 0, 0, 0, 0]);
      const buf = new Float64Array(5).fill(9);
      const r2 = m.grad.withInactiveGrad(...args, { mask: buf });
      expect(r2.grad.mask).toBe(buf);
      expect(Array.from(buf)).toEqual([0, 0, 0, 0, 0]);
    }
  });
});

/** The originals of the working variants at the end of the fixture: natural code that hits known bugs. */
const BUGGY = `
/** Bug 1: \`*=\` in a loop. */
/** @differentiable */
export function survival(hazard: Float64Array, dt: number): number {
  let p = 1;
  for (let i = 0; i < hazard.length; i++) {
    p *= 1 - hazard[i] * dt;
  }
  return p;
}

/** Bug 2: a while loop after an early return. */
/** @differentiable */
export function newtonSqrtGuarded(a: number, x0: number): number {
  if (a <= 0) return 0;
  let x = x0;
  let iters = 0;
  while (Math.abs(x * x - a) > 1e-12 * a && iters < 100) {
    x = 0.5 * (x + a / x);
    iters++;
  }
  return x;
}

function energyUntil(v: Float64Array, limit: number): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) {
    s += v[i] * v[i];
    if (s > limit) break;
  }
  return s;
}

/** Bug 2: a helper with a break, inlined into a branch. */
/** @differentiable */
export function helperBreakInBranch(v: Float64Array, t: number): number {
  let e = 0;
  if (t > 0) {
    e = energyUntil(v, t) * t;
  } else {
    e = -t;
  }
  return e;
}
`;

describe("natural code that once hit compiler bugs, and its variants", () => {
  let b: { src: Mod; grad: Mod };
  beforeAll(async () => {
    b = await load(BUGGY, "models-buggy");
  }, 60_000);
  const checkBuggy = (name: string, params: string[], spec: Spec) => {
    for (const args of randomPoints(name.length * 31, 5, spec)) expectGradient(b.src[name], b.grad[name + "Grad"], args, params);
  };
  const hazard: Spec = [[6, 0, 2], [0.05, 0.2]];

  // Regression 1: a compound `*=` (also `/=`, `**=`, `s += s`) on a variable reassigned in a
  // loop or branch once got the adjoint of `s = s + e`.
  it("survival: `p *= 1 - hazard[i] * dt` in a loop", () => {
    checkBuggy("survival", ["hazard", "dt"], hazard);
  });
  it("survivalExpanded: `p = p * (1 - hazard[i] * dt)` works", () => {
    check("survivalExpanded", ["hazard", "dt"], hazard);
  });

  // Regression 2: a loop with a trip counter inside a branch (or after an early return) once
  // declared its counter out of the reverse sweep's scope.
  it("newtonSqrtGuarded: `if (a <= 0) return 0;` then a while loop", () => {
    checkBuggy("newtonSqrtGuarded", ["a", "x0"], [[0.5, 20], [0.5, 5]]);
  });
  it("newtonSqrt without the guard works (section 7)", () => {
    check("newtonSqrt", ["a", "x0"], [[0.5, 20], [0.5, 5]]);
  });
  it("helperBreakInBranch: a helper with a break, called in an if", () => {
    checkBuggy("helperBreakInBranch", ["v", "t"], [[8, -1, 1], [1, 2]]);
  });
  it("helperBreakInLoop: the same helper at top level and in a loop works", () => {
    check("helperBreakInLoop", ["v", "t"], [[8, -1, 1], [1, 2]]);
  });
});
