/**
 * `import { grad } from "adjoint"`: typed markers for the functions adjoint generates.
 *
 * `grad(loss)` stands for `lossGrad`, the function `adjoint gen` writes into `model.grad.ts`. A build
 * integration replaces each call site with the generated function (and imports it):
 *
 * - tsc: the ts-patch plugin, `{ "transform": "adjoint/plugin", "transformProgram": true }`
 * - bundlers: `adjoint/vite` (Vitest too), `adjoint/webpack`, `adjoint/rollup`, `adjoint/rolldown`,
 *   `adjoint/esbuild`, `adjoint/rspack`
 *
 * Without one of them, calling a marker throws an Error that names the fix. The argument must be
 * the name of a function marked `/** @differentiable *\/` (declared in this module or imported).
 *
 * The types follow the function's signature: the same parameters in (plus the generated
 * function's extra ones), the generated function's result out, with the gradient fields typed as
 * a record (the generated module itself types each field exactly: import `lossGrad` from it when
 * you need that).
 */
import { MODE_SUFFIX, type Mode } from "./compiler/naming.ts";

/** A gradient-shaped object: one field per differentiated parameter. */
export type Fields = Record<string, number | Float64Array>;

/** The result of a `Grad` function: the value and the gradient of a scalar function. */
export interface GradResult {
  value: number;
  grad: Fields;
}

/** The result of a scalar function's `Jvp`: the value and the directional derivative. */
export interface JvpResult {
  value: number;
  tangent: number;
}

/** The result of a vector-valued (`@out`) function's `Jvp`: one tangent per output array. */
export interface VectorJvpResult {
  tangent: Record<string, Float64Array>;
}

/** The result of a vector-valued (`@out`) function's `Vjp`. */
export interface VjpResult {
  grad: Fields;
}

/** The result of an `Hvp` function: value, gradient and the Hessian-vector product. */
export interface HvpResult {
  value: number;
  grad: Fields;
  hvp: Fields;
}

/** A dense Jacobian, row-major: `rows` outputs by `cols` flattened inputs. */
export interface JacobianResult {
  jacobian: Float64Array;
  rows: number;
  cols: number;
}

/** A dense Hessian, row-major, `size` by `size` over the flattened differentiated parameters. */
export interface HessianResult {
  value: number;
  hessian: Float64Array;
  size: number;
}

/** Arrays to receive the array gradients (overwritten and returned instead of allocated). */
export type GradOut = Partial<Record<string, Float64Array>>;

/** A direction: one field per differentiated parameter (missing fields are zero). */
export type Direction = Partial<Fields>;

/** The marker names and the suffix of the generated function each stands for. */
/** Each marker and the suffix of the generated function it stands for (`grad(loss)` is `lossGrad`). */
export const MARKERS = MODE_SUFFIX;
export type Marker = Mode;

function unrewritten(marker: Marker, f: unknown): never {
  const name = typeof f === "function" && f.name ? f.name : "f";
  const generated = `${name}${MARKERS[marker]}`;
  throw new Error(
    `adjoint: ${marker}(${name}) was called at run time, so no build integration replaced it with ${generated}. ` +
      `Either add the plugin to your build: for tsc, "plugins": [{ "transform": "adjoint/plugin", "transformProgram": true }] ` +
      `under compilerOptions in tsconfig.json, built with tspc (ts-patch); for Vite or Vitest, adjoint() from "adjoint/vite" in the config's plugins; ` +
      `likewise for webpack, Rollup, Rolldown, esbuild and Rspack, adjoint() from "adjoint/webpack", "adjoint/rollup", "adjoint/rolldown", "adjoint/esbuild" or "adjoint/rspack". ` +
      `Or run \`npx adjoint gen <file>.ts\` and import { ${generated} } from "./<file>.grad.ts" instead of calling ${marker}().`,
  );
}

/** `grad(f)` is `fGrad`: value and gradient of a scalar function (reverse mode). */
export function grad<P extends unknown[]>(f: (...args: P) => number): (...args: [...P, out?: GradOut]) => GradResult {
  return unrewritten("grad", f);
}

/**
 * `jvp(f)` is `fJvp`: the value and the derivative in a direction (forward mode). The function
 * needs `@modes ... jvp` (or the build's `modes` option).
 */
export function jvp<P extends unknown[]>(f: (...args: P) => number): (...args: [...P, tangents: Direction]) => JvpResult;
export function jvp<P extends unknown[]>(f: (...args: P) => void): (...args: [...P, tangents: Direction]) => VectorJvpResult;
export function jvp(f: unknown): never {
  return unrewritten("jvp", f);
}

/**
 * `vjp(f)` is `fVjp` for a vector-valued function (one that writes its results into `@out`
 * arrays): the gradient of ⟨cotangents, outputs⟩. For a scalar function use `grad`.
 */
export function vjp<P extends unknown[]>(f: (...args: P) => void): (...args: [...P, cotangents: Partial<Record<string, Float64Array>>, out?: GradOut]) => VjpResult {
  return unrewritten("vjp", f);
}

/** `hvp(f)` is `fHvp`: value, gradient and Hessian-vector product. Needs `@modes ... hvp`. */
export function hvp<P extends unknown[]>(f: (...args: P) => number): (...args: [...P, v: Direction]) => HvpResult {
  return unrewritten("hvp", f);
}

/** `hessian(f)` is `fHessian`: the dense Hessian of a scalar function. Needs `@modes ... hessian`. */
export function hessian<P extends unknown[]>(f: (...args: P) => number): (...args: P) => HessianResult {
  return unrewritten("hessian", f);
}

/** `jacobian(f)` is `fJacobian`: the dense Jacobian. Needs `@modes ... jacobian`. */
export function jacobian<P extends unknown[]>(f: (...args: P) => number | void): (...args: P) => JacobianResult {
  return unrewritten("jacobian", f);
}
