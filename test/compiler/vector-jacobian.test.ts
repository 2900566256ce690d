/**
 * The vector-mode Jacobian (compiler/passes/5-forward/vector.ts): when the lengths a function
 * reads are known at compile time, `<name>Jacobian` is one generated function carrying every row
 * (reverse) or every column (forward) at once. Checked against Richardson-extrapolated central
 * differences at several random points, against the runtime's sweep-per-row assembly over the
 * same module's Jvp and Vjp, through branches, loops (counted, while with break, checkpointed),
 * records and functions with their own derivatives; other lengths take the runtime path.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, it, expect, beforeAll } from "vitest";
import { pathToFileURL } from "node:url";
import { load, ROOT, RUNTIME, type Mod } from "../helpers.ts";
import { compileSource } from "../../compiler/index.ts";
import { createProgram } from "../../compiler/index.ts";
import { lowerFunction } from "../../compiler/graph/source.ts";
import { numericGradient, maxRelativeError, mulberry32, randomArray, type Args } from "../../runtime/gradcheck.ts";
import { jacobian, type Layout } from "../../runtime/jacobian.ts";
import { CASES, draw } from "./fixture.cases.ts";

/**
 * The Jacobian of `f` by central differences with Richardson extrapolation: rows are the entries
 * of `args[out]` (or the value, when `out` is undefined), columns the arguments `wrt` flattened.
 */
function numericJacobian(f: (...a: any[]) => unknown, args: Args, out: number | undefined, wrt: number[]): Float64Array {
  const m = out === undefined ? 1 : (args[out] as Float64Array).length;
  const rows: Float64Array[] = [];
  for (let r = 0; r < m; r++) {
    const row = (...a: any[]) => {
      if (out === undefined) return f(...a) as number;
      const y = new Float64Array(m);
      a[out] = y;
      f(...a);
      return y[r]!;
    };
    const g = numericGradient(row, args, wrt);
    const flat: number[] = [];
    for (const k of wrt) {
      const x = g[k]!;
      if (typeof x === "number") flat.push(x);
      else flat.push(...x);
    }
    rows.push(Float64Array.from(flat));
  }
  const J = new Float64Array(rows.reduce((a, r) => a + r.length, 0));
  rows.forEach((r, i) => J.set(r, i * r.length));
  return J;
}

/** A deep copy of arguments: numbers, arrays and records of them. */
const copy = (args: Args): Args => args.map(clone) as Args;
function clone(a: unknown): any {
  if (typeof a === "number") return a;
  if (a instanceof Float64Array) return Float64Array.from(a);
  if (Array.isArray(a)) return a.map(clone);
  return Object.fromEntries(Object.entries(a as object).map(([k, v]) => [k, clone(v)]));
}

/** The generated `<name>Jacobian` at `args`: values, the outputs it wrote, and the matrix in a given buffer. */
function generated(gen: Mod, name: string, args: Args) {
  const fresh = copy(args);
  const r = gen[`${name}Jacobian`](...fresh) as { jacobian: Float64Array; rows: number; cols: number };
  const out = new Float64Array(r.rows * r.cols).fill(NaN);
  const again = gen[`${name}Jacobian`](...copy(args), out) as { jacobian: Float64Array };
  expect(again.jacobian).toBe(out);
  expect(Array.from(out)).toEqual(Array.from(r.jacobian));
  return { ...r, args: fresh };
}

let ba: { src: Mod; grad: Mod; output: string };
beforeAll(async () => {
  ba = await load(fs.readFileSync(path.join(ROOT, "bench/problems/ba.ts"), "utf8"), "ba");
}, 60_000);

function baPoint(rng: () => number, rotation = 0.3, camLength = 11): Args {
  const cam = randomArray(rng, camLength, -1, 1);
  for (let k = 0; k < 3; k++) cam[k] = rotation * (rng() - 0.5);
  cam[3] = rng() - 0.5; cam[4] = rng() - 0.5; cam[5] = -5 - rng(); // the point stays in front of the camera
  cam[6] = 1 + rng(); cam[9] = 0.1 * (rng() - 0.5); cam[10] = 0.05 * (rng() - 0.5);
  return [cam, randomArray(rng, 3, -1, 1), 0.5 + rng(), rng() - 0.5, rng() - 0.5, new Float64Array(2)];
}

