import { describe, expect, it } from "vitest";
import { Adam, SGD } from "../../runtime/optim.ts";

/** loss = w0^2 + 2 w1^2 + (b - 1)^2, gradient { w: [2 w0, 4 w1], b: 2 (b - 1) }. */
function quadGrad(p: { w: Float64Array; b: number }) {
  return { w: new Float64Array([2 * p.w[0], 4 * p.w[1]]), b: 2 * (p.b - 1) };
}

function expectClose(actual: ArrayLike<number>, expected: number[], tol = 1e-15) {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    expect(Math.abs(actual[i] - expected[i]), `index ${i}: ${actual[i]} vs ${expected[i]}`).toBeLessThanOrEqual(tol);
  }
}

describe("SGD", () => {
  const start = () => ({ w: new Float64Array([1, -2]), b: 3 });

  it("plain gradient descent matches hand-computed steps", () => {
    const p = start();
    const w = p.w;
    const opt = new SGD({ lr: 0.1 });
    opt.step(p, quadGrad(p)); // g = w:[2, -8], b:4
    expectClose(p.w, [0.8, -1.2]);
    expectClose([p.b], [2.6]);
    expect(p.w).toBe(w); // updated in place
    opt.step(p, quadGrad(p)); // g = w:[1.6, -4.8], b:3.2
    expectClose(p.w, [0.64, -0.72]);
    expectClose([p.b], [2.28]);
  });

  it("momentum matches hand-computed steps", () => {
    const p = start();
    const opt = new SGD({ lr: 0.1, momentum: 0.9 });
    opt.step(p, quadGrad(p)); // v = g = w:[2, -8], b:4
    expectClose(p.w, [0.8, -1.2]);
    expectClose([p.b], [2.6]);
    opt.step(p, quadGrad(p)); // v = 0.9 v + g = w:[3.4, -12], b:6.8
    expectClose(p.w, [0.46, 0]);
    expectClose([p.b], [1.92]);
  });

  it("nesterov momentum matches hand-computed steps", () => {
    const p = start();
    const opt = new SGD({ lr: 0.1, momentum: 0.9, nesterov: true });
    opt.step(p, quadGrad(p)); // v = g; d = g + 0.9 v = 1.9 g = w:[3.8, -15.2], b:7.6
    expectClose(p.w, [0.62, -0.48]);
    expectClose([p.b], [2.24]);
  });

  it("weight decay adds weightDecay * p to the gradient", () => {
    const p = start();
    new SGD({ lr: 0.1, weightDecay: 0.5 }).step(p, quadGrad(p)); // d = w:[2.5, -9], b:5.5
    expectClose(p.w, [0.75, -1.1]);
    expectClose([p.b], [2.45]);
  });

  for (const opts of [{ lr: 0.1 }, { lr: 0.05, momentum: 0.9 }, { lr: 0.05, momentum: 0.9, nesterov: true }]) {
    it(`converges on a 2-D quadratic with ${JSON.stringify(opts)}`, () => {
      const p = { xy: new Float64Array([3, -4]) };
      const opt = new SGD(opts);
      for (let k = 0; k < 500; k++) opt.step(p, { xy: new Float64Array([p.xy[0], 10 * p.xy[1]]) });
      const loss = 0.5 * (p.xy[0] ** 2 + 10 * p.xy[1] ** 2);
      expect(loss).toBeLessThan(1e-12);
    });
  }

  it("leaves params without gradients untouched and ignores extra gradient keys", () => {
    const frozen = new Float64Array([5, 6]);
    const p = { a: 1, frozen, c: 2 };
    new SGD({ lr: 0.5, momentum: 0.5 }).step(p, { a: 2, c: null, x: new Float64Array(3) } as any);
    expect(p.a).toBe(0);
    expect(p.c).toBe(2);
    expect(Array.from(frozen)).toEqual([5, 6]);
  });

  it("throws a RangeError naming the key on shape mismatch", () => {
    const opt = new SGD({ lr: 0.1 });
    const p = { w: new Float64Array(3), b: 0 };
    expect(() => opt.step(p, { w: new Float64Array(2), b: 1 })).toThrow(/"w"/);
    expect(() => opt.step(p, { w: new Float64Array(2), b: 1 })).toThrow(RangeError);
    expect(() => opt.step(p, { w: new Float64Array(3), b: new Float64Array(1) } as any)).toThrow(/"b"/);
    expect(() => opt.step(p, { w: 1, b: 1 } as any)).toThrow(RangeError);
  });

  it("keeps one velocity buffer per key (a resized parameter is an error)", () => {
    const opt = new SGD({ lr: 0.1, momentum: 0.9 });
    opt.step({ w: new Float64Array(2) }, { w: new Float64Array(2) });
    expect(() => opt.step({ w: new Float64Array(3) }, { w: new Float64Array(3) })).toThrow(/"w"/);
    opt.reset();
    opt.step({ w: new Float64Array(3) }, { w: new Float64Array(3) });
  });

  it("validates options", () => {
    expect(() => new SGD({ lr: -1 })).toThrow(RangeError);
    expect(() => new SGD({ lr: 0.1, nesterov: true })).toThrow(RangeError);
  });
});

