/**
 * The graph builder's helpers: trip counts, what a step defines, reaching-definition sets, and
 * lookups in an interpreter run.
 */
import type { LeafStmt, ForStmt } from "../ir/types.ts";
import { arrayRuleFor } from "../rules/blas.ts";
import type { Run, Execution } from "../ir/interpret.ts";
import type { Cluster, GraphNode } from "./build.ts";

/** Definitions reaching a point: variable -> ids of the nodes that may have defined it. */
export type Defs = Map<string, Set<string>>;

export function tripText(trips: number[]): string {
  const lo = Math.min(...trips), hi = Math.max(...trips);
  const each = lo === hi ? `${lo} trip${lo === 1 ? "" : "s"}` : `${lo}–${hi} trips`;
  return trips.length === 1 ? ` (${each})` : ` (${each}, entered ${trips.length} times)`;
}

export function staticTrips(s: ForStmt): number | undefined {
  const a = s.start.kind === "const" ? Number(s.start.value) : NaN;
  const b = s.end.kind === "const" ? Number(s.end.value) : NaN;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return undefined;
  let n = 0;
  const more = (i: number) => (s.cmp === "<" ? i < b : s.cmp === "<=" ? i <= b : s.cmp === ">" ? i > b : i >= b);
  for (let i = a; more(i) && n < 1e7; i += s.step) n++;
  return n;
}

export function defined(s: LeafStmt): string | undefined {
  switch (s.kind) {
    case "op": case "load": case "alloc": case "get": case "custom": return s.target;
    case "store": return s.array;
    case "call": return s.target ?? writtenArray(s);
    default: return undefined;
  }
}

export function writtenArray(s: LeafStmt & { kind: "call" }): string | undefined {
  const rule = arrayRuleFor(s.fn);
  if (!rule || rule.writes === "result") return undefined;
  const a = s.args[rule.writes];
  return a.kind === "var" ? a.name : undefined;
}

export function clusterNodes(c: Cluster): GraphNode[] {
  return [...c.nodes, ...c.clusters.flatMap(clusterNodes)].sort((a, b) => a.order - b.order);
}

export function copyDefs(d: Defs): Defs {
  return new Map([...d].map(([k, v]) => [k, new Set(v)]));
}

export function merge(a: Defs, b: Defs): Defs {
  const out = copyDefs(a);
  for (const [k, v] of b) {
    const s = out.get(k) ?? new Set<string>();
    for (const x of v) s.add(x);
    out.set(k, s);
  }
  return out;
}

export function replace(target: Defs, from: Defs): void {
  target.clear();
  for (const [k, v] of from) target.set(k, v);
}

export function lastExecution(run: Run, steps: LeafStmt[]): Execution | undefined {
  for (let i = steps.length - 1; i >= 0; i--) {
    const ex = run.executions.get(steps[i]);
    if (ex && ex.length) return ex[ex.length - 1];
  }
  return undefined;
}

/** The executions of the last call of a collapsed helper: the last run of its steps in the trace. */
export function lastCall(run: Run, steps: Set<LeafStmt>): Execution[] {
  let k = run.trace.length - 1;
  while (k >= 0 && !steps.has(run.trace[k].step)) k--;
  const end = k;
  while (k >= 0 && steps.has(run.trace[k].step)) k--;
  return run.trace.slice(k + 1, end + 1);
}

export function runsOf(run: Run, s: LeafStmt): number {
  return run.executions.get(s)?.length ?? 0;
}
