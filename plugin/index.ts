/**
 * `adjoint/plugin`: a ts-patch program transformer. In tsconfig.json:
 *
 *   "compilerOptions": { "plugins": [{ "transform": "adjoint/plugin", "transformProgram": true }] }
 *
 * and build with `tspc` (ts-patch 3.3). Before TypeScript type-checks, the transformer
 *
 * 1. compiles every source file of the program that contains `@differentiable` with the adjoint
 *    core (the same `compileFiles` the CLI runs, so the output is byte-for-byte the CLI's), on the
 *    running TypeScript and with the library files it parsed already (core.ts);
 * 2. writes each `<name>.grad.ts` beside its source, atomically and only when its code changed
 *    (so watch mode does not loop, and a file the project's formatter reformatted stays as it is);
 * 3. returns a program whose root files include the generated modules, so
 *    `import { lossGrad } from "./model.grad.js"` type-checks and is emitted;
 * 4. reports adjoint's diagnostics as compiler errors at their file and position (codes 91001…
 *    for AD1001…; 9110x for marker misuse);
 * 5. at emit, replaces each marker call `grad(loss)` (`import { grad } from "adjoint"`) with the
 *    generated function, `model_grad.lossGrad` with `import * as model_grad from "./model.grad.js"`.
 *
 * Options (beside "transform"): "runtime" (the module generated code imports the runtime from)
 * and "modes" (what to generate for functions without an `@modes` tag), as for `adjoint gen`.
 *
 * Built to CommonJS (dist/cjs/plugin/index.js: ts-patch `require`s plugins); uses only the
 * TypeScript instance ts-patch hands it, so everything it creates belongs to the compiler that is
 * running. Under `--watch` and `--incremental` TypeScript wraps the program in a builder program,
 * which needs a version on every source file: the program returned here sets one on each file it
 * makes (see `recreate`).
 */
import type * as TS from "typescript";
import fs from "node:fs";
import path from "node:path";
import type { Diagnostic as AdjointDiagnostic, Mode } from "../compiler/index.ts";
import { compile, type CompileResult } from "./core.ts";
import { writeAll } from "../cli/write.ts";
import { sameCode } from "../cli/compare.ts";

/** Writes one generated module, atomically and only when its text changed. */
function writeOutput(target: string, text: string): void {
  writeAll([{ target, text }]);
}
import {
  DEFAULT_RUNTIME, MARKER_MODULE, MarkerCodes, badArgumentMessage, checkModes, exportedFunctions, extensionStyleOf, generatedFileFor, generatedName,
  generatedSpecifier, isGeneratedPath, isMarker, missingModeMessage, notDifferentiableMessage, numericCode,
  type ExtensionStyle, type Marker,
} from "./shared.ts";

export interface PluginOptions {
  /** The module generated code imports the runtime from (default "adjoint-runtime"). */
  runtime?: string;
  /** What to generate for functions without an `@modes` tag: some of grad, jvp, vjp, hvp, hessian, jacobian. */
  modes?: Marker[];
}

interface Extras {
  ts: typeof TS;
}

/** One marker call to replace at emit. */
interface Rewrite {
  start: number;
  end: number;
  generatedName: string;
  specifier: string;
}

/** One marker import specifier (`grad` in `import { grad } from "adjoint"`) and whether every use is rewritten. */
interface MarkerImport {
  start: number;
  end: number;
  removable: boolean;
}

interface Plan {
  rewrites: Map<string, Rewrite[]>;
  markerImports: Map<string, MarkerImport[]>;
}

const DIFFERENTIABLE = /@differentiable\b/;

