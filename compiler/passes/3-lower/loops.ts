/**
 * Lowering of loops: counted `for` loops (counter and bound untouched by the body, no exits)
 * become counted regions; every other loop, and `for…of`, becomes a general loop region. Their
 * bodies are lowered as statements (statements.ts), with the loop as the target of its jumps.
 */
import ts from "typescript";
import { type Stmt, type Operand, ref, num, isVar } from "../../ir/types.ts";
import { StatementLowerer } from "./statements.ts";
import { type LoopCtx, type Rec } from "./env.ts";
import type { ArrayRef } from "./arrays.ts";
import { arrayIteration } from "./resolve.ts";
import { countJumps, blockOf, nestedContinues, countedFor } from "./jumps.ts";
export abstract class LoopLowerer extends StatementLowerer {
  // ---------------------------------------------------------------- loops

  protected lowerLoop(s: ts.ForStatement | ts.WhileStatement | ts.DoStatement, out: Stmt[]): void {
    const loc = this.loc(s);
    const ctx: LoopCtx = { node: s };
    const hasExits = countJumps(s.statement, "break", s) > 0 || countJumps(s.statement, "continue", s) > 0 || countJumps(s.statement, "return", undefined) > 0;
    if (ts.isForStatement(s)) {
      const counted = !hasExits && countedFor(s);
      if (counted) {
        const { decl, cmp, step, end } = counted;
        const counter = this.newVar(decl.name.getText(), "num", "local", decl.name.getText());
        const start = this.lowerExpr(decl.initializer!, out, "start");
        const bound = this.lowerExpr(end, out, "end");
        this.env.set(this.symbolOf(decl.name), ref(counter));
        this.defs.set(counter, 1);
        this.counters.add(counter);
        const body: Stmt[] = [];
        this.frame.loops.unshift(ctx);
        this.depth++;
        this.lowerStatements(blockOf(s.statement), 0, body);
        this.depth--;
        this.frame.loops.shift();
        out.push({ kind: "for", counter, start, end: bound, cmp, step, body, loc });
        return;
      }
      if (s.initializer) {
        if (ts.isVariableDeclarationList(s.initializer)) {
          for (const d of s.initializer.declarations) this.lowerDeclaration(d, s.initializer, out);
        } else {
          this.lowerExpressionStatement(s.initializer, out);
        }
      }
    }
    const condExpr = ts.isForStatement(s) ? s.condition : s.expression;
    const inc = ts.isForStatement(s) ? s.incrementor : undefined;
    this.lowerGeneralLoop(s, out, {
      cond: (header) => (condExpr ? this.lowerCondition(condExpr, header) : { kind: "const", value: true }),
      body: (body) => this.lowerStatements(blockOf(s.statement), 0, body),
      update: inc && ((update) => this.lowerExpressionStatement(inc, update)),
      doWhile: ts.isDoStatement(s),
    });
  }

  /**
   * A loop with exits, or with a bound the body may change: `loop { header; exit unless cond;
   * body; update }` with flags for break, continue and return.
   */
  protected lowerGeneralLoop(s: ts.IterationStatement, out: Stmt[], parts: {
    cond: (header: Stmt[]) => Operand;
    body: (body: Stmt[]) => void;
    update?: (update: Stmt[]) => void;
    doWhile: boolean;
  }): void {
    const loc = this.loc(s);
    const ctx: LoopCtx = { node: s };
    this.frame.loops.unshift(ctx);
    this.depth++;
    // Flags must exist before the body sets them: pre-create them for loops that exit early.
    const returns = countJumps(s.statement, "return", undefined) > 0;
    if (returns) this.doneFlag();
    if (returns || countJumps(s.statement, "break", s) > 0) this.loopFlag("break");
    if (nestedContinues(s.statement, s) > 0) this.loopFlag("continue");
    const header: Stmt[] = [];
    let cond: Operand = parts.cond(header);
    if (ctx.breakFlag) {
      const notBroke = this.newVar("", "bool", "temp");
      this.emitOp(header, notBroke, "!", [ref(ctx.breakFlag)], s);
      const both = this.newVar("", "bool", "temp");
      this.emitOp(header, both, "&&", [ref(notBroke), cond], s);
      cond = ref(both);
    }
    const body: Stmt[] = [];
    parts.body(body);
    if (ctx.continueFlag) {
      // reset at the start of every iteration
      const reset: Stmt[] = [];
      this.emitOp(reset, ctx.continueFlag, "copy", [{ kind: "const", value: false }], s);
      body.unshift(...reset);
    }
    const update: Stmt[] = [];
    if (parts.update) {
      if (ctx.breakFlag) {
        const go = this.newVar("", "bool", "temp");
        this.emitOp(update, go, "!", [ref(ctx.breakFlag)], s);
        const inner: Stmt[] = [];
        parts.update(inner);
        update.push({ kind: "if", cond: ref(go), then: inner, else: [], loc });
      } else {
        parts.update(update);
      }
    }
    this.depth--;
    this.frame.loops.shift();
    const pre: Stmt[] = [];
    if (ctx.breakFlag) this.emitOp(pre, ctx.breakFlag, "copy", [{ kind: "const", value: false }], s);
    out.push(...pre, { kind: "loop", header, cond, body, update, doWhile: parts.doWhile, loc });
  }

  /** A pattern bound to one element of a list or row of a matrix: a record's fields, an array's elements. */
  private destructureElement(pattern: ts.BindingPattern, el: { rec: Rec } | { arr: ArrayRef }, out: Stmt[], s: ts.ForOfStatement): void {
    if (ts.isObjectBindingPattern(pattern)) {
      if (!("rec" in el)) this.internal(s.initializer);
      this.lowerObjectDestructuring(pattern, el.rec, out);
    } else {
      if (!("arr" in el)) this.internal(s.initializer);
      this.destructureArray(pattern, el.arr, out);
    }
  }

