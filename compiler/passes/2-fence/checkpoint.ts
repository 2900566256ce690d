/**
 * The fence's checks of `@checkpoint` tags: on a loop, well formed, in a JSDoc comment. Each
 * problem is one located diagnostic at the comment, naming the fix. (Whether the reverse sweep
 * can re-run a checkpointed loop is decided with the plan, and reported there, AD1010.)
 */
import ts from "typescript";
import { Codes, type Diagnostic, diagnosticAtSpan } from "../../diagnostics.ts";
import { checkpointComments, taggedLoop } from "../3-lower/checkpoint.ts";

/** Diagnostics for the `@checkpoint` comments before statement `s`, added to `out` once each. */
export function checkCheckpointTags(s: ts.Statement, out: Diagnostic[]): void {
  const sf = s.getSourceFile();
  for (const c of checkpointComments(s, sf)) {
    const report = (message: string) => {
      if (!out.some((d) => d.file === sf.fileName && d.start === c.pos)) out.push(diagnosticAtSpan(Codes.BadTag, message, sf, c.pos, c.end));
    };
    if (!c.jsdoc) {
      report(`'@checkpoint' in a ${c.pos < c.end && sf.text.startsWith("//", c.pos) ? "// comment" : "/* */ comment"} is ignored: write it as a JSDoc comment, /** @checkpoint */, right before the loop.`);
      continue;
    }
    if (!taggedLoop(s)) {
      report(`'@checkpoint' must come right before a for, while or do loop, but it is before ${describe(s)}: move it to the loop whose tape it should bound.`);
      continue;
    }
    if (!c.tag) {
      report(`'@checkpoint ${c.argument}' is malformed: write '@checkpoint' (snapshots every √n steps), or '@checkpoint N' with N a positive whole number of snapshots (binomial schedule), such as '@checkpoint 20'.`);
    }
  }
}

function describe(s: ts.Statement): string {
  if (ts.isVariableStatement(s)) return "a declaration";
  if (ts.isExpressionStatement(s)) return "an expression statement";
  if (ts.isIfStatement(s)) return "an if statement";
  if (ts.isBlock(s)) return "a block";
  if (ts.isReturnStatement(s)) return "a return statement";
  if (ts.isSwitchStatement(s)) return "a switch statement";
  return "a statement that is not a loop";
}
