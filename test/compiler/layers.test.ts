/**
 * Matrix-level fixtures (lecture notes 002/003): a dense tanh layer written with gemv, and a
 * two-hidden-layer MLP on a mini-batch with softmax cross-entropy written with gemm, checked
 * through their committed generated modules.
 */
import { describe, it, expect } from "vitest";
import * as src from "../../fixtures/programs/layers.ts";
import * as gen from "../../fixtures/programs/layers.grad.ts";
import { expectGradient } from "../helpers.ts";
import { mulberry32, randomArray } from "../../runtime/gradcheck.ts";

describe("seed 003's layer in matrix form", () => {
  it("gradients w.r.t. W1, b1 and x match central differences", () => {
    const rng = mulberry32(3);
    for (let trial = 0; trial < 4; trial++) {
      const h = 4, d = 3;
      const args = [randomArray(rng, h * d), randomArray(rng, h), randomArray(rng, d), randomArray(rng, h)];
      expectGradient(src.layerLoss, gen.layerLossGrad, args, ["W1", "b1", "x", "target"], ["W1", "b1", "x"]);
    }
  });
});

describe("two-hidden-layer MLP with softmax cross-entropy on a mini-batch", () => {
  function problem(seed: number, batch = 5, d = 3, h1 = 4, h2 = 3, c = 3) {
    const rng = mulberry32(seed);
    const Y = new Float64Array(batch * c);
    for (let r = 0; r < batch; r++) Y[r * c + Math.floor(rng() * c)] = 1;
    return [randomArray(rng, d * h1), randomArray(rng, h1), randomArray(rng, h1 * h2), randomArray(rng, h2),
      randomArray(rng, h2 * c), randomArray(rng, c), randomArray(rng, batch * d, -2, 2), Y];
  }
  const names = ["W1", "b1", "W2", "b2", "W3", "b3", "X", "Y"];

  it("gradients of all weights and biases match central differences", () => {
    for (const seed of [1, 2, 3, 4]) expectGradient(src.mlpLoss, gen.mlpLossGrad, problem(seed), names, names.slice(0, 6));
  });

  it("is one gemm per layer forward and two per layer backward (one for the first: X is inactive)", async () => {
    const fs = await import("node:fs");
    const text = fs.readFileSync(new URL("../../fixtures/programs/layers.grad.ts", import.meta.url), "utf8");
    const body = text.slice(text.indexOf("export function mlpLossGrad")).replace(/\/\/.*$/gm, "");
    expect(body.match(/\bgemm\(/g)).toHaveLength(3 + 5);
    expect(body).toContain("gemm(false, true, batch, h2, c, 1, d_logits, W3, 1, d_A2)"); // dA2 = dLogits·W3ᵀ
    expect(body).toContain("gemm(true, false, h2, c, batch, 1, A2, d_logits, 1, d_W3)"); // dW3 = A2ᵀ·dLogits
    expect(body).toContain("accumulateRows(batch, c, d_logits, d_b3)");
    expect(body).not.toMatch(/tape\.pushF\(t12\)|tapeValues\[tapeTop\+\+\] = t12;/); // tanh values are read back from A1, not taped
  });

  it("reuses `out` buffers: overwritten, not accumulated", () => {
    const args = problem(9);
    const buf = new Float64Array(12);
    const call = (out: { W1: Float64Array }) => (gen.mlpLossGrad as (...a: unknown[]) => { grad: { W1: Float64Array } })(...args, out);
    const a = call({ W1: buf });
    expect(a.grad.W1).toBe(buf);
    const first = Float64Array.from(buf);
    call({ W1: buf });
    expect(buf).toEqual(first);
  });
});
