import { describe, expect, it } from "vitest";
import {
  checkGradient,
  directionalDerivative,
  maxRelativeError,
  mulberry32,
  numericGradient,
  randomArray,
  relativeError,
  richardson,
  richardsonWithError,
} from "../../runtime/gradcheck.ts";

describe("richardson", () => {
  const cases: [string, (x: number) => number, (x: number) => number, number[]][] = [
    ["sin", Math.sin, Math.cos, [-3, -1, 0, 0.3, 1, 2.5, 10]],
    ["exp", Math.exp, Math.exp, [-5, -1, 0, 0.5, 1, 3, 10]],
    ["log", Math.log, (x) => 1 / x, [0.1, 0.5, 1, 2, 10, 1000]],
    ["x^3", (x) => x ** 3, (x) => 3 * x * x, [-4, -1, 0, 0.7, 2, 50]],
    ["tanh", Math.tanh, (x) => 1 - Math.tanh(x) ** 2, [-3, -0.5, 0, 0.4, 1, 2]],
    ["x^2.5", (x) => x ** 2.5, (x) => 2.5 * x ** 1.5, [0.1, 0.5, 1, 3, 10]],
  ];
  for (const [name, f, df, xs] of cases) {
    it(`differentiates ${name} to 1e-9`, () => {
      for (const x of xs) {
        const est = richardson((h) => f(x + h));
        expect(relativeError(est, df(x)), `${name} at ${x}`).toBeLessThanOrEqual(1e-9);
      }
    });
  }

  it("is exact up to rounding for linear functions and reports a small error estimate", () => {
    const { value, error } = richardsonWithError((h) => 3 * h + 2);
    expect(relativeError(value, 3)).toBeLessThan(1e-13);
    expect(error).toBeLessThan(1e-13);
    expect(richardson((h) => 0.5 * h)).toBe(0.5); // exact arithmetic: exact answer
    const r = richardsonWithError((h) => Math.sin(1 + h));
    expect(r.error).toBeLessThan(1e-10);
    expect(Math.abs(r.value - Math.cos(1))).toBeLessThan(1e-10);
  });

  it("accepts a custom initial step and backs off out of a domain boundary", () => {
    expect(relativeError(richardson((h) => Math.exp(h), 0.1), 1)).toBeLessThan(1e-9);
    // log(0.005 + h) is NaN for h <= -0.005: the default step 0.01 must shrink.
    expect(relativeError(richardson((h) => Math.log(0.005 + h)), 200)).toBeLessThan(1e-9);
  });

  it("rejects a non-positive step", () => {
    expect(() => richardson((h) => h, 0)).toThrow(RangeError);
    expect(() => richardson((h) => h, -1)).toThrow(RangeError);
  });
});

describe("numericGradient", () => {
  const f = (a: number, v: Float64Array) => {
    let s = 0;
    for (let i = 0; i < v.length; i++) s += Math.sin(v[i]);
    return a * s + Math.exp(a);
  };
  const a = 0.7;
  const v = new Float64Array([0.1, -1.3, 2.2, 5]);
  const analyticA = v.reduce((s, x) => s + Math.sin(x), 0) + Math.exp(a);
  const analyticV = v.map((x) => a * Math.cos(x));

  it("matches the analytic gradient of a*Σsin(v) + exp(a)", () => {
    const [ga, gv] = numericGradient(f, [a, v]);
    expect(typeof ga).toBe("number");
    expect(gv).toBeInstanceOf(Float64Array);
    expect(relativeError(ga as number, analyticA)).toBeLessThan(1e-9);
    expect(maxRelativeError(gv as Float64Array, analyticV)).toBeLessThan(1e-9);
  });

  it("returns null for arguments not in `which`", () => {
    const g = numericGradient(f, [a, v], [1]);
    expect(g[0]).toBeNull();
    expect(maxRelativeError(g[1] as Float64Array, analyticV)).toBeLessThan(1e-9);
    expect(numericGradient(f, [a, v], [0])[1]).toBeNull();
  });

  it("handles large-magnitude arguments", () => {
    const g = numericGradient((x: number) => Math.log(x) * x, [12345.678]);
    expect(relativeError(g[0] as number, Math.log(12345.678) + 1)).toBeLessThan(1e-9);
  });

  it("never mutates the caller's arrays, even when f writes into its inputs", () => {
    const input = new Float64Array([0.5, -0.25, 1.5]);
    const snapshot = Array.from(input);
    const greedy = (w: Float64Array) => {
      const s = w[0] * w[1] + Math.sin(w[2]);
      w.fill(99); // misbehaving function
      return s;
    };
    const [g] = numericGradient(greedy, [input]);
    expect(Array.from(input)).toEqual(snapshot);
    const expected = new Float64Array([-0.25, 0.5, Math.cos(1.5)]);
    expect(maxRelativeError(g as Float64Array, expected)).toBeLessThan(1e-9);
  });

  it("rejects out-of-range argument indices", () => {
    expect(() => numericGradient(f, [a, v], [2])).toThrow(RangeError);
  });
});

