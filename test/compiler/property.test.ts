/**
 * Property tests: random programs from the supported subset, compiled in one module per batch,
 * each checked against central differences.
 *
 * A fast-check arbitrary builds a statement tree for
 *   f(x: Float64Array, a: number, b: number): number
 * (scalar assignments and compound assignments, if/else on comparisons, counted for-loops over
 * the array with reads of x[i] and x[(i + 1) % n], in-place writes into a local
 * `new Float64Array(n)` and reads back, guarded break/continue, early returns, block-local
 * consts). `fc.sample` with a fixed seed gives 30 programs per batch; each batch is one module,
 * compiled once, and every program is checked with expectGradient at 2 points.
 *
 * The tree is rendered twice: as the TypeScript that is compiled, and as a JavaScript twin whose
 * conditions record their outcomes and whose assignments record their magnitudes. A test point
 * is used only if every condition takes the same path across the finite-difference stencil (a
 * branch flip can never pass for a wrong derivative), no intermediate is huge, and the
 * finite-difference reference is stable (see `usable`).
 *
 * A third batch renders the same kind of programs in natural TypeScript: one parameter, an
 * instance of a class (with a method, an accessor and a private field, which the gradient leaves
 * out, and an optional choice among strings read with a fallback), whose array is changed in
 * place, the state as a local object, x read through a view, y a number[], if/else as switch,
 * labelled loops and jumps, a for…of, a logical assignment, and block-local values as arrow
 * functions that read the variables around them (see Render.style).
 *
 * Also: generated code type-checks under strict, compiling is deterministic, and the known
 * compiler bugs this generator found are kept as minimal regression tests at the end.
 * ADJOINT_PROPERTY_SEEDS=1,2,3 runs other batches (a longer hunt); ADJOINT_PROPERTY_PROGRAMS=1000
 * adds that many programs (a nightly run).
 */
import fs from "node:fs";
import path from "node:path";
import fc from "fast-check";
import ts from "typescript";
import { describe, it, expect, beforeAll } from "vitest";
import { compileSource } from "../../compiler/index.ts";
import { numericGradient, richardson, relativeError, maxRelativeError, directionalDerivative, mulberry32 } from "../../runtime/gradcheck.ts";
import { load, expectGradient, randomPoints, ROOT, RUNTIME, type Mod } from "../helpers.ts";

// ---------------------------------------------------------------------------
// Program trees

type Cond = string;
type Stmt =
  | { k: "assign"; v: string; op: "=" | "+=" | "-=" | "*="; e: string }
  | { k: "divAssign"; v: string; e: string }
  | { k: "local"; name: string; e: string; v: string; use: string }
  | { k: "write"; idx: string; op: "=" | "+="; e: string }
  | { k: "if"; c: Cond; then: Stmt[]; else?: Stmt[] }
  /** A counted loop bounded by x's length (`n`) or by that of y, which the program writes. */
  | { k: "for"; i: string; body: Stmt[]; bound: "n" | "y.length" }
  /** `v = v`: a self-assignment. */
  | { k: "self"; v: string }
  /** `const name = v`: a copy nothing reads. */
  | { k: "copy"; name: string; v: string }
  /** `[s0, s1] = [s1, s0 * 0.5 + e]`: in the natural style a destructuring assignment. */
  | { k: "swap"; name: string; e: string }
  /** `y` scaled by a half and shifted by a value: in the natural style a new array (`y = y.map(…)`). */
  | { k: "remap"; name: string; e: string }
  /** `v += (the first element of y above e, else e) / 2`: in the natural style `y.find(…) ?? e`, else a loop with a break. */
  | { k: "search"; name: string; v: string; e: string }
  /** `v += y[k] / 4` for every element of y above e: in the natural style over `y.filter(…)`. */
  | { k: "keep"; name: string; v: string; e: string }
  /** `v += (y[n − 1]·e + e) / 4`: in the natural style from a number[] that y's scaled elements and e are pushed onto. */
  | { k: "grow"; name: string; v: string; e: string }
  /** `s1 = s1 · 0.5 + e`: in the natural style the state object rebound to a spread of itself (`st = { ...st, s1: … }`). */
  | { k: "respread"; e: string }
  /** `v += (the largest element of y · e + the smallest) / 4`, from y sorted (descending in the natural style, numerically in the plain). */
  | { k: "order"; name: string; v: string; e: string }
  /** `v += (e·y[0] + ((y[0]·0.5 + e)·0.5 + e)) / 4`: in the natural style from an array rebound twice to a longer one (`w = g`, g one element longer). */
  | { k: "widen"; name: string; v: string; e: string }
  | { k: "guard"; c: Cond; what: "break" | "continue" }
  | { k: "return"; c: Cond; e: string };

interface Program {
  body: Stmt[];
  ret: string;
}

const SCALARS = ["s0", "s1", "s2", "s3"];
/** Number parameters that statements may reassign. */
const PARAM_TARGETS = ["a", "b"];
const LOOP_VARS = ["i", "j"];

/** Context of a statement or expression: the enclosing loop counters (innermost last). */
interface Ctx {
  loops: string[];
}

function atoms(ctx: Ctx): fc.Arbitrary<string> {
  const opts: fc.Arbitrary<string>[] = [
    fc.constantFrom(...SCALARS),
    fc.constantFrom("a", "b"),
    fc.constantFrom("0.5", "1.25", "2", "(-0.75)"),
    fc.constantFrom("x[0]", "x[n - 1]", "y[1]", "y[0]"),
  ];
  if (ctx.loops.length > 0) {
    const loopVar = fc.constantFrom(...ctx.loops);
    opts.push(
      loopVar.map((i) => `x[${i}]`),
      loopVar.map((i) => `x[(${i} + 1) % n]`),
      loopVar.map((i) => `y[${i}]`),
      loopVar.map((i) => `y[(${i} + n - 1) % n]`),
      loopVar.map((i) => `(${i} * 0.25)`),
      loopVar.map((i) => `((${i} & 1) * 0.5 + (${i} >> 1) * 0.25)`),
    );
  }
  return fc.oneof(...opts);
}

const exprCache = new Map<string, fc.Arbitrary<string>>();

/** Expressions over the atoms with + - * /, and smooth, well-conditioned Math calls. */
function expr(ctx: Ctx, depth: number): fc.Arbitrary<string> {
  const key = `${ctx.loops.join(",")}|${depth}`;
  const hit = exprCache.get(key);
  if (hit) return hit;
  let arb: fc.Arbitrary<string>;
  if (depth === 0) {
    arb = atoms(ctx);
  } else {
    const sub = expr(ctx, depth - 1);
    arb = fc.oneof(
      { weight: 3, arbitrary: atoms(ctx) },
      { weight: 4, arbitrary: fc.tuple(sub, fc.constantFrom("+", "-", "*"), sub).map(([l, op, r]) => `(${l} ${op} ${r})`) },
      { weight: 1, arbitrary: fc.tuple(sub, sub).map(([l, r]) => `(${l} / (1 + ${r} * ${r}))`) },
      { weight: 1, arbitrary: sub.map((e) => `-(${e})`) },
      {
        weight: 3,
        arbitrary: fc.tuple(
          fc.constantFrom(
            (e: string) => `Math.sin(${e})`,
            (e: string) => `Math.cos(${e})`,
            (e: string) => `Math.exp(Math.sin(${e}))`,
            (e: string) => `Math.tanh(${e})`,
            (e: string) => `Math.log(1 + ${e} * ${e})`,
            (e: string) => `Math.sqrt(1 + ${e} * ${e})`,
          ),
          sub,
        ).map(([f, e]) => f(e)),
      },
    );
  }
  exprCache.set(key, arb);
  return arb;
}