export default function adjointProgramTransformer(
  program: TS.Program,
  host: TS.CompilerHost | undefined,
  config: PluginOptions & Record<string, unknown>,
  extras: Extras,
): TS.Program {
  const ts = extras.ts;
  const diagnostics: TS.Diagnostic[] = [];
  const globalDiagnostics: TS.Diagnostic[] = [];
  const own = (sf: TS.SourceFile) =>
    !sf.isDeclarationFile && !program.isSourceFileFromExternalLibrary(sf) && !sf.fileName.includes("/node_modules/");

  // 1. what to compile, and the marker calls
  const candidates = program.getSourceFiles().filter((sf) => own(sf) && !isGeneratedPath(sf.fileName) && DIFFERENTIABLE.test(sf.text));
  const usesMarkers = program.getSourceFiles().filter((sf) => own(sf) && sf.text.includes(MARKER_MODULE) && importsMarkers(ts, sf));
  if (candidates.length === 0 && usesMarkers.length === 0) return program;

  // 2. compile with the core
  const results = new Map<string, CompileResult>();
  const badModes = checkModes(config.modes);
  if (badModes) {
    globalDiagnostics.push(plainDiagnostic(ts, MarkerCodes.BadOption, badModes));
  } else if (candidates.length > 0) {
    const run = compile(candidates.map((sf) => sf.fileName), { runtime: config.runtime ?? DEFAULT_RUNTIME, modes: config.modes as Mode[] | undefined }, ts, program);
    if ("error" in run) {
      globalDiagnostics.push(plainDiagnostic(ts, MarkerCodes.CompilerFailed, `adjoint: the compiler failed: ${run.error}`));
    } else {
      for (const r of run.results) results.set(path.resolve(r.source), r);
    }
  }

  // 3. write what changed
  const generated = new Map<string, string>(); // generated file -> its text
  for (const r of results.values()) {
    for (const d of r.diagnostics) diagnostics.push(toTsDiagnostic(ts, program, d));
    const target = generatedFileFor(path.resolve(r.source));
    let current: string | undefined;
    try {
      current = fs.readFileSync(target, "utf8");
    } catch {
      current = undefined;
    }
    if (r.output === undefined) {
      // an error: the module from the last good build stays (as a build without the plugin's
      // program would read it from disk), so its importers are checked against it
      if (r.diagnostics.length > 0 && current !== undefined) generated.set(target, current);
      continue;
    }
    if (current !== undefined && current !== r.output && sameCode(ts, current, r.output)) {
      // the same code, formatted by the project's formatter: left as it is, and compiled as it
      // is, so that positions in it are the file's
      generated.set(target, current);
      continue;
    }
    generated.set(target, r.output);
    if (current !== r.output) {
      writeOutput(target, r.output);
    }
  }

  // 4. the program type checking and emit see: always a new one when there are generated modules,
  // so that none of them is seen through the host's caches (a watch host's file system and
  // resolution caches can lag behind the writes above)
  const roots = program.getRootFileNames().map((f) => path.resolve(f));
  const newRoots = [...generated.keys()].filter((g) => !roots.includes(g));
  let result = program;
  if (generated.size > 0) result = recreate(ts, program, host, [...program.getRootFileNames(), ...newRoots], generated);

  // 5. marker calls -> rewrites (or diagnostics), found with the type checker of that program,
  // the one type checking then uses (a checker of the first program would be made for this alone)
  const plan: Plan = { rewrites: new Map(), markerImports: new Map() };
  if (usesMarkers.length > 0) planMarkers(ts, result, usesMarkers.map((sf) => result.getSourceFile(sf.fileName) ?? sf), results, plan, diagnostics);
  decorate(ts, result, diagnostics, globalDiagnostics, plan);
  return result;
}


function importsMarkers(ts: typeof TS, sf: TS.SourceFile): boolean {
  return sf.statements.some((s) => ts.isImportDeclaration(s) && ts.isStringLiteral(s.moduleSpecifier) && s.moduleSpecifier.text === MARKER_MODULE);
}

function toTsDiagnostic(ts: typeof TS, program: TS.Program, d: AdjointDiagnostic): TS.Diagnostic {
  const file = program.getSourceFile(d.file) ?? program.getSourceFiles().find((sf) => path.resolve(sf.fileName) === path.resolve(d.file));
  return {
    file,
    start: file ? d.start : undefined,
    length: file ? d.length : undefined,
    messageText: `${d.message} (adjoint ${d.code})`,
    category: ts.DiagnosticCategory.Error,
    code: numericCode(d.code),
    source: "adjoint",
  };
}

function plainDiagnostic(ts: typeof TS, code: number, messageText: string, node?: TS.Node): TS.Diagnostic {
  const file = node?.getSourceFile();
  return {
    file,
    start: node ? node.getStart(file) : undefined,
    length: node ? node.getEnd() - node.getStart(file) : undefined,
    messageText,
    category: ts.DiagnosticCategory.Error,
    code,
    source: "adjoint",
  };
}

