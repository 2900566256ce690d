/**
 * Each pass on its own, called directly on the IR: lowering (SSA versions, jump elimination,
 * inlining, load reuse), activity, reverse mode (the plan's keep/recompute/save decisions as IR
 * statements), forward mode (tangents beside their statements, tape traffic mirrored) and the
 * simplifier (first contribution, propagation, dead code by scope, constification).
 */
import path from "node:path";
import { describe, it, expect } from "vitest";
import { createProgram } from "../../compiler/index.ts";
import { lowerAll } from "../../compiler/pipeline.ts";
import type { Expr, GenFunction, IRFunction, Stmt, VarInfo } from "../../compiler/ir/types.ts";
import { ref, num } from "../../compiler/ir/types.ts";
import { apply } from "../../compiler/ir/expr.ts";
import { stmtsText, printIR } from "../../compiler/ir/print.ts";
import { analyzeActivity } from "../../compiler/passes/4-activity/index.ts";
import { reverseMode } from "../../compiler/passes/5-reverse/index.ts";
import { Tangents } from "../../compiler/passes/5-forward/index.ts";
import { simplify } from "../../compiler/passes/6-simplify/index.ts";
import { Names } from "../../compiler/naming.ts";

/** Lowers the annotated functions of an in-memory module. */
function lowerText(text: string): IRFunction[] {
  const file = path.resolve("/virtual/passes.ts");
  const program = createProgram([file], new Map([[file, text]]));
  const { fns, diagnostics } = lowerAll(program, program.getSourceFile(file)!);
  expect(diagnostics).toEqual([]);
  return fns.map((f) => f.ir);
}

const at = { file: "/virtual/ir.ts", start: 0, end: 0, line: 0, col: 0 };
const vars = (entries: [string, VarInfo["type"], VarInfo["kind"]][]): Map<string, VarInfo> =>
  new Map(entries.map(([name, type, kind]) => [name, { name, type, kind }]));

describe("lower", () => {
  it("gives straight-line code SSA versions and one step per operation", () => {
    const [f] = lowerText(`/** @differentiable */
export function f(x: number, y: number): number {
  let z = x * y;
  z = Math.sin(z) + x;
  return z * z;
}`);
    expect(printIR(f)).toBe([
      "function f(x: num, y: num) wrt x y",
      "  z = *(x, y)    ; line 3",
      "  t2 = Math.sin(z)    ; line 4",
      "  t3 = +(t2, x)    ; line 4",
      "  z_1 = copy(t3)    ; line 4",
      "  t4 = *(z_1, z_1)    ; line 5",
      "  return t4",
    ].join("\n"));
  });

  it("removes an early return by nesting the rest under the branch that falls through", () => {
    const [f] = lowerText(`/** @differentiable */
export function f(x: number): number {
  if (x < 0) return -x;
  const y = x * 2;
  return y + 1;
}`);
    const text = printIR(f);
    expect(text).not.toMatch(/return .*\n.*return/);
    expect(text).toContain("if t1 {");
    expect(text).toContain("} else {");
    expect(f.body.filter((s) => s.kind === "if")).toHaveLength(1);
  });

  it("carries a break out of a general loop with a flag", () => {
    const [f] = lowerText(`/** @differentiable */
export function f(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    if (x[i] > 5) break;
    s += x[i];
  }
  return s;
}`);
    const loop = f.body.find((s) => s.kind === "loop");
    expect(loop).toBeDefined();
    expect([...f.vars.values()].filter((v) => v.kind === "flag").map((v) => v.name)).toEqual(["broke"]);
  });

  it("inlines a helper and reads an element once per block", () => {
    const [f] = lowerText(`function sq(v: number): number { return v * v; }
/** @differentiable */
export function f(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += sq(x[i]) + x[i] * x[i];
  return s;
}`);
    const loads: Stmt[] = [];
    const visit = (b: Stmt[]) => { for (const s of b) { if (s.kind === "load") loads.push(s); if (s.kind === "for") visit(s.body); } };
    visit(f.body);
    expect(loads).toHaveLength(1);
    expect(printIR(f)).not.toContain("call");
  });
});

describe("activity", () => {
  it("is varied ∩ useful: counters, sizes, conditions and unused values carry no derivative", () => {
    const [f] = lowerText(`/** @differentiable @wrt w */
export function f(w: Float64Array, x: Float64Array): number {
  let s = 0;
  let unused = 0;
  for (let i = 0; i < w.length; i++) {
    const p = w[i] * x[i];
    unused += Math.exp(p);
    if (p > 0) s += p;
  }
  return s;
}`);
    const act = analyzeActivity(f.body, f.wrt, ["s"], f.vars);
    expect(act.active.has("w")).toBe(true);
    expect(act.active.has("s")).toBe(true);
    expect(act.active.has("p")).toBe(true);
    expect(act.active.has("x")).toBe(false);
    expect(act.active.has("unused")).toBe(false);
    expect(act.active.has("i")).toBe(false);
    expect(act.varied.has("unused")).toBe(true);
  });
});

