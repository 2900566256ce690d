/**
 * Structural facts about an IR function shared by the differentiation passes: the block tree,
 * where each variable lives (its home block: the innermost block enclosing all its occurrences),
 * program order, and which blocks run more than once per call.
 */
import type { IRFunction, Stmt } from "./types.ts";
import { defOf, usesOf, varsOf, walk } from "./walk.ts";

export type Block = Stmt[];

export interface BlockInfo {
  parent: Block | null;
  /** The region statement owning this block (null for the function body). */
  owner: Stmt | null;
  /** True when the block can run more than once per call (it is inside a loop). */
  inLoop: boolean;
}

export interface Occurrence {
  stmt: Stmt;
  block: Block;
  order: number;
  isDef: boolean;
}

export class Structure {
  readonly blocks = new Map<Block, BlockInfo>();
  readonly blockOf = new Map<Stmt, Block>();
  readonly order = new Map<Stmt, number>();
  readonly occurrences = new Map<string, Occurrence[]>();
  readonly counters = new Set<string>();
  private homes = new Map<string, Block>();

  constructor(readonly fn: IRFunction) {
    let k = 0;
    const visitBlock = (b: Block, parent: Block | null, owner: Stmt | null, inLoop: boolean) => {
      this.blocks.set(b, { parent, owner, inLoop });
      for (const s of b) {
        this.blockOf.set(s, b);
        this.order.set(s, k++);
        const d = defOf(s);
        if (d) this.addOcc(d, s, b, true);
        for (const u of usesOf(s)) for (const v of varsOf(u)) this.addOcc(v, s, b, false);
        switch (s.kind) {
          case "if":
            visitBlock(s.then, b, s, inLoop);
            visitBlock(s.else, b, s, inLoop);
            break;
          case "for":
            this.counters.add(s.counter);
            visitBlock(s.body, b, s, true);
            break;
          case "loop":
            visitBlock(s.header, b, s, true);
            visitBlock(s.body, b, s, true);
            visitBlock(s.update, b, s, true);
            break;
          default:
            break;
        }
      }
    };
    visitBlock(fn.body, null, null, false);
    if (fn.result.kind === "var") this.addOcc(fn.result.name, null as unknown as Stmt, fn.body, false);
  }

  private addOcc(v: string, stmt: Stmt, block: Block, isDef: boolean) {
    let list = this.occurrences.get(v);
    if (!list) this.occurrences.set(v, (list = []));
    list.push({ stmt, block, order: stmt ? this.order.get(stmt)! : Number.MAX_SAFE_INTEGER, isDef });
  }

  get root(): Block {
    return this.fn.body;
  }

  ancestors(b: Block): Block[] {
    const out: Block[] = [];
    for (let x: Block | null = b; x; x = this.blocks.get(x)!.parent) out.push(x);
    return out;
  }

  lca(a: Block, b: Block): Block {
    const as = new Set(this.ancestors(a));
    for (const x of this.ancestors(b)) if (as.has(x)) return x;
    return this.root;
  }

  isWithin(b: Block, ancestor: Block): boolean {
    return this.ancestors(b).includes(ancestor);
  }

  /** Innermost block enclosing every occurrence of `v` (params live in the function body). */
  home(v: string): Block {
    let h = this.homes.get(v);
    if (h) return h;
    const info = this.fn.vars.get(v);
    const occ = this.occurrences.get(v) ?? [];
    if (info?.kind === "param" || occ.length === 0) h = this.root;
    else h = occ.map((o) => o.block).reduce((a, b) => this.lca(a, b));
    this.homes.set(v, h);
    return h;
  }

  defs(v: string): Occurrence[] {
    return (this.occurrences.get(v) ?? []).filter((o) => o.isDef);
  }

  /** Loops between block `b` (inclusive) and its ancestor `top` (exclusive). */
  loopsBetween(b: Block, top: Block): Stmt[] {
    const out: Stmt[] = [];
    for (let x: Block | null = b; x && x !== top; x = this.blocks.get(x)!.parent) {
      const owner = this.blocks.get(x)!.owner;
      if (owner && (owner.kind === "for" || owner.kind === "loop")) out.push(owner);
    }
    return out;
  }

  /** Whether `v` is assigned more than once per execution of its home block. */
  isMutable(v: string): boolean {
    if (this.fn.vars.get(v)?.kind === "param") return this.defs(v).length > 0;
    const defs = this.defs(v);
    if (defs.length > 1) return true;
    return defs.some((d) => this.loopsBetween(d.block, this.home(v)).length > 0);
  }

  /** The first definition of `v`, when it stands directly in the home block before any use. */
  initializingDef(v: string): Stmt | undefined {
    if (this.fn.vars.get(v)?.kind === "param") return undefined;
    const occ = this.occurrences.get(v) ?? [];
    if (occ.length === 0) return undefined;
    const first = occ.reduce((a, b) => (a.order <= b.order ? a : b));
    if (!first.isDef || first.block !== this.home(v)) return undefined;
    // a use inside the same step (x = x + 1) reads the old value
    if (occ.some((o) => o.stmt === first.stmt && !o.isDef)) return undefined;
    return first.stmt;
  }

  /** Every statement in program order. */
  allStatements(): Stmt[] {
    const out: Stmt[] = [];
    walk(this.fn.body, (s) => out.push(s));
    return out;
  }
}

