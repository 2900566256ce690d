/**
 * `adjoint graph` and `adjoint table` on the seed fixtures: the lecture notes' primal/tangent
 * table to its three decimals, adjoints that agree with the generated gradient, SVGs that parse
 * as XML with one node per step, DOT output, inputs from JSON, and usage errors.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, it, expect, beforeAll } from "vitest";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { main } from "../cli/main.ts";
import { createProgram } from "../compiler/index.ts";
import { lowerFunction } from "../compiler/graph/source.ts";
import { leafSteps, formatValue } from "../compiler/graph/labels.ts";
import type { IRFunction } from "../compiler/ir/types.ts";
import { ROOT } from "./helpers.ts";
import * as tableGrad from "../fixtures/seeds/table.grad.ts";
import * as tableFwd from "../fixtures/seeds/table.forward.grad.ts";
import * as modelsGrad from "../fixtures/programs/models.grad.ts";

const TMP = path.join(ROOT, ".tmp", `cli-graph-${process.pid}`);

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "", err = "";
  const code = await main(["node", "adjoint", ...args], { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

function lowered(rel: string, name?: string): IRFunction {
  const file = path.join(ROOT, rel);
  const program = createProgram([file]);
  const l = lowerFunction(program, program.getSourceFile(file)!, name);
  if (!l.ok) throw new Error(`cannot lower ${rel}`);
  return l.ir;
}

/** Every <g> element of an SVG, as parsed XML. */
function groups(svg: string): { class?: string; title?: string }[] {
  expect(XMLValidator.validate(svg)).toBe(true);
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "" }).parse(svg);
  const out: { class?: string; title?: string }[] = [];
  const visit = (g: unknown) => {
    for (const x of Array.isArray(g) ? g : [g]) {
      if (!x || typeof x !== "object") continue;
      const o = x as Record<string, unknown>;
      out.push({ class: o.class as string | undefined, title: o.title as string | undefined });
      if (o.g) visit(o.g);
    }
  };
  visit(doc.svg.g);
  return out;
}

const classes = (svg: string, kind: string) => groups(svg).filter((g) => g.class?.split(" ").includes("node") && g.class.split(" ").includes(kind));

beforeAll(() => fs.mkdirSync(TMP, { recursive: true }));

describe("adjoint table", () => {
  // lecture notes 001: f(x1, x2) at (1.5, 0.5) along (1, 0)
  const LECTURE: [string, string, string, string][] = [
    ["v1", "x1 / x2", "3.000", "2.000"],
    ["v2", "Math.sin(v1)", "0.141", "-1.980"],
    ["v3", "Math.exp(x2)", "1.649", "0.000"],
    ["v4", "v1 - v3", "1.351", "2.000"],
    ["v5", "v2 + v4", "1.492", "0.020"],
    ["t6", "v5 * v4", "2.017", "3.012"],
  ];

  it("prints seed 001's primal/tangent table at (1.5, 0.5) along (1, 0)", async () => {
    const r = await run("table", "fixtures/seeds/table.ts", "--at", "x1=1.5,x2=0.5", "--tangent", "x1=1,x2=0");
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const forward = r.out.slice(0, r.out.indexOf("Reverse mode"));
    const rows = forward.split("\n").map((l) => l.trim().split(/\s{3,}/));
    for (const want of LECTURE) expect(rows).toContainEqual(want);
    expect(rows).toContainEqual(["x1", "input", "1.500", "1.000"]);
    expect(rows).toContainEqual(["x2", "input", "0.500", "0.000"]);
    expect(rows).toContainEqual(["f(x1, x2)", "result", "2.017", "3.012"]);
    // the forward rows come in program order
    const order = LECTURE.map(([v]) => rows.findIndex((row) => row[0] === v));
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it("prints the adjoints, which are the generated gradient", async () => {
    const r = await run("table", "fixtures/seeds/table.ts", "--at", "x1=1.5,x2=0.5", "--digits", "9");
    expect(r.code).toBe(0);
    const reverse = r.out.slice(r.out.indexOf("Reverse mode")).split("\n").map((l) => l.trim().split(/\s{3,}/));
    const g = tableGrad.fGrad(1.5, 0.5).grad;
    expect(reverse).toContainEqual(["x1", "input", g.x1.toFixed(9)]);
    expect(reverse).toContainEqual(["x2", "input", g.x2.toFixed(9)]);
    // ∂f/∂x2 is the tangent along (0, 1)
    expect(g.x2).toBeCloseTo(tableFwd.fJvp(1.5, 0.5, { x2: 1 }).tangent, 12);
    // from the result back: t6 first, the inputs last
    const names = reverse.map((row) => row[0]);
    expect(names.indexOf("t6")).toBeLessThan(names.indexOf("v1"));
    expect(names.indexOf("v1")).toBeLessThan(names.indexOf("x1"));
  });

  it("takes array inputs from a JSON file and prints one row per executed step", async () => {
    const inputs = { W1: [0.5, -0.3, 0.8, 0.1, -0.6, 0.4], b1: [0.1, -0.2], w2: [0.7, -0.5], b2: 0.05, x: [1, -0.5, 0.25], target: 0.3 };
    const file = path.join(TMP, "mlp.json");
    fs.writeFileSync(file, JSON.stringify(inputs));
    const r = await run("table", "fixtures/programs/models.ts", "--fn", "mlpLoss", "--at", `@${file}`, "--digits", "12", "--max-rows", "1000");
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const forward = r.out.slice(0, r.out.indexOf("Reverse mode"));
    // h = 2 hidden units, d = 3 inputs: W1[i * d + j] is loaded 6 times
    expect(forward.split("\n").filter((l) => /^\s+t\d+\s+W1\[\d\]/.test(l))).toHaveLength(6);
    const g = modelsGrad.mlpLossGrad(...(Object.values(inputs).map((v) => (Array.isArray(v) ? Float64Array.from(v) : v)) as Parameters<typeof modelsGrad.mlpLossGrad>));
    const reverse = r.out.slice(r.out.indexOf("Reverse mode")).split("\n").map((l) => l.trim().split(/\s{3,}/));
    expect(reverse).toContainEqual(["b2", "input", g.grad.b2.toFixed(12)]);
  });

  it("needs a point, and says what is wrong with one", async () => {
    let r = await run("table", "fixtures/seeds/table.ts");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/needs a point: --at x1=1.5,x2=0.5/);
    r = await run("table", "fixtures/seeds/table.ts", "--at", "x1=1.5");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no value for 'x2' \(f takes x1: number, x2: number\)/);
    r = await run("table", "fixtures/seeds/table.ts", "--at", "x1=1.5,x2=abc");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/'abc' is not a number/);
    r = await run("table", "fixtures/seeds/table.ts", "--at", "x1=1,x2=2,y=3");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/f has no parameter 'y'/);
    r = await run("table", "fixtures/programs/models.ts", "--at", "a=1");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/several @differentiable functions .*choose one with --fn/);
    r = await run("table", "fixtures/seeds/table.ts", "--fn", "g", "--at", "x1=1");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no @differentiable function 'g' \(this file has f\)/);
  });
});

