/**
 * Fixtures from the lecture notes, checked through their committed generated modules (which
 * import `adjoint/runtime` exactly as a user's would).
 */
import { describe, it, expect } from "vitest";
import { expectGradient, randomPoints } from "../helpers.ts";
import * as table from "../../fixtures/seeds/table.ts";
import * as tableGrad from "../../fixtures/seeds/table.grad.ts";
import * as chain from "../../fixtures/seeds/chain.ts";
import * as chainGrad from "../../fixtures/seeds/chain.grad.ts";
import * as neuron from "../../fixtures/seeds/neuron.ts";
import * as neuronGrad from "../../fixtures/seeds/neuron.grad.ts";
import * as logistic from "../../fixtures/seeds/logistic.ts";
import * as logisticGrad from "../../fixtures/seeds/logistic.grad.ts";

describe("seed 001: the primal/tangent table", () => {
  it("reproduces the table at (1.5, 0.5): f = 2.017, df/dx1 = 3.012", () => {
    const r = tableGrad.fGrad(1.5, 0.5);
    expect(r.value).toBe(table.f(1.5, 0.5));
    expect(r.value.toFixed(3)).toBe("2.017");
    expect(r.grad.x1.toFixed(3)).toBe("3.012");
  });
  it("matches central differences at random points", () => {
    for (const args of randomPoints(11, 8, [[0.5, 3], [0.3, 2]])) expectGradient(table.f, tableGrad.fGrad, args, ["x1", "x2"]);
  });
});

describe("seed 000: chain rule through p(h1(z1, z2), h2(z1, z2))", () => {
  it("matches the hand-expanded chain rule", () => {
    const [x1, x2] = [0.7, -0.4];
    const a = x1 * x1 + x2, b = Math.sin(x1 * x2);
    const u = a * b, v = Math.exp(a) - b;
    const dp_du = (2 * u) / (1 + u * u) + v, dp_dv = u;
    const dp_da = dp_du * b + dp_dv * Math.exp(a);
    const dp_db = dp_du * a - dp_dv;
    const want1 = dp_da * 2 * x1 + dp_db * Math.cos(x1 * x2) * x2;
    const want2 = dp_da * 1 + dp_db * Math.cos(x1 * x2) * x1;
    const r = chainGrad.compositeGrad(x1, x2);
    expect(r.grad.x1).toBeCloseTo(want1, 12);
    expect(r.grad.x2).toBeCloseTo(want2, 12);
  });
  it("matches central differences at random points", () => {
    for (const args of randomPoints(12, 8, [[-1, 1], [-1, 1]])) expectGradient(chain.composite, chainGrad.compositeGrad, args, ["x1", "x2"]);
  });
});

describe("seed 002: the sigmoid neuron", () => {
  it("dL/dα = (σ − y)·σ(1 − σ)·x1 and dL/dβ likewise", () => {
    const [al, be, x1, x2, y] = [0.3, -0.8, 1.2, 0.5, 1];
    const s = 1 / (1 + Math.exp(-(al * x1 + be * x2)));
    const r = neuronGrad.neuronLossGrad(al, be, x1, x2, y);
    expect(r.grad.alpha).toBeCloseTo((s - y) * s * (1 - s) * x1, 14);
    expect(r.grad.beta).toBeCloseTo((s - y) * s * (1 - s) * x2, 14);
    expect(Object.keys(r.grad)).toEqual(["alpha", "beta"]);
  });
  it("matches central differences at random points", () => {
    for (const args of randomPoints(13, 8, [[-2, 2], [-2, 2], [-2, 2], [-2, 2], [0, 1]])) {
      expectGradient(neuron.neuronLoss, neuronGrad.neuronLossGrad, args, ["alpha", "beta", "x1", "x2", "y"], ["alpha", "beta"]);
    }
  });
});

describe("seed 002: logistic regression with scalars", () => {
  it("matches central differences at random points, for both labels", () => {
    for (const args of randomPoints(14, 8, [[-2, 2], [-2, 2], [-2, 2], [-3, 3], [-3, 3], [-1, 1]])) {
      args[5] = (args[5] as number) < 0 ? -1 : 1;
      expectGradient(logistic.logisticLoss, logisticGrad.logisticLossGrad, args, ["w0", "w1", "w2", "x1", "x2", "y"], ["w0", "w1", "w2"]);
    }
  });
  it("dL/dw = −y·x·σ(−y·d)", () => {
    const [w0, w1, w2, x1, x2, y] = [0.1, 0.4, -0.3, 1.5, -2, -1];
    const d = w0 + w1 * x1 + w2 * x2;
    const s = 1 / (1 + Math.exp(y * d));
    const r = logisticGrad.logisticLossGrad(w0, w1, w2, x1, x2, y);
    expect(r.grad.w0).toBeCloseTo(-y * s, 14);
    expect(r.grad.w1).toBeCloseTo(-y * x1 * s, 14);
    expect(r.grad.w2).toBeCloseTo(-y * x2 * s, 14);
  });
});