  /**
   * `for (const v of xs) body` is `for (let i = 0; i < xs.length; i++) { const v = xs[i]; body }`;
   * over `xs.entries()` the pattern `[i, v]` takes the counter and the element, over `xs.keys()`
   * the variable takes the counter, and `xs.values()` is `xs`.
   */
  protected lowerForOf(s: ts.ForOfStatement, out: Stmt[]): void {
    const list = s.initializer as ts.VariableDeclarationList;
    const decl = list.declarations[0]!;
    const call = arrayIteration(s.expression);
    const walk = call && (this.isArrayExpression(call.recv) || this.holdsElements(call.recv)) ? call : undefined;
    const source = walk ? walk.recv : s.expression;
    const what = walk ? walk.name : "values";
    // the variables that take the index and the element
    // `for (const [x, y] of points)`, `for (const { w, b } of layers)`: each element destructured
    const pattern = what === "values" && !ts.isIdentifier(decl.name) ? decl.name : undefined;
    const names = pattern ? [] : ts.isArrayBindingPattern(decl.name) ? decl.name.elements.map((el) => (ts.isBindingElement(el) ? el.name as ts.Identifier : undefined)) : [decl.name as ts.Identifier];
    const [indexName, elementName] = what === "entries" ? names : what === "keys" ? [names[0], undefined] : [undefined, names[0]];
    // over a list: each element is a record (or an array) of the caller's, read at the counter
    // over a matrix built here: each row is a window of its flat array
    const matrix = this.matrixOf(source);
    const over = matrix ? undefined : this.listOf(source) ?? this.elementList(source, out);
    const arr = over === undefined && !matrix ? this.lowerArrayValue(source, out) : undefined;
    const n = matrix ? matrix.rows : arr === undefined ? this.step(out, "length", [ref(over!)], source, "num", "n") : this.arrayLength(out, arr, source);
    const hasExits = countJumps(s.statement, "break", s) > 0 || countJumps(s.statement, "continue", s) > 0 || countJumps(s.statement, "return", undefined) > 0;
    const counter = this.newVar("i", "num", "local");
    if (!hasExits) this.counters.add(counter);
    const bind = (body: Stmt[]) => {
      // a loop a helper runs is lowered at each call: the names are bound afresh
      for (const name of [indexName, elementName]) if (name) this.forget(this.symbolOf(name));
      if (indexName) {
        const i = this.newVar(indexName.text, "num", "local", indexName.text);
        this.env.set(this.symbolOf(indexName), ref(i));
        this.emitOp(body, i, "copy", [ref(counter)], s.initializer);
      }
      if (pattern) {
        for (const name of patternNames(pattern)) this.forget(this.symbolOf(name));
        if (matrix) return this.destructureElement(pattern, { arr: this.matrixRowRef(matrix, ref(counter), body, s.initializer) }, body, s);
        const shape = over === undefined ? undefined : this.vars.get(over)!.shape;
        if (!shape || shape.k !== "list") this.internal(s.expression);
        const el = this.elementValue(over!, ref(counter), [], shape.elem, body, s.initializer);
        return this.destructureElement(pattern, "rec" in el ? el : isVar(el.o) ? { arr: { array: el.o.name } } : this.internal(s.initializer), body, s);
      }
      if (!elementName) return;
      if (matrix) {
        this.views.set(this.symbolOf(elementName), this.matrixRowRef(matrix, ref(counter), body, s.initializer));
        return;
      }
      if (arr === undefined) {
        const shape = this.vars.get(over!)!.shape;
        if (!shape || shape.k !== "list") this.internal(s.expression);
        const el = this.elementValue(over!, ref(counter), [], shape.elem, body, s.initializer);
        if ("rec" in el) this.records.set(this.symbolOf(elementName), el.rec);
        else this.env.set(this.symbolOf(elementName), el.o);
        return;
      }
      const v = this.newVar(elementName.text, "num", "local", elementName.text);
      this.env.set(this.symbolOf(elementName), ref(v));
      const t = this.arrayLoad(body, arr, ref(counter), s.initializer);
      this.emitOp(body, v, "copy", [t], s.initializer);
    };
    if (!hasExits) {
      const body: Stmt[] = [];
      this.frame.loops.unshift({ node: s });
      this.depth++;
      bind(body);
      this.lowerStatements(blockOf(s.statement), 0, body);
      this.depth--;
      this.frame.loops.shift();
      this.defs.set(counter, 1);
      out.push({ kind: "for", counter, start: num(0), end: n, cmp: "<", step: 1, body, loc: this.loc(s) });
      return;
    }
    this.emitOp(out, counter, "copy", [num(0)], s);
    this.lowerGeneralLoop(s, out, {
      cond: (header) => this.step(header, "<", [ref(counter), n], s, "bool", ""),
      body: (body) => {
        bind(body);
        this.lowerStatements(blockOf(s.statement), 0, body);
      },
      update: (update) => this.emitOp(update, counter, "+", [ref(counter), num(1)], s),
      doWhile: false,
    });
  }
}

/** The names a binding pattern binds, nested patterns included. */
function patternNames(p: ts.BindingPattern): ts.Identifier[] {
  return p.elements.flatMap((el) => (ts.isOmittedExpression(el) ? [] : ts.isIdentifier(el.name) ? [el.name] : patternNames(el.name)));
}
