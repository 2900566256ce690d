/**
 * Lists of records and of arrays as parameters (fixtures/programs/lists.ts): `layers: Layer[]`
 * inside a nested object, a list of records with a list of rows, elements passed to helpers,
 * for-of over lists and destructured elements, in every mode against finite differences over
 * the lists' leaves; gradients, directions and out buffers are lists of the same shape.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, it, expect, beforeAll } from "vitest";
import { load, expectAllModesTree, ROOT, type Mod } from "../helpers.ts";
import { mulberry32, randomArray, checkGradient } from "../../runtime/gradcheck.ts";
import { Adam } from "../../runtime/optim.ts";
import type { Tree } from "../../runtime/tree.ts";
import { compileSource } from "../../compiler/index.ts";

let m: { src: Mod; grad: Mod; output: string };
beforeAll(async () => {
  const text = fs.readFileSync(path.join(ROOT, "fixtures/programs/lists.ts"), "utf8").replace(/\/\*\* @differentiable \*\//g, "/** @differentiable @modes grad jvp hvp jacobian hessian */");
  m = await load(text, "lists");
}, 60_000);

function netPoint(seed: number, layers = 3, n = 3) {
  const rng = mulberry32(seed);
  const net = {
    layers: Array.from({ length: layers }, () => ({ W: randomArray(rng, n * n), b: randomArray(rng, n) })),
    out: { w: randomArray(rng, n), c: rng() - 0.5 },
  };
  return { net, x: randomArray(rng, n), y: rng() - 0.5 };
}

function bumpPoint(seed: number, k = 3) {
  const rng = mulberry32(seed);
  const ps = Array.from({ length: k }, () => ({ a: rng() + 0.5, c: rng() - 0.5, s: rng() + 0.5 }));
  const data = { rows: Array.from({ length: k }, (_, i) => randomArray(rng, 2 + i)) };
  return { ps, data };
}