function cond(ctx: Ctx): fc.Arbitrary<Cond> {
  const e = expr(ctx, 1);
  const opts: fc.Arbitrary<Cond>[] = [
    fc.tuple(e, fc.constantFrom(">", "<", ">=", "<="), e).map(([l, op, r]) => `${l} ${op} ${r}`),
    fc.tuple(e, fc.constantFrom(">", "<"), fc.constantFrom("0", "0.5", "-0.5", "1")).map(([l, op, r]) => `${l} ${op} ${r}`),
    fc.tuple(e, e, e).map(([l, m, r]) => `${l} > ${m} && ${m} > ${r}`),
    // comparisons of booleans
    fc.tuple(e, e, fc.constantFrom("===", "!=="), e).map(([l, m, op, r]) => `(${l} > ${m}) ${op} (${r} < 0.5)`),
  ];
  if (ctx.loops.length > 0) {
    opts.push(fc.tuple(fc.constantFrom(...ctx.loops), fc.constantFrom("0", "1")).map(([i, r]) => `${i} % 2 === ${r}`));
  }
  return fc.oneof(...opts);
}

let localCounter = 0;

/** Statements; `nest` bounds how many more if/for levels may be opened. */
function stmt(ctx: Ctx, nest: number): fc.Arbitrary<Stmt> {
  const e = expr(ctx, 2);
  // assignments also reassign the number parameters a and b, in branches and loops
  const v = fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...SCALARS) }, { weight: 1, arbitrary: fc.constantFrom(...PARAM_TARGETS) });
  const opts: { weight: number; arbitrary: fc.Arbitrary<Stmt> }[] = [
    { weight: 6, arbitrary: fc.tuple(v, fc.constantFrom("=", "+=", "-=", "*=") as fc.Arbitrary<"=" | "+=" | "-=" | "*=">, e).map(([v, op, e]): Stmt => ({ k: "assign", v, op, e })) },
    { weight: 1, arbitrary: fc.tuple(v, e).map(([v, e]): Stmt => ({ k: "divAssign", v, e })) },
    { weight: 1, arbitrary: fc.tuple(e, v, expr(ctx, 1)).map(([e, v, use]): Stmt => ({ k: "local", name: `u${localCounter++}`, e, v, use })) },
    { weight: 1, arbitrary: fc.tuple(e, cond(ctx)).map(([e, c]): Stmt => ({ k: "return", c, e })) },
    { weight: 1, arbitrary: v.map((v): Stmt => ({ k: "self", v })) },
    { weight: 1, arbitrary: v.map((v): Stmt => ({ k: "copy", name: `u${localCounter++}`, v })) },
    { weight: 1, arbitrary: e.map((e): Stmt => ({ k: "remap", name: `u${localCounter++}`, e })) },
    { weight: 1, arbitrary: e.map((e): Stmt => ({ k: "swap", name: `u${localCounter++}`, e })) },
    { weight: 1, arbitrary: fc.tuple(v, e).map(([v, e]): Stmt => ({ k: "search", name: `u${localCounter++}`, v, e })) },
    { weight: 1, arbitrary: fc.tuple(v, e).map(([v, e]): Stmt => ({ k: "keep", name: `u${localCounter++}`, v, e })) },
    { weight: 1, arbitrary: fc.tuple(v, e).map(([v, e]): Stmt => ({ k: "grow", name: `u${localCounter++}`, v, e })) },
    { weight: 1, arbitrary: fc.tuple(v, e).map(([v, e]): Stmt => ({ k: "order", name: `u${localCounter++}`, v, e })) },
    { weight: 1, arbitrary: fc.tuple(v, e).map(([v, e]): Stmt => ({ k: "widen", name: `u${localCounter++}`, v, e })) },
    { weight: 1, arbitrary: e.map((e): Stmt => ({ k: "respread", e })) },
  ];
  const idx = ctx.loops.length > 0 ? fc.oneof(fc.constantFrom(...ctx.loops), fc.constantFrom(...ctx.loops).map((i) => `(${i} + 1) % n`)) : fc.constantFrom("0", "1", "n - 1");
  opts.push({ weight: 4, arbitrary: fc.tuple(idx, fc.constantFrom("=", "+=") as fc.Arbitrary<"=" | "+=">, e).map(([idx, op, e]): Stmt => ({ k: "write", idx, op, e })) });
  if (ctx.loops.length > 0) {
    opts.push({ weight: 2, arbitrary: fc.tuple(cond(ctx), fc.constantFrom("break", "continue") as fc.Arbitrary<"break" | "continue">).map(([c, what]): Stmt => ({ k: "guard", c, what })) });
  }
  if (nest > 0) {
    const inner = block(ctx, nest - 1, 1, 3);
    opts.push({
      weight: 2,
      arbitrary: fc.tuple(cond(ctx), inner, fc.option(inner, { freq: 2 })).map(([c, then, els]): Stmt => ({ k: "if", c, then, else: els ?? undefined })),
    });
    if (ctx.loops.length < LOOP_VARS.length) {
      const i = LOOP_VARS[ctx.loops.length]!;
      opts.push({ weight: 3, arbitrary: fc.tuple(block({ loops: [...ctx.loops, i] }, nest - 1, 1, 4), fc.constantFrom("n", "n", "y.length") as fc.Arbitrary<"n" | "y.length">).map(([body, bound]): Stmt => ({ k: "for", i, body, bound })) });
    }
  }
  return fc.oneof(...opts);
}

function block(ctx: Ctx, nest: number, min: number, max: number): fc.Arbitrary<Stmt[]> {
  return fc.array(stmt(ctx, nest), { minLength: min, maxLength: max });
}

const rawProgramArb: fc.Arbitrary<Program> = fc.record({
  body: block({ loops: [] }, 3, 2, 6),
  ret: expr({ loops: [] }, 2),
});

// ---------------------------------------------------------------------------
// Known compiler bugs (see "known compiler bugs" below for the minimal repros). The checked
// batches steer around them so that they can keep finding new ones:
//  - bug 1: a compound assignment whose target is also an operand of the same IR op,
//    `s *= e`, `s /= e`, `s **= e`, `s %= e`, `s += s`, `s -= s`, gets a wrong adjoint once
//    `s` is mutable (assigned in a branch or a loop). Rendered as `s = s * (e)` etc. instead,
//    which the compiler lowers through a temporary.
//  - bug 2: a loop with break/continue/return that is not itself inside another loop but sits
//    in a branch (an if arm, or anywhere after an early return) leaves its trip counter
//    declared in the branch scope of the forward sweep: the reverse sweep throws
//    `ReferenceError: trips is not defined`. Such programs are filtered out.
//  - bug 3: a loop with a trip counter nested in a loop whose values are taped pushes its trip
//    count even when its reverse is empty, and nothing pops it: later pops (an earlier loop's
//    branch decisions or trip counts) read the wrong entries. Rare here (no workaround):
//    ADJOINT_PROPERTY_SEEDS=4 shows it (program p_28).
//  - bug 4: generated code has locals that are never read (TS6133 under noUnusedLocals); only
//    the type-check tests see it.

