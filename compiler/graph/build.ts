/**
 * The computational graph of a lowered function: one node per step, an edge from the step that
 * defines a value to each step that reads it (reaching definitions over the structured IR, so a
 * value a loop carries gets a back edge), regions as clusters, and each inlined helper call as
 * one node unless expanded.
 *
 * In:  a lowered function, the helper declarations of its program (to recognise the steps an
 *      inlined call produced: their source spans lie inside the helper's declaration), and
 *      optionally a run of the interpreter (values, tangents, adjoints, local partials).
 * Out: a Graph, which dot.ts writes as Graphviz DOT.
 */
import { type IRFunction, type Stmt, type LeafStmt, type Expr, type Loc, type ForStmt, type LoopStmt, type IfStmt } from "../ir/types.ts";
import { varsOf } from "../ir/walk.ts";
import { arrayRuleFor } from "../rules/blas.ts";
import { analyzeActivity } from "../passes/4-activity/index.ts";
import { outputsOf } from "../pipeline.ts";
import type { Run, Execution } from "../ir/interpret.ts";
import { ExpressionTexts, formatNumber, formatValue, leafSteps } from "./labels.ts";
import { type Defs, tripText, staticTrips, defined, writtenArray, clusterNodes, copyDefs, merge, replace, lastExecution, lastCall, runsOf } from "./steps.ts";

/** A function declaration a step may have been inlined from. */
export interface HelperSpan {
  name: string;
  file: string;
  start: number;
  end: number;
  /** Names of the functions its body calls. */
  calls: string[];
}

export interface GraphNode {
  id: string;
  kind: "input" | "step" | "helper" | "output";
  /** The variable the node defines (its source name), or the parameter / output name. */
  name: string;
  /** Source expression. */
  expr: string;
  /** The operation: a primitive (`/`, `Math.sin`), `load`, `store`, `alloc`, a routine, or `inline`. */
  op: string;
  loc?: Loc;
  /** Whether the node's value carries a derivative (activity analysis). */
  active: boolean;
  /** The steps of a collapsed helper node; the step of a step node. */
  steps: LeafStmt[];
  /** Program order. */
  order: number;
  /** Values at the point the graph is drawn at (the last execution of a step run several times). */
  value?: string;
  tangent?: string;
  adjoint?: string;
  /** How often the step ran. */
  runs?: number;
}

export interface GraphEdge {
  from: string;
  to: string;
  /** The variable carried. */
  variable: string;
  /** Whether a derivative flows along it (both ends active, a differentiable use). */
  active: boolean;
  /** From a later step to an earlier one: a value carried around a loop. */
  back: boolean;
  /** The local partial derivative ∂to/∂from at the point drawn (a step's last execution). */
  partial?: string;
  /** A branch or loop condition: drawn to the region's cluster. */
  control?: { cluster: string; visible: boolean };
}

export interface Cluster {
  id: string;
  kind: "function" | "if" | "then" | "else" | "for" | "loop" | "helper";
  label: string;
  nodes: GraphNode[];
  clusters: Cluster[];
}

export interface Graph {
  fn: IRFunction;
  root: Cluster;
  nodes: GraphNode[];
  edges: GraphEdge[];
  /** Whether values, tangents and adjoints are shown. */
  at: boolean;
  tangents: boolean;
}

export interface GraphOptions {
  helpers?: HelperSpan[];
  /** Draw the steps of inlined helpers instead of one node per call. */
  expand?: boolean;
  run?: Run;
  /** Whether the run was given a tangent direction (then nodes show tangents). */
  tangents?: boolean;
}


const within = (loc: Loc, h: { file: string; start: number; end: number }) => loc.file === h.file && loc.start >= h.start && loc.start < h.end;

export function buildGraph(fn: IRFunction, options: GraphOptions = {}): Graph {
  return new Builder(fn, options).build();
}

class Builder {
  private texts: ExpressionTexts;
  private nodes: GraphNode[] = [];
  private edges = new Map<string, GraphEdge>();
  private nodeOf = new Map<LeafStmt, GraphNode>();
  private active: Set<string>;
  private helpers: HelperSpan[];
  private reach = new Map<string, Set<string>>();
  private clusterCount = 0;
  private byId = new Map<string, GraphNode>();
  /** Conditions of regions: the nodes defining them, drawn to the region's cluster. */
  private controls: { from: Set<string>; cluster: Cluster; variable: string }[] = [];
  /** Helpers whose steps are being drawn inside their expanded cluster (not regrouped). */
  private expanding = new Set<string>();