describe("directionalDerivative", () => {
  const f = (x: number, w: Float64Array) => x * x * w[0] + Math.exp(w[1]) * Math.sin(x);

  it("equals the gradient dotted with the direction", () => {
    const x = 0.3;
    const w = new Float64Array([1.5, -0.4]);
    const dx = 0.7;
    const dw = new Float64Array([-2, 0.5]);
    const gx = 2 * x * w[0] + Math.exp(w[1]) * Math.cos(x);
    const gw = [x * x, Math.exp(w[1]) * Math.sin(x)];
    const expected = gx * dx + gw[0] * dw[0] + gw[1] * dw[1];
    expect(relativeError(directionalDerivative(f, [x, w], [dx, dw]), expected)).toBeLessThan(1e-9);
    expect(Array.from(w)).toEqual([1.5, -0.4]);
  });

  it("accepts 0 or null for a zero direction", () => {
    const x = 1.1;
    const w = new Float64Array([2, 0.3]);
    const gx = 2 * x * w[0] + Math.exp(w[1]) * Math.cos(x);
    expect(relativeError(directionalDerivative(f, [x, w], [1, null]), gx)).toBeLessThan(1e-9);
    expect(relativeError(directionalDerivative(f, [x, w], [1, 0]), gx)).toBeLessThan(1e-9);
    expect(directionalDerivative(f, [x, w], [0, null])).toBe(0);
  });

  it("scales the step to large directions", () => {
    const d = 1e6;
    const got = directionalDerivative((x: number) => Math.sin(x), [0.5], [d]);
    expect(relativeError(got, d * Math.cos(0.5))).toBeLessThan(1e-9);
  });

  it("rejects mismatched shapes", () => {
    const w = new Float64Array(2);
    expect(() => directionalDerivative(f, [1, w], [1, new Float64Array(3)])).toThrow(RangeError);
    expect(() => directionalDerivative(f, [1, w], [1, 2])).toThrow(RangeError);
    expect(() => directionalDerivative(f, [1, w], [1])).toThrow(RangeError);
  });
});

describe("relativeError", () => {
  it("is relative above 1 and absolute below", () => {
    expect(relativeError(1000, 1001)).toBeCloseTo(1 / 1001, 15);
    expect(relativeError(-2, -3)).toBeCloseTo(1 / 3, 15);
    expect(relativeError(1e-3, 2e-3)).toBeCloseTo(1e-3, 15);
    expect(relativeError(0, 1e-12)).toBe(1e-12);
    expect(relativeError(1, 0)).toBe(1); // max magnitude 1: relative
    expect(relativeError(5, 5)).toBe(0);
  });

  it("never lets NaN pass", () => {
    expect(relativeError(NaN, 1)).toBe(Infinity);
    expect(relativeError(1, NaN)).toBe(Infinity);
    expect(relativeError(NaN, NaN)).toBe(Infinity);
    expect(relativeError(Infinity, Infinity)).toBe(0);
    expect(relativeError(Infinity, -Infinity)).toBe(Infinity);
  });

  it("maxRelativeError takes the elementwise maximum and checks shapes", () => {
    const a = new Float64Array([1, 2, 100]);
    const b = new Float64Array([1, 2.5, 101]);
    expect(maxRelativeError(a, b)).toBeCloseTo(0.2, 15);
    expect(maxRelativeError(3, 3)).toBe(0);
    expect(() => maxRelativeError(a, new Float64Array(2))).toThrow(RangeError);
    expect(() => maxRelativeError(a, 1)).toThrow(RangeError);
  });
});

