/**
 * A Graph as Graphviz DOT: inputs on the left, the result on the right (rankdir LR), regions as
 * clusters, one HTML-like label per node (the source expression, the operation and its line, and
 * at a point the value v, tangent v̇ and adjoint v̄), local partials on the edges. Deterministic:
 * the same graph always gives the same text.
 *
 * SVG classes (Graphviz copies `class` into the SVG): nodes are `step`, `helper`, `input` or
 * `output`, plus `active` when a derivative flows through them; edges `active` or `inactive`,
 * and `back` for values carried around a loop.
 */
import type { Cluster, Graph, GraphNode, GraphEdge } from "./build.ts";

export interface DotOptions {
  /** A title above the picture (default: the function's name, and the point when there is one). */
  title?: string;
  /** Leave out the steps no derivative flows through (sizes, indices, conditions) and their edges. */
  activeOnly?: boolean;
}

const FONT = "Helvetica";

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const quote = (s: string) => `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;

const FILL: Record<GraphNode["kind"], [string, string]> = {
  input: ["#fff3cf", "#f4f4f4"],
  step: ["#e8f0fe", "#f4f4f4"],
  helper: ["#e3f4ea", "#f0f0f0"],
  output: ["#fde2e1", "#fde2e1"],
};

function nodeLabel(n: GraphNode, g: Graph): string {
  const rows: string[] = [];
  const row = (html: string) => rows.push(`<TR><TD ALIGN="LEFT">${html}</TD></TR>`);
  const small = (html: string) => `<FONT POINT-SIZE="9" COLOR="#555555">${html}</FONT>`;
  switch (n.kind) {
    case "input":
      row(`<B>${esc(n.name)}</B>`);
      row(small(`input · ${esc(n.op)}`));
      break;
    case "output":
      row(`<B>${esc(n.name === "return" ? `${g.fn.name}(…)` : n.name)}</B>${n.name === "return" ? ` = ${esc(n.expr)}` : ""}`);
      row(small(n.op === "result" ? "result" : "output"));
      break;
    case "helper":
      row(`<B>${esc(n.expr)}</B>`);
      row(small(`${esc(n.op)}${n.loc ? ` · line ${n.loc.line}` : ""}`));
      break;
    case "step": {
      const s = n.steps[0];
      const title = s.kind === "store" ? esc(n.expr)
        : s.kind === "call" && !s.target ? `<B>${esc(n.name)}</B> ← ${esc(n.expr)}`
          : n.expr === n.name ? `<B>${esc(n.name)}</B>` : `<B>${esc(n.name)}</B> = ${esc(n.expr)}`;
      row(title);
      row(small(`${esc(n.op)}${n.loc && n.loc.line > 0 ? ` · ${n.loc.file !== g.fn.file ? `${esc(n.loc.file.split("/").pop()!)} ` : ""}line ${n.loc.line}` : ""}`));
      break;
    }
  }
  if (g.at) {
    const parts: string[] = [];
    if (n.value !== undefined) parts.push(`v = ${esc(n.value)}`);
    if (n.tangent !== undefined) parts.push(`v̇ = ${esc(n.tangent)}`);
    if (n.adjoint !== undefined) parts.push(`v̄ = ${esc(n.adjoint)}`);
    for (const p of parts) row(`<FONT POINT-SIZE="10">${p}</FONT>`);
    if (n.runs !== undefined && n.runs > 1) row(small(`ran ${n.runs} times: last shown`));
  }
  return `<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">${rows.join("")}</TABLE>>`;
}

function nodeLine(n: GraphNode, g: Graph, indent: string): string {
  const [on, off] = FILL[n.kind];
  const attrs = [
    `label=${nodeLabel(n, g)}`,
    `fillcolor=${quote(n.active ? on : off)}`,
    `class=${quote(`${n.kind}${n.active ? " active" : ""}`)}`,
    `tooltip=${quote(n.loc?.text ?? n.expr)}`,
  ];
  if (n.kind === "helper") attrs.push("shape=box3d", `margin="0.12,0.08"`);
  if (n.kind === "output") attrs.push("penwidth=1.5");
  if (!n.active) attrs.push(`color="#999999"`, `fontcolor="#555555"`);
  return `${indent}${n.id} [${attrs.join(", ")}];`;
}

