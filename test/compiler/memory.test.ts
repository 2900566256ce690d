/**
 * compiler/memory.ts, the browser-safe entry: compiling files held in memory gives what
 * compiling them on disk gives, byte for byte and diagnostic for diagnostic, and nothing it
 * imports needs Node.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, it, expect } from "vitest";
import { compileFiles } from "../../compiler/index.ts";
import { compileInMemory, neededLibFiles } from "../../compiler/memory.ts";
import { ROOT } from "../helpers.ts";

const LIB = path.join(ROOT, "node_modules/typescript/lib");
const libs = Object.fromEntries(neededLibFiles(fs.readdirSync(LIB)).map((f) => [f, fs.readFileSync(path.join(LIB, f), "utf8")]));

const fixtures = ["fixtures/seeds", "fixtures/programs"].flatMap((d) =>
  fs.readdirSync(path.join(ROOT, d)).filter((f) => f.endsWith(".ts") && !f.endsWith(".grad.ts")).map((f) => `${d}/${f}`));

describe("compileInMemory", () => {
  it("is given every library file lib.es2022.d.ts needs", () => {
    const names = Object.keys(libs);
    expect(names).toContain("lib.es5.d.ts");
    expect(names).toContain("lib.es2022.d.ts");
    expect(names).toContain("lib.decorators.legacy.d.ts");
    // every `/// <reference lib>` of the chosen files is among them
    for (const text of Object.values(libs)) {
      for (const m of text.matchAll(/<reference lib="([^"]+)"/g)) expect(names).toContain(`lib.${m[1]}.d.ts`);
    }
  });

  it.each(fixtures)("%s compiles to the same module as on disk", async (rel) => {
    const file = path.join(ROOT, rel);
    const [disk] = await compileFiles([file]);
    const mem = await compileInMemory({ [`/${path.basename(rel)}`]: fs.readFileSync(file, "utf8") }, `/${path.basename(rel)}`, libs);
    expect(mem.diagnostics).toEqual([]);
    expect(mem.output).toBe(disk.output);
  });

  it("reports the same diagnostics, located in the in-memory file", async () => {
    for (const name of ["array-method.ts", "recursion-mutual.ts", "unknown-math.ts"]) {
      const file = path.join(ROOT, "fixtures/errors", name);
      const [disk] = await compileFiles([file]);
      const mem = await compileInMemory({ [`/${name}`]: fs.readFileSync(file, "utf8") }, `/${name}`, libs);
      expect(mem.output).toBeUndefined();
      expect(mem.diagnostics.map((d) => ({ ...d, file: path.basename(d.file) }))).toEqual(disk.diagnostics.map((d) => ({ ...d, file: path.basename(d.file) })));
    }
  });

  it("resolves relative imports between in-memory files (helpers in another module)", async () => {
    const files = {
      "/lib/act.ts": "export function softplus(v: number): number {\n  return Math.log1p(Math.exp(v));\n}\n",
      "/model.ts": `import { softplus } from "./lib/act.ts";\n\n/** @differentiable */\nexport function f(x: number): number {\n  return softplus(2 * x);\n}\n`,
    };
    const r = await compileInMemory(files, "/model.ts", libs);
    expect(r.diagnostics).toEqual([]);
    expect(r.output).toContain("export function fGrad(");
    expect(r.output).toContain("Math.log1p");
  });

  it("imports nothing that needs Node, directly or not", () => {
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = fs.readFileSync(file, "utf8");
      for (const m of text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+"([^"]+)"/gm)) {
        const spec = m[1];
        expect(spec.startsWith("node:"), `${path.relative(ROOT, file)} imports ${spec}`).toBe(false);
        expect(["fs", "path", "url", "os", "child_process"].includes(spec), `${path.relative(ROOT, file)} imports ${spec}`).toBe(false);
        if (spec.startsWith(".")) visit(path.resolve(path.dirname(file), spec));
      }
    };
    visit(path.join(ROOT, "compiler/memory.ts"));
    visit(path.join(ROOT, "compiler/graph/build.ts"));
    visit(path.join(ROOT, "compiler/graph/svg.ts"));
    visit(path.join(ROOT, "compiler/graph/table.ts"));
    expect(seen.has(path.join(ROOT, "compiler/pipeline.ts"))).toBe(true);
    expect(seen.has(path.join(ROOT, "compiler/index.ts"))).toBe(false);
  });
});