describe("adjoint graph", () => {
  const seeds = ["table", "chain", "logistic", "neuron"];

  it.each(seeds)("fixtures/seeds/%s.ts: the SVG parses as XML and has one node per step (--expand)", async (name) => {
    const rel = `fixtures/seeds/${name}.ts`;
    const out = path.join(TMP, `${name}.svg`);
    const r = await run("graph", rel, "--expand", "-o", out);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const svg = fs.readFileSync(out, "utf8");
    const ir = lowered(rel);
    expect(classes(svg, "step")).toHaveLength(leafSteps(ir.body).length);
    expect(classes(svg, "input")).toHaveLength(ir.params.length);
    expect(classes(svg, "output")).toHaveLength(1);
  });

  it("draws an inlined helper call as one node, and its steps with --expand", async () => {
    const ir = lowered("fixtures/seeds/chain.ts");
    const collapsed = (await run("graph", "fixtures/seeds/chain.ts")).out;
    const expanded = (await run("graph", "fixtures/seeds/chain.ts", "--expand")).out;
    // composite(x1, x2) calls z1, z2, h1, h2 and p: every step of the function is in a helper
    expect(classes(collapsed, "helper")).toHaveLength(5);
    expect(classes(collapsed, "step")).toHaveLength(0);
    expect(classes(expanded, "helper")).toHaveLength(0);
    expect(classes(expanded, "step")).toHaveLength(leafSteps(ir.body).length);
    // the expanded helpers are clusters named after them
    for (const h of ["z1", "z2", "h1", "h2", "p"]) expect(expanded).toContain(`${h}(…), inlined`);
  });

  it("with --at and --tangent shows values, tangents, adjoints and local partials", async () => {
    const r = await run("graph", "fixtures/seeds/table.ts", "--at", "x1=1.5,x2=0.5", "--tangent", "x1=1", "--format", "dot");
    expect(r.code).toBe(0);
    const dot = r.out;
    expect(dot.startsWith('digraph "f" {')).toBe(true);
    const g = tableGrad.fGrad(1.5, 0.5).grad;
    // x1's adjoint is ∂f/∂x1 (= its tangent along (1, 0)), x2's is ∂f/∂x2
    expect(dot).toContain(`v̄ = ${formatValue(g.x1)}`);
    expect(dot).toContain(`v̄ = ${formatValue(g.x2)}`);
    expect(dot).toContain("v̇ = 3.012");
    // v1 = x1 / x2: ∂v1/∂x1 = 1/x2 = 2, ∂v1/∂x2 = −x1/x2² = −6
    expect(dot).toMatch(/in_x1 -> n\d+ \[[^\]]*label="∂ 2"/);
    expect(dot).toMatch(/in_x2 -> n\d+ \[[^\]]*label="∂ -6"/);
  });

  it("labels the edges into a collapsed helper call with its local partials (seed 000's graph)", async () => {
    const r = await run("graph", "fixtures/seeds/chain.ts", "--at", "x1=0.5,x2=-0.3", "--format", "dot");
    expect(r.code).toBe(0);
    const x1 = 0.5, x2 = -0.3;
    const a = x1 * x1 + x2, b = Math.sin(x1 * x2);
    const node = (name: string) => r.out.match(new RegExp(`^  (n\\d+) \\[label=<[^\\n]*<B>${name}\\(`, "m"))![1];
    const edge = (from: string, to: string) => r.out.match(new RegExp(`^  ${from} -> ${to} \\[[^\\n]*label="∂ ([^"]+)"`, "m"))?.[1];
    const [z1, z2, h1, h2] = ["z1", "z2", "h1", "h2"].map(node);
    expect(r.out).toContain("<B>z1(x1, x2)</B>");
    expect(edge("in_x1", z1)).toBe(formatValue(2 * x1)); // z1 = x1² + x2
    expect(edge("in_x2", z1)).toBe("1");
    expect(edge("in_x1", z2)).toBe(formatValue(x2 * Math.cos(x1 * x2))); // z2 = sin(x1·x2)
    expect(edge("in_x2", z2)).toBe(formatValue(x1 * Math.cos(x1 * x2)));
    expect(edge(z1, h1)).toBe(formatValue(b)); // h1 = a·b
    expect(edge(z2, h1)).toBe(formatValue(a));
    expect(edge(z1, h2)).toBe(formatValue(Math.exp(a))); // h2 = e^a − b
    expect(edge(z2, h2)).toBe("-1");
  });

  it("labels loops with their trip counts and branches with their decisions", async () => {
    const inputs = path.join(TMP, "mlp2.json");
    fs.writeFileSync(inputs, JSON.stringify({ W1: [0.5, -0.3, 0.8, 0.1, -0.6, 0.4], b1: [0.1, -0.2], w2: [0.7, -0.5], b2: 0.05, x: [1, -0.5, 0.25], target: 0.3 }));
    let r = await run("graph", "fixtures/programs/models.ts", "--fn", "mlpLoss", "--at", `@${inputs}`, "--format", "dot");
    expect(r.code).toBe(0);
    expect(r.out).toContain("for i = 0; i < h; i += 1 (2 trips)");
    expect(r.out).toContain("for j = 0; j < d; j += 1 (3 trips, entered 2 times)");
    r = await run("graph", "fixtures/seeds/logistic.ts", "--at", "w0=0.1,w1=0.2,w2=-0.3,x1=1,x2=2,y=1", "--format", "dot");
    expect(r.out).toContain("if margin < -30 (not taken)");
    // a counted loop with constant bounds has a known trip count without a point
    r = await run("graph", "fixtures/programs/models.ts", "--fn", "dampedOscillator", "--format", "dot");
    expect(r.out).toContain("for step = 0; step < 1000; step += 1 (1000 trips)");
  });

  it("reports diagnostics with their code frame and exit code 1", async () => {
    const r = await run("graph", "fixtures/errors/array-method.ts");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/error AD1001: The array method .copyWithin. is not supported/);
    expect(r.err).toContain("^");
  });

  it("--active-only leaves out the steps no derivative flows through", async () => {
    const all = (await run("graph", "fixtures/programs/layers.ts", "--fn", "mlpLoss")).out;
    const active = (await run("graph", "fixtures/programs/layers.ts", "--fn", "mlpLoss", "--active-only")).out;
    expect(XMLValidator.validate(active)).toBe(true);
    const steps = classes(all, "step"), activeSteps = classes(all, "step").filter((g) => g.class!.includes("active"));
    expect(activeSteps.length).toBeGreaterThan(10);
    expect(activeSteps.length).toBeLessThan(steps.length);
    expect(classes(active, "step")).toHaveLength(activeSteps.length);
    expect(classes(active, "step").filter((g) => !g.class!.includes("active"))).toEqual([]);
    // the matrix-level steps are all there: three gemm calls forward
    expect(active.match(/gemm · line/g)).toHaveLength(3);
  });

  it("rejects an unknown format", async () => {
    const r = await run("graph", "fixtures/seeds/table.ts", "--format", "png");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown --format 'png': choose svg or dot/);
  });
});
