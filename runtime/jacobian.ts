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
type Field = number | Float64Array | Dir;
interface Dir {
  [field: string]: Field;
}

const isLeaf = (v: number | Layout): v is number => typeof v === "number";

function sizeOf(layout: Layout): number {
  let n = 0;
  for (const k in layout) {
    const v = layout[k];
    n += isLeaf(v) ? (v < 0 ? 1 : v) : sizeOf(v);
  }
  return n;
}

/** Zero direction object of a layout (arrays allocated once and reused). */
function zeroDirection(layout: Layout): Dir {
  const d: Dir = {};
  for (const k in layout) {
    const v = layout[k];
    d[k] = !isLeaf(v) ? zeroDirection(v) : v < 0 ? 0 : new Float64Array(v);
  }
  return d;
}

/** Sets coordinate `j` of a direction to `value`; returns how many coordinates remain after it. */
function setCoordinate(layout: Layout, d: Dir, j: number, value: number): number {
  for (const k in layout) {
    const v = layout[k];
    if (!isLeaf(v)) {
      j = setCoordinate(v, d[k] as Dir, j, value);
      if (j < 0) return -1;
      continue;
    }
    const size = v < 0 ? 1 : v;
    if (j < size) {
      if (v < 0) d[k] = value;
      else (d[k] as Float64Array)[j] = value;
      return -1;
    }
    j -= size;
  }
  return j;
}

/** Writes a gradient-shaped object into `out` at `offset`, `stride` apart; returns the count written. */
function scatter(layout: Layout, g: Dir, out: Float64Array, offset: number, stride: number, i = 0): number {
  for (const k in layout) {
    const v = layout[k];
    const x = g[k];
    if (!isLeaf(v)) i = scatter(v, x as Dir, out, offset, stride, i);
    else if (v < 0) out[offset + stride * i++] = x as number;
    else for (let e = 0; e < v; e++) out[offset + stride * i++] = (x as Float64Array)[e];
  }
  return i;
}

/** The dense Hessian from one Hessian-vector product per column. */
export function hessianFromHvp(
  hvp: (direction: Dir) => { value: number; hvp: Dir },
  layout: Layout,
): { value: number; hessian: Float64Array; size: number } {
  const n = sizeOf(layout);
  const hessian = new Float64Array(n * n);
  const dir = zeroDirection(layout);
  let value = NaN;
  for (let j = 0; j < n; j++) {
    setCoordinate(layout, dir, j, 1);
    const r = hvp(dir);
    setCoordinate(layout, dir, j, 0);
    value = r.value;
    scatter(layout, r.hvp, hessian, j, n);
  }
  if (n === 0) value = hvp(dir).value;
  return { value, hessian, size: n };
}

/**
 * The dense Jacobian (rows: outputs flattened by `outLayout`; columns: inputs flattened by
 * `inLayout`), by forward sweeps (one per input) or reverse sweeps (one per output), whichever
 * needs fewer.
 */
export function jacobian(
  jvp: (tangents: Dir) => { tangent: Dir },
  vjp: (cotangents: Dir) => { grad: Dir },
  inLayout: Layout,
  outLayout: Layout,
): { jacobian: Float64Array; rows: number; cols: number } {
  const cols = sizeOf(inLayout);
  const rows = sizeOf(outLayout);
  const J = new Float64Array(rows * cols);
  if (cols <= rows) {
    const dir = zeroDirection(inLayout);
    for (let j = 0; j < cols; j++) {
      setCoordinate(inLayout, dir, j, 1);
      const r = jvp(dir);
      setCoordinate(inLayout, dir, j, 0);
      scatter(outLayout, r.tangent, J, j, cols);
    }
  } else {
    const dir = zeroDirection(outLayout);
    for (let i = 0; i < rows; i++) {
      setCoordinate(outLayout, dir, i, 1);
      const r = vjp(dir);
      setCoordinate(outLayout, dir, i, 0);
      scatter(inLayout, r.grad, J, i * cols, 1);
    }
  }
  return { jacobian: J, rows, cols };
}
