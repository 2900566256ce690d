/**
 * What the build integrations (tsc plugin, Vite, esbuild) share: which markers exist, the name and
 * module of the function a marker call stands for, and the messages for misuse.
 *
 * Pure functions of their arguments: no TypeScript instance, no file system.
 */
import path from "node:path";
import { MARKERS, type Marker } from "../index.ts";

export { MARKERS, type Marker };

/** The package markers are imported from. */
export const MARKER_MODULE = "adjoint";

export function isMarker(name: string): name is Marker {
  return Object.prototype.hasOwnProperty.call(MARKERS, name);
}

/** `grad`, `loss` -> `lossGrad` (compiler/naming.ts conventions). */
export function generatedName(fn: string, marker: Marker): string {
  return `${fn}${MARKERS[marker]}`;
}

/** Source extensions adjoint reads, in the order a generated file's source is looked for. */
export const SOURCE_EXTENSIONS = [".ts", ".mts", ".cts", ".tsx"];

/** `model.ts` -> `model.grad.ts`. */
import { outputFileName as generatedFileFor } from "../compiler/naming.ts";
export { generatedFileFor };

/** Whether a path names a generated module (`x.grad.ts`, `x.grad.js`, `x.grad`). */
export function isGeneratedPath(file: string): boolean {
  return /\.grad(\.[cm]?[jt]sx?)?$/.test(file);
}

/** `/a/model.grad.ts` (or `.grad.js`, `.grad`) -> the source candidates `/a/model.ts`, `/a/model.mts`, … */
export function sourceCandidatesFor(generated: string): string[] {
  const m = /^(.*)\.grad(\.[cm]?[jt]sx?)?$/.exec(generated);
  if (!m) return [];
  const ext = m[2];
  const exts = ext ? [ext.replace("js", "ts")] : SOURCE_EXTENSIONS;
  return exts.map((e) => m[1] + e);
}

/** How a module's relative imports spell extensions: kept when pointing at a generated module. */
export type ExtensionStyle = "js" | "ts" | "none";

/** The extension style of a relative module specifier. */
export function extensionStyleOf(specifier: string): ExtensionStyle {
  if (/\.[cm]?tsx?$/.test(specifier)) return "ts";
  if (/\.[cm]?jsx?$/.test(specifier)) return "js";
  return "none";
}

/** The relative specifier from `importer` to the generated module of `source`, in `style`. */
export function generatedSpecifier(importer: string, source: string, style: ExtensionStyle): string {
  const generated = generatedFileFor(source);
  let rel = path.relative(path.dirname(importer), generated).split(path.sep).join("/");
  if (!rel.startsWith(".")) rel = `./${rel}`;
  const ext = /\.[cm]?tsx?$/.exec(rel)![0];
  const stem = rel.slice(0, -ext.length);
  if (style === "ts") return rel;
  if (style === "none") return stem;
  return stem + ({ ".ts": ".js", ".mts": ".mjs", ".cts": ".cjs", ".tsx": ".js" } as Record<string, string>)[ext];
}

/** A marker call whose function has no such generated function: name the `@modes` fix. */
export function missingModeMessage(marker: Marker, fn: string, exported: string[]): string {
  const available = exported.filter((name) => Object.values(MARKERS).some((suffix) => name === fn + suffix));
  const want = generatedName(fn, marker);
  if (marker === "vjp" && available.includes(generatedName(fn, "grad"))) {
    return `vjp(${fn}): '${fn}' returns a number, so adjoint generates ${generatedName(fn, "grad")} for it, not ${want}. Use grad(${fn}); vjp is for functions that write their results into @out arrays.`;
  }
  if (marker === "grad" && available.includes(generatedName(fn, "vjp"))) {
    return `grad(${fn}): '${fn}' writes its results into @out arrays, so adjoint generates ${generatedName(fn, "vjp")} for it. Use vjp(${fn}).`;
  }
  const have = available.length > 0 ? ` (it has ${available.join(", ")})` : "";
  return `${marker}(${fn}): adjoint generated no ${want} for '${fn}'${have}. Ask for it in the function's comment: /** @differentiable @modes grad ${marker} */ (or pass "modes" to the plugin).`;
}

export function notDifferentiableMessage(marker: Marker, fn: string): string {
  return `${marker}(${fn}): '${fn}' is not marked /** @differentiable */. Add the comment to its declaration (a top-level function declaration).`;
}

export function badArgumentMessage(marker: Marker): string {
  return `${marker}(...) takes the name of a function declaration marked /** @differentiable */, declared in this module or imported, e.g. ${marker}(loss).`;
}

/** The names of the functions a generated module exports. */
export function exportedFunctions(output: string): string[] {
  return [...output.matchAll(/^export function ([A-Za-z_$][\w$]*)/gm)].map((m) => m[1]);
}

/** An error message when `modes` (a plugin option) names an unknown mode; the modes are the markers' names. */
export function checkModes(modes: unknown): string | undefined {
  if (modes === undefined) return undefined;
  const known = Object.keys(MARKERS);
  if (!Array.isArray(modes) || modes.length === 0) return `adjoint: "modes" must be a list of modes, some of ${known.join(", ")}.`;
  const bad = modes.filter((m) => !known.includes(m));
  if (bad.length > 0) return `adjoint: unknown mode${bad.length === 1 ? "" : "s"} ${bad.map((m) => JSON.stringify(m)).join(", ")} in "modes": choose from ${known.join(", ")}.`;
  return undefined;
}

/** adjoint's `AD1001` -> the numeric code a TypeScript diagnostic carries: 91001. */
export function numericCode(code: string): number {
  const n = Number(/\d+$/.exec(code)?.[0] ?? "0");
  return 90000 + n;
}

/** Numeric codes of the integrations' own diagnostics (marker misuse). */
export const MarkerCodes = {
  BadArgument: 91101,
  NotDifferentiable: 91102,
  MissingMode: 91103,
  CompilerFailed: 91100,
  BadOption: 91104,
} as const;

/**
 * The module generated code imports the runtime from, unless told otherwise (`--runtime`, the
 * plugins' `runtime` option): the runtime package, which an application installs as its only
 * dependency on adjoint (the compiler and plugins are development dependencies).
 */
export { DEFAULT_RUNTIME } from "../compiler/naming.ts";
