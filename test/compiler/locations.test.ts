/**
 * Every diagnostic points at its construct, framed from the source text the compiler was given:
 * compiling the same error from a source shifted down by blank lines moves the diagnostic down
 * by exactly that many lines, for errors found before lowering (the fence) and after it (reverse
 * mode), for in-memory sources and for files compiled by the CLI.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, it, expect } from "vitest";
import { compileSource, type Diagnostic } from "../../compiler/index.ts";
import { main } from "../../cli/main.ts";
import { ROOT } from "../helpers.ts";

/** An error the fence reports (a string), and one reverse mode reports (a differentiated BLAS scale). */
const SOURCES = {
  fence: `/** @differentiable */
export function f(x: number): number {
  return x + "1".length;
}
`,
  reverse: `import { scal } from "adjoint/runtime";
/** @differentiable */
export function f(x: Float64Array, a: number): number {
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = x[i];
  scal(y.length, a, y);
  return y[0];
}
`,
};

function only(ds: Diagnostic[]): Diagnostic {
  expect(ds).toHaveLength(1);
  return ds[0];
}

describe("diagnostics move with their construct", () => {
  for (const [stage, text] of Object.entries(SOURCES)) {
    it(`${stage}: an in-memory source shifted by 2 and by 7 lines`, async () => {
      const base = only((await compileSource(text, `/virtual/${stage}.ts`)).diagnostics);
      expect(text.slice(base.start, base.start + base.length).length).toBeGreaterThan(0);
      for (const shift of [2, 7]) {
        const shifted = "\n".repeat(shift) + text;
        const d = only((await compileSource(shifted, `/virtual/${stage}.ts`)).diagnostics);
        expect(d.line).toBe(base.line + shift);
        expect(d.col).toBe(base.col);
        expect(d.start).toBe(base.start + shift);
        expect(shifted.slice(d.start, d.start + d.length)).toBe(text.slice(base.start, base.start + base.length));
        const marked = d.frame.split("\n").find((l) => l.startsWith(">"))!;
        expect(marked).toContain(`${d.line} | ${shifted.split("\n")[d.line - 1]}`);
      }
    });
  }

  it("the CLI reports the shifted line of a file on disk", async () => {
    const dir = path.join(ROOT, ".tmp/tests", `locations-${process.pid}`);
    fs.mkdirSync(dir, { recursive: true });
    const lines: number[] = [];
    for (const shift of [0, 3]) {
      const file = path.join(dir, `m${shift}.ts`);
      fs.writeFileSync(file, "\n".repeat(shift) + SOURCES.reverse);
      let err = "";
      const code = await main(["node", "adjoint", "gen", file], { out: () => {}, err: (s) => { err += s; } });
      expect(code).toBe(1);
      const m = /m\d\.ts:(\d+):(\d+) - error AD1001/.exec(err);
      expect(m, err).not.toBeNull();
      lines.push(Number(m![1]));
      expect(err).toMatch(new RegExp(`> +${m![1]} \\|   scal\\(y\\.length, a, y\\);`));
    }
    expect(lines[1]! - lines[0]!).toBe(3);
  });
});