describe("ba: bundle adjustment's reprojection error (2 × 15)", () => {
  it("is one generated function: a guard for other lengths, then the sweeps, writing into out", () => {
    const text = ba.output.slice(ba.output.indexOf("export function reprojErrorJacobian"));
    expect(text).toContain("if (cam.length !== 11 || X.length !== 3 || err.length !== 2) {");
    expect(text).toContain("const J = matrixOut(out, 2, 15);");
    expect(text).toContain("const d_cam_0$0 = d_r0$0;");
    expect(text).toContain("J[29] = t91;");
    expect(text).not.toContain("reprojErrorVjp(cam, X, w, fx, fy, err, c, g);\n  const");
  });

  it("matches central differences at random points, and writes err as the source does", () => {
    const rng = mulberry32(7);
    for (let trial = 0; trial < 6; trial++) {
      const args = baPoint(rng);
      const r = generated(ba.grad, "reprojError", args);
      expect([r.rows, r.cols]).toEqual([2, 15]);
      const err = new Float64Array(2);
      ba.src.reprojError(...(copy(args).slice(0, 5) as [Float64Array, Float64Array, number, number, number]), err);
      expect(Array.from(r.args[5] as Float64Array)).toEqual(Array.from(err));
      const ref = numericJacobian(ba.src.reprojError, args, 5, [0, 1, 2]);
      expect(maxRelativeError(r.jacobian, ref), `trial ${trial}`).toBeLessThanOrEqual(1e-6);
    }
  });

  it("equals the runtime's sweep-per-row Jacobian over the Jvp and Vjp, in both branches", () => {
    const rng = mulberry32(8);
    for (const rotation of [0.3, 2, 0]) {
      const args = baPoint(rng, rotation);
      if (rotation === 0) for (let k = 0; k < 3; k++) (args[0] as Float64Array)[k] = 0; // sqtheta === 0: the other branch
      const r = generated(ba.grad, "reprojError", args);
      const [cam, X, w, fx, fy] = args as [Float64Array, Float64Array, number, number, number];
      const ref = jacobian(
        (t) => ba.grad.reprojErrorJvp(cam, X, w, fx, fy, new Float64Array(2), t),
        (c, g) => ba.grad.reprojErrorVjp(cam, X, w, fx, fy, new Float64Array(2), c, g),
        { cam: 11, X: 3, w: -1 }, { err: 2 },
      );
      expect(maxRelativeError(r.jacobian, ref.jacobian), `rotation ${rotation}`).toBeLessThanOrEqual(1e-14);
    }
  });

  it("takes the runtime's path for other lengths, with the same meaning", () => {
    const rng = mulberry32(9);
    // a camera with one more (unused) entry: 2 × 16, the last column zero
    const args = baPoint(rng, 0.3, 12);
    const r = generated(ba.grad, "reprojError", args);
    expect([r.rows, r.cols]).toEqual([2, 16]);
    const ref = numericJacobian(ba.src.reprojError, args, 5, [0, 1, 2]);
    expect(maxRelativeError(r.jacobian, ref)).toBeLessThanOrEqual(1e-6);
    expect(r.jacobian[11]).toBe(0);
    // three residuals: the third row is zero
    const three = baPoint(rng);
    three[5] = new Float64Array(3);
    const r3 = generated(ba.grad, "reprojError", three);
    expect([r3.rows, r3.cols]).toEqual([3, 15]);
    expect(maxRelativeError(r3.jacobian, numericJacobian(ba.src.reprojError, three, 5, [0, 1, 2]))).toBeLessThanOrEqual(1e-6);
    expect(r3.jacobian.subarray(30).every((x) => x === 0)).toBe(true);
    // a buffer too small is refused on both paths, before anything runs
    expect(() => ba.grad.reprojErrorJacobian(...copy(baPoint(rng)), new Float64Array(29))).toThrow(/out holds 29 numbers, the 2×15 Jacobian needs 30/);
    expect(() => ba.grad.reprojErrorJacobian(...copy(args), new Float64Array(30))).toThrow(/the 2×16 Jacobian needs 32/);
  });
});