  constructor(private fn: IRFunction, private options: GraphOptions) {
    this.texts = new ExpressionTexts(fn);
    this.active = analyzeActivity(fn.body, fn.wrt, outputsOf(fn), fn.vars).active;
    // helpers other than the function itself, innermost (shortest) first
    this.helpers = (options.helpers ?? [])
      .filter((h) => !(h.file === fn.loc.file && h.start <= fn.loc.start && h.end >= fn.loc.end))
      .sort((a, b) => a.end - a.start - (b.end - b.start));
    for (const h of this.helpers) this.reach.set(h.name, this.reachable(h.name));
  }

  private reachable(name: string): Set<string> {
    const seen = new Set([name]);
    const work = [name];
    while (work.length) {
      const h = this.helpers.find((x) => x.name === work.pop());
      for (const c of h?.calls ?? []) if (!seen.has(c)) { seen.add(c); work.push(c); }
    }
    return seen;
  }

  private helperOf(s: Stmt): HelperSpan | undefined {
    if (s.loc.line <= 0 || within(s.loc, this.fn.loc)) return undefined;
    const h = this.helpers.find((x) => within(s.loc, x));
    return h && !this.expanding.has(h.name) ? h : undefined;
  }

  build(): Graph {
    const root: Cluster = { id: "cluster_fn", kind: "function", label: this.fn.name, nodes: [], clusters: [] };
    const run = this.options.run;
    const defs: Defs = new Map();
    for (const p of this.fn.params) {
      const node = this.add({
        id: `in_${p.name}`, kind: "input", name: p.name, expr: p.name, op: p.type === "arr" ? "Float64Array" : p.type === "bool" ? "boolean" : "number",
        active: this.active.has(p.name), steps: [],
      });
      if (run) {
        node.value = formatValue(run.inputs.get(p.name));
        const adj = run.adjoints[p.name];
        if (adj !== undefined && node.active) node.adjoint = formatValue(adj);
        const t = run.inputTangents.get(p.name);
        if (this.options.tangents && t !== undefined && node.active) node.tangent = formatValue(t);
      }
      root.nodes.push(node);
      defs.set(p.name, new Set([node.id]));
    }
    const out = this.block(this.fn.body, root, defs);
    // the result, or the @out arrays
    const results = this.fn.outputs.length > 0 ? this.fn.outputs : [undefined];
    for (const o of results) {
      const name = o ?? "return";
      const node = this.add({
        id: o ? `out_${o}` : "out", kind: "output", name, expr: o ? o : this.texts.condition(this.fn.result), op: o ? "output" : "result",
        active: true, steps: [],
      });
      if (run) {
        node.value = formatValue(o ? run.outputs[o] : run.value);
        if (this.options.tangents) node.tangent = formatValue(o ? run.outputTangents[o] : run.tangent);
        node.adjoint = o ? "cotangent" : "1";
      }
      root.nodes.push(node);
      const v = o ?? (this.fn.result.kind === "var" ? this.fn.result.name : undefined);
      if (v) for (const d of out.get(v) ?? []) this.edge(d, node.id, v, true, "1");
    }
    this.markBackEdges();
    this.helperPartials();
    this.controlEdges();
    return { fn: this.fn, root, nodes: this.nodes, edges: [...this.edges.values()], at: !!run, tangents: !!run && !!this.options.tangents };
  }

  private add(n: Omit<GraphNode, "order">): GraphNode {
    const node: GraphNode = { ...n, order: this.nodes.length };
    this.nodes.push(node);
    this.byId.set(node.id, node);
    return node;
  }

  private newCluster(kind: Cluster["kind"], label: string): Cluster {
    return { id: `cluster_${++this.clusterCount}`, kind, label, nodes: [], clusters: [] };
  }

