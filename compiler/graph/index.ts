/**
 * Pictures and tables of a function's derivative, from its lowered IR: the graph (build.ts,
 * dot.ts, svg.ts), the forward/reverse tables (table.ts), and parameter values from text
 * (values.ts). Browser-safe: the CLI and the playground both use these.
 */
import type { IRFunction } from "../ir/types.ts";
import type { Run } from "../ir/interpret.ts";
import { buildGraph, type HelperSpan } from "./build.ts";
import { toDot } from "./dot.ts";
import { formatValue } from "./labels.ts";

export { buildGraph, type Graph, type GraphNode, type GraphEdge, type HelperSpan } from "./build.ts";
export { toDot } from "./dot.ts";
export { renderSvg } from "./svg.ts";
export { tables, tablesText } from "./table.ts";
export { lowerFunction, helperSpans } from "./source.ts";
export { parseAssignments, parseJsonValues, checkValues, signatureText, valueName, ValueError, type Written } from "./values.ts";

/** A lowered function and the helpers its steps may come from. */
export interface Loaded {
  ir: IRFunction;
  helpers: HelperSpan[];
}

/** `f at x1 = 1.5, x2 = 0.5, along ẋ1 = 1, ẋ2 = 0` */
export function pointText(run: Run, tangents: boolean): string {
  const vals = run.fn.params.map((p) => `${p.name} = ${formatValue(run.inputs.get(p.name))}`).join(", ");
  const dirs = run.fn.params.filter((p) => p.type !== "bool").map((p) => `${dotted(p.name)} = ${formatValue(run.inputTangents.get(p.name))}`).join(", ");
  return `${run.fn.name} at ${vals}${tangents ? `, along ${dirs}` : ""}`;
}

/** The name with a dot over its first letter: ẋ1. */
const dotted = (name: string) => `${name[0]}\u0307${name.slice(1)}`;

/** The picture's DOT text for `ir` (the CLI's, the playground's and the README's pictures). */
export function graphDot(loaded: Loaded, run: Run | undefined, opts: { expand?: boolean; tangents?: boolean; activeOnly?: boolean }): string {
  const g = buildGraph(loaded.ir, { helpers: loaded.helpers, expand: opts.expand, run, tangents: opts.tangents });
  const title = run
    ? `${pointText(run, !!opts.tangents)}\nv value${opts.tangents ? ", v̇ tangent" : ""}, v̄ adjoint ∂${run.fn.name}/∂v; edges: local partials ∂`
    : loaded.ir.name;
  return toDot(g, { title, activeOnly: opts.activeOnly });
}

