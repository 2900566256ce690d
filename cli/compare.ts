/**
 * Whether a generated module on disk is the module adjoint generates, modulo formatting: a project
 * that formats its tree (prettier with its own config, say) leaves `adjoint gen --check` green and
 * `adjoint gen` writing nothing, while any real change to the code is still stale.
 *
 * Both texts are parsed with TypeScript and compared as syntax trees, so what the comparison
 * ignores is exactly what the trees leave out or what is spelled differently for the same tree:
 * whitespace and line breaks, comments, redundant parentheses (the tree's shape already says how
 * an expression groups), quote style and escapes (a string's value), how a number is written
 * (`1.50`, `1.5`, `15e-1`), trailing commas, optional semicolons, and quotes on property names
 * (`{ "w": x }` is `{ w: x }`). Everything else counts: every node's kind, its place in its parent
 * (`for (; x;)` is not `for (x;;)`), names, values and operators, `const` against `let`, optional
 * chains. A text that does not parse is never the same as another.
 *
 * Takes the TypeScript instance to parse with (the CLI's, or the compiler a build plugin runs in).
 */
import type TS from "typescript";

/** Where two modules first differ: 1-based line and column in the first text (the one on disk). */
export interface Difference {
  line: number;
  column: number;
}

interface Item {
  token: string;
  node: TS.Node;
}

/** Properties of a node that are syntax but not child nodes (operators, keywords, type-only flags). */
const SCALARS = ["operator", "token", "keywordToken", "isTypeOnly", "isExportEquals", "isTypeOf", "phaseModifier"] as const;

function flagsOf(ts: typeof TS, node: TS.Node): number {
  const F = ts.NodeFlags;
  const meaningful = F.Let | F.Const | (F.Using ?? 0) | F.Namespace | F.GlobalAugmentation | F.OptionalChain;
  return node.flags & meaningful;
}

/** `loss`, `"loss"` and `'loss'` as a property name are one key; so are `1` and `"1"`. */
function propertyKey(ts: typeof TS, node: TS.Node): string | undefined {
  if (ts.isIdentifier(node) || ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isNumericLiteral(node)) return String(Number(node.text));
  return undefined;
}

function isPropertyNameSlot(ts: typeof TS, parent: TS.Node, key: string): boolean {
  if (key !== "name") return false;
  return ts.isPropertyAssignment(parent) || ts.isPropertySignature(parent) || ts.isPropertyDeclaration(parent)
    || ts.isMethodDeclaration(parent) || ts.isMethodSignature(parent) || ts.isGetAccessorDeclaration(parent)
    || ts.isSetAccessorDeclaration(parent) || ts.isEnumMember(parent);
}

/** A parenthesized expression or type, unwrapped: the parent's shape says how it groups. */
function unwrap(ts: typeof TS, node: TS.Node, parent: TS.Node | undefined): TS.Node {
  for (;;) {
    if (ts.isParenthesizedExpression(node)) {
      // `("use strict");` is an expression; `"use strict";` is a directive
      if (parent && ts.isExpressionStatement(parent) && ts.isStringLiteral(node.expression)) return node;
      node = node.expression;
    } else if (ts.isParenthesizedTypeNode(node)) {
      node = node.type;
    } else {
      return node;
    }
  }
}

function leafText(ts: typeof TS, node: TS.Node): string | undefined {
  if (ts.isIdentifier(node) || ts.isPrivateIdentifier(node)) return `#${node.text}`;
  if (ts.isStringLiteral(node)) return JSON.stringify(node.text);
  if (ts.isNumericLiteral(node)) return String(Number(node.text));
  if (ts.isBigIntLiteral(node)) return node.text;
  if (ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateHead(node) || ts.isTemplateMiddle(node) || ts.isTemplateTail(node)) {
    return `\`${JSON.stringify(node.rawText ?? node.text)}`;
  }
  if (ts.isRegularExpressionLiteral(node) || ts.isJsxText(node)) return JSON.stringify(node.text);
  return undefined;
}

/** The tree as a flat list of tokens: `(kind` … `)` per node, each child under its property's name. */
function stream(ts: typeof TS, sf: TS.SourceFile): Item[] {
  const out: Item[] = [];
  const visit = (node: TS.Node, parent: TS.Node | undefined, slot: string) => {
    node = unwrap(ts, node, parent);
    if (parent && isPropertyNameSlot(ts, parent, slot)) {
      const key = propertyKey(ts, node);
      if (key !== undefined) {
        out.push({ token: `${slot}=key:${JSON.stringify(key)}`, node });
        return;
      }
    }
    const scalars = SCALARS.map((k) => {
      const v = (node as unknown as Record<string, unknown>)[k];
      return typeof v === "number" || typeof v === "boolean" ? `,${k}=${v}` : "";
    }).join("");
    const leaf = leafText(ts, node);
    out.push({ token: `${slot}=(${ts.SyntaxKind[node.kind]}:${node.kind},${flagsOf(ts, node)}${scalars}${leaf === undefined ? "" : ` ${leaf}`}`, node });
    // the child nodes and lists, each under the name of the property that holds it
    const children = new Set<unknown>();
    ts.forEachChild(node, (c) => void children.add(c), (cs) => void children.add(cs));
    if (children.size > 0) {
      const record = node as unknown as Record<string, unknown>;
      for (const key of Object.keys(record).sort()) {
        const value = record[key];
        if (!children.has(value)) continue;
        if (Array.isArray(value)) {
          out.push({ token: `${key}=[`, node });
          for (const c of value as TS.Node[]) visit(c, node, "");
          out.push({ token: "]", node });
        } else {
          visit(value as TS.Node, node, key);
        }
      }
    }
    out.push({ token: ")", node });
  };
  for (const s of sf.statements) visit(s, undefined, "");
  return out;
}

function parse(ts: typeof TS, text: string): TS.SourceFile | undefined {
  const sf = ts.createSourceFile("module.ts", text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  // syntax errors: the parser's own list (what `getSyntacticDiagnostics` reports)
  const errors = (sf as TS.SourceFile & { parseDiagnostics?: readonly unknown[] }).parseDiagnostics;
  if (errors === undefined) {
    const r = ts.transpileModule(text, { reportDiagnostics: true, compilerOptions: { noLib: true, noResolve: true } });
    if ((r.diagnostics ?? []).length > 0) return undefined;
  } else if (errors.length > 0) {
    return undefined;
  }
  return sf;
}

/**
 * Where `onDisk` first differs from `generated` as code, or undefined when they are the same
 * modulo formatting (see the module comment).
 */
export function codeDifference(ts: typeof TS, onDisk: string, generated: string): Difference | undefined {
  if (onDisk === generated) return undefined;
  const a = parse(ts, onDisk);
  const b = parse(ts, generated);
  if (!a || !b) return { line: 1, column: 1 };
  const sa = stream(ts, a), sb = stream(ts, b);
  const n = Math.min(sa.length, sb.length);
  let i = 0;
  while (i < n && sa[i]!.token === sb[i]!.token) i++;
  if (i === sa.length && i === sb.length) return undefined;
  const at = i < sa.length ? sa[i]!.node.getStart(a) : a.text.length;
  const { line, character } = a.getLineAndCharacterOfPosition(at);
  return { line: line + 1, column: character + 1 };
}

/** Whether two modules are the same code, modulo formatting. */
export function sameCode(ts: typeof TS, a: string, b: string): boolean {
  return codeDifference(ts, a, b) === undefined;
}
