/**
 * Integer counters (compiler/passes/5-reverse/plan.ts, `invertible`): a step `i = i ± c` on a
 * variable that only holds small integers is undone by the reverse sweep (`i = i ∓ c`) instead of
 * keeping the old value on the tape; a counter that may hold other numbers keeps the tape. A load
 * at such a counter (`x[i]`, before `i++`) is reloaded after the counter is undone (`lateLoad`).
 */
import { describe, expect, it } from "vitest";
import { Tape } from "../../runtime/tape.ts";
import { expectAllModes, load, randomPoints } from "../helpers.ts";

const SOURCE = `
/** @differentiable @modes grad jvp hvp */
export function untilLarge(x: Float64Array, w: number): number {
  let s = 0;
  let i = 0;
  while (i < x.length && s < 2) {
    s += Math.sin(x[i] * w) + 1;
    i++;
  }
  return s;
}

/** @differentiable @modes grad jvp hvp */
export function pairs(x: Float64Array): number {
  let s = 0;
  let i = 0;
  let j = x.length - 1;
  while (i < j) {
    s += x[i] * x[j];
    i += 1;
    j -= 2;
  }
  return s;
}

/** @differentiable @modes grad jvp hvp */
export function stepped(x: Float64Array, start: number): number {
  let s = 0;
  let k = start;
  while (k < x.length) {
    s += x[Math.floor(k)] * k;
    k += 1;
  }
  return s;
}
`;

/** Whether a generated body pushes `v` on the tape: by a method call, or through a loop's window. */
function taped(body: string, v: string): boolean {
  return body.includes(`pushF(${v})`) || body.includes(`tapeValues[tapeTop++] = ${v};`);
}

describe("integer counters", () => {
  it("are undone instead of taped, and agree with finite differences in every mode", async () => {
    const { src, grad, output } = await load(SOURCE, "counters");
    const body = (name: string) => output.slice(output.indexOf(`export function ${name}Grad`), output.indexOf("\n}\n", output.indexOf(`export function ${name}Grad`)));
    expect(body("untilLarge")).toMatch(/\/\/ line \d+: i\+\+;\n\s+i = i - 1;/);
    expect(taped(body("untilLarge"), "i")).toBe(false);
    expect(body("pairs")).toMatch(/j = j \+ 2;/);
    expect(body("pairs")).toMatch(/i = i - 1;/);
    expect(taped(body("pairs"), "i") || taped(body("pairs"), "j")).toBe(false);
    // `start` may be fractional: (k + 1) − 1 need not be k, so k keeps the tape
    expect(taped(body("stepped"), "k")).toBe(true);
    for (const [x, w] of randomPoints(3, 4, [[9, -1, 1], [0.5, 2]])) expectAllModes(src, grad, "untilLarge", [x!, w!], ["x", "w"]);
    for (const [x] of randomPoints(4, 4, [[9, -1, 1]])) expectAllModes(src, grad, "pairs", [x!], ["x"]);
    for (const [x] of randomPoints(5, 3, [[7, -1, 1]])) expectAllModes(src, grad, "stepped", [x!, 0.25], ["x", "start"], ["x"]);
  });

  it("leave the tape to the values the reverse sweep needs", async () => {
    const { grad } = await load(SOURCE, "counters-tape");
    const x = Float64Array.from({ length: 1000 }, (_, k) => Math.sin(k));
    // pairs runs 333 iterations and keeps nothing: not i and j (undone), not x[i] and x[j]
    // (reloaded after i and j are undone: plan.ts, lateLoad)
    const pairs = Tape.measure(() => grad.pairsGrad(x)).peakBytes;
    expect(pairs).toBe(0);
    const until = Tape.measure(() => grad.untilLargeGrad(x, 1e-4));
    expect(until.result.value).toBeLessThan(2 + 1.01);
    expect(until.peakBytes).toBeLessThanOrEqual(8 * 4 + 4 * 2);
  });

  it("reload what they index after undoing their steps, and keep what they cannot", async () => {
    const late = `
/** @differentiable @modes grad jvp hvp */
export function squares(x: Float64Array, w: number): number {
  let s = 0;
  let i = 0;
  while (i < x.length) {
    const v = x[i];
    const e = Math.exp(v * w);
    s += e * v;
    i++;
    s *= 0.9;
  }
  return s;
}

/** @differentiable @modes grad jvp hvp */
export function between(x: Float64Array): number {
  let p = 1;
  let j = x.length - 1;
  while (j >= 0 && p < 1e6) {
    const v = x[j];
    j -= 1;
    p *= 1 + v * v;
  }
  return p;
}

/** @differentiable @modes grad jvp hvp */
export function branchy(x: Float64Array, w: number): number {
  let s = 0;
  let i = 0;
  while (i < x.length) {
    const v = x[i];
    if (v > 0) i++;
    else i += 2;
    s += v * v * w;
  }
  return s;
}
`;
    const { src, grad, output } = await load(late, "counters-late");
    const body = (name: string) => output.slice(output.indexOf(`export function ${name}Grad`), output.indexOf("\n}\n", output.indexOf(`export function ${name}Grad`)));
    // squares: v is read again after i is undone; e = exp(v·w) is expensive, and kept
    expect(body("squares")).toMatch(/i = i - 1;\n[^]*const v = x\[i\]!;/);
    expect(taped(body("squares"), "v")).toBe(false);
    // between: j changes between the load and its reader (p *= 1 + v·v), so v is kept
    expect(taped(body("between"), "v")).toBe(true);
    for (const [x, w] of randomPoints(6, 4, [[9, -1, 1], [0.5, 2]])) {
      expectAllModes(src, grad, "squares", [x!, w!], ["x", "w"]);
      expectAllModes(src, grad, "branchy", [x!, w!], ["x", "w"]);
    }
    for (const [x] of randomPoints(7, 4, [[9, -1, 1]])) expectAllModes(src, grad, "between", [x!], ["x"]);
    const x = Float64Array.from({ length: 1000 }, (_, k) => Math.sin(k));
    // squares keeps e alone (8 bytes an iteration)
    expect(Tape.measure(() => grad.squaresGrad(x, 0.5)).peakBytes).toBe(1000 * 8);
  });
});
