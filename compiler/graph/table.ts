/**
 * The forward-mode trace and the reverse-mode adjoint table of a run, as in the lecture notes'
 * primal/tangent table: one row per executed step (an intermediate), its source expression, its
 * primal value and tangent; then the same steps in reverse with their adjoints v̄ = ∂f/∂v, down
 * to the inputs, whose adjoints are the gradient.
 */
import type { Run, Execution, Value } from "../ir/interpret.ts";
import { arrayRuleFor } from "../rules/blas.ts";
import { ExpressionTexts, formatValue } from "./labels.ts";

export interface TableRow {
  /** The intermediate: a variable (`v1`), or an element (`A1[3]`). */
  name: string;
  expression: string;
  primal: Value;
  tangent?: Value;
  adjoint?: Value;
  /** Source line. */
  line?: number;
}

export interface Tables {
  forward: TableRow[];
  reverse: TableRow[];
  /** The inputs with their values, tangents and adjoints (the gradient). */
  inputs: TableRow[];
  /** The result (or each @out output). */
  results: TableRow[];
}

function rowOf(x: Execution, texts: ExpressionTexts): TableRow | undefined {
  const s = x.step;
  const expression = texts.expression(s);
  const line = s.loc.line > 0 ? s.loc.line : undefined;
  switch (s.kind) {
    case "custom":
      return { name: texts.name(s.target), expression, primal: x.value, tangent: x.tangent, adjoint: x.adjoint, line };
    case "op": case "load": {
      const name = texts.name(s.target);
      return { name, expression: s.kind === "load" ? `${texts.name(s.array)}[${x.index}]` : expression, primal: x.value, tangent: x.partials ? x.tangent : typeof x.value === "number" ? 0 : undefined, adjoint: typeof x.value === "number" ? x.adjoint : undefined, line };
    }
    case "store":
      return { name: `${texts.name(s.array)}[${x.index}]`, expression, primal: x.value, tangent: x.tangent, adjoint: x.adjoint, line };
    case "alloc": case "get":
      return undefined;
    case "call": {
      const rule = arrayRuleFor(s.fn);
      const w = rule && rule.writes !== "result" ? s.args[rule.writes] : undefined;
      const name = s.target ?? (w?.kind === "var" ? w.name : s.fn);
      return { name: texts.name(name), expression, primal: x.value, tangent: x.tangent, adjoint: x.adjoint, line };
    }
    default: {
      const never: never = s;
      return never;
    }
  }
}

/** The two tables of a run (the run's trace, in execution order and reversed). */
export function tables(run: Run): Tables {
  const texts = new ExpressionTexts(run.fn);
  const forward: TableRow[] = [];
  for (const x of run.trace) {
    const r = rowOf(x, texts);
    if (r) forward.push(r);
  }
  const reverse = forward.filter((r) => r.adjoint !== undefined).reverse();
  const inputs: TableRow[] = run.fn.params.map((p) => ({
    name: p.name, expression: "input", primal: run.inputs.get(p.name)!, tangent: run.inputTangents.get(p.name), adjoint: run.adjoints[p.name],
  }));
  const results: TableRow[] = run.fn.outputs.length > 0
    ? run.fn.outputs.map((o) => ({ name: o, expression: "output", primal: run.outputs[o], tangent: run.outputTangents[o] }))
    : [{ name: `${run.fn.name}(${run.fn.params.map((p) => p.name).join(", ")})`, expression: "result", primal: run.value, tangent: run.tangent, adjoint: 1 }];
  return { forward, reverse, inputs, results };
}

export interface TableTextOptions {
  /** Decimal places of numbers (default 3, as in the lecture notes). */
  digits?: number;
  /** At most this many rows per table (default 200); the rest are counted. */
  maxRows?: number;
  /** Print the tangent column (a direction was given). */
  tangents?: boolean;
  /** A line naming the point and the direction. */
  heading?: string;
}

function num(v: Value | undefined, digits: number): string {
  if (v === undefined) return "";
  if (typeof v === "boolean") return String(v);
  if (typeof v === "number") {
    if (Number.isNaN(v)) return "NaN";
    if (!Number.isFinite(v)) return v > 0 ? "Infinity" : "-Infinity";
    const a = Math.abs(v);
    if (a !== 0 && (a >= 1e9 || a < 10 ** -digits / 2)) return v.toExponential(digits);
    const s = v.toFixed(digits);
    return /^-0\.?0*$/.test(s) ? s.slice(1) : s;
  }
  return formatValue(v, digits + 1);
}

/** Width on a terminal: combining marks (the dot of v̇) take no column. */
const width = (s: string) => s.replace(/\p{M}/gu, "").length;

function layout(header: string[], rows: string[][], right: boolean[]): string[] {
  const widths = header.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i]))));
  const cell = (s: string, i: number) => (right[i] ? s.padStart(widths[i] + (s.length - width(s))) : s.padEnd(widths[i] + (s.length - width(s))));
  const line = (r: string[]) => `  ${r.map(cell).join("   ")}`.trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)];
}

/** Both tables as text, in the notation of the lecture notes: v, v̇ (tangent), v̄ (adjoint). */
export function tablesText(t: Tables, options: TableTextOptions = {}): string {
  const digits = options.digits ?? 3;
  const max = options.maxRows ?? 200;
  const out: string[] = [];
  const clipRows = (rows: TableRow[]) => ({ shown: rows.slice(0, max), more: Math.max(0, rows.length - max) });
  if (options.heading) out.push(options.heading, "");

  out.push(options.tangents ? "Forward mode: primals v and tangents v̇" : "Forward mode: primals v", "");
  const fwdHeader = options.tangents ? ["v", "expression", "primal v", "tangent v̇"] : ["v", "expression", "primal v"];
  const fwdRow = (r: TableRow) => {
    const cells = [r.name, r.expression, num(r.primal, digits)];
    if (options.tangents) cells.push(num(r.tangent, digits));
    return cells;
  };
  const f = clipRows(t.forward);
  out.push(...layout(fwdHeader, [...t.inputs.map(fwdRow), ...f.shown.map(fwdRow), ...t.results.map(fwdRow)], [false, false, true, true]));
  if (f.more) out.push(`  … ${f.more} more row${f.more === 1 ? "" : "s"} (--max-rows)`);

  out.push("", "Reverse mode: adjoints v̄ = ∂f/∂v, from the result back to the inputs", "");
  const revRow = (r: TableRow) => [r.name, r.expression, num(r.adjoint, digits)];
  const rv = clipRows(t.reverse);
  const results = t.results.filter((r) => r.adjoint !== undefined);
  out.push(...layout(["v", "expression", "adjoint v̄"], [...results.map(revRow), ...rv.shown.map(revRow), ...t.inputs.filter((r) => r.adjoint !== undefined).map(revRow)], [false, false, true]));
  if (rv.more) out.push(`  … ${rv.more} more row${rv.more === 1 ? "" : "s"} (--max-rows)`);
  return out.join("\n") + "\n";
}