/** Whether a loop body exits early (break/continue for this loop, or return anywhere). */
function hasExits(body: Stmt[]): boolean {
  return body.some((s) =>
    s.k === "guard" || s.k === "return" ||
    (s.k === "if" && (hasExits(s.then) || (s.else !== undefined && hasExits(s.else)))) ||
    (s.k === "for" && containsReturn(s.body)));
}

function containsReturn(ss: Stmt[]): boolean {
  return ss.some((s) => s.k === "return" || (s.k === "if" && (containsReturn(s.then) || containsReturn(s.else ?? []))) || (s.k === "for" && containsReturn(s.body)));
}

/** Bug 2's trigger: an exiting loop, outside any loop, in a branch or after a return. */
function hitsTripCounterBug(p: Program): boolean {
  let returned = false;
  const walk = (ss: Stmt[], branched: boolean): boolean => {
    for (const s of ss) {
      if (s.k === "for" && (branched || returned) && hasExits(s.body)) return true;
      if (s.k === "if" && (walk(s.then, true) || walk(s.else ?? [], true))) return true;
      if (s.k === "for" && containsReturn(s.body)) returned = true;
      if (s.k === "return") returned = true;
    }
    return false;
  };
  return walk(p.body, false);
}

/** Programs for the checked batches: with workarounds for the known bugs. */
const programArb: fc.Arbitrary<Program> = rawProgramArb.filter((p) => !hitsTripCounterBug(p));

// ---------------------------------------------------------------------------
// Rendering

interface Render {
  /**
   * The surface syntax: `plain` (Float64Array locals, if/else, unlabelled jumps), or `natural`:
   * the scalars are fields of a local object (two of them swapped by a destructuring
   * assignment), x is read through a view (`subarray`), y is a `number[]` (rebound to a new
   * array by `y = y.map(…)`), every if/else is a `switch` on the condition, loops are labelled
   * and their guards jump by label, a block-local value is a closure called with it (whose
   * second parameter has a default the call leaves out), and a `for…of` over the view adds to
   * the result.
   */
  style: "plain" | "natural";
  /** Emitting TypeScript (annotations allowed), not the JavaScript twin. */
  ts: boolean;
  /** Condition as emitted: itself, or a call that records its outcome. */
  wrap: (c: string) => string;
  /** Steer around bug 1 (see above). */
  safe: boolean;
  /** Emitted after each assignment with what it assigned (the twin checks magnitudes). */
  after: (lhs: string) => string;
}

function renderBlock(stmts: Stmt[], ind: string, o: Render): string {
  return stmts.map((s) => renderStmt(s, ind, o)).join("");
}