describe("checkGradient", () => {
  const f = (a: number, v: Float64Array) => a * (v[0] * v[0] + 3 * v[1]) + Math.cos(a);
  const a = 1.2;
  const v = new Float64Array([0.4, -2]);
  const ga = v[0] * v[0] + 3 * v[1] - Math.sin(a);
  const gv = new Float64Array([2 * a * v[0], 3 * a]);

  it("accepts a correct gradient given as an array", () => {
    const r = checkGradient(f, [a, v], [ga, gv]);
    expect(r.ok).toBe(true);
    expect(r.maxError).toBeLessThan(1e-9);
    expect(r.report).toMatch(/ok/);
  });

  it("accepts a correct gradient given as an object with names", () => {
    const r = checkGradient(f, [a, v], { a: ga, v: gv }, { names: ["a", "v"] });
    expect(r.ok).toBe(true);
  });

  it("reports a deliberately wrong gradient", () => {
    const wrong = new Float64Array([2 * a * v[0], 3 * a + 0.01]);
    const r = checkGradient(f, [a, v], { a: ga, v: wrong }, { names: ["a", "v"] });
    expect(r.ok).toBe(false);
    expect(r.maxError).toBeGreaterThan(1e-3);
    expect(r.report).toMatch(/FAILED/);
    // The worst entry is listed first.
    const lines = r.report.split("\n");
    expect(lines[2]).toMatch(/v\[1\]/);
  });

  it("respects tol and which", () => {
    const slightlyOff = ga * (1 + 1e-4);
    expect(checkGradient(f, [a, v], [slightlyOff, gv]).ok).toBe(false);
    expect(checkGradient(f, [a, v], [slightlyOff, gv], { tol: 1e-3 }).ok).toBe(true);
    expect(checkGradient(f, [a, v], [null, gv], { which: [1] }).ok).toBe(true);
  });

  it("fails on missing or mis-shaped entries", () => {
    const missing = checkGradient(f, [a, v], [ga]);
    expect(missing.ok).toBe(false);
    expect(missing.report).toMatch(/missing/);
    const misShaped = checkGradient(f, [a, v], [ga, new Float64Array(3)]);
    expect(misShaped.ok).toBe(false);
    expect(misShaped.maxError).toBe(Infinity);
  });

  it("requires names for an object gradient", () => {
    expect(() => checkGradient(f, [a, v], { a: ga, v: gv })).toThrow(TypeError);
  });

  it("does not mutate inputs", () => {
    const vv = new Float64Array(v);
    checkGradient(f, [a, vv], [ga, gv]);
    expect(Array.from(vv)).toEqual(Array.from(v));
  });
});

describe("mulberry32 / randomArray", () => {
  it("is deterministic per seed and in [0, 1)", () => {
    const r1 = mulberry32(42);
    const r2 = mulberry32(42);
    const xs = Array.from({ length: 1000 }, () => r1());
    const ys = Array.from({ length: 1000 }, () => r2());
    expect(xs).toEqual(ys);
    for (const x of xs) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
    const r3 = mulberry32(43);
    expect(Array.from({ length: 10 }, () => r3())).not.toEqual(xs.slice(0, 10));
  });

  it("randomArray fills [lo, hi) deterministically", () => {
    const a = randomArray(mulberry32(7), 500, 2, 5);
    const b = randomArray(mulberry32(7), 500, 2, 5);
    expect(a).toBeInstanceOf(Float64Array);
    expect(a.length).toBe(500);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Math.min(...a)).toBeGreaterThanOrEqual(2);
    expect(Math.max(...a)).toBeLessThan(5);
    const c = randomArray(mulberry32(7), 100);
    expect(Math.min(...c)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...c)).toBeLessThan(1);
  });
});

