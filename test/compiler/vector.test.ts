/**
 * Vector-valued functions: Vjp and Jvp satisfy ⟨u, J v⟩ = ⟨Jᵀu, v⟩ and agree with finite
 * differences; dense Jacobians match finite differences column by column.
 */
import { describe, it, expect } from "vitest";
import * as src from "../../fixtures/programs/vector.ts";
import * as gen from "../../fixtures/programs/vector.grad.ts";
import { load } from "../helpers.ts";
import { directionalDerivative, mulberry32, randomArray, relativeError, maxRelativeError } from "../../runtime/gradcheck.ts";

const rng = mulberry32(2024);

/** The k-th output of a vector function as a scalar function of its inputs. */
function component(run: (...a: any[]) => void, outIndex: number, k: number) {
  return (...a: any[]) => {
    const args = a.slice();
    const out = new Float64Array((args[outIndex] as Float64Array).length);
    args[outIndex] = out;
    run(...args);
    return out[k];
  };
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

describe("seed 003: the vector activation", () => {
  it("⟨u, J v⟩ (forward) = ⟨Jᵀu, v⟩ (reverse) = finite differences", () => {
    for (let trial = 0; trial < 4; trial++) {
      const n = 5;
      const x = randomArray(rng, n, 0.5, 2.5);
      const u = randomArray(rng, n), v = randomArray(rng, n);
      const y1 = new Float64Array(n), y2 = new Float64Array(n), yRef = new Float64Array(n);
      src.activation(x, yRef);
      const jv = gen.activationJvp(x, y1, { x: v }).tangent.y;
      const jtu = gen.activationVjp(x, y2, { y: u }).grad.x;
      expect(y1).toEqual(yRef);
      expect(y2).toEqual(yRef);
      expect(relativeError(dot(u, jv), dot(jtu, v))).toBeLessThan(1e-12);
      const fd = directionalDerivative((xx: Float64Array) => { const y = new Float64Array(n); src.activation(xx, y); return dot(u, y); }, [x], [v]);
      expect(relativeError(dot(u, jv), fd)).toBeLessThan(1e-6);
    }
  });

  it("the cotangent array is not consumed and the input is not mutated", () => {
    const x = new Float64Array([1, 1.5, 2]), u = new Float64Array([1, -1, 0.5]);
    const before = Float64Array.from(u), xb = Float64Array.from(x);
    const a = gen.activationVjp(x, new Float64Array(3), { y: u }).grad.x;
    const b = gen.activationVjp(x, new Float64Array(3), { y: u }).grad.x;
    expect(u).toEqual(before);
    expect(x).toEqual(xb);
    expect(a).toEqual(b);
  });

  it("Jacobian matches finite differences", () => {
    const x = randomArray(rng, 4, 0.5, 2.5);
    const { jacobian, rows, cols } = gen.activationJacobian(x, new Float64Array(4));
    expect([rows, cols]).toEqual([4, 4]);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) {
      const e = new Float64Array(4); e[j] = 1;
      const fd = directionalDerivative(component(src.activation, 1, i), [x, new Float64Array(4)], [e, null]);
      expect(relativeError(jacobian[i * cols + j], fd)).toBeLessThan(1e-6);
    }
  });
});

describe("a projectile's final position (2 outputs, 3 inputs)", () => {
  it("Jacobian (reverse sweeps) matches finite differences, and forward and reverse agree", () => {
    const args = [30, 0.8, 0.02, 0.01, 300] as const;
    const pos = new Float64Array(2);
    const { jacobian, rows, cols } = gen.projectileJacobian(...args, pos);
    expect([rows, cols]).toEqual([2, 3]);
    const ref = new Float64Array(2);
    src.projectile(...args, ref);
    expect(pos).toEqual(ref);
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) {
      const dir: (number | null)[] = [0, 0, 0, 0, 0, null];
      dir[j] = 1;
      const fd = directionalDerivative(component(src.projectile, 5, i), [...args, new Float64Array(2)], dir);
      expect(relativeError(jacobian[i * cols + j], fd), `J[${i},${j}]`).toBeLessThan(1e-6);
      const t = gen.projectileJvp(...args, new Float64Array(2), { speed: j === 0 ? 1 : 0, angle: j === 1 ? 1 : 0, drag: j === 2 ? 1 : 0 }).tangent.pos[i];
      expect(relativeError(t, jacobian[i * cols + j])).toBeLessThan(1e-12);
    }
  });
});