describe("reverse", () => {
  it("plans a loop: cheap loads are recomputed, an overwritten value goes on the tape, the loop runs backwards", () => {
    const [f] = lowerText(`/** @differentiable */
export function f(x: Float64Array, a: number): number {
  let s = a;
  for (let i = 0; i < x.length; i++) s = Math.sin(s) * x[i];
  return s;
}`);
    const act = analyzeActivity(f.body, f.wrt, ["s"], f.vars);
    const g = reverseMode(f, act, f.names.clone());
    const text = stmtsText(g.body).join("\n");
    expect(g.name).toBe("fGrad");
    expect(g.tape).toBeDefined();
    // forward: the old s is pushed before it is overwritten
    expect(text).toMatch(/push s\n\s+s = copy\(t\d+\)/);
    // reverse: the loop counts down, reloads x[i] instead of taping it, and restores s from the tape
    expect(text).toMatch(/for i = -\(t\d+, 1\); i >= 0; i \+= -1 \{\n\s+const t2 = pop t2\n\s+const t3 = load x\[i\]/);
    expect(text).toContain("s = pop s");
    expect(g.result.kind).toBe("record");
  });

  it("keeps values of straight-line code as constants the reverse sweep reads (no tape)", () => {
    const [f] = lowerText(`/** @differentiable */
export function f(x: number): number {
  const e = Math.exp(x);
  return e * e;
}`);
    const g = reverseMode(f, analyzeActivity(f.body, f.wrt, ["t1"], f.vars), f.names.clone());
    expect(g.tape).toBeUndefined();
    expect(stmtsText(g.body).join("\n")).toContain("const e = Math.exp(x)");
  });

  it("keeps a cheap value on the tape when recomputing it would keep two of its operands instead", () => {
    // one in-place heat step: r's partial needs t = (left − 2c) + u[i+1]; left − 2c and u[i+1]
    // are both lost by the next iteration, so t itself is kept (one number per iteration, not two)
    const [f] = lowerText(`/** @differentiable */
export function f(u: Float64Array, r: number): number {
  let left = u[0];
  for (let i = 1; i < u.length - 1; i++) {
    const c = u[i];
    u[i] = c + r * (left - 2 * c + u[i + 1]);
    left = c;
  }
  return u[1];
}`);
    const act = analyzeActivity(f.body, f.wrt, [(f.result as { name: string }).name], f.vars);
    const text = stmtsText(reverseMode(f, act, f.names.clone()).body).join("\n");
    expect(text.match(/\bpush\b/g)).toHaveLength(1);
    expect(text).toMatch(/push (t\d+)[\s\S]*const \1 = pop \1/);
  });
});

describe("forward", () => {
  it("puts a tangent after each active step, before a self-update, and mirrors the tape", () => {
    // y = sin(x); s = s + y; push y; ... ; y = pop
    const v = vars([["x", "num", "param"], ["y", "num", "local"], ["s", "num", "local"], ["k", "num", "local"]]);
    const body: Stmt[] = [
      { kind: "op", target: "y", op: "Math.sin", args: [ref("x")], decl: "const", loc: at },
      { kind: "op", target: "s", op: "+", args: [ref("s"), ref("y")], loc: at },
      { kind: "op", target: "k", op: "Math.floor", args: [ref("x")], decl: "const", loc: at },
      { kind: "push", type: "num", value: ref("y"), key: "y", loc: at },
      { kind: "assign", target: "y", op: "=", value: { kind: "pop", type: "num", key: "y" }, loc: at },
    ];
    const act = analyzeActivity(body, ["x"], ["s", "y"], v);
    const t = new Tangents(v, act.active, new Names());
    expect(stmtsText(t.block(body))).toEqual([
      "const y = Math.sin(x)",
      "const dot_y = *(Math.cos(x), dot_x)",
      "dot_s = +(dot_s, dot_y)",
      "s = +(s, y)",
      "const k = Math.floor(x)",
      "push y",
      "push dot_y",
      "dot_y = pop y'",
      "y = pop y",
    ]);
  });
});

describe("simplify", () => {
  const fn = (body: Stmt[], result: Expr, v: Map<string, VarInfo>): GenFunction => ({
    name: "g", doc: "", params: [], returnType: { k: "number" }, body, result, vars: v, file: at.file,
  });

  it("folds a first contribution, propagates copies and constants, and constifies", () => {
    const v = vars([["x", "num", "param"], ["d_a", "num", "adjoint"], ["d_b", "num", "adjoint"], ["d_c", "num", "adjoint"]]);
    const out = simplify(fn([
      { kind: "assign", target: "d_a", op: "=", value: num(0), decl: "let", loc: at },
      { kind: "assign", target: "d_b", op: "=", value: num(1), decl: "const", loc: at },
      { kind: "assign", target: "d_a", op: "+=", value: apply("*", ref("d_b"), apply("Math.sin", ref("x"))), loc: at },
      { kind: "assign", target: "d_c", op: "=", value: ref("d_a"), decl: "const", loc: at },
    ], { kind: "record", fields: [["x", ref("d_c")]] }, v));
    // d_b = 1 folds away (1 * sin x), d_a's first contribution declares it, d_c is a copy
    expect(stmtsText(out.body)).toEqual(["const d_a = Math.sin(x)"]);
    expect(out.result).toEqual({ kind: "record", fields: [["x", ref("d_a")]] });
  });

  it("removes a declaration nobody reads even when a same-named variable in another block is read", () => {
    const v = vars([["x", "arr", "param"], ["t", "num", "temp"], ["n", "num", "local"]]);
    const loop = (body: Stmt[]): Stmt => ({ kind: "for", counter: "i", start: num(0), end: ref("n"), cmp: "<", step: 1, body, loc: at });
    const out = simplify(fn([
      { kind: "op", target: "n", op: "length", args: [ref("x")], decl: "const", loc: at },
      loop([{ kind: "load", target: "t", array: "x", index: ref("i"), decl: "const", loc: at }]),
      loop([
        { kind: "load", target: "t", array: "x", index: ref("i"), decl: "const", loc: at },
        { kind: "assign-elem", array: "x", index: ref("i"), op: "+=", value: ref("t"), loc: at },
      ]),
    ], num(0), v));
    expect(stmtsText(out.body)).toEqual([
      "const n = length(x)",
      "for i = 0; i < n; i += 1 {",
      "  const t = load x[i]",
      "  x[i] += t",
      "}",
    ]);
  });

  it("assigns an adjoint element zeroed and then added to, when nothing in between can touch it", () => {
    const v = vars([["d_u", "arr", "adjoint"], ["d_a", "num", "adjoint"], ["d_b", "num", "adjoint"], ["j", "num", "local"], ["i2", "num", "temp"], ["x", "num", "param"]]);
    const loop = (body: Stmt[]): Stmt => ({ kind: "for", counter: "i", start: num(0), end: num(10), cmp: "<", step: 1, body, loc: at });
    const out = simplify(fn([
      loop([
        { kind: "op", target: "i2", op: "+", args: [ref("i"), num(1)], decl: "const", loc: at },
        { kind: "assign", target: "d_a", op: "=", value: { kind: "index", array: "d_u", index: ref("i") }, decl: "const", loc: at },
        { kind: "assign-elem", array: "d_u", index: ref("i"), op: "=", value: num(0), loc: at },
        // another element: told apart (i + 1 ≠ i)
        { kind: "assign-elem", array: "d_u", index: ref("i2"), op: "+=", value: apply("*", ref("d_a"), ref("x")), loc: at },
        { kind: "assign-elem", array: "d_u", index: ref("i"), op: "+=", value: apply("Math.sin", ref("d_a")), loc: at },
      ]),
      loop([
        { kind: "assign", target: "d_b", op: "=", value: { kind: "index", array: "d_u", index: ref("i") }, decl: "const", loc: at },
        { kind: "assign-elem", array: "d_u", index: ref("i"), op: "=", value: num(0), loc: at },
        // an element that may be d_u[i]: the zeroing must stay
        { kind: "assign-elem", array: "d_u", index: ref("j"), op: "+=", value: ref("d_b"), loc: at },
        { kind: "assign-elem", array: "d_u", index: ref("i"), op: "+=", value: ref("d_b"), loc: at },
      ]),
      loop([
        { kind: "assign", target: "d_b", op: "=", value: { kind: "index", array: "d_u", index: ref("i") }, decl: "const", loc: at },
        { kind: "assign-elem", array: "d_u", index: ref("i"), op: "=", value: num(0), loc: at },
        { kind: "assign-elem", array: "d_u", index: ref("i"), op: "+=", value: ref("d_b"), loc: at },
      ]),
    ], ref("d_u"), v));
    expect(stmtsText(out.body)).toEqual([
      "for i = 0; i < 10; i += 1 {",
      "  const i2 = +(i, 1)",
      "  const d_a = d_u[i]",
      "  d_u[i2] += *(d_a, x)",
      "  d_u[i] = Math.sin(d_a)",
      "}",
      "for i = 0; i < 10; i += 1 {",
      "  const d_b = d_u[i]",
      "  d_u[i] = 0",
      "  d_u[j] += d_b",
      "  d_u[i] += d_b",
      "}",
    ]);
  });

  it("does not clear a gradient buffer whose first writes are a loop over all of it", () => {
    const v = vars([["x", "arr", "param"], ["y", "arr", "param"], ["n", "num", "temp"], ["m", "num", "temp"], ["t", "num", "temp"],
      ["d_x", "arr", "adjoint"], ["d_y", "arr", "adjoint"], ["g", "arr", "adjoint"], ["d_s", "num", "adjoint"], ["w", "num", "param"]]);
    const len = (a: string): Expr => apply("length", ref(a));
    const zeros = (target: string, a: string): Stmt => ({ kind: "assign", target, op: "=", value: { kind: "call", fn: "zeros", args: [len(a)] }, decl: "const", loc: at });
    const down = (end: Expr, body: Stmt[]): Stmt => ({ kind: "for", counter: "i", start: apply("-", end, num(1)), end: num(0), cmp: ">=", step: -1, body, loc: at });
    const add = (a: string, value: Expr): Stmt => ({ kind: "assign-elem", array: a, index: ref("i"), op: "+=", value, loc: at });
    const load = (a: string): Stmt => ({ kind: "load", target: "t", array: a, index: ref("i"), decl: "const", loc: at });
    const out = simplify(fn([
      { kind: "op", target: "n", op: "length", args: [ref("x")], decl: "const", loc: at },
      { kind: "op", target: "m", op: "-", args: [ref("n"), num(1)], decl: "const", loc: at },
      { kind: "assign", target: "d_s", op: "=", value: apply("Math.exp", ref("w")), decl: "const", loc: at },
      zeros("d_x", "x"),
      zeros("d_y", "y"),
      // every index of d_x, the bound through a constant: assigned, not cleared
      down(ref("n"), [load("y"), add("d_x", apply("*", ref("d_s"), ref("t")))]),
      // d_y's first writes stop one short: it stays cleared and added to
      { kind: "for", counter: "i", start: num(1), end: len("y"), cmp: "<", step: 1, body: [load("x"), add("d_y", ref("t"))], loc: at },
      { kind: "assign", target: "g", op: "=", value: { kind: "call", fn: "zeros", args: [len("y")] }, decl: "const", loc: at },
      { kind: "call", fn: "axpy", args: [len("y"), num(1), ref("d_y"), ref("g")], loc: at },
    ], { kind: "record", fields: [["x", ref("d_x")], ["y", ref("g")], ["m", ref("m")]] }, v));
    expect(stmtsText(out.body)).toEqual([
      "const n = length(x)",
      "const m = -(n, 1)",
      "const d_s = Math.exp(w)",
      "const d_x = call gradBuffer(length(x))",
      "const d_y = call zeros(length(y))",
      "for i = -(n, 1); i >= 0; i += -1 {",
      "  const t = load y[i]",
      "  d_x[i] = *(d_s, t)",
      "}",
      "for i = 1; i < length(y); i += 1 {",
      "  const t = load x[i]",
      "  d_y[i] += t",
      "}",
      "const g = call gradBuffer(length(y))",
      "call copy(length(y), d_y, g)",
    ]);
  });

  it("drops a store to a variable its block declares when nothing after it reads the variable, and a tape nothing uses", () => {
    const v = vars([["x", "num", "param"], ["a", "num", "local"], ["b", "num", "local"], ["a_before", "num", "saved"], ["tape", "num", "local"]]);
    const loop = (body: Stmt[]): Stmt => ({ kind: "for", counter: "i", start: num(0), end: num(3), cmp: "<", step: 1, body, loc: at });
    const out = simplify({
      ...fn([
        { kind: "assign", target: "tape", op: "=", value: { kind: "tape-begin" }, decl: "const", loc: at },
        loop([
          { kind: "assign", target: "a", op: "=", value: ref("x"), decl: "let", loc: at },
          { kind: "assign", target: "a_before", op: "=", value: ref("a"), decl: "const", loc: at },
          { kind: "assign", target: "a", op: "=", value: apply("Math.sin", ref("a")), loc: at },
          { kind: "assign", target: "x", op: "+=", value: ref("a"), loc: at },
          // the restore: a dies with the loop body
          { kind: "assign", target: "a", op: "=", value: ref("a_before"), loc: at },
        ]),
        { kind: "assign", target: "b", op: "=", value: ref("x"), decl: "let", loc: at },
        { kind: "assign", target: "b", op: "=", value: apply("Math.cos", ref("x")), loc: at },
      ], apply("+", ref("x"), ref("b")), v),
      tape: { local: "tape", module: "gTape" },
    });
    expect(out.tape).toBeUndefined();
    expect(stmtsText(out.body)).toEqual([
      "for i = 0; i < 3; i += 1 {",
      "  let a = x",
      "  a = Math.sin(a)",
      "  x += a",
      "}",
      "let b = x",
      // the result reads b: this store stays
      "b = Math.cos(x)",
    ]);
  });
});
