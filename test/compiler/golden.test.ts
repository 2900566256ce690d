/**
 * Golden tests: every fixture compiles to its committed `.grad.ts`, byte for byte, and, with
 * forward mode and second order asked for, to its committed `.forward.grad.ts` (Jvp and Hvp for
 * scalar functions, Jvp for vector-valued ones), which the strict type-check covers too.
 * `UPDATE_GOLDEN=1 npx vitest run test/compiler/golden.test.ts` rewrites them (never in CI: a
 * missing golden fails).
 */
import fs from "node:fs";
import path from "node:path";
import { describe, it, expect } from "vitest";
import { compileFiles, type CompileOptions } from "../../compiler/index.ts";
import { ROOT } from "../helpers.ts";

const dirs = ["fixtures/seeds", "fixtures/programs"];
const sources = dirs.flatMap((d) =>
  fs.readdirSync(path.join(ROOT, d)).filter((f) => f.endsWith(".ts") && !f.endsWith(".grad.ts")).map((f) => path.join(d, f)));

/** Forward mode for every function: `@modes` tags are dropped so that the options apply. */
async function forwardModes(file: string): Promise<string> {
  const text = fs.readFileSync(file, "utf8").replace(/ @modes [a-z ]+/g, "");
  const vector = /@out /.test(text);
  const { compileSource } = await import("../../compiler/index.ts");
  const options: CompileOptions = { modes: vector ? ["jvp"] : ["jvp", "hvp"] };
  const r = await compileSource(text, file, options);
  expect(r.diagnostics).toEqual([]);
  return r.output!;
}

function expectGolden(golden: string, output: string): void {
  if (process.env.UPDATE_GOLDEN === "1" && !process.env.CI) fs.writeFileSync(golden, output);
  expect(fs.existsSync(golden), `missing golden ${golden}: run with UPDATE_GOLDEN=1`).toBe(true);
  expect(output).toBe(fs.readFileSync(golden, "utf8"));
}

describe("golden generated code", () => {
  it.each(sources)("%s", async (rel) => {
    const file = path.join(ROOT, rel);
    const [result] = await compileFiles([file]);
    expect(result.diagnostics).toEqual([]);
    expectGolden(file.replace(/\.ts$/, ".grad.ts"), result.output!);
  });

  it.each(sources)("%s, forward mode and Hvp", async (rel) => {
    const file = path.join(ROOT, rel);
    expectGolden(file.replace(/\.ts$/, ".forward.grad.ts"), await forwardModes(file));
  });
});
