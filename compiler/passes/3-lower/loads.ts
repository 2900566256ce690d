/**
 * Loads already made in a block: `v[i] * v[i]` reads the element once. An entry is reused only
 * in the block that made it (so it dominates the use) and only until something writes the array,
 * the index or the temporary holding the value.
 */
import type { Operand, Stmt } from "../../ir/types.ts";

interface Entry {
  block: Stmt[];
  target: string;
  array: string;
  index: string | undefined;
}

export class LoadCache {
  private entries = new Map<string, Entry>();

  private key(array: string, index: Operand): string {
    return `${array}[${index.kind === "var" ? index.name : `#${String(index.value)}`}]`;
  }

  /** The temporary already holding `array[index]` in this block, if any. */
  find(block: Stmt[], array: string, index: Operand): string | undefined {
    const e = this.entries.get(this.key(array, index));
    return e && e.block === block ? e.target : undefined;
  }

  add(block: Stmt[], target: string, array: string, index: Operand): void {
    this.entries.set(this.key(array, index), { block, target, array, index: index.kind === "var" ? index.name : undefined });
  }

  /** Something wrote the variable `v` (an array, an index, or a held value). */
  written(v: string): void {
    for (const [k, e] of this.entries) if (e.array === v || e.index === v || e.target === v) this.entries.delete(k);
  }

  /** The temporary `from` was renamed `to` (a declaration took over its step). */
  renamed(from: string, to: string): void {
    for (const e of this.entries.values()) if (e.target === from) e.target = to;
  }
}
