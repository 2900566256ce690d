/**
 * Golden tests: every fixture compiles to its committed `.grad.ts`, byte for byte.
 * `UPDATE_GOLDEN=1 npx vitest run test/compiler/golden.test.ts` rewrites them (never in CI: a
 * missing golden fails).
 */
import fs from "node:fs";
import path from "node:path";
import { describe, it, expect } from "vitest";
import { compileFiles } from "../../compiler/index.ts";
import { ROOT } from "../helpers.ts";

const dirs = ["fixtures/seeds", "fixtures/programs"];
const sources = dirs.flatMap((d) =>
  fs.readdirSync(path.join(ROOT, d)).filter((f) => f.endsWith(".ts") && !f.endsWith(".grad.ts")).map((f) => path.join(d, f)));

describe("golden generated code", () => {
  it.each(sources)("%s", async (rel) => {
    const file = path.join(ROOT, rel);
    const [result] = await compileFiles([file]);
    expect(result.diagnostics).toEqual([]);
    const golden = file.replace(/\.ts$/, ".grad.ts");
    if (process.env.UPDATE_GOLDEN === "1" && !process.env.CI) fs.writeFileSync(golden, result.output!);
    expect(fs.existsSync(golden), `missing golden ${golden}: run with UPDATE_GOLDEN=1`).toBe(true);
    expect(result.output).toBe(fs.readFileSync(golden, "utf8"));
  });
});
