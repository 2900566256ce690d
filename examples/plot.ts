/**
 * Small SVG plots for the examples, written as text (no dependencies): a line chart for loss
 * curves (linear or logarithmic y axis) and a field chart for a classifier's decision boundary
 * over its data. Deterministic: the same data always gives the same file.
 */

export interface Series {
  label: string;
  /** y values at x = 0, 1, 2, … (or at `x` when given). */
  y: number[];
  x?: number[];
  color?: string;
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Logarithmic y axis (for losses that fall by orders of magnitude). */
  logY?: boolean;
  width?: number;
  height?: number;
}

const COLORS = ["#0b5cad", "#c2410c", "#15803d", "#7e22ce"];

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const f1 = (v: number) => v.toFixed(1);
/** 10^e exactly as written (10 ** -4 is 0.00009999999999999999). */
const pow10 = (e: number) => Number(`1e${e}`);

/** Round tick values covering [lo, hi]: steps of 1, 2 or 5 times a power of ten. */
export function linearTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

/** Powers of ten covering [lo, hi] (lo > 0). */
export function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) ticks.push(pow10(e));
  return ticks;
}

function tickText(v: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) {
    const e = Math.round(Math.log10(a));
    if (Math.abs(a - 10 ** e) < 1e-9 * a) return `${v < 0 ? "-" : ""}1e${e}`;
    return v.toExponential(1);
  }
  return String(Number(v.toPrecision(6)));
}

/** A line chart of one or more series. */
export function lineChart(o: LineChartOptions): string {
  const W = o.width ?? 520, H = o.height ?? 320;
  const left = 64, right = 16, top = 36, bottom = 48;
  const pw = W - left - right, ph = H - top - bottom;
  const xs = o.series.flatMap((s) => s.x ?? s.y.map((_, i) => i));
  const ys = o.series.flatMap((s) => s.y).filter((v) => Number.isFinite(v) && (!o.logY || v > 0));
  if (ys.length === 0) throw new Error("lineChart: no finite values to plot");
  const x0 = Math.min(...xs), x1 = Math.max(...xs) > x0 ? Math.max(...xs) : x0 + 1;
  let y0 = Math.min(...ys), y1 = Math.max(...ys);
  if (o.logY) {
    y0 = pow10(Math.floor(Math.log10(y0)));
    y1 = pow10(Math.ceil(Math.log10(y1)));
    if (y1 === y0) y1 = y0 * 10;
  } else {
    if (y1 === y0) y1 = y0 + 1;
    const t = linearTicks(Math.min(0, y0), y1);
    y0 = Math.min(0, y0, t[0]);
    y1 = Math.max(y1, t[t.length - 1]);
  }
  const sx = (v: number) => left + ((v - x0) / (x1 - x0)) * pw;
  const sy = o.logY
    ? (v: number) => top + ph - ((Math.log10(v) - Math.log10(y0)) / (Math.log10(y1) - Math.log10(y0))) * ph
    : (v: number) => top + ph - ((v - y0) / (y1 - y0)) * ph;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${left}" y="20" font-size="13" font-weight="bold">${esc(o.title)}</text>`,
  ];
  for (const t of o.logY ? logTicks(y0, y1) : linearTicks(y0, y1)) {
    if (t < y0 || t > y1) continue;
    const y = f1(sy(t));
    parts.push(`<line x1="${left}" y1="${y}" x2="${left + pw}" y2="${y}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${tickText(t)}</text>`);
  }
  for (const t of linearTicks(x0, x1, 6)) {
    const x = f1(sx(t));
    parts.push(`<line x1="${x}" y1="${top + ph}" x2="${x}" y2="${top + ph + 4}" stroke="#333"/>`);
    parts.push(`<text x="${x}" y="${top + ph + 16}" text-anchor="middle">${tickText(t)}</text>`);
  }
  parts.push(`<rect x="${left}" y="${top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  parts.push(`<text x="${left + pw / 2}" y="${H - 10}" text-anchor="middle">${esc(o.xLabel)}</text>`);
  parts.push(`<text x="14" y="${top + ph / 2}" text-anchor="middle" transform="rotate(-90 14 ${top + ph / 2})">${esc(o.yLabel)}${o.logY ? " (log scale)" : ""}</text>`);
  o.series.forEach((s, k) => {
    const color = s.color ?? COLORS[k % COLORS.length];
    const pts = s.y.map((v, i) => [s.x?.[i] ?? i, v] as const).filter(([, v]) => Number.isFinite(v) && (!o.logY || v > 0));
    parts.push(`<polyline class="series" fill="none" stroke="${color}" stroke-width="1.8" points="${pts.map(([x, y]) => `${f1(sx(x))},${f1(sy(y))}`).join(" ")}"/>`);
    if (o.series.length > 1 || s.label) {
      const ly = top + 14 + 16 * k;
      parts.push(`<line x1="${left + pw - 120}" y1="${ly}" x2="${left + pw - 100}" y2="${ly}" stroke="${color}" stroke-width="2"/>`);
      parts.push(`<text x="${left + pw - 94}" y="${ly}" dominant-baseline="middle">${esc(s.label)}</text>`);
    }
  });
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}

export interface FieldChartOptions {
  /** Square picture side in pixels. */
  size?: number;
  /** Cells per side of the background field. */
  cells?: number;
  /** The plotted square: [lo, hi] on both axes. */
  range?: [number, number];
  /** A probability in [0, 1] at (x, y): the field's colour (0 red-ish, 1 green-ish). */
  probability: (x: number, y: number) => number;
  /** A polygon to outline (the true boundary). */
  polygon?: [number, number][];
  /** Data points and their classes. */
  points: { x: number; y: number; positive: boolean }[];
}

/** A classifier's probability over the plane, its true boundary, and the data. */
export function fieldChart(o: FieldChartOptions): string {
  const size = o.size ?? 400, cells = o.cells ?? 80, cell = size / cells;
  const [lo, hi] = o.range ?? [-1, 1];
  const toPx = (v: number) => ((v - lo) / (hi - lo)) * size;
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 ${size} ${size}">`];
  for (let i = 0; i < cells; i++) for (let j = 0; j < cells; j++) {
    const px = lo + ((hi - lo) * (i + 0.5)) / cells, py = hi - ((hi - lo) * (j + 0.5)) / cells;
    const prob = o.probability(px, py);
    const r = Math.round(255 - 120 * prob), g = Math.round(200 + 40 * prob), b = Math.round(255 - 120 * (1 - prob));
    parts.push(`<rect x="${f1(i * cell)}" y="${f1(j * cell)}" width="${f1(cell)}" height="${f1(cell)}" fill="rgb(${r},${g},${b})"/>`);
  }
  if (o.polygon) {
    const pts = o.polygon.map(([a, c]) => `${f1(toPx(a))},${f1(size - toPx(c))}`).join(" ");
    parts.push(`<polygon points="${pts}" fill="none" stroke="black" stroke-width="2"/>`);
  }
  for (const p of o.points) {
    parts.push(`<circle cx="${f1(toPx(p.x))}" cy="${f1(size - toPx(p.y))}" r="2.5" fill="${p.positive ? "#1a7f37" : "#cf222e"}"/>`);
  }
  parts.push("</svg>");
  return parts.join("\n");
}
