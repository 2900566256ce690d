import { describe, it, expect } from "vitest";
import { load, expectGradient, randomPoints } from "../helpers.ts";

const SEED1 = `
/** f(x1,x2) = [sin(x1/x2) + x1/x2 − e^{x2}]·[x1/x2 − e^{x2}] (lecture notes, forward-mode table) */
/** @differentiable */
export function f(x1: number, x2: number): number {
  const v1 = x1 / x2;
  const v2 = Math.sin(v1);
  const v3 = Math.exp(x2);
  const v4 = v1 - v3;
  const v5 = v2 + v4;
  return v5 * v4;
}
`;

describe("seed 001: the primal/tangent table example", () => {
  it("matches the table at (1.5, 0.5): df/dx1 ≈ 3.012", async () => {
    const { src, grad } = await load(SEED1, "seed1");
    const r = grad.fGrad(1.5, 0.5);
    expect(r.value).toBe(src.f(1.5, 0.5));
    expect(r.value).toBeCloseTo(2.017, 3);
    expect(r.grad.x1).toBeCloseTo(3.012, 3);
  });

  it("agrees with central differences at random points", async () => {
    const { src, grad } = await load(SEED1, "seed1");
    for (const args of randomPoints(1, 8, [[0.5, 3], [0.3, 2]])) expectGradient(src.f, grad.fGrad, args, ["x1", "x2"]);
  });

  it("generates one const per step and reuses them (no recomputed sin or exp)", async () => {
    const { output } = await load(SEED1, "seed1");
    const code = output.replace(/\/\/.*$/gm, "").replace(/\/\*[\s\S]*?\*\//g, "");
    expect(code.match(/Math\.sin\(/g)).toHaveLength(1);
    expect(code.match(/Math\.exp\(/g)).toHaveLength(1);
    expect(output).toMatch(/const v1 = x1 \/ x2;/);
  });
});
