/**
 * The markers' types in the editor, through TypeScript's language service: once a module is
 * generated, `grad(loss)` has exactly the type of `lossGrad` (the generated module's entry in
 * `AdjointRegistry`), so `.grad.w` is a `Float64Array`, `.grad.wq` is an error and completions
 * after `.grad.` are exactly the parameters; likewise for every mode. Checked with the markers'
 * sources (inside this repository: the `adjoint-source` condition) and with the built package's
 * declarations (an installed `adjoint`), and with TypeScript 5.3 and 6 through their `tsc`.
 * Functions sharing a type, and modules not generated yet, get the loose types.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";
import { compileFiles } from "../../compiler/index.ts";
import { ROOT, buildDist, linkAdjoint, removeTempProjects, tempProject } from "./helpers.ts";

afterAll(removeTempProjects);

const MODEL = `/** @differentiable @modes grad jvp hvp hessian jacobian */
export function loss(w: Float64Array, b: number, x: Float64Array, y: number): number {
  let z = b;
  for (let i = 0; i < w.length; i++) z += w[i]! * x[i]!;
  return (z - y) * (z - y);
}

/** @differentiable @out y @modes vjp jvp jacobian */
export function act(x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < x.length; i++) y[i] = Math.sin(x[i]!) * x[0]!;
}
`;

/** Each line is one probe; `/*@name*\/` marks a position (removed from the text). */
const USE = `import { grad, hessian, hvp, jacobian, jvp, vjp } from "adjoint";
import { act, loss } from "./model.ts";
import { actJacobian, actJvp, actVjp, lossGrad, lossHessian, lossHvp, lossJacobian, lossJvp } from "./model.grad.ts";

const w = new Float64Array(3), x = new Float64Array(3), y = new Float64Array(3);
const g = grad(loss)(w, 1, x, 2, { w });
export const gw = g.grad./*grad*/w;
export const gq = g.grad.wq; // error: grad
const t = jvp(loss)(w, 1, x, 2, { /*jvpW*/w: x, b: 1 });
export const te = jvp(loss)(w, 1, x, 2, { /*jvp*/ });
export const tt: number = t.tangent;
export const tq = jvp(loss)(w, 1, x, 2, { wq: 1 }); // error: jvp
const h = hvp(loss)(w, 1, x, 2, { w: x });
export const hw = h.hvp./*hvp*/w;
export const hq = h.hvp.wq; // error: hvp
export const hg = h.grad.b;
const v = vjp(act)(x, y, { y });
export const vx = v.grad./*vjp*/x;
export const vq = v.grad.xq; // error: vjp
const tv = jvp(act)(x, y, { x });
export const ty = tv.tangent./*jvpOut*/y;
export const tyq = tv.tangent.yq; // error: jvpOut
export const J = jacobian(loss);
export const JA = jacobian(act);
export const H = hessian(loss);
export const exact = [grad(loss), jvp(loss), hvp(loss), vjp(act), jvp(act), J, JA, H] as const;
export const generated = [lossGrad, lossJvp, lossHvp, actVjp, actJvp, lossJacobian, actJacobian, lossHessian] as const;
`;

/** Probes of the loose types: a module not generated yet, and two functions with one type and different gradients. */
const LOOSE_MODEL = `/** @differentiable @wrt w */
export function lossW(w: Float64Array, b: number, x: Float64Array, y: number): number {
  let z = b;
  for (let i = 0; i < w.length; i++) z += w[i]! * x[i]!;
  return (z - y) * (z - y);
}
`;
const FRESH = `/** @differentiable */
export function fresh(a: number, m: Float64Array): number {
  return a * m[0]!;
}

/** @differentiable @modes grad jvp */
export function freshRecord(p: { w: Float64Array; b: number }, xs: number[]): number {
  return p.b * p.w[0]! * xs[0]!;
}
`;
const LOOSE_USE = `import { grad, hvp, jvp } from "adjoint";
import { loss } from "./model.ts";
import { lossW } from "./other.ts";
import { fresh, freshRecord } from "./fresh.ts";

const w = new Float64Array(3);
export const a = grad(loss)(w, 1, w, 2).grad./*shared*/w;
export const b = grad(lossW)(w, 1, w, 2).grad.anything;
export const c = grad(fresh)(1, w).grad./*fresh*/m;
export const d = grad(fresh)(1, w).grad.anything;
// object and number[] parameters: their gradients, out buffers and directions have their shapes
export const f = grad(freshRecord)({ w, b: 1 }, [1], { p: { w }, xs: [0] }).grad./*freshRecord*/p;
export const fj = jvp(freshRecord)({ w, b: 1 }, [1], { p: { w }, xs: [1] }).tangent;
// only loss has an Hvp: its entry alone counts for hvp(…)
export const e = hvp(loss)(w, 1, w, 2, { w }).hvp./*onlyHvp*/w;
`;

