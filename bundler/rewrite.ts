/**
 * Marker calls rewritten in module text, for the bundler plugin, which sees one module at a time
 * and no type checker.
 *
 *   import { grad } from "adjoint";          ->  import { lossGrad as __adjoint_lossGrad } from "./model.grad.ts";
 *   import { loss } from "./model.ts";           (the marker import blanked when nothing else uses it)
 *   const g = grad(loss);                    ->  const g = __adjoint_lossGrad;
 *
 * Edits stay on their lines (the import goes before the first statement, on its line: not at the
 * end, where a transpiler that emits CommonJS would require it after its first use), so line
 * numbers in stack traces are unchanged. The argument is found by name among the module's imports
 * and top-level function declarations; imports are followed one step.
 */
import ts from "typescript";
import path from "node:path";
import { codeFrame } from "../compiler/diagnostics.ts";
import type { FileResult } from "../compiler/index.ts";
import {
  MARKER_MODULE, badArgumentMessage, exportedFunctions, generatedName, generatedSpecifier, isMarker,
  missingModeMessage, notDifferentiableMessage, type Marker,
} from "../plugin/shared.ts";

export interface RewriteError {
  /** adjoint's code (`AD1001`) for the core's diagnostics; none for marker misuse. */
  code?: string;
  message: string;
  file: string;
  line: number; // 1-based
  column: number; // 0-based
  /** The lines around the position, with carets under the construct. */
  frame: string;
}

export interface RewriteHost {
  /** Resolves a module specifier as the bundler would, to an absolute file path (or undefined). */
  resolve(specifier: string, importer: string): Promise<string | undefined>;
  /** Compiles a source file with the adjoint core. */
  compile(source: string): Promise<FileResult>;
}

export interface RewriteResult {
  code: string;
  errors: RewriteError[];
  /** Source files the rewritten calls depend on. */
  sources: string[];
}

