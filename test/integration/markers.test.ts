/**
 * The markers without a build integration: calling one throws an Error that names the fixes.
 * Their types follow the function's signature (checked by `npm run typecheck`, which includes
 * this file).
 */
import { describe, expect, it } from "vitest";
import { grad, hessian, jvp, vjp, MARKERS, type GradResult } from "adjoint";

/** @differentiable */
function loss(x: number, w: Float64Array): number {
  return x * w[0];
}

function vec(x: Float64Array, out: Float64Array): void {
  out[0] = x[0];
}

describe("markers without the plugin", () => {
  it("throw an Error naming the plugin and `adjoint gen`", () => {
    expect(() => grad(loss)).toThrowError(/grad\(loss\) was called at run time, so no build integration replaced it with lossGrad/);
    expect(() => grad(loss)).toThrowError(/"transform": "adjoint\/plugin", "transformProgram": true/);
    expect(() => grad(loss)).toThrowError(/adjoint\/vite/);
    expect(() => grad(loss)).toThrowError(/"adjoint\/webpack", "adjoint\/rollup", "adjoint\/rolldown", "adjoint\/esbuild" or "adjoint\/rspack"/);
    expect(() => grad(loss)).toThrowError(/npx adjoint gen <file>\.ts` and import \{ lossGrad \} from "\.\/<file>\.grad\.ts"/);
    expect(() => hessian(loss)).toThrowError(/lossHessian/);
    expect(() => vjp(vec)).toThrowError(/vecVjp/);
  });

  it("name each generated function's suffix", () => {
    expect(MARKERS).toEqual({ grad: "Grad", jvp: "Jvp", vjp: "Vjp", hvp: "Hvp", hessian: "Hessian", jacobian: "Jacobian" });
  });
});

// types only: never called
export function typed(): void {
  const g = grad(loss);
  const r: GradResult = g(1, new Float64Array(1));
  g(1, new Float64Array(1), { w: new Float64Array(1) });
  // @ts-expect-error: a string is not a number parameter
  g("1", new Float64Array(1));
  const t: number = jvp(loss)(1, new Float64Array(1), { x: 1 }).tangent;
  const v: Float64Array = jvp(vec)(new Float64Array(1), new Float64Array(1), { x: new Float64Array(1) }).tangent.out;
  const h: Float64Array = hessian(loss)(1, new Float64Array(1)).hessian;
  void [r, t, v, h];
}