interface Probe {
  text: string;
  marks: Map<string, number>;
}

function probe(source: string): Probe {
  const marks = new Map<string, number>();
  let text = "";
  let last = 0;
  for (const m of source.matchAll(/\/\*([A-Za-z]+)\*\//g)) {
    text += source.slice(last, m.index);
    marks.set(m[1]!, text.length);
    last = m.index! + m[0].length;
  }
  return { text: text + source.slice(last), marks };
}

/** A language service over the files of `dir` (read from disk), with `options`. */
function languageService(dir: string, roots: string[], options: ts.CompilerOptions): ts.LanguageService {
  const host: ts.LanguageServiceHost = {
    getCompilationSettings: () => options,
    getScriptFileNames: () => roots.map((r) => path.join(dir, r)),
    getScriptVersion: () => "1",
    getScriptSnapshot: (f) => (fs.existsSync(f) ? ts.ScriptSnapshot.fromString(fs.readFileSync(f, "utf8")) : undefined),
    getCurrentDirectory: () => dir,
    getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
    fileExists: ts.sys.fileExists,
    readFile: ts.sys.readFile,
    readDirectory: ts.sys.readDirectory,
    directoryExists: ts.sys.directoryExists,
    getDirectories: ts.sys.getDirectories,
    realpath: ts.sys.realpath,
  };
  return ts.createLanguageService(host, ts.createDocumentRegistry());
}

const BASE: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  noUncheckedIndexedAccess: true,
  exactOptionalPropertyTypes: true,
  allowImportingTsExtensions: true,
  noEmit: true,
  skipLibCheck: true,
  types: [],
  lib: ["lib.es2022.d.ts"],
};

/** `file` compiled by adjoint, written beside it. */
function generate(dir: string, file: string): void {
  const [r] = compileFiles([path.join(dir, file)]);
  expect(r!.diagnostics).toEqual([]);
  fs.writeFileSync(path.join(dir, file.replace(/\.ts$/, ".grad.ts")), r!.output!);
}

/** The project: package.json (a module), the model and its generated module, and the probes. */
function project(name: string, files: Record<string, string>): string {
  const dir = tempProject(name, { "package.json": `${JSON.stringify({ name, private: true, type: "module" })}\n`, ...files });
  generate(dir, "model.ts");
  return dir;
}

function diagnosticsOf(service: ts.LanguageService, file: string): { line: number; code: number; text: string }[] {
  return service.getSemanticDiagnostics(file).map((d) => ({
    line: d.file!.getLineAndCharacterOfPosition(d.start!).line + 1,
    code: d.code,
    // TypeScript 5.7 and later spell the array type Float64Array<ArrayBufferLike>
    text: ts.flattenDiagnosticMessageText(d.messageText, "\n").replaceAll("<ArrayBufferLike>", ""),
  }));
}

/** Quick info as the editor shows it (TypeScript 5.7 and later add `<ArrayBufferLike>` to typed arrays). */
const display = (info: ts.QuickInfo | undefined) => ts.displayPartsToString(info?.displayParts).replaceAll("<ArrayBufferLike>", "");

const lineOf = (text: string, needle: string) => text.slice(0, text.indexOf(needle)).split("\n").length;