describe("checkGradient on a ReLU MLP (kinks)", () => {
  // one hidden ReLU layer: out_s = Σ_j v_j·relu(Σ_e W_je·x_se + b_j) + c, loss = Σ_s (out_s − y_s)²
  const H = 3, D = 2;
  const X = new Float64Array([1, 0.5, -0.3, 2, 0.8, -1]); // 3 samples × 2
  const Y = new Float64Array([0.7, -0.2, 0.4]);
  const S = Y.length;
  const loss = (W: Float64Array, b: Float64Array, v: Float64Array, c: number) => {
    let l = 0;
    for (let s = 0; s < S; s++) {
      let out = c;
      for (let j = 0; j < H; j++) {
        let z = b[j];
        for (let e = 0; e < D; e++) z += W[j * D + e] * X[s * D + e];
        out += v[j] * Math.max(0, z);
      }
      l += (out - Y[s]) ** 2;
    }
    return l;
  };
  /** Hand-written reverse mode; `slope(z)` is ReLU's derivative (0 at 0, as adjoint's Math.max). */
  const grad = (W: Float64Array, b: Float64Array, v: Float64Array, c: number, slope = (z: number) => (z > 0 ? 1 : 0)) => {
    const gW = new Float64Array(H * D), gb = new Float64Array(H), gv = new Float64Array(H);
    let gc = 0;
    for (let s = 0; s < S; s++) {
      const z = new Float64Array(H);
      let out = c;
      for (let j = 0; j < H; j++) {
        z[j] = b[j];
        for (let e = 0; e < D; e++) z[j] += W[j * D + e] * X[s * D + e];
        out += v[j] * Math.max(0, z[j]);
      }
      const dout = 2 * (out - Y[s]);
      gc += dout;
      for (let j = 0; j < H; j++) {
        gv[j] += dout * Math.max(0, z[j]);
        const dz = dout * v[j] * slope(z[j]);
        gb[j] += dz;
        for (let e = 0; e < D; e++) gW[j * D + e] += dz * X[s * D + e];
      }
    }
    return [gW, gb, gv, gc] as [Float64Array, Float64Array, Float64Array, number];
  };
  const W = new Float64Array([0.5, -0.4, 0.3, 0.9, -0.6, 0.2]);
  const v = new Float64Array([1.1, -0.7, 0.5]);
  const c = 0.1;
  // unit 0's pre-activation on sample 0 is 0.5·1 − 0.4·0.5 + b_0 = 0.3 + b_0: b_0 = −0.3 + 2⁻¹³
  // puts it 1.2e-4 above ReLU's kink, well within the first step (2⁻¹⁰ ≈ 1e-3) of every entry
  // of unit 0 that sample 0 touches
  const near = new Float64Array([-0.3 + 2 ** -13, 0.25, -0.1]);
  const names = ["W", "b", "v", "c"];

  it("passes a correct gradient whose first finite-difference step crosses a kink", () => {
    const g = grad(W, near, v, c);
    // the plain estimate at the first step is off: this is what used to fail
    const plain = numericGradient(loss, [W, near, v, c])[1] as Float64Array;
    expect(relativeError(plain[0], g[1][0])).toBeGreaterThan(1e-4);
    const r = checkGradient(loss, [W, near, v, c], g, { names });
    expect(r.ok, r.report).toBe(true);
    expect(r.maxError).toBeLessThan(1e-6);
    expect(r.kinks).toEqual([]);
    expect(r.report).toMatch(/passed with a smaller step/);
  });

  it("reports an entry at a kink as a kink, not as a failure, unless told to", () => {
    // b_0 = −0.3 exactly: unit 0's pre-activation on sample 0 is 0 (up to rounding of 0.5·1 − 0.4·0.5)
    const b = new Float64Array([-(0.5 * 1 + -0.4 * 0.5), 0.25, -0.1]);
    const g = grad(W, b, v, c);
    const r = checkGradient(loss, [W, b, v, c], g, { names });
    expect(r.ok, r.report).toBe(true);
    expect(r.kinks).toContain("b[0]");
    expect(r.report).toMatch(/b\[0\]: kink: analytic/);
    const strict = checkGradient(loss, [W, b, v, c], g, { names, allowKinks: false });
    expect(strict.ok).toBe(false);
  });

  it("still fails a wrong gradient, at a kink or away from one", () => {
    // ReLU's derivative taken as 1 everywhere: wrong for every unit with a negative pre-activation
    const leaky = grad(W, near, v, c, () => 1);
    const r = checkGradient(loss, [W, near, v, c], leaky, { names });
    expect(r.ok).toBe(false);
    expect(r.report).toMatch(/FAILED/);
    // a small error in one smooth entry
    const g = grad(W, near, v, c);
    g[2][1] += 1e-4;
    const r2 = checkGradient(loss, [W, near, v, c], g, { names });
    expect(r2.ok).toBe(false);
    expect(r2.report).toMatch(/v\[1\].*exceeds tol/);
    // at the kink, a value outside the one-sided derivatives
    const b = new Float64Array([-(0.5 * 1 + -0.4 * 0.5), 0.25, -0.1]);
    const gk = grad(W, b, v, c);
    gk[1][0] += 10;
    const r3 = checkGradient(loss, [W, b, v, c], gk, { names });
    expect(r3.ok).toBe(false);
    expect(r3.kinks).not.toContain("b[0]");
    expect(r3.report).toMatch(/b\[0\].*not between its one-sided derivatives/);
  });

  it("takes a first step", () => {
    const g = grad(W, near, v, c);
    // a first step below the kink's distance (1.2e-4) needs no retry
    const r = checkGradient(loss, [W, near, v, c], g, { names, step: 1e-5 });
    expect(r.ok, r.report).toBe(true);
    expect(r.report).not.toMatch(/smaller step/);
    expect(() => checkGradient(loss, [W, near, v, c], g, { names, step: 0 })).toThrow(RangeError);
    // numericGradient and directionalDerivative take it too
    const plain = numericGradient(loss, [W, near, v, c], [1], { step: 1e-5 })[1] as Float64Array;
    expect(relativeError(plain[0], g[1][0])).toBeLessThan(1e-8);
    const dd = directionalDerivative(loss, [W, near, v, c], [null, new Float64Array([1, 0, 0]), null, null], { step: 1e-5 });
    expect(relativeError(dd, g[1][0])).toBeLessThan(1e-8);
  });
});

