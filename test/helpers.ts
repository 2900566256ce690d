/**
 * Test helpers: compile annotated source, load the generated module next to it, and check
 * generated derivatives against Richardson-extrapolated central differences.
 */
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { expect } from "vitest";
import { compileFiles, type FileResult } from "../compiler/index.ts";
import { numericGradient, maxRelativeError, relativeError, directionalDerivative, mulberry32, type Args } from "../runtime/gradcheck.ts";
import { type Tree, leaves as treeLeaves, fromLeaves } from "../runtime/tree.ts";

export const ROOT = path.resolve(import.meta.dirname, "..");
export const RUNTIME = path.join(ROOT, "runtime/index.ts");
const TMP = path.join(ROOT, ".tmp/tests");

let counter = 0;

/** Writes `source` to a fresh temporary directory (plus any extra files) and compiles it. */
export async function compileText(source: string, name = "input", extra: Record<string, string> = {}): Promise<{ result: FileResult; dir: string; file: string }> {
  const dir = path.join(TMP, `${name}-${process.pid}-${counter++}`);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.ts`);
  fs.writeFileSync(file, source);
  for (const [f, text] of Object.entries(extra)) fs.writeFileSync(path.join(dir, f), text);
  const [result] = await compileFiles([file], { runtime: RUNTIME });
  return { result, dir, file };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Mod = Record<string, any>;

/** Compiles, writes `<name>.grad.ts`, imports both modules. Fails the test on diagnostics. */
export async function load(source: string, name = "input", extra: Record<string, string> = {}): Promise<{ src: Mod; grad: Mod; output: string }> {
  const { result, file } = await compileText(source, name, extra);
  if (result.diagnostics.length) throw new Error(result.diagnostics.map((d) => `${d.code} ${d.message}\n${d.frame}`).join("\n"));
  if (!result.output) throw new Error("no output");
  const out = file.replace(/\.ts$/, ".grad.ts");
  fs.writeFileSync(out, result.output);
  const src = await import(pathToFileURL(file).href);
  const grad = await import(pathToFileURL(out).href);
  return { src, grad, output: result.output };
}

export function clone(args: Args): Args {
  // a copy of the same kind (an Int32Array argument stays one)
  return args.map((a) => (typeof a === "number" ? a : a.slice()));
}

/**
 * Checks `gradFn(...args)` against finite differences of `fn` for the named parameters:
 * value bit-identical, gradient within `tol` (relative above 1, absolute below), inputs intact.
 */
export function expectGradient(
  fn: (...a: any[]) => number,
  gradFn: (...a: any[]) => { value: number; grad: Record<string, number | Float64Array> },
  args: Args,
  names: string[],
  wrt: string[] = names,
  tol = 1e-6,
): { value: number; grad: Record<string, number | Float64Array> } {
  const before = clone(args);
  const res = gradFn(...clone(args));
  const ref = fn(...clone(args));
  expect(Object.is(res.value, ref) || res.value === ref, `value ${res.value} !== ${ref}`).toBe(true);
  const which = wrt.map((w) => names.indexOf(w));
  const numeric = numericGradient(fn, clone(args), which);
  for (const w of wrt) {
    const i = names.indexOf(w);
    const raw = res.grad[w];
    const got = Array.isArray(raw) ? Float64Array.from(raw) : raw;
    const want = numeric[i]!;
    expect(got, `grad.${w} missing`).toBeDefined();
    const err = maxRelativeError(got, want);
    expect(err, `grad.${w}: got ${fmt(got)} want ${fmt(want)} (error ${err})`).toBeLessThanOrEqual(tol);
  }
  // inputs are not mutated
  args.forEach((a, i) => expect(a).toEqual(before[i]));
  return res;
}

function fmt(v: number | Float64Array): string {
  return typeof v === "number" ? String(v) : `[${Array.from(v.slice(0, 6)).map((x) => x.toPrecision(8)).join(", ")}${v.length > 6 ? ", …" : ""}]`;
}

/** Seeded random points: each argument drawn from its interval (arrays: [length, lo, hi]). */
export function randomPoints(seed: number, count: number, spec: ([number, number] | [number, number, number])[]): Args[] {
  const rng = mulberry32(seed);
  const out: Args[] = [];
  for (let k = 0; k < count; k++) {
    out.push(spec.map((s) => {
      if (s.length === 2) return s[0] + (s[1] - s[0]) * rng();
      const a = new Float64Array(s[0]);
      for (let i = 0; i < a.length; i++) a[i] = s[1] + (s[2] - s[1]) * rng();
      return a;
    }));
  }
  return out;
}

/** A random direction shaped like `args` (numbers and Float64Arrays). */
export function directionLike(args: Args, seed: number): Args {
  const rng = mulberry32(seed);
  return args.map((a) => (typeof a === "number" ? rng() - 0.5 : Float64Array.from(a, () => rng() - 0.5)));
}

/**
 * Every mode of one generated function against finite differences at `args`: Grad (value
 * bit-identical, gradient), Jvp (tangent = ⟨grad, v⟩ = directional derivative), and when present
 * Hvp (value and gradient equal Grad's; product = directional derivative of the gradient).
 */
export function expectAllModes(src: Mod, grad: Mod, name: string, args: Args, names: string[], wrt: string[] = names, seed = 1, tol = 1e-6): void {
  const g = expectGradient(src[name], grad[name + "Grad"], args, names, wrt, tol);
  // no direction (0) along the other arguments, whatever they hold (integer arrays too)
  const dir = directionLike(args, seed).map((d, i) => (wrt.includes(names[i]!) ? d : 0));
  const v: Record<string, number | Float64Array> = {};
  names.forEach((n, i) => { if (wrt.includes(n)) v[n] = dir[i]!; });
  let inner = 0;
  for (const w of wrt) {
    const gi = g.grad[w]!, vi = v[w]!;
    inner += typeof gi === "number" ? gi * (vi as number) : Array.from(gi as ArrayLike<number>).reduce((s, x, e) => s + x * (vi as Float64Array)[e]!, 0);
  }
  if (grad[name + "Jvp"]) {
    const j = grad[name + "Jvp"](...clone(args), v);
    expect(Object.is(j.value, g.value) || j.value === g.value, `${name}Jvp value`).toBe(true);
    expect(relativeError(j.tangent, inner), `${name}Jvp tangent ${j.tangent} vs <grad, v> ${inner}`).toBeLessThan(1e-9);
    const fd = directionalDerivative(src[name], clone(args), dir);
    expect(relativeError(j.tangent, fd), `${name}Jvp tangent ${j.tangent} vs finite differences ${fd}`).toBeLessThan(tol);
  }
  if (grad[name + "Hvp"]) {
    const h = grad[name + "Hvp"](...clone(args), v);
    expect(h.value, `${name}Hvp value`).toBe(g.value);
    const asArray = (x: number | Float64Array | number[]) => (Array.isArray(x) ? Float64Array.from(x) : x);
    for (const w of wrt) expect(maxRelativeError(asArray(h.grad[w]), asArray(g.grad[w]!)), `${name}Hvp grad.${w}`).toBe(0);
    for (const w of wrt) {
      const gi = g.grad[w]!;
      const count = typeof gi === "number" ? 1 : gi.length;
      const want = Float64Array.from({ length: count }, (_, e) =>
        directionalDerivative((...xs: Args) => { const r = grad[name + "Grad"](...xs).grad[w]; return typeof r === "number" ? r : r[e]; }, clone(args), dir));
      const got = typeof h.hvp[w] === "number" ? new Float64Array([h.hvp[w]]) : Float64Array.from(h.hvp[w]);
      expect(maxRelativeError(got, want), `${name}Hvp hvp.${w}: ${Array.from(got)} vs ${Array.from(want)}`).toBeLessThan(1e-5);
    }
  }
}

/**
 * expectAllModes for functions whose arguments may be trees (objects of numbers and arrays,
 * nested; see runtime/tree.ts): each leaf is checked as one argument of the flattened function,
 * against generated functions called with trees and returning trees of the same shape.
 */
export function expectAllModesTree(src: Mod, grad: Mod, name: string, args: (Tree | undefined)[], names: string[], wrt: string[] = names, seed = 1, tol = 1e-6): void {
  // an argument left out (undefined, an optional parameter) has no leaves and is passed as it is
  const leaves = (a: Tree | undefined, path?: string) => (a === undefined ? [] : treeLeaves(a, path));
  const counts = args.map((a) => leaves(a).length);
  const leafNames = args.flatMap((a, i) => leaves(a, names[i]).map((l) => l.path));
  const owner = args.flatMap((a, i) => leaves(a).map(() => names[i]!));
  const flat: Args = args.flatMap((a) => leaves(a).map((l) => (typeof l.value === "number" ? l.value : Float64Array.from(l.value))));
  const rebuild = (xs: Args): (Tree | undefined)[] => {
    let k = 0;
    return args.map((a, i) => (a === undefined ? undefined : fromLeaves(a, xs.slice(k, (k += counts[i]!)))));
  };
  /** A tree result (grad, hvp) keyed by leaf names. */
  const flatten = (t: Record<string, Tree>): Record<string, number | Float64Array> => {
    const out: Record<string, number | Float64Array> = {};
    names.forEach((n, i) => {
      if (!wrt.includes(n) || t[n] === undefined) return;
      for (const l of leaves(t[n]!, n)) out[l.path] = typeof l.value === "number" ? l.value : Float64Array.from(l.value);
    });
    return out;
  };
  /** A direction keyed by leaf names, as trees keyed by parameter names. */
  const direction = (v: Record<string, number | Float64Array>): Record<string, Tree> => {
    const out: Record<string, Tree> = {};
    names.forEach((n, i) => {
      if (!wrt.includes(n)) return;
      out[n] = fromLeaves(args[i]!, leaves(args[i]!, n).map((l) => v[l.path] ?? (typeof l.value === "number" ? 0 : new Float64Array(l.value.length))));
    });
    return out;
  };
  const split = (xs: unknown[]): [Args, Record<string, number | Float64Array>] => [xs.slice(0, flat.length) as Args, xs[flat.length] as Record<string, number | Float64Array>];
  const flatSrc = { [name]: (...xs: Args) => src[name](...rebuild(xs)) };
  const flatGrad: Mod = {
    [name + "Grad"]: (...xs: Args) => {
      const r = grad[name + "Grad"](...rebuild(xs));
      return { value: r.value, grad: flatten(r.grad) };
    },
  };
  if (grad[name + "Jvp"]) flatGrad[name + "Jvp"] = (...xs: unknown[]) => { const [a, v] = split(xs); return grad[name + "Jvp"](...rebuild(a), direction(v)); };
  if (grad[name + "Hvp"]) {
    flatGrad[name + "Hvp"] = (...xs: unknown[]) => {
      const [a, v] = split(xs);
      const r = grad[name + "Hvp"](...rebuild(a), direction(v));
      return { value: r.value, grad: flatten(r.grad), hvp: flatten(r.hvp) };
    };
  }
  expectAllModes(flatSrc, flatGrad, name, flat, leafNames, leafNames.filter((_, k) => wrt.includes(owner[k]!)), seed, tol);
}
