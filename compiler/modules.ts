/**
 * Module paths as the compiler sees them (POSIX, as TypeScript writes file names), and the
 * specifiers a generated module imports the user's modules with. String operations only: the
 * compiler runs in the browser too (memory.ts), where there is no `node:path`.
 */
import type { ModuleRef } from "./ir/types.ts";

export function dirname(p: string): string {
  const i = p.lastIndexOf("/");
  return i <= 0 ? (i === 0 ? "/" : ".") : p.slice(0, i);
}

export function normalize(p: string): string {
  const abs = p.startsWith("/");
  const out: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === ".." && out.length > 0 && out[out.length - 1] !== "..") out.pop();
    else if (part !== ".." || !abs) out.push(part);
  }
  return (abs ? "/" : "") + out.join("/");
}

export function join(a: string, b: string): string {
  return normalize(`${a}/${b}`);
}

/** The specifier a module in directory `fromDir` imports `ref` with. */
export function specifierFor(ref: ModuleRef, fromDir: string): string {
  if (ref.kind === "package") return ref.specifier;
  const from = normalize(fromDir).split("/").filter(Boolean);
  const to = normalize(ref.path).split("/").filter(Boolean);
  let k = 0;
  while (k < from.length && k < to.length - 1 && from[k] === to[k]) k++;
  const up = from.length - k;
  const rest = to.slice(k).join("/");
  return `${up === 0 ? "./" : "../".repeat(up)}${rest}${ref.ext}`;
}
