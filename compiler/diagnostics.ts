/**
 * Diagnostics: stable codes, messages that name the construct and the fix, and positions.
 */
import ts from "typescript";
import type { Loc } from "./ir/types.ts";

export const Codes = {
  UnsupportedSyntax: "AD1001",
  UnknownCallee: "AD1002",
  NonNumericParameter: "AD1003",
  NonNumericReturn: "AD1004",
  Recursion: "AD1005",
  Closure: "AD1006",
  MissingFunction: "AD1007",
  BadTag: "AD1008",
  MissingReturn: "AD1009",
  UnsupportedLoop: "AD1010",
  CustomDerivative: "AD1011",
  Internal: "AD1099",
} as const;
/** adjoint's codes, or TypeScript's own (`TS1005`) for syntax and type errors. */
export type Code = (typeof Codes)[keyof typeof Codes] | `TS${number}`;

export interface Diagnostic {
  code: Code;
  message: string;
  file: string;
  line: number; // 1-based
  col: number; // 1-based
  /** Source excerpt with a caret under the position. */
  frame: string;
  /** Absolute character offset, for integrations that report spans (the build plugin). */
  start: number;
  length: number;
}

export class DiagnosticError extends Error {
  constructor(readonly diagnostic: Diagnostic) {
    super(diagnostic.message);
  }
}

export function diagnosticAt(code: Code, message: string, node: ts.Node, sf: ts.SourceFile = node.getSourceFile()): Diagnostic {
  const start = node.getStart(sf);
  const { line, character } = sf.getLineAndCharacterOfPosition(start);
  return {
    code,
    message,
    file: sf.fileName,
    line: line + 1,
    col: character + 1,
    frame: codeFrame(sf.text, line, character, Math.max(1, Math.min(node.getEnd() - start, lineLength(sf.text, line) - character))),
    start,
    length: node.getEnd() - start,
  };
}

/** A diagnostic at a span of a source file. */
export function diagnosticAtSpan(code: Code, message: string, sf: ts.SourceFile, start: number, end: number): Diagnostic {
  const { line, character } = sf.getLineAndCharacterOfPosition(start);
  return {
    code, message, file: sf.fileName, line: line + 1, col: character + 1, start, length: end - start,
    frame: codeFrame(sf.text, line, character, Math.max(1, Math.min(end - start, lineLength(sf.text, line) - character))),
  };
}

function lineLength(text: string, line: number): number {
  return (text.split(/\r?\n/)[line] ?? "").length;
}

/**
 * A diagnostic raised after lowering, at a step's source span. Passes throw it without reading
 * any file; the pipeline turns it into a Diagnostic with the source text it compiled.
 */
export class LocatedError extends Error {
  constructor(readonly code: Code, message: string, readonly loc: Loc) {
    super(message);
  }
}

/** A diagnostic at a source span of `text` (the text the compiler was given for `loc.file`). */
export function diagnosticAtLoc(code: Code, message: string, loc: Loc, text: string): Diagnostic {
  const { line, col } = lineAndColumn(text, loc.start);
  return {
    code, message, file: loc.file, line, col, start: loc.start, length: Math.max(1, loc.end - loc.start),
    frame: codeFrame(text, line - 1, col - 1, Math.max(1, Math.min(loc.end - loc.start, lineLength(text, line - 1) - (col - 1)))),
  };
}

/** 1-based line and column of an offset. */
export function lineAndColumn(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, col: offset - lineStart + 1 };
}

/** A TypeScript syntax or type error, as an adjoint diagnostic with the same frame. */
export function fromTypeScript(d: ts.Diagnostic): Diagnostic {
  const sf = d.file!;
  const start = d.start ?? 0;
  const { line, character } = sf.getLineAndCharacterOfPosition(start);
  const length = Math.max(1, d.length ?? 1);
  return {
    code: `TS${d.code}`,
    message: ts.flattenDiagnosticMessageText(d.messageText, " "),
    file: sf.fileName,
    line: line + 1,
    col: character + 1,
    frame: codeFrame(sf.text, line, character, Math.max(1, Math.min(length, lineLength(sf.text, line) - character))),
    start,
    length,
  };
}

/** A few lines of source around `line` with a caret marker under the reported span. */
export function codeFrame(text: string, line: number, col: number, width: number): string {
  const lines = text.split(/\r?\n/);
  const from = Math.max(0, line - 2);
  const to = Math.min(lines.length - 1, line + 1);
  const pad = String(to + 1).length;
  const out: string[] = [];
  for (let i = from; i <= to; i++) {
    const mark = i === line ? ">" : " ";
    out.push(`${mark} ${String(i + 1).padStart(pad)} | ${lines[i]}`);
    // the caret line keeps the source's tabs so the carets line up under tab-indented code
    if (i === line) out.push(`  ${" ".repeat(pad)} | ${lines[i].slice(0, col).replace(/[^\t]/g, " ")}${"^".repeat(Math.max(1, width))}`);
  }
  return out.join("\n");
}

export function formatDiagnostic(d: Diagnostic, cwd = process.cwd()): string {
  const rel = d.file.startsWith(cwd + "/") ? d.file.slice(cwd.length + 1) : d.file;
  return `${rel}:${d.line}:${d.col} - error ${d.code}: ${d.message}\n\n${d.frame}\n`;
}
