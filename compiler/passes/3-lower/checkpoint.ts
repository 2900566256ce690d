/**
 * The `@checkpoint` tag of a loop: a JSDoc comment right before a `for`, `while` or `do` loop
 * (or before its label), `/** @checkpoint *\/` or `/** @checkpoint N *\/` with N ≥ 1 snapshots.
 * Read from the comments themselves, so it does not depend on how TypeScript attaches JSDoc to
 * statements. The fence reports misplaced and malformed tags (2-fence/checkpoint.ts); lowering
 * records a well-formed one on the loop's region.
 */
import ts from "typescript";
import type { CheckpointTag, Stmt } from "../../ir/types.ts";

export interface CheckpointComment {
  /** The comment's span. */
  pos: number;
  end: number;
  /** A JSDoc comment (`/** … *\/`), the only kind that tags a loop. */
  jsdoc: boolean;
  /** The text after `@checkpoint` on its line. */
  argument: string;
  /** The tag, when the argument is empty or a positive integer. */
  tag?: CheckpointTag;
}

const TAG = /@checkpoint(?![\w-])([^\n@]*)/;

/** `@checkpoint` in the comments directly before `node`. */
export function checkpointComments(node: ts.Node, sf: ts.SourceFile = node.getSourceFile()): CheckpointComment[] {
  const out: CheckpointComment[] = [];
  for (const c of ts.getLeadingCommentRanges(sf.text, node.pos) ?? []) {
    const text = sf.text.slice(c.pos, c.end);
    const m = TAG.exec(text);
    if (!m) continue;
    const argument = m[1]!.replace(/\*\/\s*$/, "").replace(/\*+\s*$/, "").trim();
    const jsdoc = text.startsWith("/**") && c.kind === ts.SyntaxKind.MultiLineCommentTrivia;
    const comment: CheckpointComment = { pos: c.pos, end: c.end, jsdoc, argument };
    if (argument === "") comment.tag = {};
    else if (/^[1-9]\d*$/.test(argument) && Number.isSafeInteger(Number(argument))) comment.tag = { snapshots: Number(argument) };
    out.push(comment);
  }
  return out;
}

/** The loop statements a comment before `s` tags: `s` itself, or the loop under its labels. */
export function taggedLoop(s: ts.Statement): ts.IterationStatement | undefined {
  let x: ts.Statement = s;
  while (ts.isLabeledStatement(x)) x = x.statement;
  return ts.isForStatement(x) || ts.isWhileStatement(x) || ts.isDoStatement(x) || ts.isForOfStatement(x) ? x : undefined;
}

/** The tag of a loop: from the comments before it, or before the labels in front of it. */
export function checkpointTagOf(loop: ts.IterationStatement): CheckpointTag | undefined {
  for (let n: ts.Node = loop; ; n = n.parent) {
    const c = checkpointComments(n).find((x) => x.jsdoc && x.tag);
    if (c) return c.tag;
    if (!ts.isLabeledStatement(n.parent)) return undefined;
  }
}

/** Records the tag of a lowered loop on its region (the last statement lowering emitted for it). */
export function markCheckpoint(loop: ts.IterationStatement, out: Stmt[]): void {
  const tag = checkpointTagOf(loop);
  if (!tag) return;
  const region = out[out.length - 1];
  if (!region || (region.kind !== "for" && region.kind !== "loop")) throw new Error("internal: a checkpointed loop lowered to no loop");
  region.checkpoint = tag;
}
