// Runs under Vitest with adjoint/vite (vitest.config.ts): `../src/model.grad.ts` is not on disk,
// the plugin compiles it from model.ts; `grad(...)` and `hessian(...)` are rewritten to it.
import { describe, expect, it } from "vitest";
import { grad, hessian } from "adjoint";
import { checkGradient, mulberry32, randomArray } from "adjoint-runtime";
import { netLoss, rosenbrock } from "../src/model.ts";
import { netLossGrad } from "../src/model.grad.ts";

describe("a module served by adjoint/vite", () => {
  const rng = mulberry32(1);
  const [hidden, n] = [4, 3];
  const W = randomArray(rng, hidden * n);
  const c = randomArray(rng, hidden);
  const v = randomArray(rng, hidden);
  const x = randomArray(rng, n);

  it("imports the generated module: value and gradient of the network", () => {
    const r = netLossGrad(W, c, v, 0.3, x, 1.5);
    expect(r.value).toBe(netLoss(W, c, v, 0.3, x, 1.5));
    const check = checkGradient(netLoss, [W, c, v, 0.3, x, 1.5], r.grad, { names: ["W", "c", "v", "b", "x", "target"], which: [0, 1, 2, 3], tol: 1e-6 });
    expect(check.ok, check.report).toBe(true);
  });

  it("rewrites grad(f) to the generated function", () => {
    const lossGrad = grad(netLoss);
    expect(lossGrad.name).toBe("netLossGrad");
    expect(lossGrad(W, c, v, 0.3, x, 1.5)).toEqual(netLossGrad(W, c, v, 0.3, x, 1.5));
  });

  it("rewrites hessian(f) for a function tagged @modes grad hessian", () => {
    const { value, hessian: H } = hessian(rosenbrock)(1, 1);
    expect(value).toBe(0);
    expect([...H]).toEqual([802, -400, -400, 200]);
  });
});
