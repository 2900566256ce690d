/**
 * Tape windows (compiler/passes/6-simplify/tape-windows.ts): an innermost loop whose body only
 * pushes (or only pops) writes (reads) the tape's buffer through two locals, even when branches
 * in its body choose the values it pushes or push themselves, and a `while` loop makes room for
 * each iteration as it starts; a loop with a nested loop keeps the method calls. Either way the
 * gradient matches finite differences.
 */
import { describe, expect, it } from "vitest";
import { expectAllModes, load, randomPoints } from "../helpers.ts";

// an LSTM-like cell: the input of each unit is chosen by a branch, and each unit's gates are taped
const CELLS = `
/** @differentiable @wrt w */
export function cells(w: Float64Array, xs: Float64Array, layers: number): number {
  const b = xs.length;
  const state = Float64Array.from(xs);
  let out = 0;
  for (let layer = 0; layer < layers; layer++) {
    for (let i = 0; i < b; i++) {
      let input = 0;
      if (layer === 0) input = xs[i];
      else input = state[i] * 0.5;
      const gate = 1 / (1 + Math.exp(-(input * w[i] + w[b + i])));
      const change = Math.tanh(input * w[2 * b + i]);
      state[i] = gate * change;
      out += gate * change;
    }
  }
  return out;
}
`;

// the values pushed per row come out of a nested loop
const ROWS = `
/** @differentiable @wrt A */
export function rows(A: Float64Array, x: Float64Array): number {
  const n = x.length;
  let s = 0;
  for (let r = 0; r < n; r++) {
    let v = 0;
    for (let c = 0; c <= r; c++) v += A[r * n + c] * x[c];
    s += Math.sin(v);
  }
  return s;
}
`;

// a while loop of unknown length: one branch overwrites a value the reverse sweep needs, and
// every iteration keeps its branch decision (the counts it reads change after it)
const WALK = `
/** @differentiable @wrt a */
export function walk(a: Float64Array, steps: number): number {
  let i = 0;
  let s = 0;
  let v = 1;
  const seen = new Int32Array(a.length);
  while (i < steps) {
    const j = i % a.length;
    if (seen[j] % 2 === 0) {
      v = Math.sin(v * a[j] + s);
    } else {
      s = s + v * a[j];
    }
    seen[j]++;
    i++;
  }
  return v + s;
}
`;

describe("tape windows", () => {
  it("open on a loop whose branches choose what it pushes, and its gradient matches finite differences", async () => {
    const { src, grad, output } = await load(CELLS, "cells");
    const body = output.slice(output.indexOf("export function cellsGrad"));
    expect(body).toMatch(/tapeValues = tape\.reserveF\(\d \* tripCount\(0, b, 1, "<"\)\);/);
    expect(body).toMatch(/tapeValues\[tapeTop\+\+\] = /);
    expect(body).toMatch(/= tapeValues\[--tapeTop\]!;/);
    expect(body).not.toMatch(/tape\.(push|pop)F\(/);
    const b = 4;
    for (const [w, xs] of randomPoints(21, 4, [[3 * b, -1, 1], [b, -1, 1]])) {
      expectAllModes(src, grad, "cells", [w!, xs!, 3], ["w", "xs", "layers"], ["w"]);
    }
  });

  it("stay closed across a nested loop, and its gradient matches finite differences", async () => {
    const { src, grad, output } = await load(ROWS, "rows");
    const body = output.slice(output.indexOf("export function rowsGrad"));
    expect(body).toMatch(/tape\.pushF\(/);
    expect(body).toMatch(/tape\.popF\(\)/);
    expect(body).not.toMatch(/reserveF/);
    const n = 4;
    for (const [A, x] of randomPoints(22, 4, [[n * n, -1, 1], [n, -1, 1]])) {
      expectAllModes(src, grad, "rows", [A!, x!], ["A", "x"], ["A"]);
    }
  });

  it("open on a while loop whose branches push, one iteration's room at a time", async () => {
    const { src, grad, output } = await load(WALK, "walk");
    const body = output.slice(output.indexOf("export function walkGrad"));
    expect(body).toMatch(/tape\.setTopF\(tapeTop\);\n\s*tapeValues = tape\.reserveF\(\d\);/);
    expect(body).toMatch(/tapeValues\[tapeTop\+\+\] = t\d+ \? 1 : 0;/);
    expect(body).toMatch(/= tapeValues\[--tapeTop\]! !== 0;/);
    expect(body).not.toMatch(/tape\.(push|pop)[FB]\(/);
    for (const [a] of randomPoints(23, 4, [[5, -1, 1]])) {
      expectAllModes(src, grad, "walk", [a!, 13], ["a", "steps"], ["a"]);
    }
  });
});