/** The natural style's names: scalars as fields of `st`, x through its view `xv`. */
function naturalNames(code: string): string {
  return code.replace(/(?<!\.)\bs([0-3])\b/g, "st.s$1").replace(/(?<![\w.])x\[/g, "xv[");
}

let switchCounter = 0;

function renderStmt(s: Stmt, ind: string, o: Render): string {
  if (o.style === "natural") return naturalNames(renderNatural(s, ind, o));
  return renderPlain(s, ind, o);
}

/** The natural style's control flow; everything else as in the plain style. */
function renderNatural(s: Stmt, ind: string, o: Render): string {
  switch (s.k) {
    case "if": {
      // a switch on the condition, held in a const (a case is a value without effects)
      const c = `c${switchCounter++}`;
      return `${ind}const ${c} = ${o.wrap(s.c)};\n${ind}switch (${c}) {\n${ind}  case true: {\n${renderBlock(s.then, ind + "    ", o)}${ind}    break;\n${ind}  }\n` +
        (s.else ? `${ind}  default: {\n${renderBlock(s.else, ind + "    ", o)}${ind}  }\n` : "") + `${ind}}\n`;
    }
    case "for": {
      const inner = renderBlock(s.body, ind + "    ", o);
      // a loop of an even number of statements as a while loop stepping its own counter at the
      // end of its body (the same loop, so long as no continue skips the step)
      if (s.body.length % 2 === 0 && !inner.includes(`continue ${GUARD_LABEL}`)) {
        return `${ind}{\n${ind}  let ${s.i} = 0;\n${ind}  loop_${s.i}: while (${s.i} < ${s.bound}) {\n${inner.split(GUARD_LABEL).join(`loop_${s.i}`)}${ind}    ${s.i}++;\n${ind}  }\n${ind}}\n`;
      }
      return `${ind}loop_${s.i}: for (let ${s.i} = 0; ${s.i} < ${s.bound}; ${s.i}++) {\n${renderBlock(s.body, ind + "  ", o).split(GUARD_LABEL).join(`loop_${s.i}`)}${ind}}\n`;
    }
    case "guard": {
      // the innermost loop is the label of the guard's loop variable: the last one opened
      return `${ind}if (${o.wrap(s.c)}) ${s.what} ${GUARD_LABEL};\n`;
    }
    case "swap":
      return `${ind}[s0, s1] = [s1, s0 * 0.5 + (${s.e})];\n${o.after("s0")}${o.after("s1")}`;
    case "grow": {
      const t = o.ts ? ": number[]" : "";
      return `${ind}const ${s.name} = ${s.e};\n${ind}const ${s.name}a${t} = [];\n${ind}for (const ${s.name}q of y) ${s.name}a.push(${s.name}q * ${s.name});\n${ind}${s.name}a.push(${s.name});\n`
        + `${ind}${s.v} += (${s.name}a[n - 1] + ${s.name}a[${s.name}a.length - 1]) * 0.25;\n${o.after(s.v)}`;
    }
    case "respread":
      // the state object rebound to a new one: a spread of itself with one field changed
      // (the field's name is written s1KEY, which naturalNames leaves alone and renderBody names)
      return `${ind}st = { ...st, s1KEY: s1 * 0.5 + (${s.e}) };\n${o.after("s1")}`;
    case "order":
      return `${ind}const ${s.name} = ${s.e};\n${ind}const ${s.name}s = [...y].sort((${s.name}p, ${s.name}q) => ${s.name}q - ${s.name}p);\n${orderCompared(s.name, ind, o)}`
        + `${ind}${s.v} += (${s.name}s[0] * ${s.name} + ${s.name}s[${s.name}s.length - 1]) * 0.25;\n${o.after(s.v)}`;
    case "widen": {
      // an array name given a longer array at each step: the compiler allocates it again
      const w = `${s.name}w`, g = `${s.name}g`, k = `${s.name}k`;
      return `${ind}const ${s.name} = ${s.e};\n${ind}let ${w} = new Float64Array(1);\n${ind}${w}[0] = y[0];\n`
        + `${ind}for (let ${s.name}r = 0; ${s.name}r < 2; ${s.name}r++) {\n${ind}  const ${g} = new Float64Array(${w}.length + 1);\n${ind}  ${g}[0] = ${s.name};\n`
        + `${ind}  for (let ${k} = 0; ${k} < ${w}.length; ${k}++) ${g}[${k} + 1] = ${w}[${k}] * 0.5 + ${s.name};\n${ind}  ${w} = ${g};\n${ind}}\n`
        + `${ind}${s.v} += (${w}[0] * y[0] + ${w}[${w}.length - 1]) * 0.25;\n${o.after(s.v)}`;
    }
    case "keep":
      return `${ind}const ${s.name} = ${s.e};\n${ind}for (const ${s.name}v of y.filter((${s.name}q) => ${o.wrap(`${s.name}q > ${s.name}`)})) ${s.v} += ${s.name}v * 0.25;\n${o.after(s.v)}`;
    case "search":
      return `${ind}const ${s.name} = ${s.e};\n${ind}${s.v} += (y.find((${s.name}v) => ${o.wrap(`${s.name}v > ${s.name}`)}) ?? ${s.name}) * 0.5;\n${o.after(s.v)}`;
    case "remap":
      // y rebound to a new array (in a loop or a branch, copied into y's array by the compiler)
      return `${ind}const ${s.name} = ${s.e};\n${ind}y = y.map((v) => v * 0.5 + ${s.name});\n${o.after("y[0]")}`;
    case "local": {
      // the block-local const as a closure over the variables around it (the state, the loop
      // counters, x and y), called with the value: the same arithmetic as the plain style's
      const t = o.ts ? "t: number" : "t";
      // with a default value (w = 1) the call leaves out: the plain style's arithmetic
      return `${ind}const ${s.name} = (${t}, w = 1) => t * ${s.use} * w + Math.sin(t);\n${ind}${s.v} += ${s.name}(${s.e});\n${o.after(s.v)}`;
    }
    default:
      return renderPlain(s, ind, o);
  }
}

/**
 * In the twin only, every comparison of two elements of y a sort makes, recorded: where two
 * elements cross within the stencil the order (and the derivative) changes, and the point is not
 * used.
 */
function orderCompared(name: string, ind: string, o: Render): string {
  if (o.ts) return "";
  return `${ind}for (let ${name}k = 0; ${name}k < y.length; ${name}k++) for (let ${name}j = 0; ${name}j < ${name}k; ${name}j++) ${o.wrap(`y[${name}k] > y[${name}j]`)};\n`;
}

/** Replaced by the innermost loop's label once the loop's body is rendered. */
const GUARD_LABEL = "@label";

function renderPlain(s: Stmt, ind: string, o: Render): string {
  switch (s.k) {
    case "assign":
      if (o.safe && s.op !== "=" && (s.op === "*=" || s.e === s.v)) return `${ind}${s.v} = ${s.v} ${s.op[0]} (${s.e});\n${o.after(s.v)}`;
      return `${ind}${s.v} ${s.op} ${s.e};\n${o.after(s.v)}`;
    case "divAssign":
      return (o.safe ? `${ind}${s.v} = ${s.v} / (1 + ${s.e} * ${s.e});\n` : `${ind}${s.v} /= 1 + ${s.e} * ${s.e};\n`) + o.after(s.v);
    case "local":
      return `${ind}const ${s.name} = ${s.e};\n${ind}${s.v} += ${s.name} * ${s.use} + Math.sin(${s.name});\n${o.after(s.name)}${o.after(s.v)}`;
    case "write":
      return `${ind}y[${s.idx}] ${s.op} ${s.e};\n${o.after(`y[${s.idx}]`)}`;
    case "guard":
      return `${ind}if (${o.wrap(s.c)}) ${s.what};\n`;
    case "return":
      return `${ind}if (${o.wrap(s.c)}) return ${s.e};\n`;
    case "if":
      return `${ind}if (${o.wrap(s.c)}) {\n${renderBlock(s.then, ind + "  ", o)}${ind}}` +
        (s.else ? ` else {\n${renderBlock(s.else, ind + "  ", o)}${ind}}\n` : "\n");
    case "self":
      return `${ind}${s.v} = ${s.v};\n`;
    case "copy":
      return `${ind}const ${s.name} = ${s.v};\n`;
    case "swap":
      return `${ind}const ${s.name} = s0 * 0.5 + (${s.e});\n${ind}s0 = s1;\n${ind}s1 = ${s.name};\n${o.after("s0")}${o.after("s1")}`;
    case "grow":
      return `${ind}const ${s.name} = ${s.e};\n${ind}${s.v} += (y[n - 1] * ${s.name} + ${s.name}) * 0.25;\n${o.after(s.v)}`;
    case "respread":
      return `${ind}s1 = s1 * 0.5 + (${s.e});\n${o.after("s1")}`;
    case "order":
      return `${ind}const ${s.name} = ${s.e};\n${ind}const ${s.name}s = y.toSorted();\n${orderCompared(s.name, ind, o)}`
        + `${ind}${s.v} += (${s.name}s[${s.name}s.length - 1] * ${s.name} + ${s.name}s[0]) * 0.25;\n${o.after(s.v)}`;
    case "widen":
      return `${ind}const ${s.name} = ${s.e};\n${ind}${s.v} += (${s.name} * y[0] + ((y[0] * 0.5 + ${s.name}) * 0.5 + ${s.name})) * 0.25;\n${o.after(s.v)}`;
    case "keep":
      return `${ind}const ${s.name} = ${s.e};\n${ind}for (let ${s.name}k = 0; ${s.name}k < n; ${s.name}k++) if (${o.wrap(`y[${s.name}k] > ${s.name}`)}) ${s.v} += y[${s.name}k] * 0.25;\n${o.after(s.v)}`;
    case "search":
      return `${ind}const ${s.name} = ${s.e};\n${ind}let ${s.name}f = ${s.name};\n${ind}for (let ${s.name}k = 0; ${s.name}k < n; ${s.name}k++) {\n${ind}  if (${o.wrap(`y[${s.name}k] > ${s.name}`)}) {\n${ind}    ${s.name}f = y[${s.name}k];\n${ind}    break;\n${ind}  }\n${ind}}\n${ind}${s.v} += ${s.name}f * 0.5;\n${o.after(s.v)}`;
    case "remap":
      return `${ind}const ${s.name} = ${s.e};\n${ind}for (let ${s.name}k = 0; ${s.name}k < n; ${s.name}k++) y[${s.name}k] = y[${s.name}k] * 0.5 + ${s.name};\n${o.after("y[0]")}`;
    case "for":
      return `${ind}for (let ${s.i} = 0; ${s.i} < ${s.bound}; ${s.i}++) {\n${renderBlock(s.body, ind + "  ", o)}${ind}}\n`;
  }
}

function renderBody(p: Program, o: Render): string {
  if (o.style === "natural") {
    switchCounter = 0;
    return [
      // the parameters are one object; x is changed in place, through its view
      o.ts ? "  const x = p.x;\n  let a = p.a;\n  let b = p.b;\n  const mode = p.mode ?? \"sum\";" : "  x = new Float64Array(x);\n  const mode = \"sum\";",
      "  const n = x.length;",
      "  const xv = x.subarray(0, n);",
      "  xv[n - 1] = xv[n - 1] * 0.5 + 0.25 * xv[0];",
      `  let y${o.ts ? ": number[]" : ""} = new Array(n).fill(0);`,
      "  let st = { s0: a, s1: b, s2: xv[0], s3: a * b };",
      renderBlock(p.body, "  ", o).replace(/\n$/, "").replace(/\bs([0-3])KEY\b/g, "s$1"),
      "  let acc = 0;",
      "  for (const v of xv) acc += Math.sin(v) * st.s1;",
      "  acc ||= st.s2;",
      `  return ${naturalNames(p.ret)} + st.s0 + st.s1 * 0.5 + st.s2 + st.s3 * st.s3 + y[0] + y[n - 1] + (mode === "mean" ? acc / n : acc);`,
    ].join("\n");
  }
  return [
    "  const n = x.length;",
    "  const y = new Float64Array(n);",
    "  let s0 = a;",
    "  let s1 = b;",
    "  let s2 = x[0];",
    "  let s3 = a * b;",
    renderBlock(p.body, "  ", o).replace(/\n$/, ""),
    `  return ${p.ret} + s0 + s1 * 0.5 + s2 + s3 * s3 + y[0] + y[n - 1];`,
  ].join("\n");
}

function renderTs(p: Program, name: string, safe: boolean, style: Render["style"] = "plain"): string {
  const params = style === "natural" ? "p: State" : "x: Float64Array, a: number, b: number";
  return `/** @differentiable @modes grad jvp hvp */\nexport function ${name}(${params}): number {\n${renderBody(p, { style, ts: true, wrap: (c) => c, safe, after: () => "" })}\n}\n`;
}

/** What the twin saw: branch outcomes, and the largest magnitude any assignment produced. */
interface Trace {
  path: boolean[];
  max: number;
}
type Twin = (trace: Trace, x: Float64Array, a: number, b: number) => number;

/**
 * Plain-JS twin of the program whose conditions record their outcomes, and whose assignments
 * record their magnitudes (an intermediate that overflows, even one the result does not
 * depend on, legitimately makes reverse mode produce 0 · ∞ = NaN).
 */
function twin(p: Program, safe: boolean, style: Render["style"] = "plain"): Twin {
  const body = renderBody(p, { style, ts: false, wrap: (c) => `T(${c})`, safe, after: (lhs) => `M(${lhs});\n` });
  return new Function("trace", "x", "a", "b",
    "const T = (c) => (trace.path.push(c), c);\n" +
    "const M = (v) => { trace.max = Math.abs(v) <= trace.max ? trace.max : Math.abs(v) || Infinity; };\n" + body) as Twin;
}

// ---------------------------------------------------------------------------
// Checking

type Point = [Float64Array, number, number];
const PARAMS = ["x", "a", "b"];

function run(t: Twin, args: Point): { value: number; path: string; max: number } {
  const tr: Trace = { path: [], max: 0 };
  const value = t(tr, new Float64Array(args[0]), args[1], args[2]);
  return { value, path: tr.path.map((c) => (c ? "1" : "0")).join(""), max: tr.max };
}

/**
 * A point is usable when the program is smooth around it and finite differences can be trusted
 * there: every condition takes the same branches at ±h and ±h/2 in each coordinate
 * (h = 2.5e-3·max(1, |v|) covers the finite-difference stencil, whose widest step is about
 * 1e-3·max(1, |v|)); the value is moderate and no intermediate is huge or NaN; and the reference estimate (`numericGradient`, as
 * used by expectGradient) agrees to 1e-8 with one started from a 32× smaller step, so strong
 * curvature cannot pass for a wrong derivative.
 */
function usable(t: Twin, args: Point): boolean {
  const here = run(t, args);
  if (!Number.isFinite(here.value) || Math.abs(here.value) > 1e4 || here.max > 1e8) return false;
  const h = 2.5e-3;
  const nudged = (which: number, e: number, d: number): Point => {
    const [x, a, b] = args;
    const xs = new Float64Array(x);
    if (which === 0) xs[e] += d * Math.max(1, Math.abs(x[e]));
    return [xs, which === 1 ? a + d * Math.max(1, Math.abs(a)) : a, which === 2 ? b + d * Math.max(1, Math.abs(b)) : b];
  };
  const coords: [number, number][] = [...Array.from(args[0], (_, e) => [0, e] as [number, number]), [1, 0], [2, 0]];
  for (const [which, e] of coords) {
    for (const d of [h, -h, h / 2, -h / 2]) {
      if (run(t, nudged(which, e, d)).path !== here.path) return false;
    }
  }
  const f = (x: Float64Array, a: number, b: number) => t({ path: [], max: 0 }, x, a, b);
  const ref = numericGradient(f, args);
  for (const [which, e] of coords) {
    const v = which === 0 ? args[0][e]! : (args[which] as number);
    const fine = richardson((d) => f(...nudged(which, e, d / Math.max(1, Math.abs(v)))), 1e-3 * Math.max(1, Math.abs(v)) / 32);
    const coarse = which === 0 ? (ref[0] as Float64Array)[e]! : (ref[which] as number);
    if (!(relativeError(fine, coarse) <= 1e-8)) return false;
  }
  return true;
}

/**
 * The parameter of a natural batch's functions: its public fields are the object's, and its
 * method, accessor, private field and constructor are none of the gradient's business.
 */
const STATE_CLASS = `export class State {
  mode?: "sum" | "mean";
  #reads = 0;
  constructor(public x: Float64Array, public a: number, public b: number) {}
  get reads(): number {
    return this.#reads;
  }
  scaled(k: number): number {
    this.#reads++;
    return this.a * k;
  }
}

`;

interface Batch {
  programs: Program[];
  names: string[];
  safe: boolean;
  style: Render["style"];
  source: string;
}

function makeBatch(seed: number, count: number, prefix: string, safe: boolean, style: Render["style"] = "plain"): Batch {
  localCounter = 0; // names of block-local consts: the same batch every time
  const programs = fc.sample(safe ? programArb : rawProgramArb, { seed, numRuns: count });
  const names = programs.map((_, k) => `${prefix}${k}`);
  const source = `// Generated by test/compiler/property.test.ts (fast-check seed ${seed}${safe ? "" : ", no workarounds"}).\n\n` +
    (style === "natural" ? STATE_CLASS : "") + programs.map((p, k) => renderTs(p, names[k]!, safe, style)).join("\n");
  return { programs, names, safe, style, source };
}

/** A random direction for Jvp and Hvp checks. */
function directionAt(seed: number): Point {
  const rng = mulberry32(seed);
  return [Float64Array.from({ length: 5 }, () => rng() - 0.5), rng() - 0.5, rng() - 0.5];
}

/** Every condition keeps its branch along the direction, over the stencil of a directional derivative. */
function stableAlong(t: Twin, args: Point, dir: Point): boolean {
  const here = run(t, args).path;
  const scale = Math.max(1, ...Array.from(args[0], Math.abs), Math.abs(args[1]), Math.abs(args[2]));
  for (const s of [2.5e-3, -2.5e-3, 1.25e-3, -1.25e-3]) {
    const h = s * scale;
    const moved: Point = [args[0].map((v, e) => v + h * dir[0][e]!), args[1] + h * dir[1], args[2] + h * dir[2]];
    if (run(t, moved).path !== here) return false;
  }
  return true;
}

/**
 * Forward mode and second order at a point: the Jvp's value is the function's and its tangent is
 * ⟨grad, v⟩ and the directional derivative; the Hvp's value and gradient are the Grad's, and its
 * product is the directional derivative of the gradient along v.
 */
function checkForward(mod: Mod, name: string, args: Point, dir: Point, grad: Record<string, number | Float64Array>): void {
  const v = { x: dir[0], a: dir[1], b: dir[2] };
  const j = mod.grad[name + "Jvp"](new Float64Array(args[0]), args[1], args[2], v);
  expect(j.value).toBe(mod.src[name](new Float64Array(args[0]), args[1], args[2]));
  const inner = (grad.x as Float64Array).reduce((s, g, e) => s + g * dir[0][e]!, 0) + (grad.a as number) * dir[1] + (grad.b as number) * dir[2];
  expect(relativeError(j.tangent, inner), `Jvp tangent ${j.tangent} vs <grad, v> ${inner}`).toBeLessThan(1e-9);
  const fd = directionalDerivative(mod.src[name], [new Float64Array(args[0]), args[1], args[2]], [dir[0], dir[1], dir[2]]);
  expect(relativeError(j.tangent, fd), `Jvp tangent ${j.tangent} vs finite differences ${fd}`).toBeLessThan(1e-6);
  const h = mod.grad[name + "Hvp"](new Float64Array(args[0]), args[1], args[2], v);
  expect(h.value).toBe(j.value);
  for (const p of PARAMS) expect(maxRelativeError(h.grad[p], grad[p]!), `Hvp grad.${p}`).toBe(0);
  const component = (p: string, e: number) => (...xs: Point) => {
    const g = mod.grad[name + "Grad"](new Float64Array(xs[0]), xs[1], xs[2]).grad[p];
    return typeof g === "number" ? g : g[e];
  };
  // the directional derivative of the gradient, from a stencil of the default width, or of a
  // tenth of it where the gradient's curvature along v makes the wider one inaccurate
  const fdOf = (p: string, step: number) => {
    const at = (e: number) => directionalDerivative(component(p, e), [new Float64Array(args[0]), args[1], args[2]], [dir[0], dir[1], dir[2]], { step });
    return p === "x" ? Float64Array.from({ length: 5 }, (_, e) => at(e)) : at(0);
  };
  for (const p of PARAMS) {
    let want = fdOf(p, 1e-3);
    if (!(maxRelativeError(h.hvp[p], want) < 1e-5)) want = fdOf(p, 1e-4);
    expect(maxRelativeError(h.hvp[p], want), `Hvp hvp.${p}: got ${h.hvp[p]} want ${want}`).toBeLessThan(1e-5);
  }
}

/**
 * Checks program k of a compiled batch at up to `want` usable points among 12 candidates;
 * returns how many were checked.
 */
function checkProgram(batch: Batch, mod: Mod, k: number, seed: number, want: number): number {
  const name = batch.names[k]!;
  const t = twin(batch.programs[k]!, batch.safe, batch.style);
  let checked = 0;
  for (const args of randomPoints(seed * 1000 + k, 12, [[5, -1, 1], [-1.5, 1.5], [-1.5, 1.5]]) as Point[]) {
    if (checked === want) break;
    if (!usable(t, args)) continue;
    const dir = directionAt(seed * 7919 + k * 31 + checked);
    if (!stableAlong(t, args, dir)) continue;
    try {
      expect(mod.src[name](...args), "the twin computes the same value").toBe(run(t, args).value);
      const g = expectGradient(mod.src[name], mod.grad[name + "Grad"], args, PARAMS);
      checkForward(mod, name, args, dir, g.grad as Record<string, number | Float64Array>);
    } catch (err) {
      const [x, a, b] = args;
      throw new Error(`${(err as Error).message}\n\nat x = [${Array.from(x).join(", ")}], a = ${a}, b = ${b} in\n${renderTs(batch.programs[k]!, name, batch.safe, batch.style)}`);
    }
    checked++;
  }
  return checked;
}

/**
 * A natural batch's functions take one `State` instance `p` (with x, a and b) and change `p.x` in
 * place: the same functions, called positionally on copies of x, with gradients, tangents and
 * directions unwrapped from and into `p`.
 */
function positional(m: Mod, names: string[]): Mod {
  const src: Mod = {}, grad: Mod = {};
  const State = m.src.State as unknown as new (x: Float64Array, a: number, b: number) => object;
  const P = (x: Float64Array, a: number, b: number) => new State(new Float64Array(x), a, b);
  for (const n of names) {
    src[n] = (x: Float64Array, a: number, b: number) => m.src[n](P(x, a, b));
    grad[n + "Grad"] = (x: Float64Array, a: number, b: number) => {
      const r = m.grad[n + "Grad"](P(x, a, b));
      return { value: r.value, grad: r.grad.p };
    };
    grad[n + "Jvp"] = (x: Float64Array, a: number, b: number, v: unknown) => m.grad[n + "Jvp"](P(x, a, b), { p: v });
    grad[n + "Hvp"] = (x: Float64Array, a: number, b: number, v: unknown) => {
      const r = m.grad[n + "Hvp"](P(x, a, b), { p: v });
      return { value: r.value, grad: r.grad.p, hvp: r.hvp.p };
    };
  }
  return { ...m, src, grad };
}

/**
 * Two batches of 30 by default. For a longer hunt: ADJOINT_PROPERTY_SEEDS=1,2,3 (30 programs
 * each). ADJOINT_PROPERTY_WORKAROUNDS=1 restores the generator's old filter that avoided
 * constructs which used to hit compiler bugs (now regression tests below).
 */
const BATCHES: { seed: number; count: number; prefix: string; style: Render["style"] }[] = (process.env.ADJOINT_PROPERTY_SEEDS?.split(",").map(Number) ?? [20240611, 7])
  .map((seed, k) => ({ seed, count: 30, prefix: `${"pqrstuvw"[k % 8]}${k >= 8 ? k : ""}_`, style: "plain" as const }));
/** ADJOINT_PROPERTY_PROGRAMS=1000: that many more programs (a nightly run), plain and natural in turn. */
const EXTRA = Number(process.env.ADJOINT_PROPERTY_PROGRAMS ?? 0);
for (let k = 0; k * 30 < EXTRA; k++) BATCHES.push({ seed: 1000 + k, count: 30, prefix: `x${k}_`, style: k % 2 === 0 ? "plain" : "natural" });
/**
 * The same kind of programs in natural TypeScript (an object of state, number[], a view, switch,
 * labelled jumps, for…of): ADJOINT_PROPERTY_NATURAL_SEEDS=… for more.
 */
for (const [k, seed] of (process.env.ADJOINT_PROPERTY_NATURAL_SEEDS?.split(",").map(Number) ?? [11]).entries()) {
  BATCHES.push({ seed, count: 30, prefix: `n${k}_`, style: "natural" });
}
const SAFE = process.env.ADJOINT_PROPERTY_WORKAROUNDS === "1";
/** Generated modules of the batches, in order, for the type-check below. */
const generated: string[] = [];

for (const spec of BATCHES) {
  describe(`random programs${spec.style === "natural" ? " in natural TypeScript" : ""}, fast-check seed ${spec.seed}`, () => {
    const batch = makeBatch(spec.seed, spec.count, spec.prefix, SAFE, spec.style);
    let mod: Mod;
    const checked: number[] = [];
    beforeAll(async () => {
      mod = await load(batch.source, `property${spec.seed}`);
      if (spec.style === "natural") mod = positional(mod, batch.names);
      generated.push(mod.output as string);
    }, 120_000);

    for (let k = 0; k < spec.count; k++) {
      it(`${batch.names[k]}: gradient matches central differences at 2 smooth points`, () => {
        checked[k] = checkProgram(batch, mod, k, spec.seed, 2);
      });
    }

    it("most programs had 2 smooth, moderate test points", () => {
      const full = checked.filter((c) => c === 2).length;
      expect(full, `only ${full} of ${spec.count} programs could be checked at 2 points`).toBeGreaterThanOrEqual(spec.count * 0.8);
    });
  });
}

describe("the generator", () => {
  it("covers every statement kind, in loops and out", () => {
    const kinds = new Set<string>();
    const walk = (ss: Stmt[], inLoop: boolean) => {
      for (const s of ss) {
        kinds.add(s.k === "guard" ? s.what : s.k === "assign" ? s.op : `${s.k}${inLoop ? " in loop" : ""}`);
        if (s.k === "if") { walk(s.then, inLoop); walk(s.else ?? [], inLoop); }
        if (s.k === "for") walk(s.body, true);
      }
    };
    for (const spec of BATCHES) for (const p of makeBatch(spec.seed, spec.count, spec.prefix, true).programs) walk(p.body, false);
    expect([...kinds].sort()).toEqual([
      "*=", "+=", "-=", "=", "break", "continue", "copy", "copy in loop", "divAssign", "divAssign in loop", "for", "for in loop",
      "grow", "grow in loop", "if", "if in loop", "keep", "keep in loop", "local", "local in loop", "order", "order in loop", "remap", "remap in loop", "respread", "respread in loop", "return", "return in loop", "search", "search in loop", "self", "self in loop", "swap", "swap in loop", "widen", "widen in loop", "write", "write in loop",
    ]);
  });

  it("bounds loops by the length of the array they write, and compares booleans", () => {
    const programs = BATCHES.flatMap((spec) => makeBatch(spec.seed, spec.count, spec.prefix, SAFE, spec.style).programs);
    const any = (pred: (s: Stmt) => boolean) => {
      const walk = (ss: Stmt[]): boolean => ss.some((s) => pred(s) || (s.k === "if" && (walk(s.then) || walk(s.else ?? []))) || (s.k === "for" && walk(s.body)));
      return programs.filter((p) => walk(p.body)).length;
    };
    expect(any((s) => s.k === "for" && s.bound === "y.length" && s.body.some((t) => t.k === "write"))).toBeGreaterThan(3);
    expect(any((s) => (s.k === "if" || s.k === "guard" || s.k === "return") && / (===|!==) /.test(s.c))).toBeGreaterThan(3);
  });

  it("reassigns the number parameters inside branches and inside loops", () => {
    const where = new Set<string>();
    const walk = (ss: Stmt[], at: string) => {
      for (const s of ss) {
        if ((s.k === "assign" || s.k === "divAssign") && PARAM_TARGETS.includes(s.v)) where.add(at);
        if (s.k === "if") { walk(s.then, at === "loop" ? "loop" : "branch"); walk(s.else ?? [], at === "loop" ? "loop" : "branch"); }
        if (s.k === "for") walk(s.body, "loop");
      }
    };
    for (const spec of BATCHES) for (const p of makeBatch(spec.seed, spec.count, spec.prefix, SAFE).programs) walk(p.body, "top");
    expect([...where].sort()).toEqual(["branch", "loop", "top"]);
  });

  it("the workaround filter keeps programs with exiting loops at top level and nested in loops", () => {
    const programs = BATCHES.flatMap((spec) => makeBatch(spec.seed, spec.count, spec.prefix, true).programs);
    expect(programs.some((p) => p.body.some((s) => s.k === "for" && hasExits(s.body)))).toBe(true);
    expect(programs.some((p) => p.body.some((s) => s.k === "for" && s.body.some((t) => t.k === "for" && hasExits(t.body))))).toBe(true);
  });
});

describe("determinism", () => {
  it("compiling the same source twice gives identical output (with another compile in between)", async () => {
    const { source } = makeBatch(99, 3, "d", true);
    const file = "/virtual/determinism.ts";
    const first = await compileSource(source, file, { runtime: RUNTIME });
    await compileSource(makeBatch(98, 3, "d", true).source, file, { runtime: RUNTIME });
    const second = await compileSource(source, file, { runtime: RUNTIME });
    expect(first.diagnostics).toEqual([]);
    expect(first.output).toBeTruthy();
    expect(second.output).toBe(first.output);
  }, 60_000);
});

// ---------------------------------------------------------------------------
// Compiler bugs this generator found, kept as minimal regression tests.

const REPROS = `
/** bug 1: *= on a variable that is reassigned in a loop. */
/** @differentiable */
export function productLoop(x: Float64Array, a: number): number {
  let p = a;
  for (let i = 0; i < x.length; i++) p *= x[i];
  return p;
}

/** bug 1: the same, written p = p * x[i] (works: lowered through a temporary). */
/** @differentiable */
export function productLoopExpanded(x: Float64Array, a: number): number {
  let p = a;
  for (let i = 0; i < x.length; i++) p = p * x[i];
  return p;
}

/** bug 1: *= in a branch. */
/** @differentiable */
export function scaleInBranch(x: number, a: number): number {
  let s = x;
  if (a > 0) s *= a;
  return s;
}

/** bug 1: /= in a loop. */
/** @differentiable */
export function divideInLoop(x: number, a: number): number {
  let s = x;
  for (let i = 0; i < 3; i++) s /= a;
  return s;
}

/** bug 1: += of the variable itself in a branch (d/dx should be 2). */
/** @differentiable */
export function doubleInBranch(x: number, a: number): number {
  let s = x;
  if (a > 0) s += s;
  return s;
}

/** bug 2: a loop with break inside an if. */
/** @differentiable */
export function exitLoopInBranch(x: Float64Array, a: number): number {
  let s = 0;
  if (a > 0) {
    for (let i = 0; i < x.length; i++) {
      if (x[i] > 5) break;
      s += x[i] * a;
    }
  }
  return s;
}

/** bug 2: a do-while after an early return. */
/** @differentiable */
export function loopAfterReturn(x: number, a: number): number {
  if (a > 3) return a;
  let s = a * x;
  do {
    s = s * 0.5;
  } while (s > 0.1);
  return s;
}

/** bug 3: the trip count of the first inner loop (empty reverse) is pushed and never popped. */
/** @differentiable */
export function unpoppedTripCount(x: Float64Array, a: number): number {
  let s = a;
  for (let i = 0; i < 2; i++) {
    let k = 0;
    while (k < 3 && x[k] < 0.8) k++;
    for (let j = 0; j < 3; j++) {
      s = Math.sin(s) * x[j];
      if (s > 5) break;
    }
  }
  return s;
}

/** bug 5: a number parameter reassigned in a branch got a const tangent (Jvp/Hvp threw). */
/** @differentiable @modes grad jvp hvp */
export function reassignedParam(a: number): number {
  if (a > 0) a = a * 3;
  return a * a;
}

/** bug 5: the same in a loop. */
/** @differentiable @modes grad jvp hvp */
export function reassignedParamLoop(a: number, x: Float64Array): number {
  for (let i = 0; i < x.length; i++) a = a * x[i] + Math.sin(a);
  return a;
}

/** bug 4: a dead initial value: \`const s = x[0]\` stays in the forward sweep. */
/** @differentiable */
export function deadInit(x: Float64Array, a: number): number {
  let s = x[0];
  s = a * a;
  return s;
}

/** bug 4: a running max: the reverse sweep reloads v[i] for a decision it pops from the tape. */
/** @differentiable */
export function runningMax(v: Float64Array): number {
  let m = v[0];
  for (let i = 1; i < v.length; i++) {
    if (v[i] > m) m = v[i];
  }
  return m;
}

/** bug 6: an element written back to its place: the planner, asking whether the value could be reloaded from there, asked whether the value itself was available, and so on forever. */
/** @differentiable */
export function selfStore(x: Float64Array, a: number): number {
  const n = x.length;
  const y = new Float64Array(n);
  let s = a;
  for (let i = 0; i < n; i++) {
    s /= 1 + y[i] * y[i];
    y[i] = y[i];
  }
  return s * x[0];
}

/** bug 4: a continue at the end of a loop body: its condition is computed and never read. */
/** @differentiable */
export function trailingContinue(x: Float64Array, a: number): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    s += x[i] * a;
    if (x[i] < 0) continue;
  }
  return s;
}
`;

let reproOutput = "";

describe("known compiler bugs (minimal repros)", () => {
  let m: Mod;
  beforeAll(async () => {
    m = await load(REPROS, "property-repros");
    reproOutput = m.output as string;
  }, 60_000);
  const check = (name: string, args: (number | Float64Array)[], names: string[]) => {
    expectGradient(m.src[name], m.grad[name + "Grad"], args, names);
  };
  const v = () => new Float64Array([0.5, 0.7, 0.9]);

  it("regression 1: `p *= x[i]` in a loop", () => check("productLoop", [v(), 1.15], ["x", "a"]));
  it("regression 1: `p = p * x[i]` in a loop", () => check("productLoopExpanded", [v(), 1.15], ["x", "a"]));
  it("regression 1: `if (a > 0) s *= a` (d/dx = a)", () => check("scaleInBranch", [0.7, 1.3], ["x", "a"]));
  it("regression 1: `s /= a` in a loop (d/dx = a^-3)", () => check("divideInLoop", [0.7, 1.3], ["x", "a"]));
  it("regression 1: `if (a > 0) s += s` (d/dx = 2)", () => check("doubleInBranch", [0.9, 1.5], ["x", "a"]));
  it("regression 2: a loop with break inside an if (trip counter in scope)", () => check("exitLoopInBranch", [v(), 1.5], ["x", "a"]));
  it("regression 2: do-while after an early return (trip counter in scope)", () => check("loopAfterReturn", [1.5, 1.15], ["x", "a"]));
  it("regression 5: a number parameter reassigned in a branch: Jvp and Hvp run and are exact", () => {
    for (const a of [1.5, -0.5]) {
      const d = a > 0 ? 3 : 1;
      expect(m.grad.reassignedParamJvp(a, { a: 1 }).tangent).toBeCloseTo(2 * d * d * a, 12);
      expect(m.grad.reassignedParamHvp(a, { a: 1 }).hvp.a).toBeCloseTo(2 * d * d, 12);
    }
  });
  it("regression 5: a number parameter reassigned in a loop: Jvp matches central differences", () => {
    const x = new Float64Array([0.5, 0.7, 0.9]);
    const j = m.grad.reassignedParamLoopJvp(0.8, x, { a: 1 });
    expect(relativeError(j.tangent, directionalDerivative(m.src.reassignedParamLoop, [0.8, x], [1, null]))).toBeLessThan(1e-8);
  });
  it("regression 6: `y[i] = y[i]` after a read of y[i] in a loop compiles, and its gradient matches central differences", () => check("selfStore", [new Float64Array([0.5, -0.7, 0.9]), 1.15], ["x", "a"]));
  it("regression 3: an inner loop with nothing to differentiate keeps the tape balanced (d/da = 0.0329)", () => check("unpoppedTripCount", [new Float64Array([0.5, -0.7, 0.9]), 1.15], ["x", "a"]));
});

describe("generated code type-checks", () => {
  // With the options of test/compiler/typecheck.test.ts: strict and noUnusedLocals.
  const unused = new Map<string, string[]>();
  let batchDiags: { code: number; text: string }[];
  beforeAll(() => {
    const dir = path.join(ROOT, ".tmp/tests", `property-typecheck-${process.pid}`);
    fs.mkdirSync(dir, { recursive: true });
    const batchFile = path.join(dir, "batch.grad.ts");
    fs.writeFileSync(batchFile, generated[0] ?? "");
    const reproFile = path.join(dir, "repros.grad.ts");
    fs.writeFileSync(reproFile, reproOutput);
    const program = ts.createProgram([batchFile, reproFile], {
      strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext, allowImportingTsExtensions: true,
      noUnusedLocals: true, noUncheckedIndexedAccess: true, exactOptionalPropertyTypes: true, skipLibCheck: true, types: [], lib: ["lib.es2022.d.ts"],
    });
    batchDiags = [];
    const reproLines = reproOutput.split("\n");
    for (const d of ts.getPreEmitDiagnostics(program)) {
      const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : -1;
      const text = `${line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
      if (d.file?.fileName === batchFile) {
        batchDiags.push({ code: d.code, text });
      } else if (d.file?.fileName === reproFile) {
        // attribute to the enclosing generated function
        let k = line;
        while (k >= 0 && !/^export function \w+Grad\(/.test(reproLines[k]!)) k--;
        const fn = k >= 0 ? reproLines[k]!.match(/^export function (\w+)Grad\(/)![1]! : "?";
        unused.set(fn, [...(unused.get(fn) ?? []), text]);
      }
    }
  }, 60_000);

  it("a batch module has no type errors under strict", () => {
    expect(generated.length).toBeGreaterThan(0);
    expect(batchDiags.filter((d) => d.code !== 6133).map((d) => d.text)).toEqual([]);
  });

  // Regression 4: no dead locals in generated code (TS6133 under noUnusedLocals, which
  // typecheck.test.ts requires of every generated module).
  it("a batch module has no unused locals", () => {
    expect(batchDiags.map((d) => d.text)).toEqual([]);
  });
  it("the repro module has no type errors under strict (Jvp and Hvp included)", () => {
    expect([...unused.values()].flat().filter((t) => !/is declared but its value is never read/.test(t))).toEqual([]);
  });
  for (const fn of ["deadInit", "runningMax", "trailingContinue"]) {
    it(`regression 4: ${fn} leaves no unused local`, () => {
      expect(unused.get(fn) ?? []).toEqual([]);
    });
  }
});