  /** Lays out a block into `into`, threading reaching definitions; returns those at its end. */
  private block(stmts: Stmt[], into: Cluster, defs: Defs): Defs {
    let i = 0;
    while (i < stmts.length) {
      const h = this.helperOf(stmts[i]);
      if (!h) {
        defs = this.stmt(stmts[i], into, defs);
        i++;
        continue;
      }
      const j = this.groupEnd(stmts, i, h);
      if (this.options.expand) {
        const c = this.newCluster("helper", `${h.name}(…), inlined`);
        into.clusters.push(c);
        const reach = this.reach.get(h.name)!;
        const added = [...reach].filter((r) => !this.expanding.has(r));
        for (const r of added) this.expanding.add(r);
        for (const s of stmts.slice(i, j)) defs = this.stmt(s, c, defs);
        for (const r of added) this.expanding.delete(r);
      } else {
        defs = this.helperNode(h, stmts.slice(i, j), into, defs);
      }
      i = j;
    }
    return defs;
  }

  /**
   * End of the run of statements one inlined call of `h` produced, from `i`: statements inside
   * `h` or a helper `h` calls; a statement of `h` itself that goes back in the source starts the
   * next call.
   */
  private groupEnd(stmts: Stmt[], i: number, h: HelperSpan): number {
    const reach = this.reach.get(h.name)!;
    let last = -1;
    let j = i;
    for (; j < stmts.length; j++) {
      const g = this.helperOf(stmts[j]);
      if (!g || !reach.has(g.name)) break;
      if (g === h) {
        if (stmts[j].loc.start < last) break;
        last = stmts[j].loc.start;
      }
    }
    return j;
  }

  private helperNode(h: HelperSpan, stmts: Stmt[], into: Cluster, defs: Defs): Defs {
    const steps = leafSteps(stmts);
    const node = this.add({
      id: `n${this.nodes.length}`, kind: "helper", name: h.name, expr: `${h.name}(…)`, op: `inlined, ${steps.length} step${steps.length === 1 ? "" : "s"}`,
      loc: stmts[0].loc, active: steps.some((s) => { const d = defined(s); return d !== undefined && this.active.has(d); }), steps,
    });
    into.nodes.push(node);
    for (const s of steps) this.nodeOf.set(s, node);
    // the group reads what it uses before defining, and defines what it writes
    const inner: Defs = copyDefs(defs);
    this.reachingWalk(stmts, inner, node.id);
    const run = this.options.run;
    if (run) {
      const last = lastExecution(run, steps);
      if (last) this.annotate(node, last, runsOf(run, steps[steps.length - 1]));
    }
    return inner;
  }

  /** Reaching definitions through statements that all belong to one node (`id`): edges into it. */
  private reachingWalk(stmts: Stmt[], defs: Defs, id: string): void {
    for (const s of stmts) {
      switch (s.kind) {
        case "if": {
          const a = copyDefs(defs), b = copyDefs(defs);
          this.uses(s.cond, defs, id, false);
          this.reachingWalk(s.then, a, id);
          this.reachingWalk(s.else, b, id);
          replace(defs, merge(a, b));
          break;
        }
        case "for": case "loop": {
          const inner = [...(s.kind === "for" ? s.body : [...s.header, ...s.body, ...s.update])];
          const before = copyDefs(defs);
          const a = copyDefs(defs);
          this.reachingWalk(inner, a, id);
          replace(defs, merge(before, a));
          break;
        }
        default:
          this.leafUses(s as LeafStmt, defs, id, false);
          this.define(s as LeafStmt, defs, id);
      }
    }
  }