describe("checkGradient on random ReLU MLPs", () => {
  // 200 samples, 4 inputs, 8 hidden ReLU units, linear output, mean squared error
  const H = 8, D = 4, S = 200;
  const problem = (seed: number) => {
    const rng = mulberry32(seed);
    const X = randomArray(rng, S * D), Y = randomArray(rng, S);
    const W = randomArray(rng, H * D), b = randomArray(rng, H, -0.5, 0.5), v = randomArray(rng, H);
    const loss = (W: Float64Array, b: Float64Array, v: Float64Array) => {
      let l = 0;
      for (let s = 0; s < S; s++) {
        let out = 0;
        for (let j = 0; j < H; j++) {
          let z = b[j];
          for (let e = 0; e < D; e++) z += W[j * D + e] * X[s * D + e];
          out += v[j] * Math.max(0, z);
        }
        l += (out - Y[s]) ** 2;
      }
      return l / S;
    };
    const gW = new Float64Array(H * D), gb = new Float64Array(H), gv = new Float64Array(H);
    for (let s = 0; s < S; s++) {
      const z = new Float64Array(H);
      let out = 0;
      for (let j = 0; j < H; j++) {
        z[j] = b[j];
        for (let e = 0; e < D; e++) z[j] += W[j * D + e] * X[s * D + e];
        out += v[j] * Math.max(0, z[j]);
      }
      const dout = (2 * (out - Y[s])) / S;
      for (let j = 0; j < H; j++) {
        gv[j] += dout * Math.max(0, z[j]);
        const dz = z[j] > 0 ? dout * v[j] : 0;
        gb[j] += dz;
        for (let e = 0; e < D; e++) gW[j * D + e] += dz * X[s * D + e];
      }
    }
    return { loss, args: [W, b, v], grad: [gW, gb, gv] };
  };

  it("passes correct gradients that the first step alone fails (seeds 3, 4, 5)", () => {
    for (const seed of [3, 4, 5]) {
      const { loss, args, grad } = problem(seed);
      const numeric = numericGradient(loss, args);
      let plain = 0;
      grad.forEach((g, i) => (plain = Math.max(plain, maxRelativeError(g, numeric[i] as Float64Array))));
      expect(plain, `seed ${seed}`).toBeGreaterThan(1e-5);
      const r = checkGradient(loss, args, grad);
      expect(r.ok, r.report).toBe(true);
      expect(r.maxError).toBeLessThan(1e-9);
    }
  });

  it("fails them with one entry off by 1e-5", () => {
    for (const seed of [3, 4, 5]) {
      const { loss, args, grad } = problem(seed);
      grad[0][5] += 1e-5;
      const r = checkGradient(loss, args, grad);
      expect(r.ok, `seed ${seed}`).toBe(false);
      expect(r.report).toMatch(/arg0\[5\].*exceeds tol/);
    }
  });
});
