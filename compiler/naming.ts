/**
 * The vocabulary of generated code, each piece defined once: the modes, the names of generated
 * functions and files, the names of derivative variables; and a collision-free, deterministic
 * allocator of names.
 */

/** What adjoint can generate for a function. */
export const MODES = ["grad", "jvp", "vjp", "jacobian", "hvp", "hessian"] as const;
export type Mode = (typeof MODES)[number];

/** The module generated code imports the runtime from, unless told otherwise. */
export const DEFAULT_RUNTIME = "adjoint-runtime";

/** Module specifiers user code may import the runtime's routines from. */
export const RUNTIME_SPECIFIERS: readonly string[] = [DEFAULT_RUNTIME, "adjoint/runtime"];

/** The suffix of the generated function of each mode: `loss` + `Grad`. */
export const MODE_SUFFIX = {
  grad: "Grad", jvp: "Jvp", vjp: "Vjp", jacobian: "Jacobian", hvp: "Hvp", hessian: "Hessian",
} as const satisfies Record<Mode, string>;

/** Names generated code must never shadow. */
export const RESERVED_NAMES: readonly string[] = [
  "Math", "Float64Array", "Int32Array", "Number", "Boolean", "undefined", "NaN", "Infinity", "Object", "Array", "RangeError", "TypeError", "Error", "console",
  // runtime helpers generated code calls by name
  "zeros", "gradBuffer", "zerosArray", "copyOf", "clampIndex", "atIndex", "seedCotangent", "jacobian", "matrixOut", "hessianFromHvp", "Tape", "zerosLike", "completeLike", "layoutOf",
  "accumulate", "innerProduct",
  // BLAS routines the reverse sweep calls on its own (gradient buffers of per-iteration reversal)
  "axpy", "copy",
  // the norm `Math.hypot(...xs)` lowers to, and the dot product of its tangent
  "hypotOf", "dot",
  // the order a sort puts its keys in
  "sortOrder",
  // checkpointed loops
  "checkpointSchedule", "startTaping", "tapeTail", "nextSnapshot", "nextAction", "tripCount", "saveArray", "restoreArray",
];

export class Names {
  /** Names given out. */
  private used = new Set<string>(RESERVED_NAMES);
  /** Source identifiers: never given to generated names, but a source variable may claim its own. */
  private reserved = new Set<string>();
  private counters = new Map<string, number>();

  reserve(name: string): void {
    this.reserved.add(name);
  }

  /** A source variable's own name when no other variable has it yet, else a fresh variant. */
  claim(name: string): string {
    if (!this.used.has(name)) {
      this.used.add(name);
      return name;
    }
    return this.fresh(name);
  }

  /** Whether a variable already has this name (source names that are only reserved do not count). */
  isUsed(name: string): boolean {
    return this.used.has(name);
  }

  has(name: string): boolean {
    return this.taken(name);
  }

  private taken(name: string): boolean {
    return this.used.has(name) || this.reserved.has(name);
  }

  /** An independent copy: each generated function draws its own names. */
  clone(): Names {
    const c = new Names();
    c.used = new Set(this.used);
    c.reserved = new Set(this.reserved);
    c.counters = new Map(this.counters);
    return c;
  }

  allNames(): Set<string> {
    return new Set(this.used);
  }

  /** `hint` itself if free, otherwise `hint_1`, `hint_2`, … (first free). */
  fresh(hint: string): string {
    const base = hint.replace(/[^A-Za-z0-9_$]/g, "_") || "v";
    if (!this.taken(base)) {
      this.used.add(base);
      return base;
    }
    let k = this.counters.get(base) ?? 1;
    while (this.taken(`${base}_${k}`)) k++;
    this.counters.set(base, k + 1);
    const name = `${base}_${k}`;
    this.used.add(name);
    return name;
  }

  /** Numbered temporaries: t1, t2, … */
  temp(prefix = "t"): string {
    let k = this.counters.get(`#${prefix}`) ?? 1;
    while (this.taken(`${prefix}${k}`)) k++;
    this.counters.set(`#${prefix}`, k + 1);
    const name = `${prefix}${k}`;
    this.used.add(name);
    return name;
  }
}

export const adjointName = (v: string) => `d_${v}`;
export const tangentName = (v: string) => `dot_${v}`;
/** Lane k of a derivative variable carried for several seeds at once (vector mode): `d_x$0`. */
export const laneName = (v: string, lane: number) => `${v}$${lane}`;
/** Element i of a derivative array held in scalar variables (vector mode): `d_cam_3`. */
export const elementName = (a: string, i: number) => `${a}_${i}`;
export const generatedFunctionName = (f: string, mode: Mode) => `${f}${MODE_SUFFIX[mode]}`;
export const gradFunctionName = (f: string) => generatedFunctionName(f, "grad");
export const jvpFunctionName = (f: string) => generatedFunctionName(f, "jvp");
export const vjpFunctionName = (f: string) => generatedFunctionName(f, "vjp");
export const hvpFunctionName = (f: string) => generatedFunctionName(f, "hvp");
export const jacobianFunctionName = (f: string) => generatedFunctionName(f, "jacobian");
export const hessianFunctionName = (f: string) => generatedFunctionName(f, "hessian");

/** `model.ts` -> `model.grad.ts` */
export function outputFileName(source: string): string {
  return source.replace(/(\.[cm]?tsx?)?$/, (ext) => `.grad${ext || ".ts"}`);
}
