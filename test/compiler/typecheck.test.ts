/**
 * Generated modules must type-check under the strictest settings users compile with: `strict`,
 * `noUncheckedIndexedAccess`, `exactOptionalPropertyTypes` and `noUnusedLocals`.
 */
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, it, expect } from "vitest";
import { ROOT, compileText } from "../helpers.ts";

function generatedFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...generatedFiles(p));
    else if (e.name.endsWith(".grad.ts")) out.push(p);
  }
  return out;
}

/** The strict compiler's diagnostics of a set of files, one line each. */
function strictDiagnostics(files: string[]): string[] {
  const program = ts.createProgram(files, {
    strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext, allowImportingTsExtensions: true,
    noUnusedLocals: true, noUncheckedIndexedAccess: true, exactOptionalPropertyTypes: true, skipLibCheck: true, types: [], lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
  });
  return ts.getPreEmitDiagnostics(program).map((d) =>
    `${d.file?.fileName ?? ""}:${d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : ""} ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
}

describe("generated code", () => {
  it("type-checks under strict with the runtime", () => {
    const files = [...generatedFiles(path.join(ROOT, "fixtures")), ...generatedFiles(path.join(ROOT, "examples"))];
    expect(files.length).toBeGreaterThan(3);
    expect(strictDiagnostics(files)).toEqual([]);
  });

  it("type-checks in every mode for lists of records and tuples (the Jacobian's and Hessian's directions)", async () => {
    const text = fs.readFileSync(path.join(ROOT, "fixtures/programs/lists.ts"), "utf8").replace(/\/\*\* @differentiable \*\//g, "/** @differentiable @modes grad jvp vjp hvp jacobian hessian */");
    const { result, file } = await compileText(text, "lists-modes");
    expect(result.diagnostics).toEqual([]);
    const out = file.replace(/\.ts$/, ".grad.ts");
    // the runtime as users import it (its declarations), as the fixtures' modules do
    fs.writeFileSync(out, result.output!.replace(/from "[^"]*runtime\/index\.ts"/, 'from "adjoint-runtime"'));
    expect(result.output).toMatch(/export function potentialHessian\(/);
    expect(strictDiagnostics([out])).toEqual([]);
  }, 60_000);
});