/**
 * Finds the marker calls (`grad(loss)`, `ad.grad(loss)`) with the type checker, so aliases and
 * re-exports of both the marker and the function are followed.
 */
function planMarkers(
  ts: typeof TS,
  program: TS.Program,
  files: TS.SourceFile[],
  results: Map<string, CompileResult>,
  plan: Plan,
  diagnostics: TS.Diagnostic[],
): void {
  const checker = program.getTypeChecker();
  const options = program.getCompilerOptions();

  for (const sf of files) {
    // the marker bindings of this file: import { grad as g } / import * as ad
    const named = new Map<TS.Symbol, { marker: Marker; spec: TS.ImportSpecifier }>();
    const namespaces = new Set<TS.Symbol>();
    for (const s of sf.statements) {
      if (!ts.isImportDeclaration(s) || !ts.isStringLiteral(s.moduleSpecifier) || s.moduleSpecifier.text !== MARKER_MODULE) continue;
      const bindings = s.importClause?.namedBindings;
      if (!bindings || s.importClause?.isTypeOnly) continue;
      if (ts.isNamespaceImport(bindings)) {
        const sym = checker.getSymbolAtLocation(bindings.name);
        if (sym) namespaces.add(sym);
        continue;
      }
      for (const spec of bindings.elements) {
        const imported = (spec.propertyName ?? spec.name).text;
        if (spec.isTypeOnly || !isMarker(imported)) continue;
        const sym = checker.getSymbolAtLocation(spec.name);
        if (sym) named.set(sym, { marker: imported, spec });
      }
    }
    if (named.size === 0 && namespaces.size === 0) continue;

    const rewrites: Rewrite[] = [];
    const rewrittenCallees = new Set<TS.Node>();
    const markerOf = (callee: TS.Expression): Marker | undefined => {
      if (ts.isIdentifier(callee)) {
        const sym = checker.getSymbolAtLocation(callee);
        return sym ? named.get(sym)?.marker : undefined;
      }
      if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && isMarker(callee.name.text)) {
        const sym = checker.getSymbolAtLocation(callee.expression);
        return sym && namespaces.has(sym) ? (callee.name.text as Marker) : undefined;
      }
      return undefined;
    };

    const visit = (node: TS.Node): void => {
      if (ts.isCallExpression(node)) {
        const marker = markerOf(node.expression);
        if (marker) {
          const rewrite = planCall(ts, checker, options, sf, node, marker, results, diagnostics);
          if (rewrite) {
            rewrites.push(rewrite);
            rewrittenCallees.add(node.expression);
          }
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
    if (rewrites.length > 0) plan.rewrites.set(path.resolve(sf.fileName), rewrites);

    // an import specifier can go when every reference to it was a rewritten call
    const imports: MarkerImport[] = [];
    for (const [sym, { spec }] of named) {
      let other = false;
      const scan = (node: TS.Node): void => {
        if (other) return;
        if (ts.isIdentifier(node) && node.text === spec.name.text && node !== spec.name && node.parent !== spec && !rewrittenCallees.has(node) && checker.getSymbolAtLocation(node) === sym) other = true;
        ts.forEachChild(node, scan);
      };
      scan(sf);
      imports.push({ start: spec.getStart(sf), end: spec.getEnd(), removable: !other });
    }
    plan.markerImports.set(path.resolve(sf.fileName), imports);
  }
}

function planCall(
  ts: typeof TS,
  checker: TS.TypeChecker,
  options: TS.CompilerOptions,
  sf: TS.SourceFile,
  call: TS.CallExpression,
  marker: Marker,
  results: Map<string, CompileResult>,
  diagnostics: TS.Diagnostic[],
): Rewrite | undefined {
  const arg = call.arguments[0];
  if (call.arguments.length !== 1 || !(ts.isIdentifier(arg) || ts.isPropertyAccessExpression(arg))) {
    diagnostics.push(plainDiagnostic(ts, MarkerCodes.BadArgument, badArgumentMessage(marker), call));
    return undefined;
  }
  let sym = checker.getSymbolAtLocation(arg);
  let importSpecifier: string | undefined;
  if (sym && sym.flags & ts.SymbolFlags.Alias) {
    const decl = sym.declarations?.[0];
    const importDecl = decl && findAncestor(ts, decl, ts.isImportDeclaration);
    if (importDecl && ts.isStringLiteral(importDecl.moduleSpecifier)) importSpecifier = importDecl.moduleSpecifier.text;
    sym = checker.getAliasedSymbol(sym);
  }
  if (ts.isPropertyAccessExpression(arg) && ts.isIdentifier(arg.expression)) {
    // ns.loss with `import * as ns from "./model.js"`
    const nsSym = checker.getSymbolAtLocation(arg.expression);
    const decl = nsSym?.declarations?.[0];
    const importDecl = decl && findAncestor(ts, decl, ts.isImportDeclaration);
    if (importDecl && ts.isStringLiteral(importDecl.moduleSpecifier)) importSpecifier = importDecl.moduleSpecifier.text;
  }
  const decl = sym?.declarations?.find(ts.isFunctionDeclaration) ?? sym?.declarations?.find((d) => boundFunction(ts, d) !== undefined);
  const named = decl && (ts.isFunctionDeclaration(decl) ? decl : boundFunction(ts, decl));
  if (!decl || !named?.name || !ts.isIdentifier(named.name)) {
    diagnostics.push(plainDiagnostic(ts, MarkerCodes.BadArgument, badArgumentMessage(marker), arg));
    return undefined;
  }
  const fn = named.name.text;
  const source = path.resolve(decl.getSourceFile().fileName);
  if (!isAnnotated(ts, ts.isFunctionDeclaration(decl) ? decl : decl.parent.parent)) {
    diagnostics.push(plainDiagnostic(ts, MarkerCodes.NotDifferentiable, notDifferentiableMessage(marker, fn), arg));
    return undefined;
  }
  const result = results.get(source);
  if (result?.output === undefined) return undefined; // errors in the function's module: reported there
  const exported = exportedFunctions(result.output);
  const name = generatedName(fn, marker);
  if (!exported.includes(name)) {
    diagnostics.push(plainDiagnostic(ts, MarkerCodes.MissingMode, missingModeMessage(marker, fn, exported), call));
    return undefined;
  }
  const importer = path.resolve(sf.fileName);
  const style = importSpecifier?.startsWith(".") ? extensionStyleOf(importSpecifier) : styleOf(ts, sf, options);
  return { start: call.getStart(sf), end: call.getEnd(), generatedName: name, specifier: generatedSpecifier(importer, source, style) };
}

/** `const loss = (…) => …` (or a function expression) at module level: the declarator. */
function boundFunction(ts: typeof TS, d: TS.Declaration): TS.VariableDeclaration | undefined {
  if (!ts.isVariableDeclaration(d) || !d.initializer || !ts.isVariableStatement(d.parent.parent) || !ts.isSourceFile(d.parent.parent.parent)) return undefined;
  let init = d.initializer;
  while (ts.isParenthesizedExpression(init) || ts.isAsExpression(init) || ts.isSatisfiesExpression(init)) init = init.expression;
  return ts.isArrowFunction(init) || ts.isFunctionExpression(init) ? d : undefined;
}

/** Whether the declaration's leading comments carry `@differentiable` (tsc may not have parsed its JSDoc). */
function isAnnotated(ts: typeof TS, decl: TS.Node): boolean {
  const text = decl.getSourceFile().text;
  return (ts.getLeadingCommentRanges(text, decl.pos) ?? []).some((c) => DIFFERENTIABLE.test(text.slice(c.pos, c.end)));
}

function findAncestor<T extends TS.Node>(ts: typeof TS, node: TS.Node, test: (n: TS.Node) => n is T): T | undefined {
  return ts.findAncestor(node, test) as T | undefined;
}

/** How this file spells relative imports; else what the module resolution needs. */
function styleOf(ts: typeof TS, sf: TS.SourceFile, options: TS.CompilerOptions): ExtensionStyle {
  for (const s of sf.statements) {
    if ((ts.isImportDeclaration(s) || ts.isExportDeclaration(s)) && s.moduleSpecifier && ts.isStringLiteral(s.moduleSpecifier) && s.moduleSpecifier.text.startsWith(".")) {
      return extensionStyleOf(s.moduleSpecifier.text);
    }
  }
  if (options.rewriteRelativeImportExtensions) return "ts";
  const res = options.moduleResolution;
  const node16 = res === ts.ModuleResolutionKind.Node16 || res === ts.ModuleResolutionKind.NodeNext;
  const mod = options.module;
  if (node16 || (res === undefined && (mod === ts.ModuleKind.Node16 || mod === ts.ModuleKind.NodeNext))) return "js";
  return options.allowImportingTsExtensions ? "ts" : "none";
}

/**
 * A new program over `rootNames` that reuses every parsed file and reads the generated ones from
 * `generated` (tsc's host caches file existence and contents from before they were written).
 *
 * Builder programs (`--watch`, `--incremental`) compare source files by `version`, which the
 * host's `getSourceFile` sets on every file it reads; a file made here gets one the same way: the
 * hash of its text with the host's hash function, so an unchanged generated module keeps the
 * version recorded in .tsbuildinfo and is not emitted again.
 */
function recreate(ts: typeof TS, program: TS.Program, host: TS.CompilerHost | undefined, rootNames: readonly string[], generated: Map<string, string>): TS.Program {
  const options = program.getCompilerOptions();
  const base = host ?? ts.createCompilerHost(options);
  const wrapped: TS.CompilerHost = Object.create(base);
  const hash = (text: string) => (base.createHash ? base.createHash(text) : ts.sys.createHash ? ts.sys.createHash(text) : djb2(text));
  // module resolution from scratch: a watch host's resolution cache still holds the failed
  // resolutions of imports of the generated modules from before they existed
  wrapped.resolveModuleNameLiterals = undefined;
  wrapped.resolveModuleNames = undefined;
  wrapped.fileExists = (fileName) => generated.has(path.resolve(fileName)) || base.fileExists(fileName);
  wrapped.readFile = (fileName) => generated.get(path.resolve(fileName)) ?? base.readFile(fileName);
  wrapped.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    const old = program.getSourceFile(fileName);
    const text = generated.get(path.resolve(fileName));
    if (text !== undefined && old?.text !== text) {
      const sf = ts.createSourceFile(fileName, text, languageVersion, false) as TS.SourceFile & { version?: string };
      sf.version = hash(text);
      return sf;
    }
    if (old) return old;
    return base.getSourceFile(fileName, languageVersion, onError, shouldCreate);
  };
  return ts.createProgram({
    rootNames,
    options,
    host: wrapped,
    // no oldProgram: TypeScript would reuse the old failed resolutions of "./model.grad.js";
    // the host above hands back every already parsed file, so nothing is parsed twice
    projectReferences: program.getProjectReferences(),
    configFileParsingDiagnostics: program.getConfigFileParsingDiagnostics(),
  });
}

/** TypeScript's fallback hash for source file versions, when the host has none. */
function djb2(text: string): string {
  let h = 5381;
  for (let i = 0; i < text.length; i++) h = ((h << 5) + h + text.charCodeAt(i)) | 0;
  return String(h);
}

/** Adds adjoint's diagnostics to the program's and the marker rewrite to its emit. */
function decorate(ts: typeof TS, program: TS.Program, diagnostics: TS.Diagnostic[], globalDiagnostics: readonly TS.Diagnostic[], plan: Plan): void {
  // re-point each diagnostic at the program's own SourceFile object (a generated file may have been
  // re-read); one in a file outside the program is reported without a file
  const fixed = diagnostics.filter((d) => d.file).map((d) => ({ ...d, file: program.getSourceFile(d.file!.fileName) ?? d.file }));
  globalDiagnostics = [...globalDiagnostics, ...diagnostics.filter((d) => !d.file)];
  if (fixed.length > 0) {
    const ownFor = (sourceFile: TS.SourceFile | undefined) =>
      fixed.filter((d) => d.file !== undefined && (sourceFile === undefined || d.file.fileName === sourceFile.fileName));
    const getSemantic = program.getSemanticDiagnostics.bind(program);
    program.getSemanticDiagnostics = (sourceFile, token) => [...ownFor(sourceFile), ...getSemantic(sourceFile, token)];
    // what builder programs (--incremental, --watch, --build) ask instead, file by file
    const internal = program as TS.Program & { getBindAndCheckDiagnostics?: (sf: TS.SourceFile, token?: TS.CancellationToken) => readonly TS.Diagnostic[] };
    const getBindAndCheck = internal.getBindAndCheckDiagnostics?.bind(program);
    if (getBindAndCheck) internal.getBindAndCheckDiagnostics = (sf, token) => [...ownFor(sf), ...getBindAndCheck(sf, token)];
  }
  if (globalDiagnostics.length > 0) {
    const getGlobal = program.getGlobalDiagnostics.bind(program);
    program.getGlobalDiagnostics = (token) => [...globalDiagnostics, ...getGlobal(token)];
  }
  if (plan.rewrites.size > 0) {
    const emit = program.emit.bind(program);
    program.emit = (targetSourceFile, writeFile, cancellationToken, emitOnlyDts, customTransformers, ...rest: unknown[]) => {
      const before = [markerTransformer(ts, plan), ...(customTransformers?.before ?? [])];
      return (emit as (...a: unknown[]) => TS.EmitResult)(targetSourceFile, writeFile, cancellationToken, emitOnlyDts, { ...customTransformers, before }, ...rest);
    };
  }
}

/**
 * The emit transformer: `grad(loss)` -> `model_grad.lossGrad`, with `import * as model_grad from
 * "./model.grad.js"` (a fresh name) first in the file. A namespace import, because TypeScript's
 * CommonJS transform keeps its name (`const model_grad = require(...)`), while references to a
 * synthesized named import would not be rewritten.
 */
function markerTransformer(ts: typeof TS, plan: Plan): TS.TransformerFactory<TS.SourceFile> {
  return (context) => (sf) => {
    const file = path.resolve(sf.fileName);
    const rewrites = plan.rewrites.get(file);
    if (!rewrites) return sf;
    const f = context.factory;
    const namespaces = new Map<string, TS.Identifier>(); // specifier -> namespace name
    const byPos = new Map(rewrites.map((r) => [`${r.start}:${r.end}`, r]));
    const namespaceFor = (specifier: string) => {
      let id = namespaces.get(specifier);
      if (!id) {
        const stem = path.basename(specifier).replace(/\.[cm]?[jt]sx?$/, "").replace(/[^A-Za-z0-9_$]/g, "_");
        namespaces.set(specifier, (id = f.createUniqueName(stem, 16 /* GeneratedIdentifierFlags.Optimistic: the stem itself when free */)));
      }
      return id;
    };
    const visit = (node: TS.Node): TS.Node => {
      if (ts.isCallExpression(node) && node.pos >= 0) {
        const r = byPos.get(`${node.getStart(sf)}:${node.getEnd()}`);
        if (r) return f.createPropertyAccessExpression(namespaceFor(r.specifier), r.generatedName);
      }
      return ts.visitEachChild(node, visit, context);
    };
    const removable = new Set((plan.markerImports.get(file) ?? []).filter((m) => m.removable).map((m) => `${m.start}:${m.end}`));
    const statements: TS.Statement[] = [];
    for (const s of sf.statements) {
      if (ts.isImportDeclaration(s) && ts.isStringLiteral(s.moduleSpecifier) && s.moduleSpecifier.text === MARKER_MODULE && s.importClause?.namedBindings && ts.isNamedImports(s.importClause.namedBindings)) {
        const named = s.importClause.namedBindings;
        const keep = named.elements.filter((e) => !removable.has(`${e.getStart(sf)}:${e.getEnd()}`));
        if (keep.length === 0 && !s.importClause.name) continue; // the whole import was markers
        if (keep.length !== named.elements.length) {
          statements.push(f.updateImportDeclaration(s, s.modifiers, f.updateImportClause(s.importClause, s.importClause.isTypeOnly, s.importClause.name, f.updateNamedImports(named, keep)), s.moduleSpecifier, s.attributes));
          continue;
        }
      }
      statements.push(ts.visitEachChild(s, visit, context) as TS.Statement);
    }
    const imports = [...namespaces].map(([specifier, id]) =>
      f.createImportDeclaration(undefined, f.createImportClause(false, undefined, f.createNamespaceImport(id)), f.createStringLiteral(specifier)),
    );
    return f.updateSourceFile(sf, [...imports, ...statements]);
  };
}