  private stmt(s: Stmt, into: Cluster, defs: Defs): Defs {
    switch (s.kind) {
      case "op": case "load": case "store": case "alloc": case "call": case "get": case "custom": {
        const node = this.stepNode(s);
        into.nodes.push(node);
        this.leafUses(s, defs, node.id);
        this.define(s, defs, node.id);
        return defs;
      }
      case "if": {
        const c = this.newCluster("if", `if ${this.texts.condition(s.cond)}${this.branchCounts(s)}`);
        into.clusters.push(c);
        const then = this.newCluster("then", "then");
        const els = this.newCluster("else", "else");
        const a = this.block(s.then, then, copyDefs(defs));
        const b = this.block(s.else, els, copyDefs(defs));
        if (then.nodes.length || then.clusters.length) c.clusters.push(then);
        if (els.nodes.length || els.clusters.length) c.clusters.push(els);
        this.controls.push({ from: this.reachingOf(varsOf(s.cond), defs), cluster: c, variable: [...varsOf(s.cond)].join(", ") });
        return merge(a, b);
      }
      case "for": case "loop": {
        const c = this.newCluster(s.kind, this.loopLabel(s));
        into.clusters.push(c);
        const bound = s.kind === "for" ? new Set([...varsOf(s.start), ...varsOf(s.end)]) : varsOf(s.cond);
        this.controls.push({ from: this.reachingOf(bound, defs), cluster: c, variable: [...bound].join(", ") });
        const entry = copyDefs(defs);
        if (s.kind === "for") entry.set(s.counter, new Set());
        // twice: the second pass sees the definitions the first carried around the loop
        let exit = this.loopBody(s, c, entry, true);
        exit = this.loopBody(s, c, merge(entry, exit), false);
        return merge(entry, exit);
      }
      case "effect": case "throw":
        return defs; // a console call or a guard: no value flows through it
      case "assign": case "assign-elem": case "assign-at": case "push":
        throw new Error(`internal: '${s.kind}' is not a step of lowered code`);
      default: {
        const never: never = s;
        return never;
      }
    }
  }

  /** One pass over a loop's blocks; on the first pass nodes are created, on the second only edges. */
  private loopBody(s: ForStmt | LoopStmt, into: Cluster, defs: Defs, create: boolean): Defs {
    const seq = s.kind === "for" ? [s.body] : s.doWhile ? [s.body, s.update, s.header] : [s.header, s.body, s.update];
    for (const b of seq) defs = create ? this.block(b, into, defs) : this.revisit(b, defs);
    return defs;
  }

  /** Edges of statements whose nodes exist, from the definitions reaching them (loop back edges). */
  private revisit(stmts: Stmt[], defs: Defs): Defs {
    for (const s of stmts) {
      switch (s.kind) {
        case "op": case "load": case "store": case "alloc": case "call": case "custom": {
          const node = this.nodeOf.get(s)!;
          this.leafUses(s, defs, node.id, node.kind === "step");
          this.define(s, defs, node.id);
          break;
        }
        case "if": {
          const a = this.revisit(s.then, copyDefs(defs));
          const b = this.revisit(s.else, copyDefs(defs));
          replace(defs, merge(a, b));
          break;
        }
        case "for": case "loop": {
          const entry = copyDefs(defs);
          let exit = entry;
          for (let pass = 0; pass < 2; pass++) {
            const start = merge(entry, exit);
            exit = start;
            const seq = s.kind === "for" ? [s.body] : s.doWhile ? [s.body, s.update, s.header] : [s.header, s.body, s.update];
            for (const b of seq) exit = this.revisit(b, exit);
          }
          replace(defs, merge(entry, exit));
          break;
        }
        default:
          break;
      }
    }
    return defs;
  }

  private stepNode(s: LeafStmt): GraphNode {
    const existing = this.nodeOf.get(s);
    if (existing) return existing;
    const target = defined(s);
    const name = s.kind === "store" ? `${this.texts.name(s.array)}[·]` : s.kind === "call" && !s.target ? `${this.texts.name(writtenArray(s) ?? s.fn)}` : this.texts.name(target!);
    const node = this.add({
      id: `n${this.nodes.length}`, kind: "step", name, expr: this.texts.expression(s), op: s.kind === "op" ? s.op : s.kind === "call" ? s.fn : s.kind === "custom" ? s.callee.fn.name : s.kind,
      loc: s.loc, active: target !== undefined && this.active.has(target), steps: [s],
    });
    this.nodeOf.set(s, node);
    const run = this.options.run;
    if (run) {
      const ex = run.executions.get(s);
      if (ex && ex.length) this.annotate(node, ex[ex.length - 1], ex.length);
      else node.value = "not run";
    }
    return node;
  }

  private annotate(node: GraphNode, x: Execution, runs: number): void {
    node.value = formatValue(x.value);
    if (x.adjoint !== undefined && node.active) node.adjoint = formatValue(x.adjoint);
    if (this.options.tangents && node.active) node.tangent = formatValue(x.tangent);
    node.runs = runs;
  }

