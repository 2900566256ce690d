/**
 * adjoint/runtime/tree: parameter trees (pytrees). A tree is a number, a Float64Array, a
 * `number[]`, an object of trees or an array of trees (`layers: Layer[]`); its leaves are its
 * numbers and numeric arrays, in field order. Gradients, tangents and Hvp directions of a tree
 * parameter are trees of the same shape. A boolean or a string in a tree is a flag or a choice,
 * not a leaf: it has no derivative, and the trees built from a template keep it as it is; so is a
 * function. An object's fields are its own enumerable ones, so a class instance's are its data
 * fields (its methods are on its prototype), and the trees built from it are plain objects.
 *
 * Dependency-free: imports nothing.
 */

export type Leaf = number | Float64Array | number[];
/** A function in an object (a class instance's method or arrow-function field): not a leaf, kept as it is. */
export type Method = (...args: never[]) => unknown;
export type Tree = Leaf | boolean | string | readonly Tree[] | { readonly [field: string]: Tree | Method };
/**
 * What the functions here take: a Tree, or an object of any type (an interface or a class, which
 * TypeScript does not let stand for an object with an index signature), checked as it is walked.
 */
export type TreeLike = Tree | object;

/**
 * Whether a value of a tree is kept as it is (a flag, a choice, a method, or an optional field
 * that is undefined, as a class instance's declared field is until it is set): it has no leaves.
 */
function isKept(v: Tree | Method | undefined): v is boolean | string | Method | undefined {
  return v === undefined || typeof v === "boolean" || typeof v === "string" || typeof v === "function";
}

/** A numeric array: a Float64Array, or an array of numbers (an empty array counts as one). */
export function isLeafArray(v: unknown): v is Float64Array | number[] {
  return v instanceof Float64Array || (Array.isArray(v) && (v.length === 0 || typeof v[0] === "number"));
}

/** The leaves of a tree with their paths (`p.layers[1].W`), in order. */
export function leaves(t: TreeLike, path = ""): { path: string; value: Leaf }[] {
  const out: { path: string; value: Leaf }[] = [];
  const visit = (v: Tree, at: string) => {
    if (typeof v === "number" || isLeafArray(v)) out.push({ path: at, value: v as Leaf });
    else if (isKept(v)) return;
    else if (Array.isArray(v)) v.forEach((x, i) => visit(x, `${at}[${i}]`));
    else if (v !== null && typeof v === "object") for (const k of Object.keys(v)) visit((v as Record<string, Tree>)[k]!, at ? `${at}.${k}` : k);
    else throw new TypeError(`${at || "value"} is ${v === null ? "null" : typeof v}: a tree holds numbers, numeric arrays, booleans, strings, objects and arrays of them`);
  };
  visit(t as Tree, path);
  return out;
}

/** A tree shaped like `template` whose leaves are `values`, in order (arrays copied into the template's kind). */
export function fromLeaves<T extends TreeLike>(template: T, values: readonly Leaf[]): T {
  let i = 0;
  const build = (v: Tree): Tree => {
    if (typeof v === "number") return values[i++] as number;
    if (isKept(v)) return v as Tree;
    if (isLeafArray(v)) {
      const x = values[i++]!;
      return v instanceof Float64Array ? Float64Array.from(x as ArrayLike<number>) : Array.from(x as ArrayLike<number>);
    }
    if (Array.isArray(v)) return v.map(build);
    const out: Record<string, Tree> = {};
    for (const k of Object.keys(v)) out[k] = build((v as Record<string, Tree>)[k]!);
    return out;
  };
  return build(template as Tree) as T;
}

/**
 * A zero tree shaped like `t`: the gradient buffer of a tree parameter. `reuse`, when given, is
 * a tree of the same shape whose arrays are cleared and reused (its numbers are replaced).
 */
export function zerosLike<T extends TreeLike>(t: T, reuse?: TreeLike): T {
  const build = (v: Tree, r: Tree | undefined): Tree => {
    if (typeof v === "number") return 0;
    if (isKept(v)) return v as Tree;
    if (v instanceof Float64Array) {
      if (r instanceof Float64Array && r.length === v.length) return r.fill(0);
      return new Float64Array(v.length);
    }
    if (isLeafArray(v)) {
      if (Array.isArray(r) && r.length === v.length) return (r as number[]).fill(0);
      return new Array<number>(v.length).fill(0);
    }
    if (Array.isArray(v)) return v.map((x, i) => build(x, Array.isArray(r) ? (r as Tree[])[i] : undefined));
    const out: Record<string, Tree> = {};
    for (const k of Object.keys(v)) out[k] = build((v as Record<string, Tree>)[k]!, r && typeof r === "object" && !Array.isArray(r) && !(r instanceof Float64Array) ? (r as Record<string, Tree>)[k] : undefined);
    return out;
  };
  return build(t as Tree, reuse as Tree | undefined) as T;
}

/**
 * A tree shaped like `t` with the leaves of `partial` where it has them and zeros elsewhere: a
 * direction that names only some elements or fields of a list. Given arrays are used as they are.
 */
export function completeLike<T extends TreeLike>(t: T, partial: unknown): T {
  const build = (v: Tree, p: unknown): Tree => {
    if (typeof v === "number") return typeof p === "number" ? p : 0;
    if (isKept(v)) return v as Tree;
    if (isLeafArray(v)) {
      if (p instanceof Float64Array || Array.isArray(p)) return p as Leaf;
      return v instanceof Float64Array ? new Float64Array(v.length) : new Array<number>(v.length).fill(0);
    }
    if (Array.isArray(v)) return v.map((x, i) => build(x, Array.isArray(p) ? p[i] : undefined));
    const out: Record<string, Tree> = {};
    const rec = p !== null && typeof p === "object" ? (p as Record<string, unknown>) : undefined;
    for (const k of Object.keys(v)) out[k] = build((v as Record<string, Tree>)[k]!, rec?.[k]);
    return out;
  };
  return build(t as Tree, partial) as T;
}
