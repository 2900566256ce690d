import fs from "node:fs";
import path from "node:path";
import { describe, it, beforeAll } from "vitest";
import { load, expectGradient, randomPoints, ROOT, type Mod } from "../helpers.ts";
import { CONTROL_CASES as cases } from "./control.cases.ts";

let m: { src: Mod; grad: Mod };
beforeAll(async () => {
  m = await load(fs.readFileSync(path.join(ROOT, "fixtures/programs/control.ts"), "utf8"), "control");
}, 60_000);

describe("control flow and arrays", () => {
  for (const [name, params, spec, wrt] of cases) {
    it(`${name}: gradient matches central differences`, () => {
      for (const args of randomPoints(name.length * 7919, 5, spec)) {
        expectGradient(m.src[name], m.grad[name + "Grad"], args, params, wrt ?? params);
      }
    });
  }
});
