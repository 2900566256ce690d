/**
 * Every entry of the rule table, compiled end to end and checked against central differences at
 * seeded random points of its domain (points near a kink are skipped, as the entry says).
 */
import { describe, it, expect, beforeAll } from "vitest";
import { RULES } from "../../compiler/index.ts";
import { load, expectGradient, type Mod } from "../helpers.ts";
import { mulberry32 } from "../../runtime/gradcheck.ts";

const OPS: Record<string, (a: string[]) => string> = {
  "+": (a) => `${a[0]} + ${a[1]}`, "-": (a) => `${a[0]} - ${a[1]}`, "*": (a) => `${a[0]} * ${a[1]}`,
  "/": (a) => `${a[0]} / ${a[1]}`, "%": (a) => `${a[0]} % ${a[1]}`, "**": (a) => `${a[0]} ** ${a[1]}`,
  neg: (a) => `-${a[0]}`, pos: (a) => `+${a[0]}`,
  "&": (a) => `${a[0]} & ${a[1]}`, "|": (a) => `${a[0]} | ${a[1]}`, "^": (a) => `${a[0]} ^ ${a[1]}`,
  "<<": (a) => `${a[0]} << ${a[1]}`, ">>": (a) => `${a[0]} >> ${a[1]}`, ">>>": (a) => `${a[0]} >>> ${a[1]}`, "~": (a) => `~${a[0]}`,
};

// primitives of numbers (not `length`, whose argument is an array)
const scalar = Object.entries(RULES).filter(([, r]) => r.result === "num" && !r.arrayArgument);
const numeric = scalar.filter(([, r]) => r.partials !== null);
const piecewise = scalar.filter(([, r]) => r.partials === null && !r.stops);
// derivative zero by definition (stopGradient): the value varies, the derivative does not
const stopping = scalar.filter(([, r]) => r.stops);
const fname = (op: string) => "r_" + op.replace("Math.", "").replace(/\W/g, (c) => `x${c.charCodeAt(0)}`);
const arity = (r: (typeof RULES)[string]) => (r.arity === "variadic" ? 3 : r.arity);

function source(): string {
  const fns: string[] = [];
  for (const [op, rule] of [...numeric, ...piecewise, ...stopping]) {
    const args = Array.from({ length: arity(rule) }, (_, i) => `a${i}`);
    const params = args.map((a) => `${a}: number`).join(", ");
    let body: string;
    if (op === "copy") body = `const c = a0;\n  return c * 1;`;
    else if (OPS[op]) body = `return ${OPS[op](args)};`;
    else body = `return ${op}(${args.join(", ")});`;
    fns.push(`/** @differentiable */\nexport function ${fname(op)}(${params}): number {\n  ${body}\n}`);
  }
  // scalar functions of the runtime (clampIndex) are called as user code calls them: imported
  const imports = [...numeric, ...piecewise, ...stopping].flatMap(([, r]) => ("runtime" in r.syntax ? [r.syntax.runtime] : []));
  return `import { ${imports.join(", ")} } from "adjoint-runtime";\n\n${fns.join("\n\n")}`;
}

let mod: { src: Mod; grad: Mod };
beforeAll(async () => {
  mod = await load(source(), "rules");
}, 60_000);

function samples(op: string, count: number): number[][] {
  const rule = RULES[op];
  const rng = mulberry32([...op].reduce((h, c) => h * 31 + c.charCodeAt(0), 7) >>> 0);
  const out: number[][] = [];
  while (out.length < count) {
    const xs = Array.from({ length: arity(rule) }, (_, i) => {
      const [lo, hi] = rule.domain[Math.min(i, rule.domain.length - 1)];
      return lo + (hi - lo) * rng();
    });
    if (!rule.avoid?.(xs)) out.push(xs);
  }
  return out;
}

describe("rule table: differentiable primitives", () => {
  it.each(numeric.map(([op]) => op))("%s matches central differences on its domain", (op) => {
    const name = fname(op);
    const args = Array.from({ length: arity(RULES[op]) }, (_, i) => `a${i}`);
    for (const xs of samples(op, 6)) {
      expectGradient(mod.src[name], mod.grad[name + "Grad"], xs, args);
      expect(mod.grad[name + "Grad"](...xs).value).toBe(RULES[op].eval(...xs));
    }
  });
});

describe("rule table: piecewise-constant primitives", () => {
  it.each(piecewise.map(([op]) => op))("%s has derivative 0 away from its jumps", (op) => {
    const name = fname(op);
    const args = Array.from({ length: arity(RULES[op]) }, (_, i) => `a${i}`);
    for (const xs of samples(op, 4)) {
      const r = expectGradient(mod.src[name], mod.grad[name + "Grad"], xs, args);
      for (const a of args) expect(r.grad[a]).toBe(0);
    }
  });
});

describe("rule table: primitives that stop derivatives", () => {
  it("there is one (stopGradient)", () => expect(stopping.map(([op]) => op)).toEqual(["stopGradient"]));
  it.each(stopping.map(([op]) => op))("%s passes its value and no derivative", (op) => {
    const name = fname(op);
    const args = Array.from({ length: arity(RULES[op]) }, (_, i) => `a${i}`);
    for (const xs of samples(op, 4)) {
      const r = mod.grad[name + "Grad"](...xs);
      expect(r.value).toBe(RULES[op].eval(...xs));
      expect(r.value).toBe(mod.src[name](...xs));
      for (const a of args) expect(r.grad[a]).toBe(0);
    }
  });
});

describe("conventions at non-differentiable points", () => {
  it("ReLU: Math.max(0, x) has derivative 0 at 0; Math.max(x, 0) has 1", async () => {
    const { grad } = await load(`
/** @differentiable */ export function relu(x: number): number { return Math.max(0, x); }
/** @differentiable */ export function relu2(x: number): number { return Math.max(x, 0); }
/** @differentiable */ export function absAt(x: number): number { return Math.abs(x); }
/** @differentiable */ export function hyp(x: number, y: number): number { return Math.hypot(x, y); }
`, "conventions");
    expect(grad.reluGrad(0).grad.x).toBe(0);
    expect(grad.relu2Grad(0).grad.x).toBe(1);
    expect(grad.reluGrad(2).grad.x).toBe(1);
    expect(grad.absAtGrad(0).grad.x).toBe(0);
    expect(grad.hypGrad(0, 0).grad).toEqual({ x: 0, y: 0 });
  });
});
