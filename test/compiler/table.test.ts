/**
 * Lecture notes 001's forward-mode table, reproduced with generated Jvp functions: every primal
 * v1…v6 and its tangent at (x1, x2) = (1.5, 0.5) along (ẋ1, ẋ2) = (1, 0), to the table's three
 * decimals, down to ∂f/∂x1 = 3.012.
 */
import { describe, it, expect, beforeAll } from "vitest";
import { load, type Mod } from "../helpers.ts";

// v_k as functions of (x1, x2), built up step by step as in the table
const STEPS = [
  "const v1 = x1 / x2;",
  "const v2 = Math.sin(v1);",
  "const v3 = Math.exp(x2);",
  "const v4 = v1 - v3;",
  "const v5 = v2 + v4;",
  "const v6 = v5 * v4;",
];
const TABLE: [number, number][] = [
  [3.0, 2.0], // v1, v̇1
  [0.141, -1.98], // v2 = sin(3), v̇2 = cos(3)·2
  [1.649, 0.0], // v3, v̇3
  [1.351, 2.0], // v4
  [1.492, 0.02], // v5
  [2.017, 3.012], // v6 = f, v̇6 = ∂f/∂x1
];

let m: Mod;
beforeAll(async () => {
  const fns = STEPS.map((_, k) => `/** @differentiable @modes jvp grad */\nexport function v${k + 1}Of(x1: number, x2: number): number {\n  ${STEPS.slice(0, k + 1).join("\n  ")}\n  return v${k + 1};\n}`);
  m = (await load(fns.join("\n\n"), "table")).grad;
}, 60_000);

describe("seed 001: the primal/tangent table", () => {
  for (let k = 0; k < 6; k++) {
    it(`v${k + 1} = ${TABLE[k][0].toFixed(3)}, v̇${k + 1} = ${TABLE[k][1].toFixed(3)}`, () => {
      const r = m[`v${k + 1}OfJvp`](1.5, 0.5, { x1: 1, x2: 0 });
      expect(r.value.toFixed(3)).toBe(TABLE[k][0].toFixed(3));
      expect(r.tangent.toFixed(3)).toBe(TABLE[k][1].toFixed(3));
      // forward and reverse agree on ∂v/∂x1
      expect(r.tangent).toBeCloseTo(m[`v${k + 1}OfGrad`](1.5, 0.5).grad.x1, 13);
    });
  }
});
