/**
 * An array name rebound inside a loop or a branch (fixtures/programs/rebinding.ts): the new
 * elements are copied into the name's one array, which is JavaScript's meaning when no other
 * name, field or list refers to that array. Every mode matches finite differences; a rebinding
 * that another name could observe is a located diagnostic saying which use and how to rewrite.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, compileText, expectAllModes, expectAllModesTree, load, randomPoints } from "../helpers.ts";
import { mulberry32, randomArray } from "../../runtime/gradcheck.ts";

const FIXTURE = fs.readFileSync(path.join(ROOT, "fixtures/programs/rebinding.ts"), "utf8");
const ALL = FIXTURE.replaceAll("/** @differentiable */", "/** @differentiable @modes grad jvp hvp */").replace("@wrt y0 k c */", "@wrt y0 k c @modes grad jvp hvp */");
const CHECKPOINTED = ALL.replace("  for (let t = 0; t < steps; t++) y = rk4", "  /** @checkpoint */\n  for (let t = 0; t < steps; t++) y = rk4").replace("  for (let p = 0; p < passes; p++) {", "  /** @checkpoint */\n  for (let p = 0; p < passes; p++) {")
  .replace("  for (const l of layers) h = dense", "  /** @checkpoint */\n  for (const l of layers) h = dense")
  .replace("  for (let i = 0; i < layers.length; i++) {\n    const z = dense", "  /** @checkpoint */\n  for (let i = 0; i < layers.length; i++) {\n    const z = dense");