  /** Edges into `id` from the definitions reaching each variable a leaf step reads. */
  private leafUses(s: LeafStmt, defs: Defs, id: string, partials = true): void {
    const target = defined(s);
    switch (s.kind) {
      case "op":
        s.args.forEach((a, i) => {
          if (a.kind !== "var") return;
          const diff = target !== undefined && this.active.has(target) && this.active.has(a.name);
          this.from(a.name, defs, id, diff, diff && partials ? this.partial(s, i) : undefined);
        });
        return;
      case "load":
        this.from(s.array, defs, id, this.active.has(s.target) && this.active.has(s.array), partials ? "1" : undefined);
        this.uses(s.index, defs, id, false);
        return;
      case "store":
        this.uses(s.index, defs, id, false);
        if (s.value.kind === "var") this.from(s.value.name, defs, id, this.active.has(s.array) && this.active.has(s.value.name), partials ? "1" : undefined);
        return;
      case "alloc":
        this.uses(s.size, defs, id, false);
        return;
      case "get":
        this.from(s.list, defs, id, this.active.has(s.target) && this.active.has(s.list), partials ? "1" : undefined);
        this.uses(s.index, defs, id, false);
        return;
      case "call": {
        const rule = arrayRuleFor(s.fn);
        const w = writtenArray(s);
        const reads = new Set(rule ? rule.reads(s.args) : []);
        s.args.forEach((a, i) => {
          if (a.kind !== "var") return;
          // an array the call overwrites without reading: an edge from its allocation, carrying nothing
          const overwritten = a.name === w && !reads.has(i);
          const arr = rule?.signature[i] === "arr";
          const out = w ?? s.target;
          this.from(a.name, defs, id, !overwritten && arr && out !== undefined && this.active.has(out) && this.active.has(a.name));
        });
        return;
      }
      case "custom":
        s.args.forEach((a) => {
          const v = a.kind === "var" ? a.name : a.kind === "view" ? a.array : undefined;
          if (v !== undefined) this.from(v, defs, id, this.active.has(s.target) && this.active.has(v));
          if (a.kind === "view") { this.uses(a.begin, defs, id, false); this.uses(a.end, defs, id, false); }
        });
        return;
      default: {
        const never: never = s;
        return never;
      }
    }
  }

  private uses(e: Expr, defs: Defs, id: string, active: boolean): void {
    for (const v of varsOf(e)) this.from(v, defs, id, active);
  }

  private from(v: string, defs: Defs, id: string, active: boolean, partial?: string): void {
    for (const d of defs.get(v) ?? []) if (d !== id || this.isSelfUpdate(id)) this.edge(d, id, v, active, partial);
  }

  private isSelfUpdate(id: string): boolean {
    return this.byId.get(id)?.kind === "step";
  }

  private define(s: LeafStmt, defs: Defs, id: string): void {
    const v = defined(s);
    if (v === undefined) return;
    const weak = s.kind === "store" || (s.kind === "call" && !s.target && (arrayRuleFor(s.fn)?.reads(s.args) ?? []).includes(arrayRuleFor(s.fn)!.writes as number));
    if (weak) {
      const set = new Set(defs.get(v) ?? []);
      set.add(id);
      defs.set(v, set);
    } else {
      defs.set(v, new Set([id]));
    }
  }

  /** The local partial ∂(step)/∂(argument i) at the step's last execution (summed over repeated arguments). */
  private partial(s: LeafStmt, i: number): string | undefined {
    const run = this.options.run;
    if (!run || s.kind !== "op") return undefined;
    const ex = run.executions.get(s);
    const last = ex?.[ex.length - 1];
    if (!last || !last.partials) return undefined;
    const a = s.args[i];
    if (a.kind !== "var") return undefined;
    let p = 0;
    s.args.forEach((b, j) => { if (b.kind === "var" && b.name === a.name) p += last.partials![j]; });
    return formatNumber(p);
  }

  private edge(from: string, to: string, variable: string, active: boolean, partial?: string): void {
    const key = `${from}|${to}|${variable}`;
    const old = this.edges.get(key);
    if (old) {
      old.active ||= active;
      return;
    }
    this.edges.set(key, { from, to, variable, active, back: false, partial: active ? partial : undefined });
  }

