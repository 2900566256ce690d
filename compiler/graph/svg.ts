/**
 * DOT to SVG with Graphviz compiled to WebAssembly (@viz-js/viz): the same layout in Node and in
 * the browser, nothing to install or fetch (the module carries its wasm).
 */
import { instance, type Viz } from "@viz-js/viz";

let viz: Promise<Viz> | undefined;

/** Lays out a DOT graph with `dot` and returns the SVG text. */
export async function renderSvg(dot: string): Promise<string> {
  viz ??= instance();
  const v = await viz;
  const r = v.render(dot, { format: "svg", engine: "dot" });
  if (r.status !== "success") {
    throw new Error(`Graphviz could not lay out the graph: ${r.errors.map((e) => e.message).join("; ")}`);
  }
  return r.output;
}