describe("an array rebound inside a loop or a branch", () => {
  for (const [label, text] of [["", ALL], [" (@checkpoint)", CHECKPOINTED]] as const) {
    it(`agrees with finite differences in every mode${label}`, async () => {
      const { src, grad, output } = await load(text, "rebinding");
      if (label) expect(output).toContain("checkpointSchedule");
      for (const [y0, k, c] of randomPoints(61, 3, [[2, -1, 1], [0.5, 2], [0.1, 0.5]])) expectAllModes(src, grad, "simulate", [y0!, k!, c!, 7], ["y0", "k", "c", "steps"], ["y0", "k", "c"]);
      for (const [x] of randomPoints(62, 3, [[5, -1, 1]])) expectAllModes(src, grad, "smooth", [x!, 3], ["x", "passes"], ["x"]);
      for (const [u, c] of randomPoints(64, 3, [[6, -1, 1], [0.1, 0.4]])) expectAllModes(src, grad, "leapfrog", [u!, c!, 5], ["u", "c", "steps"], ["u", "c"]);
      // either arm of const h = c ? a : b, in straight-line code and in a loop
      for (const [x] of randomPoints(65, 3, [[4, -1, 1]])) for (const a of [0.3, 0.8, 1.4]) expectAllModes(src, grad, "declaredChoice", [x!, a], ["xs", "a"]);
      for (const [x] of randomPoints(63, 3, [[4, -1, 1]])) {
        expectAllModes(src, grad, "branchy", [x!, 1], ["x", "flip"], ["x"]);
        expectAllModes(src, grad, "branchy", [x!, -1], ["x", "flip"], ["x"]);
      }
    });
  }

  // a checkpointed loop's snapshots hold arrays of different lengths: "sqrt" restores each once, "binomial" with 2 some twice
  const BINOMIAL = CHECKPOINTED.replace("/** @checkpoint */\n  for (const l", "/** @checkpoint 2 */\n  for (const l");
  for (const [label, text] of [["", ALL], [" (@checkpoint)", CHECKPOINTED], [" (@checkpoint 2)", BINOMIAL]] as const) it(`gives the name a new array where the new one may be longer or shorter (a network's layers), in every mode${label}`, async () => {
    const { src, grad, output } = await load(text, "rebinding");
    if (label) expect(output).toMatch(/const n = tape\.popI\(\);\s*h = new Float64Array\(n\);/);
    // the loop of h = c ? a : b is checkpointed too
    if (label) expect(output.slice(output.indexOf("export function chosenGrad("), output.indexOf("export function chosenVjp(") >= 0 ? output.indexOf("export function chosenVjp(") : output.indexOf("export function chosenJvp("))).toContain("checkpointSchedule(");
    // a rebinding whose new array is as long as the name's by construction copies in place
    expect(output).not.toMatch(/RangeError\("'(y|h)'/);
    // widths 3 → 5 → 2 → 4 and 2 → 2, and no layer at all
    for (const [k, widths] of [[1, [3, 5, 2, 4]], [2, [2, 2]], [3, [4, 1, 3]], [4, [3]], [5, [2, 6, 1, 4, 3, 5, 2]]] as const) {
      const rng = mulberry32(70 + k);
      const layers = widths.slice(1).map((m, i) => ({ W: randomArray(rng, m * widths[i]!), b: randomArray(rng, m) }));
      const x = randomArray(rng, widths[0]);
      expectAllModesTree(src, grad, "layered", [layers, x, 0.3], ["layers", "x", "target"], ["layers", "x", "target"], k);
      expect(grad.layeredGrad(layers, x, 0.3).value).toBe(src.layered(layers, x, 0.3));
      // one of two arrays (h = c ? a : b), in the loop and after it, with either arm taken
      for (const target of [0.3, -0.4]) {
        expectAllModesTree(src, grad, "chosen", [layers, x, target], ["layers", "x", "target"], ["layers", "x", "target"], k);
        expect(grad.chosenGrad(layers, x, target).value).toBe(src.chosen(layers, x, target));
      }
    }
  });

  it("computes what JavaScript computes, and leaves the inputs alone", async () => {
    const { src, grad } = await load(ALL, "rebinding");
    const y0 = Float64Array.of(0.3, -0.2);
    expect(grad.simulateGrad(y0, 1.5, 0.2, 50).value).toBe(src.simulate(y0, 1.5, 0.2, 50));
    expect(y0).toEqual(Float64Array.of(0.3, -0.2));
    const x = Float64Array.of(0.1, 0.5, -0.4, 0.9, 0.2);
    expect(grad.smoothGrad(x, 4).value).toBe(src.smooth(x, 4));
    expect(grad.branchyGrad(x, 1).value).toBe(src.branchy(x, 1));
    // the rotation: after it, prev holds the step before cur's
    const u = Float64Array.of(0, 0.4, -0.3, 0.8, 0.1, 0);
    expect(grad.leapfrogGrad(u, 0.3, 9).value).toBe(src.leapfrog(u, 0.3, 9));
    expect(u).toEqual(Float64Array.of(0, 0.4, -0.3, 0.8, 0.1, 0));
  });

  it("a name given new arrays within each iteration of a loop around it: the tape keeps each iteration's last one", async () => {
    const text = FIXTURE.slice(FIXTURE.indexOf("/** One tanh layer"), FIXTURE.indexOf("/**\n * A network of any widths")) + `
/** @differentiable @modes grad jvp hvp */
export function repeated(layers: Layer[], x: Float64Array, n: number): number {
  let s = 0;
  for (let r = 0; r < n; r++) {
    let h = x.map((v) => v * (r + 1));
    for (const l of layers) h = dense(l, h);
    for (const v of h) s += v * v;
  }
  return s;
}
`;
    for (const variant of [text, text.replace("    for (const l of", "    /** @checkpoint */\n    for (const l of")]) {
      const { src, grad, output } = await load(variant, "repeated");
      expect(output).toMatch(/let h = tape\.popA\(\);/);
      for (const [k, widths] of [[1, [3, 5, 2, 4]], [2, [2, 6, 1, 4, 3]]] as const) {
        const rng = mulberry32(80 + k);
        const layers = widths.slice(1).map((m, i) => ({ W: randomArray(rng, m * widths[i]!), b: randomArray(rng, m) }));
        const x = randomArray(rng, widths[0]);
        for (const n of [0, 1, 3]) expectAllModesTree(src, grad, "repeated", [layers, x, n], ["layers", "x", "n"], ["layers", "x"], k);
      }
    }
  });

  it("a name given longer and shorter arrays in a branch, a while loop and a loop of branches, checkpointed too", async () => {
    const text = `
function grow(x: Float64Array, c: number): Float64Array {
  const y = new Float64Array(x.length + 1);
  y[0] = c;
  for (let i = 0; i < x.length; i++) y[i + 1] = Math.sin(x[i]) * c + x[i];
  return y;
}
function shrink(x: Float64Array): Float64Array {
  const y = new Float64Array(x.length - 1);
  for (let i = 0; i < y.length; i++) y[i] = x[i] * x[i + 1];
  return y;
}
/** @differentiable @modes grad jvp hvp @wrt x c */
export function branch(x: Float64Array, c: number, flag: number): number {
  let h = x.slice();
  if (flag > 0) h = grow(h, c);
  else h = shrink(h);
  let s = 0;
  for (let i = 0; i < h.length; i++) s += (i + 1) * h[i] * h[i];
  return s;
}
/** @differentiable @modes grad jvp hvp @wrt x c */
export function until(x: Float64Array, c: number): number {
  let h = x.slice();
  while (h.length < 6) h = grow(h, c);
  let s = 0;
  for (const v of h) s += v * c;
  return s;
}
/** @differentiable @modes grad jvp hvp @wrt x c */
export function updown(x: Float64Array, c: number, n: number): number {
  let h = x.slice();
  for (let t = 0; t < n; t++) {
    if (t % 2 === 0) h = grow(h, c);
    else h = shrink(grow(h, c * 0.5));
    if (h.length > 3) h = shrink(h);
  }
  let s = 0;
  for (const v of h) s += v * v;
  return s;
}
`;
    const checkpointed = text.replace("  while (h.length < 6)", "  /** @checkpoint */\n  while (h.length < 6)").replace("  for (let t = 0; t < n; t++) {", "  /** @checkpoint 2 */\n  for (let t = 0; t < n; t++) {");
    for (const variant of [text, checkpointed]) {
      const { src, grad, output } = await load(variant, "sizes");
      // two loops, each scheduled going forward and back, in the gradient and in the Hvp
      if (variant === checkpointed) expect(output.match(/checkpointSchedule\(/g)?.length).toBe(8);
      for (const [x, c] of randomPoints(5, 3, [[3, -1, 1], [0.3, 1.2]])) {
        expectAllModes(src, grad, "branch", [x!, c!, 1], ["x", "c", "flag"], ["x", "c"]);
        expectAllModes(src, grad, "branch", [x!, c!, -1], ["x", "c", "flag"], ["x", "c"]);
        expectAllModes(src, grad, "until", [x!, c!], ["x", "c"], ["x", "c"]);
        for (const n of [0, 1, 2, 5]) expectAllModes(src, grad, "updown", [x!, c!, n], ["x", "c", "n"], ["x", "c"]);
      }
    }
  });

  it("a name given new arrays in each iteration of an outer loop whose elements the reverse sweep does not read (property seed 10862)", async () => {
    // the reverse iteration still needs the last array: its adjoint starts as long as it
    const text = `/** @differentiable @modes grad jvp hvp @wrt x a */
export function f(x: Float64Array, a: number): number {
  const n = x.length;
  let i = 0;
  while (i < n) {
    const u = i * 0.25 + a;
    let w = new Float64Array(1);
    w[0] = x[0];
    for (let r = 0; r < 2; r++) {
      const g = new Float64Array(w.length + 1);
      g[0] = u;
      for (let k = 0; k < w.length; k++) g[k + 1] = w[k] * 0.5 + u;
      w = g;
    }
    a += (w[0] * x[1] + w[w.length - 1]) * 0.25;
    i++;
  }
  return a;
}
`;
    const { src, grad } = await load(text, "outer");
    for (const [x, a] of randomPoints(90, 3, [[3, -1, 1], [-1, 1]])) expectAllModes(src, grad, "f", [x!, a!], ["x", "a"]);
  });

  it("a new array of another length: the name holds it, as in JavaScript", async () => {
    const text = `/** @differentiable */
export function grow(x: Float64Array, n: number): number {
  let y = x.slice();
  for (let t = 0; t < n; t++) {
    const z = new Float64Array(y.length + 1);
    for (let i = 0; i < y.length; i++) z[i + 1] = Math.sin(y[i]) + y[i];
    y = z;
  }
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (i + 1) * y[i];
  return s + y.length;
}
`;
    const modes = text.replace("@differentiable", "@differentiable @modes grad jvp hvp");
    // checkpointed, each snapshot of y has its own length
    for (const variant of [modes, modes.replace("  for (let t = 0;", "  /** @checkpoint */\n  for (let t = 0;")]) {
      const { src, grad } = await load(variant, "grow");
      for (const n of [0, 1, 3, 6]) {
        for (const [x] of randomPoints(65 + n, 2, [[2, -1, 1]])) {
          expect(grad.growGrad(x!, n).value).toBe(src.grow(x!, n));
          expectAllModes(src, grad, "grow", [x!, n], ["x", "n"], ["x"]);
        }
      }
    }
  });

  it("a hand-over to an array of another length throws a RangeError that says why", async () => {
    const text = `/** @differentiable */
export function handOver(x: Float64Array, n: number): number {
  let prev = x.slice();
  let cur = x.slice();
  for (let t = 0; t < n; t++) {
    const next = new Float64Array(cur.length + 1);
    for (let i = 0; i < cur.length; i++) next[i] = cur[i] + prev[i];
    prev = cur;
    cur = next;
  }
  return cur[0] + prev[0];
}
`;
    const { src, grad } = await load(text, "handOver");
    const x = Float64Array.of(1, 2);
    expect(grad.handOverGrad(x, 1).value).toBe(src.handOver(x, 1));
    expect(() => grad.handOverGrad(x, 2)).toThrow(/'prev' takes over the array of 'cur', which has another length/);
  });

  // what is rebound, the function's body, why (in the first diagnostic), where, how many diagnostics
  const rejected: [string, string, string, [number, number], number?][] = [
    ["an alias of the array", `  let h = x.slice();
  const keep = h;
  for (let t = 0; t < 3; t++) h = h.map((v) => Math.tanh(v));
  return h[0] + keep[0];`, "'const keep = h;' (line 4) lets another name refer to the array of 'h'", [5, 31]],
    ["an arm that is used after the choice", `  let h = x.slice();
  for (let t = 0; t < 3; t++) {
    const next = h.map((v) => Math.tanh(v));
    h = t > 1 ? next : next.map((v) => v * 2);
    next[0] = 2;
  }
  return h[0];`, "'next' is used after the assignment (line 7), when both names would refer to one array", [6, 17]],
    ["a parameter", `  for (let t = 0; t < 3; t++) x = x.map((v) => Math.tanh(v));
  return x[0];`, "'x' must be a let of this function holding a new array (let x = new Float64Array(n), or a copy)", [3, 31]],
    ["a buffer declared outside the loop", `  let h = x.slice();
  const next = new Float64Array(x.length);
  for (let t = 0; t < 3; t++) {
    for (let i = 0; i < h.length; i++) next[i] = Math.tanh(h[i]);
    h = next;
  }
  return h[0];`, "'next' must be declared in the loop's body, so that it is a new array each time", [7, 5]],
    ["a buffer used after the assignment", `  let h = x.slice();
  for (let t = 0; t < 3; t++) {
    const next = h.map((v) => Math.tanh(v));
    h = next;
    next[0] = 2;
  }
  return h[0];`, "'next' is used after the assignment (line 7), when both names would refer to one array", [6, 5]],
    ["a swap of two buffers", `  let a = x.slice();
  let b = new Float64Array(x.length);
  for (let t = 0; t < 3; t++) {
    for (let i = 0; i < a.length; i++) b[i] = Math.tanh(a[i]);
    const tmp = a;
    a = b;
    b = tmp;
  }
  return a[0];`, "'const tmp = a;' (line 7) lets another name refer to the array of 'a'", [8, 5], 2],
    ["to a const naming another array", `  let a = x.slice();
  let b = new Float64Array(x.length);
  for (let t = 0; t < 3; t++) {
    for (let i = 0; i < a.length; i++) b[i] = Math.tanh(a[i]);
    const tmp = a;
    b = tmp;
  }
  return a[0] + b[0];`, "'tmp' must be a const holding a new array", [8, 5]],
    ["to another array's fill", `  let a = x.slice();
  let b = new Float64Array(x.length);
  for (let t = 0; t < 3; t++) {
    b = a.fill(t);
    b[0] = 2;
  }
  return a[0] + b[0];`, "'a.fill(t)' is not a new array", [6, 5]],
    ["a let naming another array that is written", `  const z = x.slice();
  let y = z;
  z[1] = 2;
  for (let t = 0; t < 3; t++) y = y.map((v) => v * v);
  return y[0] + z[0];`, "'y' starts as the array of 'z', and 'z[1]' (line 5) writes it: start from a copy (let y = z.slice())", [6, 31]],
    ["a hand-over with a statement between", `  let prev = x.slice();
  let cur = x.slice();
  for (let t = 0; t < 3; t++) {
    const next = cur.map((v, i) => 2 * v - prev[i]);
    prev = cur;
    cur[0] = 1;
    cur = next;
  }
  return prev[0] + cur[0];`, "'cur' must be a const holding a new array", [7, 5], 2],
    ["the array a for…of walks, inside it", `  let h = x.slice();
  let s = 0;
  for (const v of h) {
    s += v;
    h = h.map((q) => q * v);
  }
  return s + h[0];`, "the for…of at line 5 walks the array 'h' named when it started", [7, 5]],
    ["a filter of it, in a loop", `  let h = x.slice();
  for (let t = 0; t < 3; t++) h = h.filter((v) => v > 0.1 * t);
  return h.length;`, "'h.filter((v) => v > 0.1 * t)' may be shorter than h's array, which keeps its length here: give it a name of its own", [4, 31]],
  ];
  for (const [what, body, why, [line, col], count = 1] of rejected) {
    it(`rebinding ${what} is a located diagnostic that says why`, async () => {
      const text = `/** @differentiable */\nexport function f(x: Float64Array): number {\n${body}\n}\n`;
      const { result } = await compileText(text, "f");
      expect(result.diagnostics).toHaveLength(count);
      const d = result.diagnostics[0]!;
      expect({ line: d.line, col: d.col }).toEqual({ line, col });
      expect(d.message).toContain(`Reassigning the array`);
      expect(d.message).toContain(why);
    });
  }
});
