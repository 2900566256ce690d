/**
 * Colour in the CLI's output: diagnostics' locations, severities and code frames.
 *
 * On when the stream is a terminal (and TERM is not "dumb"). `NO_COLOR` (set and not empty, see
 * no-color.org) turns it off; `FORCE_COLOR` turns it on even into a pipe, or off with
 * `FORCE_COLOR=0` (or "false"), and wins over `NO_COLOR`, as in Node's own `util.styleText`.
 * Without colour the text is exactly `formatDiagnostic`'s.
 */
import type { Diagnostic } from "../compiler/index.ts";

export function useColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return !(force === "0" || force.toLowerCase() === "false");
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  return !!stream.isTTY && env.TERM !== "dumb";
}

export interface Paint {
  red(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

const sgr = (open: number, close: number) => (s: string) => (s === "" ? s : `\x1b[${open}m${s}\x1b[${close}m`);
const identity = (s: string) => s;

export function paint(color: boolean): Paint {
  if (!color) return { red: identity, yellow: identity, cyan: identity, dim: identity, bold: identity };
  return { red: sgr(31, 39), yellow: sgr(33, 39), cyan: sgr(36, 39), dim: sgr(2, 22), bold: sgr(1, 22) };
}

/** `path:line:col` relative to `cwd` when inside it (as formatDiagnostic prints it). */
function location(d: Diagnostic, cwd: string): string {
  const rel = d.file.startsWith(cwd + "/") ? d.file.slice(cwd.length + 1) : d.file;
  return `${rel}:${d.line}:${d.col}`;
}

/** A code frame line by line: the gutter dimmed, the reported line marked, the carets red. */
function paintFrame(frame: string, p: Paint): string {
  return frame
    .split("\n")
    .map((line) => {
      const m = /^([> ]) ( *\d*) \| ?(.*)$/.exec(line);
      if (!m) return line;
      const [, mark, number, text] = m;
      if (number.trim() === "") return `${p.dim(`  ${number} |`)} ${text.replace(/\^+/, (c) => p.red(c))}`;
      return mark === ">" ? `${p.red(p.bold(">"))} ${p.bold(number)} ${p.dim("|")} ${text}` : `${p.dim(`  ${number} |`)} ${text}`;
    })
    .join("\n");
}

/**
 * The diagnostic as the CLI prints it: `file:line:col - error AD1001: message`, a blank line, the
 * code frame. With `color` false this is formatDiagnostic's text, byte for byte.
 */
export function formatDiagnostic(d: Diagnostic, color: boolean, cwd = process.cwd()): string {
  const p = paint(color);
  const frame = color ? paintFrame(d.frame, p) : d.frame;
  return `${p.cyan(location(d, cwd))} - ${p.red("error")} ${p.dim(d.code)}: ${d.message}\n\n${frame}\n`;
}
