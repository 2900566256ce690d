/**
 * Objects of parameters (fixtures/programs/records.ts): record parameters (interfaces, type
 * aliases, inline types, nested), destructuring, object literals with field writes, objects
 * passed to helpers and in-place writes into an object's arrays, in every mode against finite
 * differences over the objects' leaves; gradients, directions and out buffers have the objects'
 * shapes.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, it, expect, beforeAll } from "vitest";
import { load, expectAllModesTree, ROOT, type Mod } from "../helpers.ts";
import { mulberry32, randomArray } from "../../runtime/gradcheck.ts";
import { checkGradient } from "../../runtime/gradcheck.ts";
import { Adam } from "../../runtime/optim.ts";
import { Tape } from "../../runtime/tape.ts";
import type { Tree } from "../../runtime/tree.ts";
import { compileSource } from "../../compiler/index.ts";

let m: { src: Mod; grad: Mod; output: string };
beforeAll(async () => {
  const text = fs.readFileSync(path.join(ROOT, "fixtures/programs/records.ts"), "utf8").replace(/\/\*\* @differentiable \*\//g, "/** @differentiable @modes grad jvp hvp jacobian hessian */");
  m = await load(text, "records");
}, 60_000);

function mlpPoint(seed: number) {
  const rng = mulberry32(seed);
  const p = { W1: randomArray(rng, 4 * 3), b1: randomArray(rng, 4), w2: randomArray(rng, 4), b2: rng() - 0.5 };
  return { p, x: randomArray(rng, 3), y: rng() };
}