describe("softmax (stable, with max)", () => {
  it("rows of the Jacobian sum to zero and match p_i(δ_ij − p_j)", () => {
    const z = randomArray(rng, 5, -2, 2);
    const p = new Float64Array(5);
    const { jacobian } = gen.softmaxJacobian(z, p);
    for (let i = 0; i < 5; i++) {
      let row = 0;
      for (let j = 0; j < 5; j++) {
        row += jacobian[j * 5 + i];
        expect(jacobian[i * 5 + j]).toBeCloseTo(p[i] * ((i === j ? 1 : 0) - p[j]), 14);
      }
      expect(Math.abs(row)).toBeLessThan(1e-15);
    }
  });
});

describe("a curve with one input and many outputs", () => {
  it("Jacobian (forward sweep) equals the Vjp rows", () => {
    const y = new Float64Array(6);
    const { jacobian, rows, cols } = gen.curveJacobian(0.7, y);
    expect([rows, cols]).toEqual([6, 1]);
    for (let i = 0; i < 6; i++) {
      const u = new Float64Array(6); u[i] = 1;
      expect(maxRelativeError(gen.curveVjp(0.7, new Float64Array(6), { y: u }).grad.t, jacobian[i])).toBeLessThan(1e-12);
      const fd = directionalDerivative(component(src.curve, 1, i), [0.7, new Float64Array(6)], [1, null]);
      expect(relativeError(jacobian[i], fd)).toBeLessThan(1e-6);
    }
  });
});

describe("polar coordinates (2 inputs, 3 outputs at constant indices)", () => {
  it("Jacobian (one forward sweep carrying both columns) matches the formula and finite differences", () => {
    for (let trial = 0; trial < 4; trial++) {
      const r = 0.5 + rng(), th = 6 * rng() - 3;
      const xy = new Float64Array(3);
      const { jacobian, rows, cols } = gen.polarJacobian(r, th, xy);
      expect([rows, cols]).toEqual([3, 2]);
      const ref = new Float64Array(3);
      src.polar(r, th, ref);
      expect(xy).toEqual(ref);
      const formula = [Math.cos(th), -r * Math.sin(th), Math.sin(th), r * Math.cos(th), 2 * r, 0];
      expect(maxRelativeError(jacobian, Float64Array.from(formula))).toBeLessThan(1e-15);
      for (let i = 0; i < 3; i++) for (let j = 0; j < 2; j++) {
        const fd = directionalDerivative(component(src.polar, 2, i), [r, th, new Float64Array(3)], j === 0 ? [1, 0, null] : [0, 1, null]);
        expect(relativeError(jacobian[i * cols + j], fd), `J[${i},${j}]`).toBeLessThan(1e-6);
      }
    }
  });
});

describe("the Jacobian's buffers", () => {
  it("fills a given matrix, and its reverse sweeps reuse one gradient's buffers without mixing rows", async () => {
    // 3 outputs, 6 inputs: reverse sweeps, one per row, each filling the previous one's gradient
    const m = await load(`/** @differentiable @out y @modes vjp jacobian */
export function mix(x: Float64Array, s: number, y: Float64Array): void {
  y[0] = Math.sin(x[0]! * s) + x[1]! * x[2]!;
  y[1] = x[3]! * x[4]! * s;
  y[2] = Math.exp(x[1]! - x[4]!) * s;
}`, "jacobian-buffers");
    const x = randomArray(rng, 5, -1, 1);
    const fresh = m.grad.mixJacobian(x, 0.7, new Float64Array(3));
    expect([fresh.rows, fresh.cols]).toEqual([3, 6]);
    const out = new Float64Array(18).fill(NaN);
    const r = m.grad.mixJacobian(x, 0.7, new Float64Array(3), out);
    expect(r.jacobian).toBe(out);
    expect(Array.from(out)).toEqual(Array.from(fresh.jacobian));
    for (let i = 0; i < 3; i++) {
      const e = new Float64Array(3);
      e[i] = 1;
      const g = m.grad.mixVjp(x, 0.7, new Float64Array(3), { y: e }).grad;
      expect(Array.from(out.subarray(6 * i, 6 * i + 5)), `row ${i}`).toEqual(Array.from(g.x));
      expect(out[6 * i + 5]).toBe(g.s);
    }
    expect(() => m.grad.mixJacobian(x, 0.7, new Float64Array(3), new Float64Array(17))).toThrow(/out holds 17 numbers, the 3×6 Jacobian needs 18/);
  });
});
