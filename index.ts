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
 * Types: once the function's module is generated (by `adjoint gen` or a build) and part of the
 * program, `grad(loss)` has exactly the type of `lossGrad`: `grad(loss)(…).grad.w` is a
 * `Float64Array`, `.grad.wq` is an error, and the editor completes the fields. Generated modules
 * add their functions to the global `AdjointRegistry` interface (see below), which the markers
 * read. Before that, the types follow the function's signature: the same parameters in (plus the
 * generated function's extra ones), the generated function's result out, with the gradient fields
 * typed as a record.
 */
import { MODE_SUFFIX, type Mode } from "./compiler/naming.ts";

/**
 * One field of a gradient-shaped object, as a parameter is typed: a number, an array (a
 * `Float64Array`, or `number[]` for a `number[]` parameter), or an object of such fields for an
 * object parameter (its gradient has its shape).
 */
export type Field = number | Float64Array | number[] | { [name: string]: Field };

/** A gradient-shaped object: one field per differentiated parameter. */
export type Fields = Record<string, Field>;

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
export type GradOut = Partial<Record<string, OutField>>;

/** One field of `out`: an array, or an object of them for an object parameter. */
export type OutField = Float64Array | number[] | { [name: string]: OutField | undefined };

/** A direction: one field per differentiated parameter (missing fields are zero). */
export type Direction = Partial<Record<string, DirectionField>>;

/** One field of a direction: a `Field`, with an object parameter's fields optional too. */
export type DirectionField = number | Float64Array | number[] | { [name: string]: DirectionField | undefined };

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

declare global {
  /**
   * What the markers resolve to, filled by generated modules: each declares one entry per source
   * function, `"loss:<digest>": { fn: (w: Float64Array, b: number) => number; grad: typeof lossGrad }`
   * (the key is only unique; `fn` is the source function's type, then one member per mode).
   */
  interface AdjointRegistry {}
}

type Registry = AdjointRegistry;
type AnyFunction = (...args: any[]) => unknown;

/** Whether each of A and B is assignable to the other (for adjoint's parameter types: the same type). */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/** The keys of the registry entries whose source function has the type F. */
type EntriesOf<F> = { [K in keyof Registry]: Registry[K] extends { fn: infer S } ? (Same<F, S> extends true ? K : never) : never }[keyof Registry];

/** The keys among Ks whose entry has mode M. */
type WithMode<Ks, M extends Marker> = Ks extends keyof Registry ? (M extends keyof Registry[Ks] ? Ks : never) : never;

/** The generated function of mode M in the entry K. */
type ModeOf<K, M extends Marker> = K extends keyof Registry ? (M extends keyof Registry[K] ? Registry[K][M] : never) : never;

/** The entries among Ks whose mode M is not the whole union U of them. */
type Disagreeing<Ks, U, M extends Marker> = Ks extends unknown ? ([U] extends [ModeOf<Ks, M>] ? never : Ks) : never;

type Agreed<Ks, M extends Marker, Loose> = [Ks] extends [never]
  ? Loose
  : [Disagreeing<Ks, ModeOf<Ks, M>, M>] extends [never] ? ModeOf<Ks, M> : Loose;

/**
 * The type of `marker(f)`, from the registry entries whose source function has f's type and
 * which have mode M (an entry without it cannot be the function `marker(f)` names: the build
 * reports such a call). Function types are structural, so there may be several: when they all
 * generated mode M with the same type, that type (whichever of them f is, it is the right one);
 * when they differ (their `@wrt` tags do, say), or there is none (f's module is not generated
 * yet, or not in the program), the loose type. So never a wrong exact type among the functions
 * the program's generated modules describe; a function not generated yet whose type is that of
 * a generated one gets that one's types until its own module is generated.
 */
export type Resolved<F, M extends Marker, Loose> = Agreed<WithMode<EntriesOf<F>, M>, M, Loose>;

/** `grad(f)` is `fGrad`: value and gradient of a scalar function (reverse mode). */
export function grad<F extends (...args: any[]) => number>(f: F): Resolved<F, "grad", (...args: [...Parameters<F>, out?: GradOut]) => GradResult> {
  return unrewritten("grad", f);
}

/**
 * `jvp(f)` is `fJvp`: the value and the derivative in a direction (forward mode). The function
 * needs `@modes ... jvp` (or the build's `modes` option).
 */
export function jvp<F extends (...args: any[]) => number>(f: F): Resolved<F, "jvp", (...args: [...Parameters<F>, tangents: Direction]) => JvpResult>;
export function jvp<F extends (...args: any[]) => void>(f: F): Resolved<F, "jvp", (...args: [...Parameters<F>, tangents: Direction]) => VectorJvpResult>;
export function jvp(f: AnyFunction): never {
  return unrewritten("jvp", f);
}

/**
 * `vjp(f)` is `fVjp` for a vector-valued function (one that writes its results into `@out`
 * arrays): the gradient of ⟨cotangents, outputs⟩. For a scalar function use `grad`.
 */
export function vjp<F extends (...args: any[]) => void>(f: F): Resolved<F, "vjp", (...args: [...Parameters<F>, cotangents: Partial<Record<string, Float64Array>>, out?: GradOut]) => VjpResult> {
  return unrewritten("vjp", f);
}

/** `hvp(f)` is `fHvp`: value, gradient and Hessian-vector product. Needs `@modes ... hvp`. */
export function hvp<F extends (...args: any[]) => number>(f: F): Resolved<F, "hvp", (...args: [...Parameters<F>, v: Direction]) => HvpResult> {
  return unrewritten("hvp", f);
}

/** `hessian(f)` is `fHessian`: the dense Hessian of a scalar function. Needs `@modes ... hessian`. */
export function hessian<F extends (...args: any[]) => number>(f: F): Resolved<F, "hessian", (...args: Parameters<F>) => HessianResult> {
  return unrewritten("hessian", f);
}

/** `jacobian(f)` is `fJacobian`: the dense Jacobian. Needs `@modes ... jacobian`. */
export function jacobian<F extends (...args: any[]) => number | void>(f: F): Resolved<F, "jacobian", (...args: [...Parameters<F>, out?: Float64Array]) => JacobianResult> {
  return unrewritten("jacobian", f);
}