function checkExact(service: ts.LanguageService, dir: string): void {
  const use = probe(USE);
  const file = path.join(dir, "use.ts");
  // exactly one error per typo, each naming the exact type it is not in
  const errors = diagnosticsOf(service, file);
  const expected = [
    { needle: "g.grad.wq", code: 2339, text: "Property 'wq' does not exist on type '{ w: Float64Array; b: number; x: Float64Array; y: number; }'." },
    { needle: "{ wq: 1 }", code: 2353, text: "Object literal may only specify known properties, and 'wq' does not exist in type '{ w?: Float64Array; b?: number; x?: Float64Array; y?: number; }'." },
    { needle: "h.hvp.wq", code: 2339, text: "Property 'wq' does not exist on type '{ w: Float64Array; b: number; x: Float64Array; y: number; }'." },
    { needle: "v.grad.xq", code: 2339, text: "Property 'xq' does not exist on type '{ x: Float64Array; }'." },
    { needle: "tv.tangent.yq", code: 2339, text: "Property 'yq' does not exist on type '{ y: Float64Array; }'." },
  ];
  expect(errors).toEqual(expected.map((e) => ({ line: lineOf(use.text, e.needle), code: e.code, text: e.text })));

  // the field types, and completions: exactly the differentiated parameters (or outputs)
  const fields: Record<string, { type?: string; completions?: string[] }> = {
    grad: { type: "(property) w: Float64Array", completions: ["b", "w", "x", "y"] },
    jvpW: { type: "(property) w?: Float64Array" },
    jvp: { completions: ["b", "w", "x", "y"] },
    hvp: { type: "(property) w: Float64Array", completions: ["b", "w", "x", "y"] },
    vjp: { type: "(property) x: Float64Array", completions: ["x"] },
    jvpOut: { type: "(property) y: Float64Array", completions: ["y"] },
  };
  for (const [mark, want] of Object.entries(fields)) {
    const at = use.marks.get(mark)!;
    if (want.type) expect(display(service.getQuickInfoAtPosition(file, at)), mark).toBe(want.type);
    if (want.completions) expect(service.getCompletionsAtPosition(file, at, {})?.entries.map((e) => e.name).sort(), mark).toEqual(want.completions);
  }

  // every marker call has exactly the generated function's type
  const program = service.getProgram()!;
  const checker = program.getTypeChecker();
  const sf = program.getSourceFile(file)!;
  const arrays: Record<string, ts.NodeArray<ts.Expression>> = {};
  sf.forEachChild(function visit(node): void {
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer && ts.isAsExpression(node.initializer) && ts.isArrayLiteralExpression(node.initializer.expression)) {
      arrays[node.name.text] = node.initializer.expression.elements;
    }
    node.forEachChild(visit);
  });
  const exact = arrays.exact!, generated = arrays.generated!;
  expect(exact).toHaveLength(8);
  for (let i = 0; i < exact.length; i++) {
    const marker = checker.getTypeAtLocation(exact[i]!), fn = checker.getTypeAtLocation(generated[i]!);
    const label = `${exact[i]!.getText(sf)} vs ${generated[i]!.getText(sf)}`;
    expect(checker.typeToString(marker, undefined, ts.TypeFormatFlags.NoTruncation), label).toBe(checker.typeToString(fn, undefined, ts.TypeFormatFlags.NoTruncation));
    expect(checker.isTypeAssignableTo(marker, fn) && checker.isTypeAssignableTo(fn, marker), label).toBe(true);
  }
}

function checkLoose(service: ts.LanguageService, dir: string): void {
  const use = probe(LOOSE_USE);
  const file = path.join(dir, "loose.ts");
  // no errors: the loose types accept any field name
  expect(diagnosticsOf(service, file)).toEqual([]);
  const typeAt = (mark: string) => display(service.getQuickInfoAtPosition(file, use.marks.get(mark)!));
  // loss and lossW have one type and different gradients: loose for both (a record's field,
  // possibly undefined under noUncheckedIndexedAccess)
  expect(typeAt("shared")).toBe("Field | undefined");
  // fresh.ts has no generated module
  expect(typeAt("fresh")).toBe("Field | undefined");
  // a record's field whatever the parameter's type; Field (index.ts) is every shape a parameter
  // has: number | Float64Array | number[] | { [name: string]: Field }
  expect(typeAt("freshRecord")).toBe("Field | undefined");
  // hvp: only loss's entry has an Hvp, so hvp(loss) is exact although lossW shares its type
  expect(typeAt("onlyHvp")).toBe("(property) w: Float64Array");
}

/** The files a project's tsconfig includes: every module, generated ones too (their entries are what the markers read). */
const ALL = ["model.ts", "model.grad.ts", "other.ts", "other.grad.ts", "fresh.ts", "loose.ts"];

/** The probes as files: use.ts (exact), loose.ts with other.ts (generated) and fresh.ts (not generated). */
function files(): Record<string, string> {
  return { "model.ts": MODEL, "use.ts": probe(USE).text, "other.ts": LOOSE_MODEL, "fresh.ts": FRESH, "loose.ts": probe(LOOSE_USE).text };
}

/** Object parameters (records flattened at the boundary): the gradient has the parameter's shape. */
const RECORD_MODEL = `export interface Params {
  w: Float64Array;
  b: number;
}

/** @differentiable @modes grad jvp */
export function fit(p: Params, x: Float64Array, y: number): number {
  let z = p.b;
  for (let i = 0; i < x.length; i++) z += p.w[i]! * x[i]!;
  return (z - y) * (z - y);
}
`;
const RECORD_USE = `import { grad, jvp } from "adjoint";
import { fit } from "./model.ts";
import { fitGrad, fitJvp } from "./model.grad.ts";

const x = new Float64Array(2);
const g = grad(fit)({ w: x, b: 0 }, x, 1);
export const gw = g.grad.p./*recordW*/w;
export const gq = g.grad.p.wq; // error
export const exact = [grad(fit), jvp(fit)] as const;
export const generated = [fitGrad, fitJvp] as const;
`;

