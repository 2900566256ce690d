/**
 * What `adjoint gen <inputs...>` compiles: each input is a TypeScript file, a directory (searched
 * recursively) or a glob (`'src/**\/*.ts'`, quoted so that the shell leaves it alone).
 *
 * A file named explicitly is compiled even without `@differentiable` (and gets a warning); files
 * found in a directory or by a glob are only those that mention `@differentiable`. Generated
 * modules (`*.grad.ts`), declaration files and `node_modules` are never inputs, and wildcards skip
 * hidden directories (as shells do).
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

/** tinyglobby, loaded when a directory or a glob is expanded: a run over named files does without it. */
const globber = (): typeof import("tinyglobby") => createRequire(import.meta.url)("tinyglobby");

/** A usage error: the message names the input and what to pass instead. */
export class InputError extends Error {}

const SOURCE = /\.(ts|mts|cts|tsx)$/;
const DECLARATION = /\.d\.[cm]?ts$/;
const GENERATED = /\.grad\.[cm]?tsx?$/;
const IGNORE = ["**/node_modules/**", "**/*.d.ts", "**/*.d.mts", "**/*.d.cts", "**/*.grad.ts", "**/*.grad.mts", "**/*.grad.cts", "**/*.grad.tsx"];

export interface Inputs {
  /** The source files to compile, relative to the working directory as given, without duplicates. */
  files: string[];
  /** Directories to watch for new files (the inputs that are directories, and each glob's base). */
  roots: string[];
}

function isSource(file: string): boolean {
  return SOURCE.test(file) && !DECLARATION.test(file);
}

function mentionsDifferentiable(file: string): boolean {
  try {
    return fs.readFileSync(file, "utf8").includes("@differentiable");
  } catch {
    return false;
  }
}

/** The static directory a glob starts from: `src/**\/*.ts` -> `src`. */
export function globBase(pattern: string): string {
  const parts = pattern.split("/");
  const fixed: string[] = [];
  for (const p of parts) {
    if (globber().isDynamicPattern(p)) break;
    fixed.push(p);
  }
  return fixed.length === 0 ? "." : fixed.join("/") || "/";
}

export async function expandInputs(inputs: string[], cwd = process.cwd()): Promise<Inputs> {
  const files: string[] = [];
  const roots: string[] = [];
  const seen = new Set<string>();
  const add = (f: string) => {
    const key = path.resolve(cwd, f);
    if (seen.has(key)) return;
    seen.add(key);
    files.push(f);
  };
  for (const input of inputs) {
    const abs = path.resolve(cwd, input);
    let stat: fs.Stats | undefined;
    try {
      stat = fs.statSync(abs);
    } catch {
      stat = undefined;
    }
    if (stat?.isFile()) {
      if (!isSource(input)) {
        throw new InputError(`${input} is not a TypeScript source file: pass .ts files, directories or globs (for example src or 'src/**/*.ts')`);
      }
      // generated files are outputs, not inputs (a shell glob like src/*.ts picks them up)
      if (!GENERATED.test(input)) add(input);
      continue;
    }
    if (stat?.isDirectory()) {
      const dir = input.replace(/[/\\]+$/, "") || input;
      const found = await globber().glob("**/*.{ts,mts,cts,tsx}", { cwd: abs, ignore: IGNORE, absolute: false });
      const matched = found.sort().map((f) => path.join(dir, f)).filter((f) => mentionsDifferentiable(path.resolve(cwd, f)));
      if (matched.length === 0) throw new InputError(`no TypeScript file in ${input} has a @differentiable function`);
      roots.push(dir);
      matched.forEach(add);
      continue;
    }
    if (globber().isDynamicPattern(input)) {
      const found = await globber().glob(input, { cwd, ignore: IGNORE, absolute: false, expandDirectories: false });
      const matched = found.sort().filter((f) => isSource(f) && !GENERATED.test(f) && mentionsDifferentiable(path.resolve(cwd, f)));
      if (matched.length === 0) throw new InputError(`no TypeScript file with a @differentiable function matches ${input}`);
      roots.push(globBase(input));
      matched.forEach(add);
      continue;
    }
    throw new InputError(`no such file: ${input}`);
  }
  return { files, roots };
}