describe("Adam", () => {
  it("first two steps match the hand-computed formulas", () => {
    const lr = 0.01;
    const p = { x: 1 };
    const opt = new Adam({ lr });
    // loss = (x - 3)^2, gradient 2 (x - 3)
    const g1 = 2 * (1 - 3); // -4
    opt.step(p, { x: g1 });
    // m̂ = g1, v̂ = g1^2: x1 = 1 - lr * g1 / (|g1| + eps) ≈ 1 + lr
    const x1 = 1 - (lr * -4) / (4 + 1e-8);
    expect(Math.abs(p.x - x1)).toBeLessThanOrEqual(1e-15);
    expect(Math.abs(p.x - 1.01)).toBeLessThan(1e-10);

    const g2 = 2 * (p.x - 3);
    opt.step(p, { x: g2 });
    const m2 = 0.9 * (0.1 * g1) + 0.1 * g2;
    const v2 = 0.999 * (0.001 * g1 * g1) + 0.001 * g2 * g2;
    const x2 = x1 - (lr * (m2 / (1 - 0.81))) / (Math.sqrt(v2 / (1 - 0.998001)) + 1e-8);
    expect(Math.abs(p.x - x2)).toBeLessThanOrEqual(1e-15);
  });

  it("first step is lr * sign(g) whatever the gradient's magnitude", () => {
    const w = new Float64Array([0, 0, 0, 0]);
    new Adam({ lr: 0.1 }).step({ w }, { w: new Float64Array([1e-3, -50, 7, -1e4]) });
    expectClose(w, [-0.1, 0.1, -0.1, 0.1], 1e-6);
  });

  it("updates number and Float64Array fields; reset restarts bias correction", () => {
    const w = new Float64Array([1, 2]);
    const p = { w, b: 0.5 };
    const opt = new Adam({ lr: 0.1 });
    opt.step(p, { w: new Float64Array([1, -1]), b: 2 });
    expectClose(w, [0.9, 2.1], 1e-7);
    expect(Math.abs(p.b - 0.4)).toBeLessThan(1e-7);
    opt.step(p, { w: new Float64Array([1, -1]), b: 2 }); // constant gradient: m̂ = g, v̂ = g^2
    expectClose(w, [0.8, 2.2], 1e-7);
    opt.reset();
    opt.step(p, { w: new Float64Array([-3, 3]), b: -1 });
    expectClose(w, [0.9, 2.1], 1e-7);
    expect(Math.abs(p.b - 0.4)).toBeLessThan(1e-7);
  });

  it("minimizes a Rosenbrock-like ill-conditioned quadratic", () => {
    // loss = (x - 1)^2 + 100 (y - x)^2: a narrow valley along y = x, minimum 0 at (1, 1).
    const loss = (x: number, y: number) => (x - 1) ** 2 + 100 * (y - x) ** 2;
    const p = { x: -1.5, y: new Float64Array([2]) };
    const opt = new Adam({ lr: 0.05 });
    const initial = loss(p.x, p.y[0]);
    for (let k = 0; k < 5000; k++) {
      const x = p.x;
      const y = p.y[0];
      opt.step(p, { x: 2 * (x - 1) - 200 * (y - x), y: new Float64Array([200 * (y - x)]) });
    }
    const final = loss(p.x, p.y[0]);
    expect(initial).toBeGreaterThan(100);
    expect(final).toBeLessThan(1e-8);
  });

  it("leaves params without gradients untouched and throws on shape mismatch", () => {
    const p = { a: new Float64Array([1]), b: 7 };
    const opt = new Adam({ lr: 0.1 });
    opt.step(p, { a: new Float64Array([1]) });
    expect(p.b).toBe(7);
    expect(() => opt.step(p, { a: new Float64Array(2) })).toThrow(RangeError);
    expect(() => opt.step(p, { a: new Float64Array(2) })).toThrow(/"a"/);
  });

  it("validates options", () => {
    expect(() => new Adam({ lr: 0.1, beta1: 1 })).toThrow(RangeError);
    expect(() => new Adam({ lr: 0.1, beta2: -0.1 })).toThrow(RangeError);
    expect(() => new Adam({ lr: NaN })).toThrow(RangeError);
  });
});
