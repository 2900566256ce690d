/**
 * Generated modules must type-check under the strictest settings users compile with: `strict`,
 * `noUncheckedIndexedAccess`, `exactOptionalPropertyTypes` and `noUnusedLocals`.
 */
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, it, expect } from "vitest";
import { ROOT } from "../helpers.ts";

function generatedFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...generatedFiles(p));
    else if (e.name.endsWith(".grad.ts")) out.push(p);
  }
  return out;
}

describe("generated code", () => {
  it("type-checks under strict with the runtime", () => {
    const files = [...generatedFiles(path.join(ROOT, "fixtures")), ...generatedFiles(path.join(ROOT, "examples"))];
    expect(files.length).toBeGreaterThan(3);
    const program = ts.createProgram(files, {
      strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext, allowImportingTsExtensions: true,
      noUnusedLocals: true, noUncheckedIndexedAccess: true, exactOptionalPropertyTypes: true, skipLibCheck: true, types: [], lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
    });
    const diags = ts.getPreEmitDiagnostics(program).map((d) =>
      `${d.file?.fileName ?? ""}:${d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : ""} ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
    expect(diags).toEqual([]);
  });
});