describe("other shapes", () => {
  let m: { src: Mod; grad: Mod; output: string };
  beforeAll(async () => {
    m = await load(`
import { stopGradient } from "adjoint/runtime";

/** Fewer inputs (3) than outputs (4): one forward sweep carrying 3 tangents; y[3] reads y[0], y[1].
 * @differentiable @out y @modes vjp jvp jacobian */
export function spiral(t: number, p: Float64Array, y: Float64Array): void {
  const r = p[0] * Math.exp(p[1] * t);
  y[0] = r * Math.cos(t);
  y[1] = r * Math.sin(t);
  y[2] = r > 1 ? Math.log(r) : r - 1;
  y[3] = Math.atan2(y[1], y[0]) * stopGradient(t);
}

/** A damped pendulum until it swings over or time runs out: a while loop with a break.
 * @differentiable @out s @wrt q @modes vjp jvp jacobian */
export function pendulum(q: Float64Array, h: number, steps: number, s: Float64Array): void {
  let th = q[0];
  let om = q[1];
  let k = 0;
  while (k < steps) {
    om -= h * (Math.sin(th) + q[2] * om);
    th += h * om;
    if (Math.abs(th) > 3) break;
    k++;
  }
  s[0] = th;
  s[1] = om * q[3];
}

/** A checkpointed loop (binomial schedule, 2 snapshots) in a scalar function: one row.
 * @differentiable @wrt a @modes grad jvp jacobian */
export function leapfrog(a: Float64Array, steps: number): number {
  let p = a[0];
  let q = a[1];
  /** @checkpoint 2 */
  for (let t = 0; t < steps; t++) {
    q = q - 0.05 * a[2] * Math.sin(p);
    p = p + 0.05 * q;
  }
  return p * p + q * q * a[3];
}

/** One input, one output: a forward lane.
 * @differentiable @modes grad jvp jacobian */
export function bump(x: number): number {
  let s = 0;
  for (let i = 1; i <= 4; i++) s += Math.sin(i * x) / i;
  return s;
}

interface Camera {
  pose: Float64Array;
  f: number;
}

/** A record: columns cam.pose (3), cam.f, pt (3).
 * @differentiable @out uv @wrt cam pt @modes vjp jvp jacobian */
export function project(cam: Camera, pt: Float64Array, uv: Float64Array): void {
  const x = pt[0] - cam.pose[0];
  const y = pt[1] - cam.pose[1];
  const z = pt[2] - cam.pose[2];
  uv[0] = (cam.f * x) / z;
  uv[1] = (cam.f * y) / z;
}

/**
 * log(eᵃ + eᵇ) with its own derivatives.
 * @pullback lsePullback
 * @pushforward lsePushforward
 */
export function lse(a: number, b: number): number {
  const m = Math.max(a, b);
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
}
export function lsePullback(a: number, b: number, dz: number): { a: number; b: number } {
  const z = lse(a, b);
  return { a: dz * Math.exp(a - z), b: dz * Math.exp(b - z) };
}
export function lsePushforward(a: number, b: number, t: { a: number; b: number }): { value: number; tangent: number } {
  const z = lse(a, b);
  return { value: z, tangent: Math.exp(a - z) * t.a + Math.exp(b - z) * t.b };
}

/** Through a function with its own derivatives, in reverse lanes (3 inputs, 2 outputs).
 * @differentiable @out y @modes vjp jvp jacobian */
export function smoothMax(x: Float64Array, y: Float64Array): void {
  const a = lse(x[0], x[1]);
  y[0] = lse(a, x[2]);
  y[1] = a * x[2];
}

/** And in forward lanes (2 inputs, 3 outputs).
 * @differentiable @out y @modes vjp jvp jacobian */
export function smoothPair(u: number, v: number, y: Float64Array): void {
  const a = lse(u, v);
  y[0] = a;
  y[1] = a * u;
  y[2] = lse(a, v * v);
}
`, "vector-jacobian");
  }, 60_000);

  /** The runtime's assembly over the module's own Jvp and Vjp (what the guard falls back to). */
  function runtimeJacobian(name: string, args: Args, out: number, inLayout: Layout, outName = "y") {
    const at = () => { const a = copy(args); a[out] = new Float64Array((args[out] as Float64Array).length); return a; };
    return jacobian(
      (t) => m.grad[`${name}Jvp`](...at(), t),
      (c, g) => m.grad[`${name}Vjp`](...at(), c, g),
      inLayout, { [outName]: (args[out] as Float64Array).length },
    ).jacobian;
  }

  const body = (name: string) => {
    const from = m.output.indexOf(`export function ${name}Jacobian`);
    return m.output.slice(from, m.output.indexOf("\n}\n", from));
  };

  it("spiral: forward lanes, an output read back, a branch, stopGradient", () => {
    expect(body("spiral")).toContain("if (p.length !== 2 || y.length !== 4) {");
    expect(body("spiral")).toContain("J[11] = dot_t17$2;");
    expect(body("spiral")).not.toMatch(/d_\w+\$/);
    const rng = mulberry32(11);
    for (let trial = 0; trial < 5; trial++) {
      const args: Args = [0.3 + rng(), Float64Array.from([0.5 + 2 * rng(), rng() - 0.5]), new Float64Array(4)];
      const r = generated(m.grad, "spiral", args);
      expect([r.rows, r.cols]).toEqual([4, 3]);
      const ref = numericJacobian(m.src.spiral, args, 2, [0, 1]);
      // y[3]'s stopGradient(t) makes its t column differ from differences of the source
      ref[9] = r.jacobian[9]!;
      expect(maxRelativeError(r.jacobian, ref), `trial ${trial}`).toBeLessThanOrEqual(1e-6);
      expect(maxRelativeError(r.jacobian, runtimeJacobian("spiral", args, 2, { t: -1, p: 2 }))).toBeLessThanOrEqual(1e-14);
    }
    // p of another length: the runtime's path (3 columns for p, the third zero)
    const long: Args = [0.7, Float64Array.from([1.5, 0.2, 9]), new Float64Array(4)];
    const r = generated(m.grad, "spiral", long);
    expect([r.rows, r.cols]).toEqual([4, 4]);
    const ref = numericJacobian(m.src.spiral, long, 2, [0, 1]);
    ref[12] = r.jacobian[12]!;
    expect(maxRelativeError(r.jacobian, ref)).toBeLessThanOrEqual(1e-6);
  });

  it("pendulum: reverse lanes through a while loop with a break", () => {
    expect(body("pendulum")).toContain("if (q.length !== 4 || s.length !== 2) {");
    const rng = mulberry32(12);
    for (const [om0, steps] of [[0.5, 200], [3.5, 400], [1, 0]] as const) {
      for (let trial = 0; trial < 2; trial++) {
        const args: Args = [Float64Array.from([rng() - 0.5, om0 + 0.2 * rng(), 0.1 + 0.2 * rng(), 1 + rng()]), 0.01, steps, new Float64Array(2)];
        const r = generated(m.grad, "pendulum", args);
        expect([r.rows, r.cols]).toEqual([2, 4]);
        const ref = numericJacobian(m.src.pendulum, args, 3, [0]);
        expect(maxRelativeError(r.jacobian, ref), `ω₀ ${om0}, ${steps} steps`).toBeLessThanOrEqual(1e-6);
        expect(maxRelativeError(r.jacobian, runtimeJacobian("pendulum", args, 3, { q: 4 }, "s"))).toBeLessThanOrEqual(1e-14);
      }
    }
  });

  it("leapfrog: a checkpointed loop, one row", () => {
    expect(body("leapfrog")).toContain("if (a.length !== 4) {");
    const rng = mulberry32(13);
    for (let trial = 0; trial < 4; trial++) {
      const args: Args = [Float64Array.from([rng(), rng(), 0.5 + rng(), 0.5 + rng()]), 5 + Math.floor(20 * rng())];
      const r = generated(m.grad, "leapfrog", args);
      expect([r.rows, r.cols]).toEqual([1, 4]);
      expect(maxRelativeError(r.jacobian, numericJacobian(m.src.leapfrog, args, undefined, [0]))).toBeLessThanOrEqual(1e-6);
      const g = m.grad.leapfrogGrad(...copy(args)).grad.a as Float64Array;
      expect(Array.from(r.jacobian)).toEqual(Array.from(g));
    }
  });

  it("bump: one forward lane for one input", () => {
    expect(body("bump")).toContain("J[0] = dot_s$0;");
    for (const x of [-1.3, 0.2, 2.9]) {
      const r = generated(m.grad, "bump", [x]);
      expect([r.rows, r.cols]).toEqual([1, 1]);
      expect(maxRelativeError(r.jacobian, numericJacobian(m.src.bump, [x], undefined, [0]))).toBeLessThanOrEqual(1e-6);
      expect(r.jacobian[0]).toBe(m.grad.bumpJvp(x, { x: 1 }).tangent);
    }
  });

  it("project: a record's leaves are columns in the layout's order, and its lengths are guarded", () => {
    expect(body("project")).toContain("if (cam.pose.length !== 3 || pt.length !== 3 || uv.length !== 2) {");
    expect(body("project")).toContain("{ cam: { pose: cam.pose.length, f: -1 }, pt: pt.length },");
    const rng = mulberry32(14);
    for (let trial = 0; trial < 4; trial++) {
      const pose = randomArray(rng, 3), f = 1 + rng(), pt = Float64Array.from([rng(), rng(), 4 + rng()]);
      const r = generated(m.grad, "project", [{ pose, f } as never, pt, new Float64Array(2)]);
      expect([r.rows, r.cols]).toEqual([2, 7]);
      const flat = (ps: Float64Array, ff: number, p: Float64Array, uv: Float64Array) => m.src.project({ pose: ps, f: ff }, p, uv);
      expect(maxRelativeError(r.jacobian, numericJacobian(flat, [pose, f, pt, new Float64Array(2)], 3, [0, 1, 2]))).toBeLessThanOrEqual(1e-6);
      const viaRuntime = jacobian(
        (t) => m.grad.projectJvp({ pose, f }, pt, new Float64Array(2), t),
        (c, g) => m.grad.projectVjp({ pose, f }, pt, new Float64Array(2), c, g),
        { cam: { pose: 3, f: -1 }, pt: 3 }, { uv: 2 },
      ).jacobian;
      expect(maxRelativeError(r.jacobian, viaRuntime)).toBeLessThanOrEqual(1e-14);
    }
    // a pose of 4 numbers: the runtime's path, 2 × 8
    const r = generated(m.grad, "project", [{ pose: Float64Array.from([0.1, 0.2, 0.3, 7]), f: 2 } as never, Float64Array.from([1, 2, 6]), new Float64Array(2)]);
    expect([r.rows, r.cols]).toEqual([2, 8]);
    expect(r.jacobian[3]).toBe(0);
  });

  it("functions with their own derivatives: pullbacks in reverse lanes, pushforwards in forward lanes", () => {
    expect(body("smoothMax")).toMatch(/lsePullback\(/);
    expect(body("smoothPair")).toMatch(/lsePushforward\(/);
    const rng = mulberry32(15);
    for (let trial = 0; trial < 4; trial++) {
      const x = randomArray(rng, 3, -2, 2);
      const r = generated(m.grad, "smoothMax", [x, new Float64Array(2)]);
      expect([r.rows, r.cols]).toEqual([2, 3]);
      expect(maxRelativeError(r.jacobian, numericJacobian(m.src.smoothMax, [x, new Float64Array(2)], 1, [0]))).toBeLessThanOrEqual(1e-6);
      expect(maxRelativeError(r.jacobian, runtimeJacobian("smoothMax", [x, new Float64Array(2)], 1, { x: 3 }))).toBeLessThanOrEqual(1e-14);
      const u = 4 * rng() - 2, v = 4 * rng() - 2;
      const p = generated(m.grad, "smoothPair", [u, v, new Float64Array(3)]);
      expect([p.rows, p.cols]).toEqual([3, 2]);
      expect(Array.from(p.args[2] as Float64Array)).toEqual((() => { const y = new Float64Array(3); m.src.smoothPair(u, v, y); return Array.from(y); })());
      expect(maxRelativeError(p.jacobian, numericJacobian(m.src.smoothPair, [u, v, new Float64Array(3)], 2, [0, 1]))).toBeLessThanOrEqual(1e-6);
      expect(maxRelativeError(p.jacobian, runtimeJacobian("smoothPair", [u, v, new Float64Array(3)], 2, { u: -1, v: -1 }))).toBeLessThanOrEqual(1e-14);
    }
  });
});

describe("limits and element types", () => {
  const wide = (k: number) => `/** @differentiable @out y @modes vjp jvp jacobian */
export function wide(x: Float64Array, y: Float64Array): void {
${Array.from({ length: k }, (_, i) => `  y[${i}] = Math.sin(x[${i}]) * x[${(i + 1) % k}];`).join("\n")}
}`;

  it("carries up to 16 lanes; beyond, the runtime's assembly", async () => {
    for (const k of [16, 17]) {
      const m = await load(wide(k), `vector-jacobian-wide-${k}`);
      const text = m.output.slice(m.output.indexOf("export function wideJacobian"));
      expect(text.includes("matrixOut("), `${k} lanes`).toBe(k <= 16);
      const x = randomArray(mulberry32(k), k);
      const r = generated(m.grad, "wide", [x, new Float64Array(k)]);
      expect([r.rows, r.cols]).toEqual([k, k]);
      expect(maxRelativeError(r.jacobian, numericJacobian(m.src.wide, [x, new Float64Array(k)], 1, [0]))).toBeLessThanOrEqual(1e-6);
    }
  });

  it("number[] parameters", async () => {
    const m = await load(`/** @differentiable @out y @modes vjp jvp jacobian */
export function poly(c: number[], x: number, y: Float64Array): void {
  y[0] = c[0] + x * (c[1] + x * c[2]);
  y[1] = c[1] + 2 * x * c[2];
}`, "vector-jacobian-list");
    expect(m.output).toContain("if (c.length !== 3 || y.length !== 2) {");
    const c = [0.5, -1.25, 2], x = 0.75;
    const { jacobian: J } = m.grad.polyJacobian(c, x, new Float64Array(2));
    expect(Array.from(J)).toEqual([1, x, x * x, c[1]! + 2 * x * c[2]!, 0, 1, 2 * x, 2 * c[2]!]);
    const four = m.grad.polyJacobian([...c, 7], x, new Float64Array(2));
    expect([four.rows, four.cols]).toEqual([2, 5]);
    expect(Array.from(four.jacobian)).toEqual([1, x, x * x, 0, c[1]! + 2 * x * c[2]!, 0, 1, 2 * x, 0, 2 * c[2]!]);
  });
});

describe("when the shape is not static", () => {
  it("keeps the runtime's assembly (an array read at a computed index)", async () => {
    const m = await load(`/** @differentiable @out y @modes vjp jvp jacobian */
export function scale(x: Float64Array, s: number, y: Float64Array): void {
  for (let i = 0; i < x.length; i++) y[i] = s * x[i];
}`, "vector-jacobian-dynamic");
    const from = m.output.indexOf("export function scaleJacobian");
    const text = m.output.slice(from);
    expect(text).toContain("  return jacobian(");
    expect(text).not.toContain("matrixOut");
    const r = m.grad.scaleJacobian(Float64Array.from([1, 2]), 3, new Float64Array(2));
    expect(Array.from(r.jacobian)).toEqual([3, 0, 1, 0, 3, 2]);
  });
});

/**
 * Every function of the fixtures, compiled with its Jacobian: where the Jacobian is generated
 * code, it equals the runtime's assembly over the same module's Jvp and Grad (Vjp) at seeded
 * random points (branches, loops, checkpoints, helpers, closures, functions with their own
 * derivatives), and writes the outputs as the source does.
 */
describe("every fixture function with a static shape", () => {
  const TMP = path.join(ROOT, ".tmp/tests", `vector-jacobian-fixtures-${process.pid}`);
  const vectorized: string[] = [];
  for (const [rel, cases] of Object.entries(CASES)) {
    it(rel, async () => {
      const file = path.join(ROOT, rel);
      const text = fs.readFileSync(file, "utf8").replace(/ @modes [a-z ]+/g, "");
      fs.mkdirSync(TMP, { recursive: true });
      const copyFile = path.join(TMP, path.basename(file));
      fs.writeFileSync(copyFile, text);
      const r = compileSource(text, copyFile, { modes: ["grad", "jvp", "jacobian"], runtime: RUNTIME });
      expect(r.diagnostics).toEqual([]);
      fs.writeFileSync(copyFile.replace(/\.ts$/, ".grad.ts"), r.output!);
      const src = await import(pathToFileURL(copyFile).href);
      const gen = await import(pathToFileURL(copyFile.replace(/\.ts$/, ".grad.ts")).href);
      const program = createProgram([copyFile]);
      for (const [name, spec] of Object.entries(cases)) {
        const from = r.output!.indexOf(`export function ${name}Jacobian(`);
        if (!r.output!.slice(from, r.output!.indexOf("\n}\n", from)).includes("matrixOut(")) continue;
        vectorized.push(name);
        const l = lowerFunction(program, program.getSourceFile(copyFile)!, name);
        if (!l.ok) throw new Error(`${name}: ${JSON.stringify(l)}`);
        const ir = l.ir;
        const field = (v: string) => ir.params.find((p) => p.name === v)!.field;
        const rng = mulberry32(name.length * 97 + name.charCodeAt(0));
        for (let k = 0; k < 3; k++) {
          const args = spec.map((d) => draw(rng, d)) as Args;
          const at = () => copy(args);
          const size = (v: string) => { const a = args[ir.params.findIndex((p) => p.name === v)]; return a instanceof Float64Array ? a.length : -1; };
          const inLayout: Layout = Object.fromEntries(ir.wrt.map((w) => [field(w), size(w)]));
          const vector = ir.outputs.length > 0;
          const ref = jacobian(
            (t) => (vector ? gen[`${name}Jvp`](...at(), t) : { tangent: { value: gen[`${name}Jvp`](...at(), t).tangent } }),
            (c, g) => (vector ? gen[`${name}Vjp`](...at(), c, g) : gen[`${name}Grad`](...at(), g)),
            inLayout, vector ? Object.fromEntries(ir.outputs.map((o) => [field(o), size(o)])) : { value: -1 },
          );
          const got = generated(gen, name, args);
          expect([got.rows, got.cols], name).toEqual([ref.rows, ref.cols]);
          for (let e = 0; e < ref.jacobian.length; e++) {
            const a = got.jacobian[e]!, b = ref.jacobian[e]!;
            expect(Math.abs(a - b), `${name} J[${e}]: ${a} vs ${b}`).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(b)));
          }
          // the outputs are written as the source writes them
          const plain = at();
          src[name](...plain);
          for (const o of ir.outputs) {
            const i = ir.params.findIndex((p) => p.name === o);
            expect(Array.from(got.args[i] as Float64Array), `${name} ${o}`).toEqual(Array.from(plain[i] as Float64Array));
          }
        }
      }
    }, 60_000);
  }

  it("covers loops, branches, helpers, closures and functions with their own derivatives", () => {
    for (const name of ["logisticLoss", "whileLoop", "doWhile", "powerLoop", "earlyReturn", "newtonSqrt", "fixedPoint", "scaled", "projectile", "polar"]) {
      expect(vectorized, name).toContain(name);
    }
  });
});
