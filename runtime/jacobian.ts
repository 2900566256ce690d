/**
 * Dense derivative matrices assembled from generated directional derivatives.
 *
 * A layout names the differentiated parameters in order with their sizes (-1 for a number,
 * the length for an array, a nested layout for an object of them); matrices are row-major over
 * those parameters flattened in that order.
 */
export interface Layout {
  [field: string]: number | Layout;
}

/** The layout of a list's value (`layers: Layer[]`): one entry per element, in order. */
export function layoutOf(v: unknown): Layout {
  const of = (x: unknown): number | Layout => {
    if (typeof x === "number") return -1;
    if (x instanceof Float64Array || (Array.isArray(x) && (x.length === 0 || typeof x[0] === "number"))) return (x as ArrayLike<number>).length;
    if (Array.isArray(x)) return x.map(of) as unknown as Layout;
    const out: Layout = {};
    for (const k of Object.keys(x as object)) out[k] = of((x as Record<string, unknown>)[k]);
    return out;
  };
  const l = of(v);
  return typeof l === "number" ? { value: l } : l;
}
/** A direction's field: a number, an array, an object of fields, or a list of them (a list of records or arrays). */
type Field = number | Float64Array | Field[] | Dir;
interface Dir {
  [field: string]: Field;
}

const isLeaf = (v: number | Layout): v is number => typeof v === "number";

/** Zero direction object of a layout (arrays allocated once and reused). */
function zeroDirection(layout: Layout): Dir {
  // a list's layout is an array: its direction is an array too
  const d: Dir = Array.isArray(layout) ? ([] as unknown as Dir) : {};
  for (const k of Object.keys(layout)) {
    const v = layout[k];
    d[k] = !isLeaf(v) ? zeroDirection(v) : v < 0 ? 0 : new Float64Array(v);
  }
  return d;
}

/** The dense Hessian from one Hessian-vector product per column. */
export function hessianFromHvp(
  hvp: (direction: Dir) => { value: number; hvp: Dir },
  layout: Layout,
): { value: number; hessian: Float64Array; size: number } {
  const slots = slotsOf(layout);
  const n = width(slots);
  const hessian = new Float64Array(n * n);
  const dir = zeroDirection(layout);
  let value = NaN;
  eachUnit(slots, dir, (j) => {
    const r = hvp(dir);
    value = r.value;
    scatterSlots(slots, r.hvp, hessian, j, n);
  });
  if (n === 0) value = hvp(dir).value;
  return { value, hessian, size: n };
}

/** A leaf of a layout: its key path from the direction's root, and its size (-1: a number). */
interface Slot {
  path: string[];
  size: number;
}

function slotsOf(layout: Layout, prefix: string[] = [], out: Slot[] = []): Slot[] {
  for (const k of Object.keys(layout)) {
    const v = layout[k]!;
    if (isLeaf(v)) out.push({ path: prefix.length === 0 ? [k] : [...prefix, k], size: v });
    else slotsOf(v, [...prefix, k], out);
  }
  return out;
}

/** The object holding a slot's leaf, and the leaf's key in it. */
function holder(d: Dir, path: string[]): Dir {
  let o = d;
  for (let i = 0; i < path.length - 1; i++) o = o[path[i]!] as Dir;
  return o;
}

/** Sets coordinate `e` of a slot of a direction. */
function setSlot(d: Dir, s: Slot, e: number, value: number): void {
  const o = holder(d, s.path), k = s.path[s.path.length - 1]!;
  if (s.size < 0) o[k] = value;
  else (o[k] as Float64Array)[e] = value;
}

/** How many numbers the slots hold. */
function width(slots: Slot[]): number {
  return slots.reduce((n, s) => n + (s.size < 0 ? 1 : s.size), 0);
}

/** Calls `f(k)` with `dir` set to the k-th unit vector of its slots, for every k in order. */
function eachUnit(slots: Slot[], dir: Dir, f: (k: number) => void): void {
  let k = 0;
  for (const s of slots) {
    for (let e = 0; e < (s.size < 0 ? 1 : s.size); e++, k++) {
      setSlot(dir, s, e, 1);
      f(k);
      setSlot(dir, s, e, 0);
    }
  }
}

/** Writes a result's slots into `out` at `offset`, `stride` apart. */
function scatterSlots(slots: Slot[], g: Dir, out: Float64Array, offset: number, stride: number): void {
  let i = 0;
  for (const s of slots) {
    const x = holder(g, s.path)[s.path[s.path.length - 1]!];
    if (s.size < 0) out[offset + stride * i++] = x as number;
    else {
      const a = x as Float64Array | number[];
      if (stride === 1) {
        if (a instanceof Float64Array) out.set(a.length === s.size ? a : a.subarray(0, s.size), offset + i);
        else for (let e = 0; e < s.size; e++) out[offset + i + e] = a[e]!;
        i += s.size;
      } else for (let e = 0; e < s.size; e++) out[offset + stride * i++] = a[e]!;
    }
  }
}

/**
 * The dense Jacobian (rows: outputs flattened by `outLayout`; columns: inputs flattened by
 * `inLayout`), by forward sweeps (one per input) or reverse sweeps (one per output), whichever
 * is fewer. The reverse sweeps reuse one gradient's buffers (passed back as `out`); `out`, when
 * given, receives the matrix (it must hold rows × cols numbers) and is returned.
 */
export function jacobian(
  jvp: (tangents: Dir) => { tangent: Dir },
  vjp: (cotangents: Dir, out?: Dir) => { grad: Dir },
  inLayout: Layout,
  outLayout: Layout,
  out?: Float64Array,
): { jacobian: Float64Array; rows: number; cols: number } {
  const ins = slotsOf(inLayout), outs = slotsOf(outLayout);
  const cols = width(ins);
  const rows = width(outs);
  const J = matrixOut(out, rows, cols);
  if (cols <= rows) {
    const dir = zeroDirection(inLayout);
    eachUnit(ins, dir, (j) => scatterSlots(outs, jvp(dir).tangent, J, j, cols));
  } else {
    const dir = zeroDirection(outLayout);
    let reuse: Dir | undefined;
    eachUnit(outs, dir, (i) => {
      reuse = vjp(dir, reuse).grad;
      scatterSlots(ins, reuse, J, i * cols, 1);
    });
  }
  return { jacobian: J, rows, cols };
}

/**
 * The buffer a rows × cols Jacobian is written into: `out` when given (it must hold rows × cols
 * numbers; a RangeError otherwise), else a new matrix.
 */
export function matrixOut(out: Float64Array | undefined, rows: number, cols: number): Float64Array {
  if (out === undefined) return new Float64Array(rows * cols);
  if (out.length < rows * cols) throw new RangeError(`jacobian: out holds ${out.length} numbers, the ${rows}×${cols} Jacobian needs ${rows * cols}`);
  return out;
}
