#!/usr/bin/env node
/**
 * Builds the JavaScript and declarations the two packages ship, from the TypeScript sources:
 *
 * - `runtime/dist/`: `adjoint-runtime`, the package every generated module imports;
 * - `dist/`: `adjoint`: the markers (`index`), `adjoint/runtime` (a re-export of
 *   `adjoint-runtime`), the compiler, the CLI (`dist/cli/bin.js`, the `adjoint` command), the
 *   bundler plugins (`dist/bundler/`);
 * - `dist/cjs/`: the tsc plugin as CommonJS (ts-patch `require`s plugins).
 *
 * The sources stay the truth: inside this repository the `adjoint-source` export condition
 * (tsconfig.json, vitest.config.ts) resolves `adjoint`, `adjoint/runtime` and `adjoint-runtime`
 * to the .ts files, and the tests run the CLI from its sources.
 *
 * Run by `npm install` (prepare), `npm pack`, `npm run build` and the integration tests. Files
 * are written only when their content changed, atomically, so concurrent builds are safe and an
 * up-to-date build touches nothing. Type errors are `npm run typecheck`'s to report: here they
 * only warn, so that an install never fails on them; a failed emit does fail.
 *
 *   node scripts/build-dist.mjs [--quiet]
 */
import ts from "typescript";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const quiet = process.argv.includes("--quiet");

const common = {
  target: ts.ScriptTarget.ES2022,
  rewriteRelativeImportExtensions: true,
  declaration: true,
  strict: true,
  skipLibCheck: true,
  noImplicitOverride: true,
  lib: ["lib.es2022.d.ts"],
  newLine: ts.NewLineKind.LineFeed,
};
const esm = { ...common, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext };

const builds = [
  {
    name: "runtime/dist",
    entries: ["runtime/index.ts"],
    options: { ...esm, types: [], rootDir: path.join(root, "runtime"), outDir: path.join(root, "runtime/dist") },
  },
  {
    name: "dist",
    // `adjoint-runtime` resolves to runtime/dist (built above): its .d.ts files are not re-emitted
    entries: ["index.ts", "runtime.ts", "cli/bin.ts", "compiler/index.ts", "bundler/index.ts",
      "bundler/vite.ts", "bundler/esbuild.ts", "bundler/webpack.ts", "bundler/rspack.ts", "bundler/rollup.ts", "bundler/rolldown.ts"],
    options: { ...esm, types: ["node"], rootDir: root, outDir: path.join(root, "dist") },
    requireTypeScript: true,
    bundle: "cli/run.ts",
  },
  {
    name: "dist/cjs",
    // only what the plugin loads: the files its CommonJS `require`s reach, and the declarations
    // its own declaration imports (its type-only imports of the compiler need no CommonJS copy)
    closure: true,
    entries: ["plugin/index.ts"],
    options: {
      ...common, module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10, esModuleInterop: true,
      types: ["node"], rootDir: root, outDir: path.join(root, "dist/cjs"),
    },
    extra: {
      "package.json": `${JSON.stringify({ type: "commonjs" }, null, 2)}\n`,
      // the entry ts-patch `require`s: the transformer itself as module.exports (and as its
      // `default`, which ts-patch looks up), without the `__esModule` flag of tsc's CommonJS
      // output, which leaves ES-module importers guessing what the default export is
      "plugin/main.cjs": [
        `"use strict";`,
        `// \`adjoint/plugin\`: the ts-patch program transformer of ./index.js (built from plugin/index.ts).`,
        `const transformer = require("./index.js").default;`,
        `module.exports = Object.assign(transformer, { default: transformer });`,
        ``,
      ].join("\n"),
      "plugin/main.d.cts": [
        `declare const transformer: typeof import("./index.js").default & { default: typeof import("./index.js").default };`,
        `export = transformer;`,
        ``,
      ].join("\n"),
    },
  },
];

// ------------------------------------------------------------------ up to date?

/**
 * A build is skipped when nothing it reads has changed since the last one: every source file
 * under the built directories, package.json, this script and the TypeScript doing the build,
 * hashed into a stamp (kept in node_modules/.cache, outside what is packed), and every file the
 * last build wrote still exists.
 */
const SOURCE_DIRS = ["compiler", "cli", "plugin", "bundler", "runtime"];
const stampFile = path.join(root, "node_modules/.cache/adjoint/build-dist.json");

function sourceHash() {
  const hash = crypto.createHash("sha256");
  const files = ["index.ts", "runtime.ts", "package.json", "runtime/package.json", "scripts/build-dist.mjs", "node_modules/typescript/package.json", "node_modules/esbuild/package.json"];
  for (const dir of SOURCE_DIRS) {
    for (const f of fs.readdirSync(path.join(root, dir), { recursive: true })) {
      const rel = path.join(dir, f);
      if (rel.split(path.sep).includes("dist") || !/\.[cm]?ts$/.test(rel)) continue;
      files.push(rel);
    }
  }
  for (const f of files.sort()) {
    hash.update(`${f}\0`);
    try {
      hash.update(fs.readFileSync(path.join(root, f)));
    } catch {
      hash.update("(missing)");
    }
  }
  return hash.digest("hex");
}

const hash = sourceHash();
try {
  const stamp = JSON.parse(fs.readFileSync(stampFile, "utf8"));
  if (stamp.hash === hash && stamp.outputs.every((f) => fs.existsSync(path.join(root, f)))) {
    if (!quiet) console.log("dist/, runtime/dist/: up to date");
    process.exit(0);
  }
} catch {
  // no stamp: build
}