describe("list parameters, in every mode", () => {
  it("netLoss: a Layer[] inside a nested object, each layer passed to a helper", () => {
    for (let k = 0; k < 4; k++) {
      const { net, x, y } = netPoint(k + 1, 1 + k);
      expectAllModesTree(m.src, m.grad, "netLoss", [net, x, y], ["net", "x", "y"], ["net", "x", "y"], k + 1);
    }
  });

  it("bumps: for-of over a list of records, a list of rows in an object, a list passed to a helper", () => {
    for (let k = 0; k < 4; k++) {
      const { ps, data } = bumpPoint(10 + k, 1 + k);
      expectAllModesTree(m.src, m.grad, "bumps", [ps, data], ["ps", "data"], ["ps", "data"], k + 1);
    }
  });

  it("walked: map, forEach, reduce and reduceRight over lists of records and of rows", () => {
    for (let k = 0; k < 4; k++) {
      const { ps, data } = bumpPoint(20 + k, 1 + k);
      const x = 0.3 * k - 0.4;
      expectAllModesTree(m.src, m.grad, "walked", [ps, data, x], ["ps", "data", "x"], ["ps", "data", "x"], k + 1);
      expect(m.grad.walkedGrad(ps, data, x).value).toBe(m.src.walked(ps, data, x));
    }
  });

  it("energies: one helper over a matrix built here and over a list of rows passed in", () => {
    for (let k = 0; k < 4; k++) {
      const { data } = bumpPoint(30 + k, 1 + k);
      const x = 0.4 * k - 0.7;
      expectAllModesTree(m.src, m.grad, "energies", [data, x], ["data", "x"], ["data", "x"], k + 1);
      expect(m.grad.energiesGrad(data, x).value).toBe(m.src.energies(data, x));
    }
  });

  it("gradients, out buffers and directions are lists of the same shape", () => {
    const { net, x, y } = netPoint(21);
    const g = m.grad.netLossGrad(net, x, y);
    expect(g.grad.net.layers).toHaveLength(3);
    expect(Object.keys(g.grad.net.layers[1])).toEqual(["W", "b"]);
    expect(g.grad.net.layers[2].W).toBeInstanceOf(Float64Array);
    // out buffers are filled and returned
    const out = { net: { layers: net.layers.map((l) => ({ W: new Float64Array(9), b: new Float64Array(3) })), out: { w: new Float64Array(3), c: 0 } } };
    const g2 = m.grad.netLossGrad(net, x, y, out);
    expect(g2.grad.net.layers[0].W).toBe(out.net.layers[0]!.W);
    expect(Array.from(g2.grad.net.layers[0].W)).toEqual(Array.from(g.grad.net.layers[0].W));
    // a direction along one element's leaf: the directional derivative is that gradient entry
    const dir = { net: { layers: [{ b: new Float64Array([0, 1, 0]) }] } };
    const j = m.grad.netLossJvp(net, x, y, dir);
    expect(j.tangent).toBeCloseTo(g.grad.net.layers[0].b[1], 12);
  });

  it("Jacobian and Hessian flatten list elements in order", () => {
    const { ps, data } = bumpPoint(31, 2);
    const H = m.grad.bumpsHessian(ps, data);
    const size = 2 * 3 + 2 + 3;
    expect(H.size).toBe(size);
    // column 1 is ps[0].c; column 3 is ps[1].a
    const h = m.grad.bumpsHvp(ps, data, { ps: [{ c: 1 }] });
    for (let i = 0; i < 3; i++) expect(H.hessian[i * size + 1]).toBeCloseTo(h.hvp.ps[0][["a", "c", "s"][i]!], 10);
    const J = m.grad.bumpsJacobian(ps, data);
    const g = m.grad.bumpsGrad(ps, data);
    expect(J.jacobian[3]).toBeCloseTo(g.grad.ps[1].a, 12);
    expect(J.jacobian[size - 1]).toBeCloseTo(g.grad.data.rows[1][2], 12);
  });

  it("checkGradient checks a list argument element by element", () => {
    const { ps, data } = bumpPoint(41);
    const g = m.grad.bumpsGrad(ps, data);
    const ok = checkGradient(m.src.bumps, [ps, data] as Tree[], g.grad, { names: ["ps", "data"] });
    expect(ok.ok, ok.report).toBe(true);
  });

  it("Adam trains a network given as { layers: Layer[], out } with its gradient object", () => {
    const rng = mulberry32(9);
    const set = Array.from({ length: 12 }, () => {
      const x = randomArray(rng, 3);
      return { x, y: Math.tanh(x[0]! - 0.5 * x[1]! * x[2]!) };
    });
    const { net } = netPoint(19, 2);
    const lossOf = () => set.reduce((s, d) => s + m.src.netLoss(net, d.x, d.y), 0);
    const before = lossOf();
    const opt = new Adam({ lr: 0.02 });
    for (let step = 0; step < 150; step++) for (const d of set) opt.step(net, m.grad.netLossGrad(net, d.x, d.y).grad.net);
    expect(lossOf()).toBeLessThan(before / 4);
  });
});

