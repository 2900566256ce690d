/**
 * Parameter trees (runtime/tree.ts): leaves in field order, trees rebuilt from a template, and
 * class instances, whose fields are their own data fields while methods are kept as they are;
 * the functions take an instance (or an interface's object) as it is typed.
 */
import { describe, expect, it } from "vitest";
import { completeLike, fromLeaves, leaves, zerosLike } from "../../runtime/tree.ts";
import { checkGradient } from "../../runtime/gradcheck.ts";

class Layer {
  w: Float64Array;
  b: number;
  // declared, so an own field that is undefined until it is set
  mode?: "sum" | "mean";
  readonly act = (v: number) => Math.tanh(v);
  #seen = 0;
  constructor(w: Float64Array, b: number) {
    this.w = w;
    this.b = b;
  }
  out(x: Float64Array): number {
    this.#seen++;
    let s = this.b;
    for (let i = 0; i < x.length; i++) s += this.w[i]! * x[i]!;
    return this.act(s);
  }
  get seen(): number {
    return this.#seen;
  }
}

describe("trees of class instances", () => {
  const layer = new Layer(Float64Array.from([0.5, -1]), 0.25);

  it("leaves: the data fields in order, not the methods, the function field, the unset optional one or the private one", () => {
    expect(leaves({ layer, scale: 2 }, "p").map((l) => [l.path, l.value])).toEqual([["p.layer.w", layer.w], ["p.layer.b", 0.25], ["p.scale", 2]]);
  });

  it("fromLeaves, zerosLike and completeLike: plain objects of the data fields, the function field kept", () => {
    const built = fromLeaves(layer, [Float64Array.from([1, 2]), 3]) as unknown as Record<string, unknown>;
    expect(built.w).toEqual(Float64Array.from([1, 2]));
    expect(built.b).toBe(3);
    expect(built.act).toBe(layer.act);
    expect(Object.keys(built)).toEqual(["w", "b", "mode", "act"]);
    expect(built.mode).toBeUndefined();
    const zero = zerosLike(layer) as unknown as Record<string, unknown>;
    expect([zero.w, zero.b]).toEqual([new Float64Array(2), 0]);
    const dir = completeLike(layer, { b: 1 }) as unknown as Record<string, unknown>;
    expect([dir.w, dir.b]).toEqual([new Float64Array(2), 1]);
  });

  it("checkGradient over an instance, against a gradient of its data fields", () => {
    const x = Float64Array.from([0.3, 0.7]);
    const f = (l: Layer) => Math.tanh(l.b + l.w[0]! * x[0]! + l.w[1]! * x[1]!);
    const t = layer.out(x);
    const g = { w: Float64Array.from([(1 - t * t) * x[0]!, (1 - t * t) * x[1]!]), b: 1 - t * t };
    const r = checkGradient(f, [layer], [g]);
    expect(r.ok, r.report).toBe(true);
    expect(layer.seen).toBe(1);
  });
});