  /**
   * Local partials on the edges into a collapsed helper call: ∂(its result)/∂(each scalar it
   * reads), by forward mode over the steps of its last call in the trace, from their recorded
   * partials. Only for calls with one scalar result that work on scalars (no array writes).
   */
  private helperPartials(): void {
    const edges = [...this.edges.values()];
    // name a call by what it reads: z1(x1, x2)
    for (const node of this.nodes) {
      if (node.kind !== "helper") continue;
      const args = [...new Set(edges.filter((e) => e.to === node.id && !e.back && !e.control).map((e) => this.texts.name(e.variable)))];
      node.expr = `${node.name}(${args.join(", ")})`;
    }
    const run = this.options.run;
    if (!run) return;
    for (const node of this.nodes) {
      if (node.kind !== "helper") continue;
      const outs = new Set(edges.filter((e) => e.from === node.id && e.active && !e.back).map((e) => e.variable));
      if (outs.size !== 1) continue;
      const out = [...outs][0];
      if (this.fn.vars.get(out)?.type !== "num") continue;
      const segment = lastCall(run, new Set(node.steps));
      if (segment.some((x) => x.step.kind === "store" || x.step.kind === "call" || x.step.kind === "alloc")) continue;
      for (const e of edges) {
        if (e.to !== node.id || !e.active || e.back || this.fn.vars.get(e.variable)?.type !== "num") continue;
        const tan = new Map<string, number>([[e.variable, 1]]);
        for (const x of segment) {
          const st = x.step;
          if (st.kind === "op") {
            let t = 0;
            if (x.partials) st.args.forEach((a, i) => { if (a.kind === "var") t += (tan.get(a.name) ?? 0) * x.partials![i]; });
            tan.set(st.target, t);
          } else if (st.kind === "load") {
            tan.set(st.target, 0);
          }
        }
        e.partial = formatNumber(tan.get(out) ?? 0);
      }
    }
  }

  private reachingOf(vars: Set<string>, defs: Defs): Set<string> {
    const out = new Set<string>();
    for (const v of vars) for (const d of defs.get(v) ?? []) out.add(d);
    return out;
  }

  /**
   * A dashed edge from what a region's condition reads to the region, and invisible ones to
   * every node of the region, so that a region is laid out after its condition.
   */
  private controlEdges(): void {
    for (const { from, cluster, variable } of this.controls) {
      const inside = clusterNodes(cluster);
      const first = inside[0];
      if (!first) continue;
      const ids = new Set(inside.map((n) => n.id));
      for (const d of from) {
        if (ids.has(d)) continue; // the condition is computed inside the region (a while loop's header)
        this.edges.set(`${d}|${cluster.id}|control`, { from: d, to: first.id, variable, active: false, back: false, control: { cluster: cluster.id, visible: true } });
        for (const n of inside) {
          if (n !== first) this.edges.set(`${d}|${n.id}|order`, { from: d, to: n.id, variable, active: false, back: false, control: { cluster: cluster.id, visible: false } });
        }
      }
    }
  }

  private markBackEdges(): void {
    const order = new Map(this.nodes.map((n) => [n.id, n.order]));
    for (const e of this.edges.values()) e.back = order.get(e.from)! >= order.get(e.to)!;
  }

  private branchCounts(s: IfStmt): string {
    const b = this.options.run?.branches.get(s);
    if (!b || b.length === 0) return "";
    const yes = b.filter(Boolean).length;
    return b.length === 1 ? (yes ? " (taken)" : " (not taken)") : ` (taken ${yes} of ${b.length})`;
  }

  private loopLabel(s: ForStmt | LoopStmt): string {
    const head = s.kind === "for"
      ? `for ${this.texts.name(s.counter)} = ${this.texts.condition(s.start)}; ${this.texts.name(s.counter)} ${s.cmp} ${this.texts.condition(s.end)}; ${this.texts.name(s.counter)} += ${s.step}`
      : `${s.doWhile ? "do … while" : "while"} ${this.texts.condition(s.cond)}`;
    const trips = this.options.run?.trips.get(s);
    if (trips && trips.length > 0) return `${head}${tripText(trips)}`;
    if (s.kind === "for" && s.start.kind === "const" && s.end.kind === "const") {
      const n = staticTrips(s);
      if (n !== undefined) return `${head} (${n} trip${n === 1 ? "" : "s"})`;
    }
    return head;
  }
}