describe("find over a list of objects", () => {
  function pieces(seed: number, k: number) {
    const rng = mulberry32(seed);
    let end = -1;
    return Array.from({ length: k }, () => ({ end: (end += 0.3 + rng()), line: { slope: rng() - 0.5, base: rng() - 0.5 } }));
  }

  it("piecewise: every mode against finite differences, with a piece found, before the first and past the last", () => {
    for (let k = 0; k < 4; k++) {
      const ps = pieces(40 + k, 1 + k);
      // before every piece's end, between two of them, past the last (nothing found)
      for (const x of [-1.5, ps[0]!.end + 0.05, ps[ps.length - 1]!.end + 0.4]) {
        expectAllModesTree(m.src, m.grad, "piecewise", [x, ps], ["x", "pieces"], ["x", "pieces"], k + 1);
        expect(m.grad.piecewiseGrad(x, ps).value).toBe(m.src.piecewise(x, ps));
      }
    }
  });

  it("the gradient goes to the fields of the pieces found", () => {
    const ps = pieces(7, 3);
    const x = ps[1]!.end - 0.01; // in the second piece, after the first
    const g = m.grad.piecewiseGrad(x, ps).grad.pieces;
    expect(g[1].line).toEqual({ slope: x, base: 1 });
    expect(g[0].line.slope).toBe(1);
    expect(g[2]).toEqual({ end: 0, line: { slope: 0, base: 0 } });
  });

  it("potential: tuple parameters and tuple fields of list elements, in every mode against finite differences", () => {
    for (let k = 0; k < 4; k++) {
      const rng = mulberry32(60 + k);
      const at: [number, number] = [rng() - 0.5, rng() - 0.5];
      const bodies = Array.from({ length: 2 + k }, () => ({ pos: [2 * rng() - 1, 2 * rng() - 1] as [number, number], mass: rng() + 0.5 }));
      expectAllModesTree(m.src, m.grad, "potential", [at, bodies], ["at", "bodies"], ["at", "bodies"], k + 1);
      const g = m.grad.potentialGrad(at, bodies);
      expect(g.value).toBe(m.src.potential(at, bodies));
      expect(Array.isArray(g.grad.at) && g.grad.at.length).toBe(2);
      expect(g.grad.bodies[0].pos.length).toBe(2);
    }
    // the signatures keep the tuple types
    expect(m.output).toMatch(/export function potentialGrad\(\n  at: \[number, number\],\n  bodies: \{\n    pos: \[number, number\];/);
  });

  it("destructuredWalks: for…of destructuring records, pairs and rows (a default, a rest), in every mode", () => {
    for (let k = 0; k < 4; k++) {
      const rng = mulberry32(70 + k);
      const bodies = Array.from({ length: 1 + k }, () => ({ pos: [2 * rng() - 1, 2 * rng() - 1] as [number, number], mass: rng() + 0.5 }));
      const pts = Array.from({ length: 2 + k }, () => [rng() - 0.5, rng() - 0.5] as [number, number]);
      // rows of 1, 2, 3, … elements: the default where a row has no second, the rest from the third
      const rows = Array.from({ length: 3 }, (_, i) => randomArray(rng, 1 + ((i + k) % 4)));
      const x = 0.3 * k - 0.5;
      expectAllModesTree(m.src, m.grad, "destructuredWalks", [bodies, pts, rows, x], ["bodies", "pts", "rows", "x"], ["bodies", "pts", "rows", "x"], k + 1);
      expect(m.grad.destructuredWalksGrad(bodies, pts, rows, x).value).toBe(m.src.destructuredWalks(bodies, pts, rows, x));
    }
    const r = compileSource(`/** @differentiable */\nexport function f(xs: Float64Array): number {\n  let s = 0;\n  for (const [a] of xs) s += a;\n  return s;\n}\n`, "numbers.ts");
    expect(r.diagnostics.map((d) => d.message).join("\n")).toMatch(/The elements of 'xs' are numbers, which cannot be destructured: write 'for \(const v of xs\)'/);
  });

  it("rejects tuples that are not all numbers, naming the fix", () => {
    for (const t of ["[number, string]", "[number, number?]", "[number, ...number[]]"]) {
      const r = compileSource(`/** @differentiable */\nexport function f(p: ${t}): number {\n  return p[0];\n}\n`, "tuple-error.ts");
      expect(r.diagnostics.map((d) => d.message).join("\n")).toMatch(/a tuple is supported when each element is a number, none optional or a rest \(\[number, number\]\); use number\[\] or a Float64Array/);
    }
  });

  it("rejects a find not bound to a constant, and one over elements that hold arrays", () => {
    const unbound = compileSource("interface P { a: number }\n/** @differentiable */\nexport function f(x: number, ps: P[]): number {\n  let q = ps.find((p) => p.a > x);\n  return q ? q.a : 0;\n}\n", "find-error.ts");
    expect(unbound.diagnostics.map((d) => d.message).join("\n")).toMatch(/The element 'find' finds may be undefined: bind it to a constant \(const el = ps\.find\(…\)\)/);
    const arrays = compileSource("interface L { W: Float64Array; b: number }\n/** @differentiable */\nexport function f(x: number, ls: L[]): number {\n  const l = ls.find((q) => q.b > x);\n  return l ? l.b : 0;\n}\n", "find-error.ts");
    expect(arrays.diagnostics.map((d) => d.message).join("\n")).toMatch(/'find' returns elements of 'ls' that hold arrays or lists, which is not supported: use findIndex/);
    const unguarded = compileSource("interface P { a: { b: number } }\n/** @differentiable */\nexport function f(x: number, ps: P[]): number {\n  const q = ps.find((p) => p.a.b > x);\n  return x * q?.a.b;\n}\n", "find-error.ts");
    expect(unguarded.diagnostics.map((d) => d.message).join("\n")).toMatch(/'q\?\.a\.b' is undefined when 'q' finds nothing: give a fallback \(q\?\.a\.b \?\? 0\), or test 'q' first/);
  });
});

describe("lists: what is rejected, with the fix", () => {
  const header = "interface L { W: Float64Array; b: number }\n";
  const cases: [string, string, RegExp][] = [
    ["a write into an element's array", "export function f(ls: L[]): number { ls[0]!.W[0] = 1; return ls[0]!.b; }", /part of an element of a list passed in.*copy it/],
    ["a write through a for-of variable", "export function f(ls: L[]): number { let t = 0; for (const l of ls) { l.W.fill(0); t += l.b; } return t; }", /part of an element of a list/],
    ["a field write of an element", "export function f(ls: L[]): number { ls[0]!.b = 2; return ls[0]!.b; }", /would change an object passed in/],
    ["replacing an element", "export function f(ls: L[], m: L): number { ls[0] = m; return m.b; }", /Writing an element of the list 'ls'/],
    ["a list built in the function", "export function f(m: L): number { const ls = [m, m]; return ls.length; }", /list of objects or arrays built in the function/],
    ["a list of objects built by pushing", "interface P { x: number; y: number }\nexport function f(x: number): number { const ps: P[] = []; ps.push({ x, y: 2 * x }); return ps[0]!.x; }", /'ps' is a list of objects or arrays built in the function.*Keep each field in an array of its own, one element per object.*or pass the list in as a parameter \(ps: P\[\]\)/],
    ["a matrix with rows of different lengths", "export function f(x: number[]): number { const M: number[][] = [[1, 2], [3]]; return M[0][1] * x[0]; }", /A matrix built here is a literal of rows of one length \(\[\[a, b\], \[c, d\]\]\) or Array\.from\(\{ length: n \}, \(\) => new Float64Array\(m\)\)/],
    ["a matrix built here used as a whole", "export function f(x: number): number { const M = [[x, 1], [2, x]]; const N = M; return N[0][0]; }", /'M' is a matrix built in this function: take its rows \(M\[i\]\).*or pass it to a helper; the matrix as a whole cannot be used here/],
    ["a helper using a matrix passed to it as a whole", "function g(m: number[][]): number { const k = m; return k[0]![0]!; }\nexport function f(x: number): number { const M = [[x, 1], [2, x]]; return g(M); }", /'m' of 'g' is a matrix built in the function that calls it: take its rows \(m\[i\]\).*the matrix as a whole cannot be used here/],
    ["a helper replacing a row of a matrix passed to it", "function g(m: Float64Array[], r: Float64Array): void { m[0] = r; }\nexport function f(x: Float64Array): number { const M = Array.from({ length: 2 }, () => new Float64Array(2)); g(M, x); return M[0][1]; }", /A row of the matrix 'm' cannot be replaced.*m\[i\]\.set\(row\)/],
    ["a matrix row replaced", "export function f(x: Float64Array): number { const M = Array.from({ length: 2 }, () => new Float64Array(2)); M[0] = x; return M[0][1]; }", /A row of the matrix 'M' cannot be replaced.*M\[i\]\.set\(row\)/],
    ["a matrix of rows that vary", "export function f(x: Float64Array): number { const M = Array.from({ length: 2 }, (_, i) => new Float64Array(i + 1)); return M[1][1] * x[0]; }", /The rows of 'M' must all have one length and value: '_?i' varies/],
    ["a forEach writing an element's array", "export function f(ls: L[]): number { ls.forEach((l) => { l.W[0] = 1; }); return ls[0]!.b; }", /'l\.W' is part of an element of a list passed in/],
    ["reduce over a list without an initial value", "export function f(ls: L[]): number { return ls.reduce((acc, l) => acc + l.b); }", /'reduce' over the elements of a list takes an initial value/],
    ["a spread of an element", "export function f(ls: L[]): number { const q = { ...ls[0]!, c: 1 }; return q.b * q.c; }", /'ls\[0\]!' is an element of a list passed in, whose arrays a copy would share/],
    ["a search for an element of a list", "export function f(ls: L[]): number { return ls.includes(ls[0]!) ? 1 : ls[0]!.b; }", /'includes' over the elements of a list is not supported: test them with a predicate/],
    ["a helper writing an element's array", "function g(l: L): void { l.W[0] = 0; }\nexport function f(ls: L[]): number { g(ls[0]!); return ls[0]!.b; }", /part of an element of a list/],
  ];
  for (const [what, body, want] of cases) {
    it(what, () => {
      const src = header + body.replace("export function", "/** @differentiable */\nexport function");
      const r = compileSource(src, "list-error.ts");
      expect(r.diagnostics.map((d) => d.message).join("\n")).toMatch(want);
      expect(r.diagnostics.every((d) => d.line > 0)).toBe(true);
    });
  }
});
