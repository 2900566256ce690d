/**
 * The playground's analysis (playground/session.ts) in Node, without a browser: it compiles in
 * memory, runs the generated module it printed and draws the graph, and says what is wrong with
 * a point or a function.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, it, expect } from "vitest";
import { neededLibFiles } from "../compiler/memory.ts";
import { analyze, evaluateModule, defaultPoint } from "../playground/session.ts";
import { ROOT } from "./helpers.ts";
import * as tableGrad from "../fixtures/seeds/table.grad.ts";
import * as layersGrad from "../fixtures/programs/layers.grad.ts";

const LIB = path.join(ROOT, "node_modules/typescript/lib");
const libs = Object.fromEntries(neededLibFiles(fs.readdirSync(LIB)).map((f) => [f, fs.readFileSync(path.join(LIB, f), "utf8")]));
const read = (rel: string) => fs.readFileSync(path.join(ROOT, rel), "utf8");

describe("playground session", () => {
  it("compiles, runs the generated gradient and draws the graph", async () => {
    const a = await analyze({ source: read("fixtures/seeds/table.ts"), point: "x1=1.5,x2=0.5", tangent: "x1=1" }, libs);
    expect(a.diagnostics).toEqual([]);
    expect(a.functions).toEqual(["f"]);
    expect(a.ran).toBe("fGrad");
    const want = tableGrad.fGrad(1.5, 0.5);
    expect(a.value).toBe(want.value);
    expect(a.grad).toEqual(want.grad);
    expect(a.svg).toMatch(/^<\?xml/);
    expect(a.svg!.match(/class="node step[ "]/g)).toHaveLength(6);
    expect(a.table).toContain("tangent v̇");
  });

  it("runs BLAS code with the runtime (the generated module's only import)", async () => {
    const source = read("fixtures/programs/layers.ts");
    const point = "W1=[0.1,0.2,0.3,0.4,0.5,0.6],b1=[0.1,-0.1],x=[1,2,3],target=[0.5,-0.5]";
    const a = await analyze({ source, fn: "layerLoss", point }, libs);
    expect(a.error).toBeUndefined();
    const f = (v: number[]) => Float64Array.from(v);
    const want = layersGrad.layerLossGrad(f([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]), f([0.1, -0.1]), f([1, 2, 3]), f([0.5, -0.5]));
    expect(a.value).toBe(want.value);
    for (const k of ["W1", "b1", "x"] as const) expect(Array.from(a.grad![k] as Float64Array)).toEqual(Array.from(want.grad[k]));
  });

  it("evaluates a generated module whose import is the runtime", () => {
    const mod = evaluateModule(read("fixtures/seeds/table.grad.ts"));
    expect((mod.fGrad as typeof tableGrad.fGrad)(1.5, 0.5)).toEqual(tableGrad.fGrad(1.5, 0.5));
    expect(() => evaluateModule(`import { x } from "other";\nexport const y = x;`)).toThrow(/imports 'other'/);
  });

  it("says what is wrong with a point", async () => {
    const a = await analyze({ source: read("fixtures/seeds/table.ts"), point: "x1=1.5" }, libs);
    expect(a.output).toContain("export function fGrad(");
    expect(a.error).toMatch(/no value for 'x2' \(f takes x1: number, x2: number\)/);
    expect(a.grad).toBeUndefined();
  });

  it("returns diagnostics with code frames, and no module", async () => {
    const a = await analyze({ source: read("fixtures/errors/array-method.ts"), point: "" }, libs);
    expect(a.output).toBeUndefined();
    expect(a.diagnostics).toHaveLength(1);
    expect(a.diagnostics[0]).toMatch(/^model\.ts:\d+:\d+ - error AD1001: /);
    expect(a.diagnostics[0]).toContain("^");
  });

  it("offers a point for any signature", async () => {
    const a = await analyze({ source: read("fixtures/programs/models.ts"), fn: "horner", point: "coeffs=[0.5,-0.25,1],t=1" }, libs);
    expect(a.fn).toBe("horner");
    expect(a.value).toBeCloseTo(0.5 - 0.25 + 1, 15);
    expect(a.signature).toBe("coeffs: Float64Array, t: number");
    expect(a.functions.length).toBeGreaterThan(10);
    expect(defaultPoint({ params: [{ name: "w", type: "arr", field: "w" }, { name: "b", type: "num", field: "b" }, { name: "W1", type: "arr", field: "p", path: ["W1"] }] } as never)).toBe("w=[0.5,-0.25,1],b=1,p.W1=[0.5,-0.25,1]");
  });
});
