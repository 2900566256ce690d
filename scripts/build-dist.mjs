#!/usr/bin/env node
/**
 * Builds dist/: JavaScript and declarations of the modules a user's *built* code loads at run
 * time or type-checks against: `adjoint/runtime` (imported by every generated module) and
 * `adjoint` (the markers). The sources stay the truth: inside this repository the
 * `adjoint-source` export condition (tsconfig.json, vitest.config.ts) resolves both to the .ts
 * files, so a stale dist/ is never what the tests see.
 *
 * Run by `npm install` (prepare), `npm run build` and the integration tests. Files are
 * written only when their content changed, atomically, so concurrent builds are safe.
 */
import ts from "typescript";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const outDir = path.join(root, "dist");
const entries = ["index.ts", "runtime/index.ts"].map((f) => path.join(root, f));

const options = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  rewriteRelativeImportExtensions: true,
  declaration: true,
  strict: true,
  skipLibCheck: true,
  types: [],
  lib: ["lib.es2022.d.ts"],
  rootDir: root,
  outDir,
  newLine: ts.NewLineKind.LineFeed,
};

const program = ts.createProgram(entries, options);
const diagnostics = ts.getPreEmitDiagnostics(program);
let written = 0;
const result = program.emit(undefined, (file, text) => {
  // declaration emit keeps the sources' `.ts` specifiers: point them at the emitted files
  if (file.endsWith(".d.ts")) text = text.replace(/(from\s+["']\.{1,2}\/[^"']*)\.ts(["'])/g, "$1.js$2");
  let current;
  try {
    current = fs.readFileSync(file, "utf8");
  } catch {}
  if (current === text) return;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
  written++;
});
// type errors are `npm run typecheck`'s to report: here they only warn, so that an install
// never fails on them; a failed emit does fail
const all = [...diagnostics, ...result.diagnostics];
if (all.length > 0) {
  const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => "\n" };
  process.stderr.write(`build-dist: warning: type errors in the sources\n${ts.formatDiagnostics(all, host)}`);
}
if (result.emitSkipped) process.exitCode = 1;
if (!process.argv.includes("--quiet")) console.log(`dist/: ${written} file${written === 1 ? "" : "s"} updated`);