describe("record parameters, in every mode", () => {
  it("mlpLoss: an interface of arrays and a number, destructured", () => {
    for (let k = 0; k < 4; k++) {
      const { p, x, y } = mlpPoint(k + 1);
      expectAllModesTree(m.src, m.grad, "mlpLoss", [p, x, y], ["p", "x", "y"], ["p", "x", "y"], k + 1);
    }
  });

  it("nested: nested objects, a type alias and number[] through a helper taking an object", () => {
    for (let k = 0; k < 4; k++) {
      const rng = mulberry32(100 + k);
      const mm = { inner: { scale: rng() + 0.5, shift: rng() - 0.5 }, outer: { scale: rng() - 0.5, shift: rng() }, gain: rng() + 0.5 };
      const xs = Array.from({ length: 5 }, () => 2 * rng() - 1);
      expectAllModesTree(m.src, m.grad, "nested", [mm, xs], ["m", "xs"], ["m", "xs"], k + 1);
    }
  });

  it("moments: an object literal whose fields are written and accumulated", () => {
    for (let k = 0; k < 4; k++) {
      const rng = mulberry32(200 + k);
      expectAllModesTree(m.src, m.grad, "moments", [randomArray(rng, 6), { mu: rng() - 0.5 }], ["x", "c"], ["x", "c"], k + 1);
    }
  });

  it("orbit: a point object rebound to new objects in a loop and a branch", () => {
    for (let k = 0; k < 4; k++) {
      const rng = mulberry32(400 + k);
      const args = [{ x: rng() + 0.2, y: rng() - 0.5 }, 0.1 + 0.3 * rng(), 6];
      expectAllModesTree(m.src, m.grad, "orbit", args, ["start", "h", "steps"], ["start", "h"], k + 1);
      expect(m.grad.orbitGrad(...args).value).toBe(m.src.orbit(...args));
    }
  });

  it("drifted: states that start as the objects passed in and are rebound in a loop", () => {
    for (let k = 0; k < 4; k++) {
      const rng = mulberry32(550 + k);
      const start = { x: rng() - 0.5, y: rng() - 0.5 };
      const before = { ...start };
      const args = [start, { x: rng() - 0.5, y: rng() - 0.5 }, 0.5 + rng(), 7];
      expectAllModesTree(m.src, m.grad, "drifted", args, ["start", "wind", "k", "steps"], ["start", "wind", "k"], k + 1);
      expect(m.grad.driftedGrad(...args).value).toBe(m.src.drifted(...args));
      // the caller's objects are not changed
      expect(start).toEqual(before);
    }
  });

  it("rejects rebinding a name that starts as another name of an object of the function, or writing its fields", () => {
    const head = "type V = { x: number; y: number };\nconst add = (a: V, b: V): V => ({ x: a.x + b.x, y: a.y + b.y });\n/** @differentiable */\nexport function f(p: V, k: number): number {\n";
    const local = compileSource(`${head}  const a = { x: k, y: 2 * k };\n  let pos = a;\n  pos = add(pos, p);\n  return pos.x * a.y;\n}\n`, "alias-error.ts");
    expect(local.diagnostics.map((d) => d.message).join("\n")).toMatch(/'pos' starts as another name of 'a', an object of this function: start it as a copy \(let pos = \{ \.\.\.a \}\)/);
    expect(local.diagnostics.map((d) => d.line)).toEqual([7]);
    const write = compileSource(`${head}  let pos = p;\n  pos.x = k;\n  pos = add(pos, p);\n  return pos.x;\n}\n`, "alias-error.ts");
    expect(write.diagnostics.map((d) => d.message).join("\n")).toMatch(/Writing 'pos\.x' would change an object passed in/);
    expect(write.diagnostics.map((d) => d.line)).toEqual([6]);
  });

  it("flagged: boolean fields and parameters (with a default, optional, passed to a helper) in every mode", () => {
    let k = 0;
    for (const leaky of [true, false]) {
      for (const [normalize, squared] of [[undefined, undefined], [true, true], [false, false], [false, true]] as const) {
        const rng = mulberry32(600 + k++);
        const x = new Float64Array(5).map(() => 2 * rng() - 1);
        const flags = { leaky, gain: 0.5 + rng() };
        const args = [x, flags, normalize, squared];
        expectAllModesTree(m.src, m.grad, "flagged", args, ["x", "flags", "normalize", "squared"], ["x", "flags"], k);
        const g = m.grad.flaggedGrad(...args);
        expect(g.value).toBe(m.src.flagged(...args));
        // the flags have no derivative: the gradient has none of them
        expect(Object.keys(g.grad)).toEqual(["x", "flags"]);
        expect(Object.keys(g.grad.flags)).toEqual(["gain"]);
      }
    }
    // the signature keeps the source's types
    expect(m.output).toMatch(/export function flaggedGrad\(\n  x: Float64Array,\n  flags: \{\n    leaky: boolean;\n    gain: number;\n  \},\n  normalize\?: boolean,\n  squared\?: boolean,/);
  });

  it("checkGradient and Adam take trees with flags, which they leave alone", () => {
    const x = new Float64Array([0.4, -0.9, 0.2]);
    const flags = { leaky: true, gain: 1.2 };
    const g = m.grad.flaggedGrad(x, flags, false);
    const ok = checkGradient((xx: Float64Array, f: typeof flags) => m.src.flagged(xx, f, false), [x, flags] as Tree[], g.grad, { names: ["x", "flags"] });
    expect(ok.ok, ok.report).toBe(true);
    const opt = new Adam({ lr: 0.01 });
    opt.step({ x, flags }, g.grad);
    expect(flags.leaky).toBe(true);
  });

  it("rejects a flag in @wrt, and a default that is not a boolean", () => {
    const wrt = compileSource("/** @differentiable @wrt x on */\nexport function f(x: number, on: boolean): number {\n  return on ? x : -x;\n}\n", "flag-error.ts");
    expect(wrt.diagnostics.map((d) => d.message).join("\n")).toMatch(/@wrt names 'on', a boolean: a flag has no derivative\. Remove it from @wrt \(it stays an input\)/);
    const dflt = compileSource("/** @differentiable */\nexport function f(x: number, on: boolean = 1 as unknown as boolean): number {\n  return on ? x : -x;\n}\n", "flag-error.ts");
    expect(dflt.diagnostics.map((d) => d.message).join("\n")).toMatch(/The default value of 'on' must be a boolean/);
  });

  it("chosen: choices among strings as a parameter and a field, switched on and passed to a helper, in every mode", () => {
    let k = 0;
    for (const kind of ["relu", "tanh", "softplus"] as const) {
      for (const mode of ["sum", "mean"] as const) {
        const rng = mulberry32(700 + k++);
        const x = new Float64Array(5).map(() => 2 * rng() - 1);
        const how = { mode, scale: 0.5 + rng() };
        expectAllModesTree(m.src, m.grad, "chosen", [x, kind as never, how], ["x", "kind", "how"], ["x", "how"], k);
        const g = m.grad.chosenGrad(x, kind, how);
        expect(g.value).toBe(m.src.chosen(x, kind, how));
        expect(Object.keys(g.grad)).toEqual(["x", "how"]);
        expect(Object.keys(g.grad.how)).toEqual(["scale"]);
      }
    }
    const body = m.output.slice(m.output.indexOf("export function chosenGrad"));
    // the signature keeps the choices' types; each string is a boolean, read once
    expect(body).toMatch(/  kind: "relu" \| "tanh" \| "softplus",\n  how: \{\n    mode: "sum" \| "mean";/);
    expect(body).toMatch(/const kind_relu = kind === "relu";/);
    expect(body).toMatch(/const mode_mean = how\.mode === "mean";/);
    // the helper called with "tanh" is that case alone
    expect(body.slice(0, body.indexOf("export function", 10))).not.toMatch(/if \((false|true)\)/);
  });

  it("rejects other uses of a choice, one that may be left out without a default, and one in @wrt, naming the fix", () => {
    const head = "type K = \"a\" | \"b\";\n/** @differentiable */\nexport function f(x: number, kind: K): number {\n";
    const copy = compileSource(`${head}  return kind.length * x;\n}\n`, "choice-error.ts");
    expect(copy.diagnostics.map((d) => d.message).join("\n")).toMatch(/'kind' is a choice among strings \("a" \| "b"\): compare it with one of them \(kind === "a"\), switch on it, or pass it to a helper's parameter of its type/);
    // a local naming a choice is that choice, which is read but never written
    const written = compileSource(`${head}  let k = kind ?? "b";\n  if (x > 0) k = "a";\n  return k === "a" ? x : 1;\n}\n`, "choice-error.ts");
    expect(written.diagnostics.map((d) => d.message)).toEqual([`'k' is a choice among strings, which differentiable code reads but does not write: keep what it decides in a boolean (let isA = k === "a") and write that.`]);
    const optional = compileSource("/** @differentiable */\nexport function f(x: number, o: { mode?: \"a\" | \"b\" }): number {\n  return o.mode!.length * x;\n}\n", "choice-error.ts");
    expect(optional.diagnostics.map((d) => d.message).join("\n")).toMatch(/'o\.mode' is a choice among strings/);
    expect(copy.diagnostics.map((d) => d.line)).toEqual([4]);
    const cases = compileSource(`${head}  switch (kind) { case \"a\": return x; case (x > 0 ? \"a\" : \"b\"): return 2 * x; }\n  return 3 * x;\n}\n`, "choice-error.ts");
    expect(cases.diagnostics.map((d) => d.message).join("\n")).toMatch(/The switch compares the choice 'kind': its cases are its strings/);
    const left = compileSource("/** @differentiable */\nexport function f(x: number, kind?: \"a\" | \"b\"): number {\n  return kind === \"a\" ? x : 1;\n}\n", "choice-error.ts");
    expect(left.diagnostics.map((d) => d.message).join("\n")).toMatch(/Parameter 'kind' of 'f' is a choice among strings that may be left out without a default, which is not supported: give it a default \(kind: "a" \| "b" = "a"\), or make it required/);
    const other = compileSource("/** @differentiable */\nexport function f(x: number, kind: \"a\" | \"b\" = (\"c\" as \"a\")): number {\n  return kind === \"a\" ? x : 1;\n}\n", "choice-error.ts");
    expect(other.diagnostics.map((d) => d.message).join("\n")).toMatch(/Parameter 'kind' of 'f' is a choice among strings whose default is not one of them: give it one of its strings/);
    const wrt = compileSource("/** @differentiable @wrt x kind */\nexport function f(x: number, kind: \"a\" | \"b\"): number {\n  return kind === \"a\" ? x : 1;\n}\n", "choice-error.ts");
    expect(wrt.diagnostics.map((d) => d.message).join("\n")).toMatch(/@wrt names 'kind', a choice among strings: a flag has no derivative/);
  });

  it("spring: object spreads, in a helper's result and in a state rebound in a loop", () => {
    for (let k = 0; k < 4; k++) {
      const rng = mulberry32(500 + k);
      const args = [{ x: rng() - 0.5, v: rng() - 0.5 }, 0.5 + rng(), 8];
      expectAllModesTree(m.src, m.grad, "spring", args, ["start", "k", "steps"], ["start", "k"], k + 1);
      expect(m.grad.springGrad(...args).value).toBe(m.src.spring(...args));
    }
  });

  it("smoothInPlace: writes into a parameter object's array change the caller's array as the source does", () => {
    for (let k = 0; k < 4; k++) {
      const rng = mulberry32(300 + k);
      expectAllModesTree(m.src, m.grad, "smoothInPlace", [{ u: randomArray(rng, 5), k: rng() - 0.5 }], ["s"], ["s"], k + 1);
    }
    const s = { u: new Float64Array([1, 2, 3]), k: 0.5 };
    const want = { u: new Float64Array(s.u), k: 0.5 };
    m.src.smoothInPlace(want);
    m.grad.smoothInPlaceGrad(s);
    expect(s.u).toEqual(want.u);
  });

  it("gradients, out buffers and directions have the parameters' shape", () => {
    const { p, x, y } = mlpPoint(7);
    const out = { p: { W1: new Float64Array(12), b1: new Float64Array(4) } };
    const g = m.grad.mlpLossGrad(p, x, y, out);
    expect(Object.keys(g.grad)).toEqual(["p", "x", "y"]);
    expect(Object.keys(g.grad.p)).toEqual(["W1", "b1", "w2", "b2"]);
    expect(g.grad.p.W1).toBe(out.p.W1);
    expect(g.grad.p.b1).toBe(out.p.b1);
    expect(typeof g.grad.p.b2).toBe("number");
    // a direction with only some leaves: the others are zero
    const j = m.grad.mlpLossJvp(p, x, y, { p: { b2: 1 } });
    expect(j.tangent).toBeCloseTo(g.grad.p.b2, 14);
    const h = m.grad.nestedHvp({ inner: { scale: 1, shift: 0 }, outer: { scale: 1, shift: 0 }, gain: 2 }, [0.5], { m: { gain: 1 } });
    expect(Object.keys(h.hvp.m)).toEqual(["inner", "outer", "gain"]);
  });

  it("Jacobian and Hessian flatten the objects' leaves in field order", () => {
    const { p, x, y } = mlpPoint(11);
    const H = m.grad.mlpLossHessian(p, x, y);
    expect(H.size).toBe(12 + 4 + 4 + 1 + 3 + 1);
    // column of b2 (index 20) is the Hvp along b2
    const h = m.grad.mlpLossHvp(p, x, y, { p: { b2: 1 } });
    expect(H.hessian[20 * H.size + 20]).toBeCloseTo(h.hvp.p.b2, 12);
    for (let e = 0; e < 4; e++) expect(H.hessian[(16 + e) * H.size + 20]).toBeCloseTo(h.hvp.p.w2[e], 12);
    const J = m.grad.mlpLossJacobian(p, x, y);
    expect(J.cols).toBe(H.size);
    const g = m.grad.mlpLossGrad(p, x, y);
    expect(J.jacobian[20]).toBeCloseTo(g.grad.p.b2, 14);
  });

  it("checkGradient checks object arguments leaf by leaf", () => {
    const { p, x, y } = mlpPoint(13);
    const g = m.grad.mlpLossGrad(p, x, y);
    const ok = checkGradient(m.src.mlpLoss, [p, x, y] as Tree[], g.grad, { names: ["p", "x", "y"] });
    expect(ok.ok, ok.report).toBe(true);
    const wrong = { ...g.grad, p: { ...g.grad.p, b2: g.grad.p.b2 + 0.1 } };
    const bad = checkGradient(m.src.mlpLoss, [p, x, y] as Tree[], wrong, { names: ["p", "x", "y"] });
    expect(bad.ok).toBe(false);
    expect(bad.report).toMatch(/p\.b2/);
  });

  it("Adam trains a parameter object with its gradient object", () => {
    const rng = mulberry32(5);
    const data = Array.from({ length: 16 }, () => {
      const x = randomArray(rng, 3);
      return { x, y: Math.sin(x[0]!) + 0.5 * x[1]! * x[2]! };
    });
    const { p } = mlpPoint(17);
    const lossOf = () => data.reduce((s, d) => s + m.src.mlpLoss(p, d.x, d.y), 0);
    const before = lossOf();
    const opt = new Adam({ lr: 0.05 });
    for (let step = 0; step < 200; step++) {
      for (const d of data) opt.step(p, m.grad.mlpLossGrad(p, d.x, d.y).grad.p);
    }
    expect(lossOf()).toBeLessThan(before / 4);
  });
});

describe("optional number fields of parameter objects", () => {
  /** Settings with each optional field given or absent in turn. */
  function settings(seed: number, has: { gain: boolean; offset: boolean; lo: boolean }) {
    const rng = mulberry32(seed);
    const s: Record<string, Tree> = { width: 0.8 + rng() };
    if (has.gain) s.gain = 0.5 + rng();
    if (has.offset) s.offset = 0.3 + rng();
    s.limits = has.lo ? { lo: -2 - rng(), hi: 0.5 + rng() } : { hi: 0.5 + rng() };
    return { x: randomArray(rng, 5), s };
  }
  const combos = [
    { gain: false, offset: false, lo: false },
    { gain: true, offset: false, lo: true },
    { gain: false, offset: true, lo: true },
    { gain: true, offset: true, lo: false },
  ];

  it("smoothed: every mode against finite differences, each field given and absent", () => {
    combos.forEach((has, k) => {
      for (let seed = 0; seed < 2; seed++) {
        const { x, s } = settings(300 + 10 * k + seed, has);
        expectAllModesTree(m.src, m.grad, "smoothed", [x, s], ["x", "s"], ["x", "s"], k + 1);
        expect(m.grad.smoothedGrad(x, s).value).toBe(m.src.smoothed(x, s));
      }
    });
  });

  it("a literal fallback in a loop is chosen once, before it: nothing is taped for it", () => {
    for (const s of [{ gain: 1.7 }, {}] as Record<string, Tree>[]) {
      const x = randomArray(mulberry32(41), 50);
      expectAllModesTree(m.src, m.grad, "scaledSquares", [x, s], ["x", "s"], ["x", "s"], 3);
      expect(Tape.measure(() => m.grad.scaledSquaresGrad(x, s)).peakBytes).toBe(0);
      expect(Tape.measure(() => m.grad.scaledSquaresHvp(x, s, { x: new Float64Array(50).fill(1) })).peakBytes).toBe(0);
    }
  });

  it("the gradient, Hvp, Jacobian and Hessian have a field only where the settings have one", () => {
    const { x, s } = settings(7, { gain: false, offset: true, lo: false });
    const g = m.grad.smoothedGrad(x, s);
    expect(Object.keys(g.grad.s)).toEqual(["width", "offset", "limits"]);
    expect(Object.keys(g.grad.s.limits)).toEqual(["hi"]);
    const h = m.grad.smoothedHvp(x, s, { s: { width: 1, gain: 1 } });
    expect(Object.keys(h.hvp.s)).toEqual(["width", "offset", "limits"]);
    // x (5), width, offset, hi: an absent field has no row or column
    expect(m.grad.smoothedHessian(x, s).size).toBe(8);
    expect(m.grad.smoothedJacobian(x, s).cols).toBe(8);
    const all = settings(7, { gain: true, offset: true, lo: true });
    expect(m.grad.smoothedHessian(all.x, all.s).size).toBe(10);
    expect(Object.keys(m.grad.smoothedGrad(all.x, all.s).grad.s)).toEqual(["width", "gain", "offset", "limits"]);
  });

  it("checkGradient and Adam take the gradient of settings with absent fields", () => {
    const { x, s } = settings(9, { gain: true, offset: false, lo: false });
    const g = m.grad.smoothedGrad(x, s);
    const ok = checkGradient(m.src.smoothed, [x, s] as Tree[], g.grad, { names: ["x", "s"] });
    expect(ok.ok, ok.report).toBe(true);
    const before = m.src.smoothed(x, s);
    const opt = new Adam({ lr: 0.01 });
    for (let step = 0; step < 20; step++) opt.step(s, m.grad.smoothedGrad(x, s).grad.s);
    expect(m.src.smoothed(x, s)).toBeLessThan(before);
    expect("offset" in s).toBe(false);
  });

  const rejected: [string, string, RegExp][] = [
    ["a read that may be undefined", "const v = o.k; return x * o.w;", /'o\.k' is an optional field and may be undefined here: give a fallback \(o\.k \?\? 1\)/],
    ["a write", "o.k = 2; return x * o.w;", /'o\.k' is an optional field, which differentiable code reads but does not write/],
    ["a fallback that is not a number", "return (o.k ?? true) ? x : o.w;", /The fallback of 'o\.k' must be a number/],
  ];
  for (const [what, body, want] of rejected) {
    it(`rejects ${what}, located`, () => {
      const src = `/** @differentiable */\nexport function f(x: number, o: { k?: number; w: number }): number {\n  ${body}\n}\n`;
      const r = compileSource(src, "optional-error.ts");
      expect(r.diagnostics.map((d) => d.message).join("\n")).toMatch(want);
      expect(r.diagnostics.every((d) => d.line > 0)).toBe(true);
    });
  }

  it("rejects optional objects and optional fields in the elements of a list, naming the field", () => {
    const obj = compileSource("/** @differentiable */\nexport function f(x: number, o: { w?: { a: number } }): number {\n  return x;\n}\n", "optional-object.ts");
    expect(obj.diagnostics.map((d) => d.message).join("\n")).toMatch(/its field 'w' is optional and an object \(optional fields are numbers, booleans, arrays of numbers and choices among strings: make it required\)/);
    const list = compileSource("/** @differentiable */\nexport function f(x: number, ps: { w?: number }[]): number {\n  return x;\n}\n", "optional-list.ts");
    expect(list.diagnostics.map((d) => d.message).join("\n")).toMatch(/its field 'w' is optional, in the elements of a list/);
  });
});

describe("optional arrays", () => {
  /** A layer with its bias, offsets and the weights each given or absent in turn. */
  function point(seed: number, has: { bias: boolean; offsets: boolean; weights: boolean }) {
    const rng = mulberry32(seed);
    const n = 4;
    const l: Record<string, Tree> = { w: randomArray(rng, n) };
    if (has.bias) l.bias = randomArray(rng, n);
    // shorter than x: the source tests i < l.offsets.length
    if (has.offsets) l.offsets = Array.from(randomArray(rng, n - 1));
    const args: Tree[] = [randomArray(rng, n), l];
    if (has.weights) args.push(randomArray(rng, n));
    return args;
  }
  const combos = [
    { bias: false, offsets: false, weights: false },
    { bias: true, offsets: false, weights: true },
    { bias: false, offsets: true, weights: true },
    { bias: true, offsets: true, weights: false },
  ];

  it("layer: every mode against finite differences, each array given and absent", () => {
    combos.forEach((has, k) => {
      for (let seed = 0; seed < 2; seed++) {
        const args = point(500 + 10 * k + seed, has);
        const names = ["x", "l", "weights"].slice(0, args.length);
        // without the weights, a Jvp's and an Hvp's direction follows an undefined in their place
        const grad: Mod = has.weights ? m.grad : {
          layerGrad: m.grad.layerGrad,
          layerJvp: (x: unknown, l: unknown, v: unknown) => m.grad.layerJvp(x, l, undefined, v),
          layerHvp: (x: unknown, l: unknown, v: unknown) => m.grad.layerHvp(x, l, undefined, v),
        };
        expectAllModesTree(m.src, grad, "layer", args, names, names, k + 1);
        expect(m.grad.layerGrad(...args).value).toBe(m.src.layer(...args));
      }
    });
  });

  it("clipped: settings with the default {}, passed with some of their fields, or left out, in every mode", () => {
    const rng = mulberry32(77);
    const x = randomArray(rng, 5);
    const settings: Record<string, Tree>[] = [{}, { clip: 0.1 }, { weights: randomArray(rng, 3) }, { clip: -0.05, weights: randomArray(rng, 6) }];
    settings.forEach((opts, k) => {
      expectAllModesTree(m.src, m.grad, "clipped", [x, opts], ["x", "opts"], ["x", "opts"], k + 1);
      expect(m.grad.clippedGrad(x, opts).value).toBe(m.src.clipped(x, opts));
    });
    // left out: as {}
    const grad: Mod = {
      clippedGrad: (v: unknown) => m.grad.clippedGrad(v),
      clippedJvp: (v: unknown, t: unknown) => m.grad.clippedJvp(v, undefined, t),
      clippedHvp: (v: unknown, t: unknown) => m.grad.clippedHvp(v, undefined, t),
    };
    expectAllModesTree(m.src, grad, "clipped", [x], ["x"], ["x"], 9);
    const g = m.grad.clippedGrad(x);
    expect(g.value).toBe(m.src.clipped(x));
    expect(g.grad.opts).toEqual({});
    expect(Object.keys(m.grad.clippedGrad(x, { clip: 0.1 }).grad.opts)).toEqual(["clip"]);
  });

  it("rejects settings that may be left out with a required field, or without the default {}", () => {
    const required = compileSource("/** @differentiable */\nexport function f(x: number, o: { a: number; b?: number } = { a: 1 }): number {\n  return x * o.a;\n}\n", "settings-error.ts");
    expect(required.diagnostics.map((d) => d.message).join("\n")).toMatch(/Parameter 'o' of 'f' is an object that may be left out: give it the default \{\} with every field optional/);
    const optional = compileSource("/** @differentiable */\nexport function f(x: number, o?: { b?: number }): number {\n  return x * (o?.b ?? 1);\n}\n", "settings-error.ts");
    expect(optional.diagnostics.map((d) => d.message).join("\n")).toMatch(/Parameter 'o' of 'f' is an object that may be left out: give it the default \{\}/);
  });

  it("the gradient, Hvp, Jacobian and Hessian have an entry only for the arrays given", () => {
    const [x, l] = point(3, { bias: false, offsets: true, weights: false }) as [Float64Array, Record<string, Tree>];
    const g = m.grad.layerGrad(x, l);
    expect(Object.keys(g.grad)).toEqual(["x", "l"]);
    expect(Object.keys(g.grad.l)).toEqual(["w", "offsets"]);
    expect(Array.isArray(g.grad.l.offsets)).toBe(true);
    expect(g.grad.l.offsets.length).toBe(3);
    // the weights are left out, before the direction: undefined
    const h = m.grad.layerHvp(x, l, undefined, { x: new Float64Array(4).fill(1) });
    expect(Object.keys(h.hvp.l)).toEqual(["w", "offsets"]);
    // x (4), w (4), offsets (3): an absent array has no rows or columns
    expect(m.grad.layerHessian(x, l).size).toBe(11);
    expect(m.grad.layerJacobian(x, l).cols).toBe(11);
    const [x2, l2, w2] = point(3, { bias: true, offsets: false, weights: true });
    expect(Object.keys(m.grad.layerGrad(x2, l2, w2).grad)).toEqual(["x", "l", "weights"]);
    expect(m.grad.layerHessian(x2, l2, w2).size).toBe(16);
  });

  it("Adam trains a layer without adding the arrays it does not have", () => {
    const [x, l] = point(9, { bias: true, offsets: false, weights: false }) as [Float64Array, Record<string, Tree>];
    const before = m.src.layer(x, l);
    const opt = new Adam({ lr: 0.01 });
    for (let step = 0; step < 20; step++) opt.step(l, m.grad.layerGrad(x, l).grad.l);
    expect(m.src.layer(x, l)).toBeLessThan(before);
    expect("offsets" in l).toBe(false);
  });

  const rejected: [string, string, RegExp][] = [
    ["a read that may be undefined", "return x * o.b[0];", /'o\.b' is an optional field and may be undefined here: test it first \(if \(o\.b\) …, or o\.b \? … : …\)/],
    ["a choice between arrays", "const v = o.b ?? o.w; return x * v[0];", /'o\.b \?\? o\.w' chooses between two arrays/],
  ];
  for (const [what, body, want] of rejected) {
    it(`rejects ${what}, located`, () => {
      const src = `/** @differentiable */\nexport function f(x: number, o: { b?: Float64Array; w: Float64Array }): number {\n  ${body}\n}\n`;
      const r = compileSource(src, "optional-array-error.ts");
      expect(r.diagnostics.map((d) => d.message).join("\n")).toMatch(want);
      expect(r.diagnostics.every((d) => d.line > 0)).toBe(true);
    });
  }
});

describe("parameters destructured in the signature", () => {
  /** The source and generated functions of a function whose first parameter is destructured, taking its fields as separate arguments (the first `k`). */
  const spread = (name: string, k: number, pack: (fields: unknown[]) => unknown[]): { src: Mod; grad: Mod } => {
    const call = (f: (...a: unknown[]) => unknown, xs: unknown[], extra: unknown[] = []) => f(...pack(xs.slice(0, k)), ...xs.slice(k), ...extra);
    return {
      src: { [name]: (...xs: unknown[]) => call(m.src[name], xs) },
      grad: {
        [name + "Grad"]: (...xs: unknown[]) => call(m.grad[name + "Grad"], xs),
        [name + "Jvp"]: (...xs: unknown[]) => call(m.grad[name + "Jvp"], xs.slice(0, -1), xs.slice(-1)),
        [name + "Hvp"]: (...xs: unknown[]) => call(m.grad[name + "Hvp"], xs.slice(0, -1), xs.slice(-1)),
      },
    };
  };

  it("mlpDestructured: every mode against finite differences, each field's derivative keyed by its field", () => {
    const d = spread("mlpDestructured", 4, ([W1, b1, w2, b2]) => [{ W1, b1, w2, b2 }]);
    for (let k = 0; k < 4; k++) {
      const { p, x, y } = mlpPoint(10 + k);
      expectAllModesTree(d.src, d.grad, "mlpDestructured", [p.W1, p.b1, p.w2, p.b2, x, y], ["W1", "b1", "w2", "b2", "x", "y"], undefined, k + 1);
    }
  });

  it("mlpDestructured has the derivatives of mlpLoss, which reads the same object's fields", () => {
    for (let k = 0; k < 3; k++) {
      const { p, x, y } = mlpPoint(20 + k);
      const a = m.grad.mlpDestructuredGrad(p, x, y);
      const b = m.grad.mlpLossGrad(p, x, y);
      expect(a.value).toBe(b.value);
      expect(Object.keys(a.grad)).toEqual(["W1", "b1", "w2", "b2", "x", "y"]);
      expect({ W1: a.grad.W1, b1: a.grad.b1, w2: a.grad.w2, b2: a.grad.b2, x: a.grad.x, y: a.grad.y }).toEqual({ ...b.grad.p, x: b.grad.x, y: b.grad.y });
      const ha = m.grad.mlpDestructuredHessian(p, x, y);
      const hb = m.grad.mlpLossHessian(p, x, y);
      expect(ha.hessian).toEqual(hb.hessian);
      // the out buffers are the fields' arrays
      const W1 = new Float64Array(p.W1.length);
      expect(m.grad.mlpDestructuredGrad(p, x, y, { W1 }).grad.W1).toBe(W1);
    }
  });

  it("shifted: an object field, a choice and a second destructured parameter, in every mode", () => {
    for (const kind of ["relu", "tanh", "softplus"]) {
      const d = spread("shifted", 3, ([inner, gain, s]) => [{ inner, gain, kind }, { scale: s, shift: 7 }]);
      for (let k = 0; k < 3; k++) {
        const rng = mulberry32(600 + k);
        const xs = Array.from({ length: 5 }, () => 2 * rng() - 1);
        const args = [{ scale: rng() + 0.5, shift: rng() - 0.5 }, rng() + 0.5, rng() - 0.5, xs];
        expectAllModesTree(d.src, d.grad, "shifted", args, ["inner", "gain", "scale", "xs"], undefined, k + 1);
      }
    }
  });

  it("rejects what it does not support, naming the construct and the fix", () => {
    const cases: [string, RegExp][] = [
      ["{ a, ...rest }: { a: number; b: number }", /'\.\.\.rest' in parameter '\{ a, \.\.\.rest \}' of 'f': a rest element in a destructured parameter is not supported\. Name each field/],
      ["{ a: { b } }: { a: { b: number } }", /a nested pattern in a destructured parameter is not supported\. Bind the field to a name and destructure it in the body \(const \{ … \} = a\)/],
      ["{ a }: { a: number } = { a: 1 }", /Parameter '\{ a \}' of 'f' is destructured and may be left out, which is supported only with the default \{\} and every field optional/],
      ["{ a }: { a?: number; b: number } = {}", /is supported only with the default \{\} and every field optional/],
      ["{ a }: { a: string }", /Parameter '\{ a \}' of 'f' has type '\{ a: string; \}'.*A parameter destructured in the signature is an object of numbers and arrays/],
      ["{ a: x }: { a: number }, a: number", /Field 'a' of parameter '\{ a: x \}' of 'f' has the name of another parameter, and its derivative is keyed by that name/],
      ["[a, b]: [number, number]", /array destructuring in the signature is not supported; declare a plain parameter \(xs: number\[\]\) and read its elements in the body/],
      ["...xs: number[]", /rest parameters are not supported/],
    ];
    const wrt = compileSource("/** @differentiable @wrt bias */\nexport function f({ w, b: bias }: { w: number; b: number }): number {\n  return w * bias;\n}\n", "pattern-wrt.ts");
    expect(wrt.diagnostics.map((d) => d.message).join("\n")).toMatch(/@wrt names 'bias', the name the body gives field 'b' of a destructured parameter; derivatives are keyed by the field: @wrt b\./);
    for (const [params, want] of cases) {
      const r = compileSource(`/** @differentiable */\nexport function f(${params}): number {\n  return 1;\n}\n`, "pattern-error.ts");
      expect(r.diagnostics.map((d) => d.message).join("\n"), params).toMatch(want);
      expect(r.diagnostics.every((d) => d.line > 0)).toBe(true);
    }
  });
});

describe("optional and defaulted fields destructured in the signature", () => {
  it("tuned: every mode against finite differences, each field given and left out", () => {
    let k = 0;
    for (const [gain, offset, squared] of [[undefined, undefined, undefined], [1.5, undefined, false], [undefined, 0.3, true], [0.7, -0.2, undefined]] as const) {
      const rng = mulberry32(700 + k++);
      const x = new Float64Array(5).map(() => 2 * rng() - 1);
      // the fields given are arguments of their own; the others are left out of the object
      const given = ([["gain", gain], ["offset", offset]] as const).filter(([, v]) => v !== undefined);
      const pack = (vals: unknown[]) => ({ ...Object.fromEntries(given.map(([n], i) => [n, vals[i]])), ...(squared === undefined ? {} : { squared }) });
      const src: Mod = { tuned: (xs: Float64Array, ...vals: unknown[]) => m.src.tuned(xs, pack(vals)) };
      const call = (name: string, extra: number) => (xs: Float64Array, ...rest: unknown[]) => m.grad[name](xs, pack(rest.slice(0, given.length)), ...rest.slice(given.length, given.length + extra));
      const grad: Mod = { tunedGrad: call("tunedGrad", 0), tunedJvp: call("tunedJvp", 1), tunedHvp: call("tunedHvp", 1) };
      expectAllModesTree(src, grad, "tuned", [x, ...given.map(([, v]) => v)], ["x", ...given.map(([n]) => n)], undefined, k);
      const r = m.grad.tunedGrad(x, { ...(gain === undefined ? {} : { gain }), ...(offset === undefined ? {} : { offset }), ...(squared === undefined ? {} : { squared }) });
      expect(r.value).toBe(m.src.tuned(x, { gain, offset, squared }));
      // a field left out has no derivative, and a flag never has one
      expect(Object.keys(r.grad)).toEqual(["x", ...(gain === undefined ? [] : ["gain"]), ...(offset === undefined ? [] : ["offset"])]);
    }
    // the object left out: every field takes its default
    const x = Float64Array.from([0.3, -0.8, 1.2]);
    const r = m.grad.tunedGrad(x);
    expect(r.value).toBe(m.src.tuned(x));
    expect(Object.keys(r.grad)).toEqual(["x"]);
    expect(r.grad.x).toEqual(m.grad.tunedGrad(x, {}).grad.x);
    expect(m.grad.tunedHvp(x, undefined, { x: Float64Array.from([1, 0, 0]) }).hvp.x[0]).toBeCloseTo(2, 12);
  });

  it("rejects a default that is not a number, a boolean or one of a choice's strings, naming the fix", () => {
    const r = compileSource("/** @differentiable */\nexport function f(x: number, { w = new Float64Array(2) }: { w?: Float64Array }): number {\n  return x;\n}\n", "pattern-default.ts");
    expect(r.diagnostics.map((d) => d.message).join("\n")).toMatch(/field 'w' is given a default, and default values are numbers, booleans and, for a choice among strings, one of its strings\. Leave out the default and test the field in the body/);
  });
});

describe("a choice among strings with a default", () => {
  it("reduced: every mode against finite differences, the choice given or left out", () => {
    let k = 0;
    for (const how of [undefined, "sum", "mean", "max"] as const) {
      for (const scale of [undefined, 0.7]) {
        const rng = mulberry32(800 + k++);
        const x = new Float64Array(5).map(() => 2 * rng() - 1);
        // the scale is an argument of its own when given; undefined (left out) otherwise, as the
        // generated functions, like the source, take it
        const n = scale === undefined ? 0 : 1;
        const src: Mod = { reduced: (xs: Float64Array, ...rest: unknown[]) => m.src.reduced(xs, how, n ? rest[0] : undefined) };
        const call = (name: string, extra: number) => (xs: Float64Array, ...rest: unknown[]) => m.grad[name](xs, how, n ? rest[0] : undefined, ...rest.slice(n, n + extra));
        const grad: Mod = { reducedGrad: call("reducedGrad", 0), reducedJvp: call("reducedJvp", 1), reducedHvp: call("reducedHvp", 1) };
        expectAllModesTree(src, grad, "reduced", [x, ...(scale === undefined ? [] : [scale])], ["x", ...(scale === undefined ? [] : ["scale"])], undefined, k);
        expect(m.grad.reducedGrad(x, how, scale).value).toBe(m.src.reduced(x, how, scale));
      }
    }
    // left out, the choice is "sum"
    const x = Float64Array.from([0.5, -1, 2]);
    expect(m.grad.reducedGrad(x).grad.x).toEqual(m.grad.reducedGrad(x, "sum").grad.x);
    expect(m.grad.reducedGrad(x).value).toBe(2 * (0.25 + 1 + 4));
  });
});

describe("optional choices among strings as fields", () => {
  it("moded and modedPattern: every mode against finite differences, each string and the field left out", () => {
    let k = 0;
    for (const mode of [undefined, "sum", "mean", "max"] as const) {
      const rng = mulberry32(900 + k++);
      const x = new Float64Array(5).map(() => 2 * rng() - 1);
      const opts = { scale: 0.5 + rng(), ...(mode === undefined ? {} : { mode }) };
      expectAllModesTree(m.src, m.grad, "moded", [x, opts], ["x", "opts"], undefined, k);
      // the destructured one, whose fields are inputs of their own (mode, a choice, is none)
      const src: Mod = { modedPattern: (xs: Float64Array, scale: number) => m.src.modedPattern(xs, { ...opts, scale }) };
      const call = (name: string) => (xs: Float64Array, scale: number, ...rest: unknown[]) => m.grad[name](xs, { ...opts, scale }, ...rest);
      const grad: Mod = { modedPatternGrad: call("modedPatternGrad"), modedPatternJvp: call("modedPatternJvp"), modedPatternHvp: call("modedPatternHvp") };
      expectAllModesTree(src, grad, "modedPattern", [x, opts.scale], ["x", "scale"], undefined, k);
      // both read an absent mode as JavaScript does: the sum, and for the pattern its default
      expect(m.grad.modedGrad(x, opts).value).toBe(m.src.moded(x, opts));
      expect(m.grad.modedPatternGrad(x, opts).value).toBe(m.src.modedPattern(x, opts));
      expect(Object.keys(m.grad.modedPatternGrad(x, opts).grad)).toEqual(["x", "scale"]);
    }
  });
});

describe("choices among strings kept in locals and given fallback strings", () => {
  it("fallbackMode, destructuredMode and truthyMode: every mode against finite differences, each string and the field left out", () => {
    let k = 0;
    for (const mode of [undefined, "sum", "mean", "max"] as const) {
      const rng = mulberry32(950 + k++);
      const x = new Float64Array(5).map(() => 2 * rng() - 1);
      const opts = { scale: 0.5 + rng(), ...(mode === undefined ? {} : { mode }) };
      for (const name of ["fallbackMode", "destructuredMode", "truthyMode"]) {
        expectAllModesTree(m.src, m.grad, name, [x, opts], ["x", "opts"], undefined, k);
        expect(m.grad[`${name}Grad`](x, opts).value).toBe(m.src[name](x, opts));
      }
    }
    // absent, the mode is the fallback: "max" for the first, "mean" for the second
    const x = Float64Array.from([0.5, -1, 2]);
    expect(m.grad.fallbackModeGrad(x, { scale: 1 }).value).toBe(2);
    expect(m.grad.destructuredModeGrad(x, { scale: 1 }).value).toBe((0.25 + 1 + 4) / 3);
    expect(m.grad.truthyModeGrad(x, { scale: 2 }).value).toBe(7);
    expect(m.grad.truthyModeGrad(x, { scale: 2, mode: "sum" }).value).toBe(5.25 / 2);
    // the fallback's boolean is made once, before the loop, from the strings the field may hold
    const body = m.output.slice(m.output.indexOf("export function fallbackModeGrad"));
    expect(body.slice(0, body.indexOf("for ("))).toMatch(/const is_max = !\(?/);
  });
});

describe("class instances as parameters", () => {
  it("classLoss: an instance and a list of them, in every mode; the gradient has the public data fields", async () => {
    const { Neuron } = m.src as unknown as { Neuron: new (w: Float64Array, b: number) => { w: Float64Array; b: number; size: number; apply(x: Float64Array): number } };
    for (let k = 0; k < 3; k++) {
      const rng = mulberry32(990 + k);
      const x = new Float64Array(3).map(() => 2 * rng() - 1);
      const a = new Neuron(new Float64Array(3).map(() => rng() - 0.5), rng() - 0.5);
      const rest = [0, 1].map(() => new Neuron(new Float64Array(3).map(() => rng() - 0.5), rng() - 0.5));
      // the finite differences rebuild the objects as plain ones, which the function reads alike
      expectAllModesTree(m.src, m.grad, "classLoss", [a, rest, x], ["a", "rest", "x"], undefined, k);
      const g = m.grad.classLossGrad(a, rest, x);
      expect(g.value).toBe(m.src.classLoss(a, rest, x));
      expect(Object.keys(g.grad.a)).toEqual(["w", "b"]);
      expect(g.grad.rest.map((r: object) => Object.keys(r))).toEqual([["w", "b"], ["w", "b"]]);
    }
    // the generated signature types the instance by its data fields, which an instance has
    const body = m.output.slice(m.output.indexOf("export function classLossGrad"));
    expect(body).toMatch(/^export function classLossGrad\(\n  a: \{\n    w: Float64Array;\n    b: number;\n  \},/);
  });

  it("rejects a method, an accessor and a private field read in differentiable code, naming the fix; an interface's methods are left out too", () => {
    const head = "class P {\n  w = new Float64Array(2);\n  b = 0;\n  private c = 1;\n  get n(): number { return this.w.length; }\n  f(x: number): number { return this.b * x; }\n}\n/** @differentiable */\nexport function g(p: P, x: number): number {\n";
    const messages = (body: string) => compileSource(`${head}  ${body}\n}\n`, "class-error.ts").diagnostics.map((d) => d.message);
    expect(messages("return p.f(x);")).toEqual(["'p.f' is a method of 'P': differentiable code calls functions, not methods. Write it as a function that takes the object (function f(p: P, …)) and call f(p, …)."]);
    expect(messages("return p.n * x;")).toEqual(["'p.n' is an accessor of 'P', which differentiable code does not run: compute it here, or in a function that takes the object (function n(p: P))."]);
    expect(messages("const { n } = p;\n  return n * x;")).toEqual(["'p.n' is an accessor of 'P', which differentiable code does not run: compute it here, or in a function that takes the object (function n(p: P))."]);
    expect(messages("return (p as unknown as { c: number }).c * x;")).toEqual(["'(p as unknown as { c: number }).c' is a private field of 'P': differentiable code reads an object's public data fields, which its gradient has. Make the field public, or pass the value as a parameter."]);
    // an interface of the program's with a method and a function field: its data fields are the object's
    const model = "interface Model {\n  w: number;\n  predict(x: number): number;\n  act: (v: number) => number;\n}\n/** @differentiable */\nexport function g(m: Model, x: number): number {\n  ";
    const fine = compileSource(`${model}return m.w * x;\n}\n`, "interface-methods.ts");
    expect(fine.diagnostics).toEqual([]);
    expect(fine.output).toMatch(/grad: \{\n    m: \{\n      w: number;\n    \};/);
    expect(compileSource(`${model}return m.predict(x);\n}\n`, "interface-methods.ts").diagnostics.map((d) => d.message)).toEqual(["'m.predict' is a method of 'Model': differentiable code calls functions, not methods. Write it as a function that takes the object (function predict(m: Model, …)) and call predict(m, …)."]);
    // the standard library's objects keep their data out of fields
    expect(compileSource("/** @differentiable */\nexport function g(m: WeakRef<object>, x: number): number {\n  return x;\n}\n", "interface-methods.ts").diagnostics.map((d) => d.code)).toEqual(["AD1003"]);
    expect(messages("return (p as unknown as { d: number }).d * x;")).toEqual(["'(p as unknown as { d: number }).d' reads the field 'd', which the type of 'p' does not have: read the fields of its own type, without the cast."]);
  });
});