/** Cheap test before parsing: the module imports from "adjoint" at all. */
export function mayUseMarkers(code: string): boolean {
  return code.includes(MARKER_MODULE) && /from\s*["']adjoint["']/.test(code);
}

function scriptKind(file: string): ts.ScriptKind {
  if (/\.[cm]?tsx$/.test(file) || file.endsWith(".tsx")) return ts.ScriptKind.TSX;
  if (/\.[cm]?jsx$/.test(file)) return ts.ScriptKind.JSX;
  if (/\.[cm]?js$/.test(file)) return ts.ScriptKind.JS;
  return ts.ScriptKind.TS;
}

export async function rewriteMarkers(code: string, file: string, host: RewriteHost): Promise<RewriteResult | undefined> {
  if (!mayUseMarkers(code)) return undefined;
  const sf = ts.createSourceFile(file, code, ts.ScriptTarget.Latest, true, scriptKind(file));

  // marker bindings, imported names, namespace imports, local function declarations
  const markers = new Map<string, { marker: Marker; spec: ts.ImportSpecifier; decl: ts.ImportDeclaration }>();
  const markerNamespaces = new Set<string>();
  const imported = new Map<string, { specifier: string; name: string }>();
  const namespaces = new Map<string, string>();
  const locals = new Set<string>();
  for (const s of sf.statements) {
    if (ts.isFunctionDeclaration(s) && s.name) locals.add(s.name.text);
    // `const loss = (…) => …`: the compiler says whether it is differentiable
    if (ts.isVariableStatement(s)) for (const d of s.declarationList.declarations) if (ts.isIdentifier(d.name)) locals.add(d.name.text);
    if (!ts.isImportDeclaration(s) || !ts.isStringLiteral(s.moduleSpecifier) || s.importClause?.isTypeOnly) continue;
    const from = s.moduleSpecifier.text;
    const bindings = s.importClause?.namedBindings;
    if (bindings && ts.isNamespaceImport(bindings)) {
      if (from === MARKER_MODULE) markerNamespaces.add(bindings.name.text);
      else namespaces.set(bindings.name.text, from);
    } else if (bindings) {
      for (const spec of bindings.elements) {
        if (spec.isTypeOnly) continue;
        const name = (spec.propertyName ?? spec.name).text;
        if (from === MARKER_MODULE) {
          if (isMarker(name)) markers.set(spec.name.text, { marker: name, spec, decl: s });
        } else {
          imported.set(spec.name.text, { specifier: from, name });
        }
      }
    }
    if (s.importClause?.name && from !== MARKER_MODULE) imported.set(s.importClause.name.text, { specifier: from, name: "default" });
  }
  if (markers.size === 0 && markerNamespaces.size === 0) return undefined;

  const calls: { call: ts.CallExpression; marker: Marker }[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node)) {
      const callee = node.expression;
      if (ts.isIdentifier(callee) && markers.has(callee.text)) calls.push({ call: node, marker: markers.get(callee.text)!.marker });
      else if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && markerNamespaces.has(callee.expression.text) && isMarker(callee.name.text)) {
        calls.push({ call: node, marker: callee.name.text });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);

  const errors: RewriteError[] = [];
  const sources = new Set<string>();
  const edits: { start: number; end: number; text: string }[] = [];
  const importsToAdd = new Map<string, Map<string, string>>(); // specifier -> generated name -> local
  const taken = new Set<string>();
  const localName = (specifier: string, name: string): string => {
    const names = importsToAdd.get(specifier) ?? new Map<string, string>();
    importsToAdd.set(specifier, names);
    let local = names.get(name);
    if (local) return local;
    local = `__adjoint_${name}`;
    for (let k = 1; code.includes(local) || taken.has(local); k++) local = `__adjoint_${name}_${k}`;
    taken.add(local);
    names.set(name, local);
    return local;
  };
  const fail = (node: ts.Node, message: string) => {
    const start = node.getStart(sf);
    const { line, character } = sf.getLineAndCharacterOfPosition(start);
    const lineEnd = sf.getLineEndOfPosition(start);
    const width = Math.max(1, Math.min(node.getEnd(), lineEnd) - start);
    errors.push({ message, file, line: line + 1, column: character, frame: codeFrame(code, line, character, width) });
  };

  const rewritten = new Set<ts.Node>();
  for (const { call, marker } of calls) {
    const arg = call.arguments[0];
    let target: { specifier?: string; name: string } | undefined;
    if (call.arguments.length === 1 && ts.isIdentifier(arg)) {
      if (imported.has(arg.text)) target = imported.get(arg.text);
      else if (locals.has(arg.text)) target = { name: arg.text };
    } else if (call.arguments.length === 1 && ts.isPropertyAccessExpression(arg) && ts.isIdentifier(arg.expression) && namespaces.has(arg.expression.text)) {
      target = { specifier: namespaces.get(arg.expression.text), name: arg.name.text };
    }
    if (!target) {
      fail(call, badArgumentMessage(marker));
      continue;
    }
    const source = target.specifier === undefined ? file : await host.resolve(target.specifier, file);
    if (!source || !/\.[cm]?tsx?$/.test(source)) {
      fail(arg, `${marker}(${target.name}): cannot find the TypeScript module '${target.specifier}' that declares it.`);
      continue;
    }
    const result = await host.compile(source);
    if (result.diagnostics.length > 0) {
      for (const d of result.diagnostics) {
        errors.push({ code: d.code, message: d.message, file: d.file, line: d.line, column: d.col - 1, frame: d.frame });
      }
      continue;
    }
    if (!result.functions.includes(target.name)) {
      fail(arg, `${notDifferentiableMessage(marker, target.name)}${target.specifier ? ` (looked in ${path.basename(source)}: import the function from the module that declares it)` : ""}`);
      continue;
    }
    const exported = result.output ? exportedFunctions(result.output) : [];
    const name = generatedName(target.name, marker);
    if (!exported.includes(name)) {
      fail(call, missingModeMessage(marker, target.name, exported));
      continue;
    }
    sources.add(source);
    const specifier = generatedSpecifier(file, source, "ts");
    edits.push({ start: call.getStart(sf), end: call.getEnd(), text: localName(specifier, name) });
    rewritten.add(call.expression);
  }
  if (edits.length === 0 && errors.length === 0) return undefined;

  // drop marker imports nothing else refers to
  const stillUsed = new Set<string>();
  const scan = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && markers.has(node.text) && !rewritten.has(node) && !(ts.isImportSpecifier(node.parent) && markers.get(node.text)?.spec === node.parent)) {
      stillUsed.add(node.text);
    }
    ts.forEachChild(node, scan);
  };
  scan(sf);
  const byDecl = new Map<ts.ImportDeclaration, ts.ImportSpecifier[]>();
  for (const [local, { spec, decl }] of markers) {
    if (stillUsed.has(local) || errors.length > 0) continue;
    const list = byDecl.get(decl) ?? [];
    list.push(spec);
    byDecl.set(decl, list);
  }
  for (const [decl, specs] of byDecl) {
    const all = decl.importClause!.namedBindings as ts.NamedImports;
    if (specs.length === all.elements.length && !decl.importClause!.name) {
      edits.push({ start: decl.getStart(sf), end: decl.getEnd(), text: blank(code.slice(decl.getStart(sf), decl.getEnd())) });
    } else {
      for (const spec of specs) {
        const i = all.elements.indexOf(spec);
        const end = i < all.elements.length - 1 ? all.elements[i + 1].getStart(sf) : spec.getEnd();
        edits.push({ start: spec.getStart(sf), end, text: blank(code.slice(spec.getStart(sf), end)) });
      }
    }
  }

  edits.sort((a, b) => b.start - a.start);
  let out = code;
  for (const e of edits) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  const imports = [...importsToAdd].map(([specifier, names]) =>
    `import { ${[...names].map(([name, local]) => `${name} as ${local}`).join(", ")} } from ${JSON.stringify(specifier)};`,
  );
  if (imports.length > 0) {
    // before the first statement, on its line: every edit above is at or after it, so the
    // position still holds
    const at = firstStatementStart(sf);
    out = out.slice(0, at) + imports.join(" ") + " " + out.slice(at);
  }
  return { code: out, errors, sources: [...sources] };
}

/** Where the module's first statement after its directives ("use strict", …) starts. */
function firstStatementStart(sf: ts.SourceFile): number {
  const first = sf.statements.find((st) => !(ts.isExpressionStatement(st) && ts.isStringLiteral(st.expression)));
  return first ? first.getStart(sf) : sf.end;
}

/** The same number of characters, spaces except line breaks (so nothing moves). */
function blank(text: string): string {
  return text.replace(/[^\r\n]/g, " ");
}