const CLUSTER_STYLE: Record<Cluster["kind"], string> = {
  function: "",
  if: `style="rounded,dashed"; color="#8a6d3b";`,
  then: `style="rounded,dotted"; color="#8a6d3b";`,
  else: `style="rounded,dotted"; color="#8a6d3b";`,
  for: `style="rounded"; color="#4a6fa5";`,
  loop: `style="rounded"; color="#4a6fa5";`,
  helper: `style="rounded,filled"; fillcolor="#f5fbf7"; color="#3f8f5f";`,
};

function clusterLines(c: Cluster, g: Graph, indent: string, out: string[], shown: (n: GraphNode) => boolean): void {
  if (!hasShown(c, shown)) return;
  out.push(`${indent}subgraph ${c.id} {`);
  out.push(`${indent}  label=${quote(c.label)}; ${CLUSTER_STYLE[c.kind]} fontsize=10; fontcolor="#333333";`);
  for (const n of c.nodes) if (shown(n)) out.push(nodeLine(n, g, indent + "  "));
  for (const k of c.clusters) clusterLines(k, g, indent + "  ", out, shown);
  out.push(`${indent}}`);
}

const hasShown = (c: Cluster, shown: (n: GraphNode) => boolean): boolean => c.nodes.some(shown) || c.clusters.some((k) => hasShown(k, shown));

function edgeLine(e: GraphEdge): string {
  const attrs: string[] = [];
  if (e.control) {
    if (!e.control.visible) return `  ${e.from} -> ${e.to} [style=invis, class="order"];`;
    return `  ${e.from} -> ${e.to} [lhead=${e.control.cluster}, color="#c0a060", style=dashed, arrowsize=0.6, class="control", tooltip=${quote(e.variable)}];`;
  }
  if (e.active) {
    attrs.push(`color="#333333"`);
    if (e.partial !== undefined) attrs.push(`label=${quote(`∂ ${e.partial}`)}`, `fontsize=9`, `fontcolor="#a04000"`);
  } else {
    // sizes and indices do not shape the layout: derivatives flow along the solid edges
    attrs.push(`color="#c4c4c4"`, `style=dashed`, `penwidth=0.7`, `arrowsize=0.5`, "constraint=false");
  }
  if (e.back) attrs.push(...(e.active ? ["constraint=false"] : []), `color="${e.active ? "#6f42c1" : "#c9b6e8"}"`);
  attrs.push(`class=${quote(`${e.active ? "active" : "inactive"}${e.back ? " back" : ""}`)}`, `tooltip=${quote(e.variable)}`);
  return `  ${e.from} -> ${e.to} [${attrs.join(", ")}];`;
}

export function toDot(g: Graph, options: DotOptions = {}): string {
  const out: string[] = [];
  out.push(`digraph ${quote(g.fn.name)} {`);
  out.push(`  rankdir=LR; nodesep=0.25; ranksep=0.45; newrank=true; compound=true;`);
  const title = (options.title ?? g.fn.name).split("\n").map((l) => quote(l).slice(1, -1)).join("\\l");
  out.push(`  graph [fontname=${quote(FONT)}, fontsize=12, labelloc=t, labeljust=l, label="${title}\\l"];`);
  out.push(`  node [shape=box, style="rounded,filled", fontname=${quote(FONT)}, fontsize=11, margin="0.08,0.04"];`);
  out.push(`  edge [fontname=${quote(FONT)}, arrowsize=0.7];`);
  const shown = (n: GraphNode) => !options.activeOnly || n.active || n.kind === "input" || n.kind === "output";
  const ids = new Set(g.nodes.filter(shown).map((n) => n.id));
  for (const n of g.root.nodes) if (shown(n)) out.push(nodeLine(n, g, "  "));
  for (const c of g.root.clusters) clusterLines(c, g, "  ", out, shown);
  const inputs = g.root.nodes.filter((n) => n.kind === "input" && shown(n)).map((n) => n.id);
  const outputs = g.root.nodes.filter((n) => n.kind === "output").map((n) => n.id);
  if (inputs.length) out.push(`  { rank=source; ${inputs.join("; ")}; }`);
  if (outputs.length) out.push(`  { rank=sink; ${outputs.join("; ")}; }`);
  for (const e of g.edges) {
    if (!ids.has(e.from) || !ids.has(e.to)) continue;
    // a control edge points at its region's first node, which may be hidden
    if (e.control && options.activeOnly) continue;
    out.push(edgeLine(e));
  }
  out.push("}");
  return out.join("\n") + "\n";
}
