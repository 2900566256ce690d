/**
 * Lowering of `switch`, with its JavaScript meaning: the discriminant is evaluated once, compared
 * with `===` to each case in order, and control enters the first matching clause (or `default`)
 * and falls through until a `break`.
 *
 * When no clause falls into the next (each ends in break, return, continue or throw), the switch
 * becomes an if/else chain: `if (d === a || d === b) {…} else if (d === c) {…} else {default}`.
 * Otherwise an `entered` flag carries the fall-through: clause i runs when
 * `!broke && (entered || starts_i)`. Case expressions have no effects (the fence checks), so they
 * may all be evaluated first. A switch any jump leaves has its `broke` flag either way, cleared
 * on entry: a jump from inside a nested statement of a clause sets it, and the rest of the
 * clause is guarded by it.
 */
import ts from "typescript";
import { type Stmt, type Operand, ref, num } from "../../ir/types.ts";
import { LoopLowerer } from "./loops.ts";
import { countJumps, definitelyJumps, jumpsIn, jumpTarget } from "./jumps.ts";
import { skipParens } from "./resolve.ts";

/** The value a switch compares: an operand, or the strings' booleans of a choice among strings. */
type Discriminant = Operand | Map<string, Operand>;

interface Group {
  tests: ts.Expression[];
  isDefault: boolean;
  body: readonly ts.Statement[];
  node: ts.CaseOrDefaultClause;
}

export abstract class SwitchLowerer extends LoopLowerer {
  protected lowerSwitch(s: ts.SwitchStatement, out: Stmt[]): void {
    // a choice among strings (`switch (kind)`): each case is its string's boolean
    const d: Discriminant = this.choiceOf(s.expression) ?? this.lowerExpr(s.expression, out, "d");
    const clauses = s.caseBlock.clauses;
    // a return or a continue inside a clause needs its flag before the clause is lowered
    if (countJumps(s, "return", undefined) > 0) this.doneFlag();
    for (const j of jumpsIn(s)) {
      if (!ts.isContinueStatement(j)) continue;
      const target = jumpTarget(j);
      const ctx = this.frame.loops.find((l) => l.node === target);
      if (ctx) ctx.continueFlag ??= this.newVar("skip", "bool", "flag");
    }
    const falls = clauses.some((c, i) => i < clauses.length - 1 && c.statements.length > 0 && !c.statements.some(definitelyJumps));
    this.frame.loops.unshift({ node: s });
    // Any jump out of a clause (a break of the switch or of a loop around it, a continue, a
    // return) from inside a nested statement sets the switch's flag, which guards the rest of the
    // clause (and, falling through, the later clauses): it must exist before the clauses are
    // lowered, and be clear each time the switch is entered.
    const leaves = countJumps(s, "break", s) > 0 || countJumps(s, "continue", s) > 0 || countJumps(s, "return", undefined) > 0;
    if (leaves) {
      const flag = this.loopFlag("break");
      this.emitOp(out, flag, "copy", [{ kind: "const", value: false }], s);
    }
    if (falls) this.lowerFallThrough(s, d, out);
    else this.lowerChain(s, d, groupsOf(s), out);
    this.frame.loops.shift();
  }

  /** `d === e₁ || d === e₂ || …` */
  private matches(d: Discriminant, tests: ts.Expression[], out: Stmt[], at: ts.Node): Operand {
    let any: Operand | undefined;
    for (const e of tests) {
      const lit = skipParens(e);
      const t = d instanceof Map
        ? (ts.isStringLiteralLike(lit) ? d.get(lit.text) : undefined) ?? { kind: "const", value: false }
        : this.step(out, "===", [d, this.lowerExpr(e, out, "")], at, "bool", "");
      any = any ? this.step(out, "||", [any, t], at, "bool", "") : t;
    }
    return any ?? { kind: "const", value: false };
  }

  private lowerChain(s: ts.SwitchStatement, d: Discriminant, groups: Group[], out: Stmt[]): void {
    const cases = groups.filter((g) => !g.isDefault);
    const fallback = groups.find((g) => g.isDefault);
    const body = (g: Group, target: Stmt[]) => {
      // the break that ends a clause only leaves the switch, which the chain does anyway
      const stmts = [...g.body];
      const last = stmts[stmts.length - 1];
      if (last && ts.isBreakStatement(last) && jumpTarget(last) === s) stmts.pop();
      this.lowerStatements(stmts, 0, target);
    };
    const chain = (i: number, target: Stmt[]) => {
      if (i === cases.length) {
        if (fallback) body(fallback, target);
        return;
      }
      const g = cases[i];
      const cond = this.matches(d, g.tests, target, g.node);
      // a case known here (a choice passed as one of its strings): taken, or passed over
      if (cond.kind === "const") {
        if (cond.value) body(g, target);
        else chain(i + 1, target);
        return;
      }
      const thenOut: Stmt[] = [];
      const elseOut: Stmt[] = [];
      this.depth++;
      body(g, thenOut);
      chain(i + 1, elseOut);
      this.depth--;
      target.push({ kind: "if", cond, then: thenOut, else: elseOut, loc: this.loc(g.node) });
    };
    chain(0, out);
  }

  private lowerFallThrough(s: ts.SwitchStatement, d: Discriminant, out: Stmt[]): void {
    const clauses = s.caseBlock.clauses;
    const ctx = this.frame.loops[0];
    const starts: Operand[] = clauses.map((c) => (ts.isCaseClause(c) ? this.matches(d, [c.expression], out, c) : num(0)));
    let anyCase: Operand = { kind: "const", value: false };
    clauses.forEach((c, i) => {
      if (ts.isCaseClause(c)) anyCase = anyCase.kind === "const" ? starts[i] : this.step(out, "||", [anyCase, starts[i]], c, "bool", "");
    });
    const entered = this.newVar("entered", "bool", "flag");
    this.emitOp(out, entered, "copy", [{ kind: "const", value: false }], s);
    clauses.forEach((c, i) => {
      const start = ts.isCaseClause(c) ? starts[i] : this.step(out, "!", [anyCase], c, "bool", "");
      let run = this.step(out, "||", [ref(entered), start], c, "bool", "");
      if (ctx.breakFlag) {
        const go = this.step(out, "!", [ref(ctx.breakFlag)], c, "bool", "");
        run = this.step(out, "&&", [go, run], c, "bool", "");
      }
      const body: Stmt[] = [];
      this.depth++;
      this.emitOp(body, entered, "copy", [{ kind: "const", value: true }], c);
      this.lowerStatements(c.statements, 0, body);
      this.depth--;
      out.push({ kind: "if", cond: run, then: body, else: [], loc: this.loc(c) });
    });
  }
}

/** Clauses with the empty ones before each merged into it: `case 1: case 2: body`. */
function groupsOf(s: ts.SwitchStatement): Group[] {
  const groups: Group[] = [];
  let tests: ts.Expression[] = [];
  let isDefault = false;
  for (const c of s.caseBlock.clauses) {
    if (ts.isCaseClause(c)) tests.push(c.expression);
    else isDefault = true;
    if (c.statements.length === 0 && c !== s.caseBlock.clauses[s.caseBlock.clauses.length - 1]) continue;
    groups.push({ tests, isDefault, body: c.statements, node: c });
    tests = [];
    isDefault = false;
  }
  return groups;
}