describe("marker types in the language service", () => {
  it("are the generated functions' exact types, with the markers' sources (adjoint-source)", { timeout: 120_000 }, () => {
    const dir = project("types-source", files());
    const options = { ...BASE, customConditions: ["adjoint-source"] };
    // "adjoint" resolves to this repository's index.ts, as it does inside the repository
    const paths = { adjoint: [path.join(ROOT, "index.ts")] };
    checkExact(languageService(dir, ["model.grad.ts", "use.ts"], { ...options, paths }), dir);
    generate(dir, "other.ts");
    checkLoose(languageService(dir, ALL, { ...options, paths }), dir);
  });

  it("follow object parameters: the gradient has the parameter's fields", { timeout: 120_000 }, () => {
    const dir = project("types-records", { "model.ts": RECORD_MODEL, "use.ts": probe(RECORD_USE).text });
    const paths = { adjoint: [path.join(ROOT, "index.ts")] };
    const service = languageService(dir, ["model.grad.ts", "use.ts"], { ...BASE, customConditions: ["adjoint-source"], paths });
    const use = probe(RECORD_USE);
    const file = path.join(dir, "use.ts");
    const errors = diagnosticsOf(service, file);
    expect(errors).toEqual([{ line: lineOf(use.text, "g.grad.p.wq"), code: 2339, text: "Property 'wq' does not exist on type '{ w: Float64Array; b: number; }'." }]);
    const at = use.marks.get("recordW")!;
    expect(display(service.getQuickInfoAtPosition(file, at))).toBe("(property) w: Float64Array");
    expect(service.getCompletionsAtPosition(file, at, {})?.entries.map((e) => e.name).sort()).toEqual(["b", "w"]);
    const program = service.getProgram()!;
    const checker = program.getTypeChecker();
    const sf = program.getSourceFile(file)!;
    const lists: ts.NodeArray<ts.Expression>[] = [];
    sf.forEachChild(function visit(node): void {
      if (ts.isAsExpression(node) && ts.isArrayLiteralExpression(node.expression)) lists.push(node.expression.elements);
      node.forEachChild(visit);
    });
    const [exact, generated] = lists as [ts.NodeArray<ts.Expression>, ts.NodeArray<ts.Expression>];
    expect(exact).toHaveLength(2);
    for (let i = 0; i < exact.length; i++) {
      const marker = checker.getTypeAtLocation(exact[i]!), fn = checker.getTypeAtLocation(generated[i]!);
      expect(checker.typeToString(marker, undefined, ts.TypeFormatFlags.NoTruncation)).toBe(checker.typeToString(fn, undefined, ts.TypeFormatFlags.NoTruncation));
    }
  });

  it("are the generated functions' exact types, with the installed package's declarations", { timeout: 240_000 }, () => {
    buildDist();
    const dir = project("types-installed", files());
    linkAdjoint(dir);
    const service = languageService(dir, ["model.grad.ts", "use.ts"], BASE);
    const resolved = ts.resolveModuleName("adjoint", path.join(dir, "use.ts"), BASE, ts.sys).resolvedModule?.resolvedFileName;
    expect(resolved).toBe(path.join(ROOT, "dist/index.d.ts"));
    checkExact(service, dir);
    generate(dir, "other.ts");
    checkLoose(languageService(dir, ALL, BASE), dir);
  });

  it("give the same errors under TypeScript 5.3 and 6 (tsc)", { timeout: 240_000 }, () => {
    buildDist();
    const dir = project("types-tsc", files());
    linkAdjoint(dir);
    generate(dir, "other.ts");
    const compilerOptions = {
      target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, noUncheckedIndexedAccess: true,
      exactOptionalPropertyTypes: true, allowImportingTsExtensions: true, noEmit: true, skipLibCheck: true, types: [], lib: ["ES2022"],
    };
    fs.writeFileSync(path.join(dir, "tsconfig.exact.json"), JSON.stringify({ compilerOptions, files: ["model.grad.ts", "use.ts"] }));
    fs.writeFileSync(path.join(dir, "tsconfig.loose.json"), JSON.stringify({ compilerOptions, files: ALL }));
    const use = probe(USE).text;
    const want = ["g.grad.wq", "{ wq: 1 }", "h.hvp.wq", "v.grad.xq", "tv.tangent.yq"].map((n) => `use.ts(${lineOf(use, n)},`);
    for (const pkg of ["typescript5.3", "typescript6"]) {
      const tsc = (config: string) => {
        const r = spawnSync(process.execPath, [path.join(ROOT, "node_modules", pkg, "bin/tsc"), "-p", config], { cwd: dir, encoding: "utf8" });
        return { lines: r.stdout.split("\n").filter((l) => /error TS/.test(l)), out: `${pkg} ${config}:\n${r.stdout}${r.stderr}` };
      };
      const exact = tsc("tsconfig.exact.json");
      expect(exact.lines.map((l) => l.slice(0, l.indexOf(",") + 1)), exact.out).toEqual(want);
      const loose = tsc("tsconfig.loose.json");
      expect(loose.lines, loose.out).toEqual([]);
    }
  });
});
