import fs from "node:fs";
import path from "node:path";
import { describe, it, beforeAll } from "vitest";
import { load, expectGradient, randomPoints, ROOT, type Mod } from "../helpers.ts";

let m: { src: Mod; grad: Mod };
beforeAll(async () => {
  m = await load(fs.readFileSync(path.join(ROOT, "fixtures/programs/control.ts"), "utf8"), "control");
}, 60_000);

const cases: [string, string[], ([number, number] | [number, number, number])[], string[]?][] = [
  ["branch", ["x", "y"], [[-2, 2], [-1, 2]]],
  ["earlyReturn", ["x", "y"], [[-2, 2], [-1, 2]]],
  ["ternary", ["x", "y"], [[-2, 2], [0.1, 2]]],
  ["compound", ["x", "y"], [[-2, 2], [0.5, 2]]],
  ["logic", ["x", "y"], [[-2, 2], [-1, 2]]],
  ["helpers", ["x", "y"], [[-2, 2], [-2, 2]]],
  ["dot", ["w", "x"], [[7, -1, 1], [7, -1, 1]]],
  ["powerLoop", ["x", "n"], [[0.5, 1.5], [5, 5]], ["x"]],
  ["overwrite", ["x"], [[-2, 2]]],
  ["whileLoop", ["x"], [[0.5, 3]]],
  ["breakContinue", ["v"], [[12, -1, 1]]],
  ["returnInLoop", ["v", "t"], [[8, -1, 1], [0.1, 1]]],
  ["nested", ["a", "x"], [[16, -1, 1], [4, -1, 1]]],
  ["localArray", ["x"], [[6, -1, 1]]],
  ["doWhile", ["x"], [[2, 8]]],
  ["branchInLoop", ["x", "c"], [[9, -1, 1], [0.5, 2]]],
];

describe("control flow and arrays", () => {
  for (const [name, params, spec, wrt] of cases) {
    it(`${name}: gradient matches central differences`, () => {
      for (const args of randomPoints(name.length * 7919, 5, spec)) {
        expectGradient(m.src[name], m.grad[name + "Grad"], args, params, wrt ?? params);
      }
    });
  }
});
