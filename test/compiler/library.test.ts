/**
 * The library a compile starts with (CORE_LIBRARY, compiler/index.ts): ES2022's less what no
 * differentiable function can use. Every program of the repository compiles with it exactly as
 * with all of ES2022's; code that does use what it leaves out gets the full library's
 * diagnostics, because a compile that reports anything is done again with the full library.
 */
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { CORE_LIBRARY, compileFiles, compileSource, createProgram, type Library } from "../../compiler/index.ts";
import { compileSourceFile } from "../../compiler/pipeline.ts";
import { ROOT } from "../helpers.ts";

/** A compile with one library, without the fallback. */
function compileWith(file: string, library: Library, text?: string) {
  const abs = path.resolve(file);
  const program = createProgram([abs], text === undefined ? new Map() : new Map([[abs, text]]), undefined, library);
  return compileSourceFile(program, program.getSourceFile(abs)!, {});
}

/** The TypeScript files under `dir`, outside node_modules (where the integration tests link the repository). */
function walk(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === "node_modules" || e.name.startsWith(".") ? [] : walk(rel);
    return e.isFile() && /\.ts$/.test(e.name) && !/\.(grad|forward\.grad|d)\.ts$/.test(e.name) ? [rel] : [];
  });
}

/** Every annotated source of the repository: fixtures (errors too), benchmark problems, examples. */
function sources(): string[] {
  return ["fixtures/seeds", "fixtures/programs", "fixtures/errors", "bench/problems", "examples"]
    .flatMap(walk)
    .filter((f) => fs.readFileSync(path.join(ROOT, f), "utf8").includes("@differentiable"));
}

const LIB_DIR = path.dirname(ts.getDefaultLibFilePath({}));
const libraryOf = (program: ts.Program) =>
  program.getSourceFiles().map((sf) => sf.fileName).filter((f) => f.startsWith(LIB_DIR)).map((f) => path.basename(f)).sort();

describe("the core library", () => {
  it("is part of ES2022's, and leaves out Intl, BigInt, Proxy, Reflect, WeakRef, promises, generators, strings, dates, regular expressions", () => {
    const file = path.join(ROOT, "examples/quickstart/model.ts");
    const core = libraryOf(createProgram([file], new Map(), undefined, "core"));
    const full = libraryOf(createProgram([file], new Map(), undefined, "es2022"));
    for (const f of CORE_LIBRARY) expect(core).toContain(f);
    for (const f of core) expect(full).toContain(f);
    expect(core.filter((f) => /intl|bigint|proxy|reflect|weakref|promise\.d|generator|string|date|regexp/.test(f))).toEqual(
      // lib.es2022.error.d.ts references es2021.promise, for AggregateError
      ["lib.es2021.promise.d.ts"]);
    const size = (names: string[]) => names.reduce((n, f) => n + fs.statSync(path.join(LIB_DIR, f)).size, 0);
    expect(size(core)).toBeLessThan(0.75 * size(full));
  });

  it.each(sources())("%s compiles as with all of ES2022's library", (rel) => {
    const file = path.join(ROOT, rel);
    const core = compileWith(file, "core");
    const full = compileWith(file, "es2022");
    // with the core library a compile never succeeds where the full library's fails …
    if (core.diagnostics.length === 0) {
      expect(full.diagnostics).toEqual([]);
      expect(core.output).toBe(full.output);
    }
    // … and what the compiler returns is always the full library's result
    const [got] = compileFiles([file]);
    expect(got!.diagnostics).toEqual(full.diagnostics);
    expect(got!.output).toBe(full.output);
  });
});

describe("code that uses what the core library leaves out", () => {
  const CASES: [string, string][] = [
    ["a Map parameter", "export function f(m: Map<string, number>, x: number): number {\n  return x * x;\n}"],
    ["a Promise result", "export function f(x: number): Promise<number> {\n  return Promise.resolve(x);\n}"],
    ["a bigint", "export function f(x: number): number {\n  return x * Number(BigInt(2));\n}"],
    ["a string method", "export function f(x: number): number {\n  return x * \"ab\".padStart(3).length;\n}"],
    ["Intl", "export function f(x: number): number {\n  return x * new Intl.NumberFormat(\"en\").format(x).length;\n}"],
    ["Reflect", "export function f(o: { a: number }): number {\n  return Reflect.get(o, \"a\") * 2;\n}"],
    ["a WeakRef", "export function f(x: number, r: WeakRef<object>): number {\n  return x;\n}"],
    ["Array.prototype.flatMap", "export function f(xs: number[]): number {\n  return xs.flatMap((v) => [v, v]).length * 2;\n}"],
  ];

  it.each(CASES)("%s: the full library's diagnostics", (_, body) => {
    const text = `/** @differentiable */\n${body}\n`;
    const file = path.join(ROOT, ".tmp/library-case.ts");
    const full = compileWith(file, "es2022", text);
    const got = compileSource(text, file);
    expect(got.diagnostics.length).toBeGreaterThan(0);
    expect(got.diagnostics).toEqual(full.diagnostics);
    expect(got.output).toBeUndefined();
  });

  it("names the type the full library declares in its message", () => {
    const text = "/** @differentiable */\nexport function f(m: Map<string, number>, x: number): number {\n  return x * x;\n}\n";
    const got = compileSource(text, path.join(ROOT, ".tmp/library-map.ts"));
    expect(got.diagnostics.map((d) => d.code)).toEqual(["AD1003"]);
    expect(got.diagnostics[0]!.message).toContain("'Map<string, number>'");
  });
});

describe("what differentiable code uses is in the core library", () => {
  const CASES: [string, string][] = [
    ["ES2015's Math", "export function f(x: number, y: number): number {\n  return Math.hypot(x, y) + Math.log1p(x * x) + Math.cbrt(y) + Math.sign(x) * Math.trunc(y) + Math.tanh(x) + Math.log2(1 + y * y);\n}"],
    ["for-of over a Float64Array and a number[]", "export function f(w: Float64Array, v: number[]): number {\n  let s = 0;\n  for (const a of w) s += a * a;\n  for (const b of v) s += Math.sin(b);\n  return s;\n}"],
    ["typed-array and array methods", "export function f(w: Float64Array, v: number[]): number {\n  const c = Float64Array.from(w);\n  const u = Array.from(v);\n  c.fill(2, 0, 1);\n  return c.subarray(0, 2).reduce((s, a) => s + a * a, 0) + u.map((b) => b * b).reduce((s, b) => s + b, 0);\n}"],
    ["records and lists of them", "interface P { w: Float64Array; b: number }\nexport function f(p: P, ps: P[]): number {\n  let s = p.b * p.b;\n  for (const q of ps) s += q.b * p.w[0];\n  return s;\n}"],
    ["a thrown RangeError", "export function f(x: number): number {\n  if (x < 0) throw new RangeError(\"x must be >= 0\");\n  return Math.sqrt(x);\n}"],
  ];

  it.each(CASES)("%s compiles with it alone, to the full library's module", (_, body) => {
    const text = `/** @differentiable */\n${body}\n`;
    const file = path.join(ROOT, ".tmp/library-kept.ts");
    const core = compileWith(file, "core", text);
    const full = compileWith(file, "es2022", text);
    expect(core.diagnostics).toEqual([]);
    expect(full.diagnostics).toEqual([]);
    expect(core.output).toBe(full.output);
  });
});
