/**
 * Dense derivative matrices assembled from generated directional derivatives.
 *
 * A layout names the differentiated parameters in order with their sizes (-1 for a number,
 * the length for a Float64Array); matrices are row-major over those parameters flattened in
 * that order.
 */
export type Layout = Record<string, number>;
type Field = number | Float64Array;
type Dir = Record<string, Field>;

function sizeOf(layout: Layout): number {
  let n = 0;
  for (const k in layout) n += layout[k] < 0 ? 1 : layout[k];
  return n;
}

/** Zero direction object of a layout (arrays allocated once and reused). */
function zeroDirection(layout: Layout): Dir {
  const d: Dir = {};
  for (const k in layout) d[k] = layout[k] < 0 ? 0 : new Float64Array(layout[k]);
  return d;
}

/** Sets coordinate `j` of a direction to `value`. */
function setCoordinate(layout: Layout, d: Dir, j: number, value: number): void {
  for (const k in layout) {
    const size = layout[k] < 0 ? 1 : layout[k];
    if (j < size) {
      if (layout[k] < 0) d[k] = value;
      else (d[k] as Float64Array)[j] = value;
      return;
    }
    j -= size;
  }
}

/** Writes a gradient-shaped object into `out` at `offset`, `stride` apart. */
function scatter(layout: Layout, g: Record<string, Field>, out: Float64Array, offset: number, stride: number): void {
  let i = 0;
  for (const k in layout) {
    const v = g[k];
    if (layout[k] < 0) out[offset + stride * i++] = v as number;
    else for (let e = 0; e < layout[k]; e++) out[offset + stride * i++] = (v as Float64Array)[e];
  }
}

/** The dense Hessian from one Hessian-vector product per column. */
export function hessianFromHvp(
  hvp: (direction: Dir) => { value: number; hvp: Record<string, Field> },
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
  jvp: (tangents: Dir) => { tangent: Record<string, Field> },
  vjp: (cotangents: Dir) => { grad: Record<string, Field> },
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