// ------------------------------------------------------------------ build

const outputsWritten = [];
let written = 0;
let failed = false;
const warnings = [];

function write(file, text) {
  outputsWritten.push(path.relative(root, file));
  let current;
  try {
    current = fs.readFileSync(file, "utf8");
  } catch {}
  if (current === text) return;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text, { mode: text.startsWith("#!") ? 0o755 : 0o644 });
  fs.renameSync(tmp, file);
  written++;
}

/**
 * `import ts from "typescript"` in an ES module, as `require("typescript")` through
 * `createRequire`: the same module (TypeScript is CommonJS, and the default import is its
 * `module.exports`), without Node's scan of its 9 MB source for named exports, which costs more
 * than loading it (about 0.4 s of an `adjoint gen`). The sources import it one way only; anything
 * else fails the build, so that no import is left behind.
 */
function requireTypeScript(file, text) {
  const out = text.replace(/^import ts from "typescript";$/m, 'import { createRequire } from "node:module";\nconst ts = createRequire(import.meta.url)("typescript");');
  if (/^import\b[^;]*from "typescript";?$/m.test(out)) throw new Error(`build-dist: ${path.relative(root, file)} imports "typescript" other than as \`import ts from "typescript"\``);
  return out;
}

/**
 * What the `adjoint` commands run as one module: tsc's dist/cli/run.js with the modules of this
 * package it imports (the CLI's and the compiler's) bundled in by esbuild, other packages left
 * to be imported. Node loads one module in a fraction of the time it takes for the fifty it
 * stands for (about 30 ms of every `adjoint gen`); `--help` loads neither. The modules' own files
 * stay in dist/ for `adjoint/compiler` and the bundler plugins. Without esbuild (an install
 * without devDependencies), run.js stays tsc's.
 */
async function bundle(file, text) {
  let esbuild;
  try {
    esbuild = await import("esbuild");
  } catch {
    return text;
  }
  const result = await esbuild.build({
    stdin: { contents: text, resolveDir: path.dirname(file), sourcefile: path.basename(file) },
    bundle: true, platform: "node", format: "esm", target: "node20", packages: "external", write: false, logLevel: "silent",
  });
  return result.outputFiles[0].text;
}

/** The relative modules emitted code loads: `require`s in JavaScript, imports in declarations. */
function relativeSpecifiers(text) {
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName).filter((f) => /^\.{1,2}\//.test(f));
}

for (const build of builds) {
  // type checking is `npm run typecheck`'s: the build only emits (noCheck), which keeps it fast
  const options = { ...build.options, noCheck: true };
  const program = ts.createProgram(build.entries.map((f) => path.join(root, f)), options);
  warnings.push(...program.getSyntacticDiagnostics(), ...program.getOptionsDiagnostics());
  const outputs = new Map(); // output file -> text
  const emit = (sourceFile) => {
    const result = program.emit(sourceFile, (file, text) => {
      // declaration emit keeps the sources' `.ts` specifiers: point them at the emitted files
      if (file.endsWith(".d.ts")) text = text.replace(/((?:from|import)\s*\(?\s*["']\.{1,2}\/[^"']*)\.ts(["'])/g, "$1.js$2");
      else if (build.requireTypeScript) text = requireTypeScript(file, text);
      outputs.set(file, text);
    });
    warnings.push(...result.diagnostics);
    if (result.emitSkipped) failed = true;
  };
  if (!build.closure) {
    emit(undefined);
    const bundled = build.bundle && [...outputs.keys()].find((f) => path.resolve(f) === path.join(build.options.outDir, build.bundle.replace(/\.ts$/, ".js")));
    for (const [file, text] of outputs) if (file !== bundled) write(file, text);
    // after the modules it bundles are written
    if (bundled) write(bundled, await bundle(bundled, outputs.get(bundled)));
  } else {
    const outFile = (src, ext) => path.join(options.outDir, path.relative(options.rootDir, src)).replace(/\.ts$/, ext);
    const reached = { ".js": new Set(), ".d.ts": new Set() };
    const visit = (src, ext) => {
      if (reached[ext].has(src)) return;
      reached[ext].add(src);
      const sf = program.getSourceFile(src);
      if (!sf) throw new Error(`build-dist: ${src} is not in the program of ${build.name}`);
      if (![...outputs.keys()].includes(outFile(src, ".js"))) emit(sf);
      const text = outputs.get(outFile(src, ext));
      write(outFile(src, ext), text);
      for (const spec of relativeSpecifiers(text)) visit(path.resolve(path.dirname(src), spec).replace(/\.js$/, ".ts"), ext);
    };
    for (const entry of build.entries) {
      visit(path.join(root, entry), ".js");
      visit(path.join(root, entry), ".d.ts");
    }
  }
  for (const [f, text] of Object.entries(build.extra ?? {})) write(path.join(build.options.outDir, f), text);
}

if (warnings.length > 0) {
  const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => "\n" };
  process.stderr.write(`build-dist: warning: type errors in the sources\n${ts.formatDiagnostics(warnings, host)}`);
}
if (failed) process.exitCode = 1;
else {
  fs.mkdirSync(path.dirname(stampFile), { recursive: true });
  fs.writeFileSync(`${stampFile}.${process.pid}.tmp`, JSON.stringify({ hash, outputs: outputsWritten }));
  fs.renameSync(`${stampFile}.${process.pid}.tmp`, stampFile);
}
if (!quiet) console.log(`dist/, runtime/dist/: ${written} file${written === 1 ? "" : "s"} updated`);
