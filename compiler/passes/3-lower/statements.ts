/**
 * Lowering of statements, with jump elimination: break / continue / return are removed as the
 * statements are lowered. The rest of a block moves under the branch that does not jump; where a
 * branch only may jump, boolean flags (`done`, `broke`, `skip`) carry the exit and guard the rest.
 * Loops are lowered by loops.ts.
 */
import ts from "typescript";
import { type Stmt, type Operand, type Type, ref, num, isVar } from "../../ir/types.ts";
import { GrowthLowerer } from "./growing.ts";
import { markCheckpoint } from "./checkpoint.ts";
import { type Frame, type Rec, stripTypes } from "./env.ts";
import { type HelperFn, skipParens, annotatedType, isHostCall, isFunctionValue, isStraightLine } from "./resolve.ts";
import { foundElementSearch } from "./optional.ts";
import {
  type JumpKind, countJumps, definitelyJumps, definitelyReturns, blockOf, compoundOperator, isAssignmentOperator,
  jumpTarget,
} from "./jumps.ts";

export abstract class StatementLowerer extends GrowthLowerer {
  protected abstract lowerSwitch(s: ts.SwitchStatement, out: Stmt[]): void;
  protected abstract lowerLoop(s: ts.ForStatement | ts.WhileStatement | ts.DoStatement, out: Stmt[]): void;
  protected abstract lowerForOf(s: ts.ForOfStatement, out: Stmt[]): void;
  protected abstract lowerFoundElement(e: ts.CallExpression, out: Stmt[]): { rec: Rec; found: Operand };

  // ---------------------------------------------------------------- functions

  protected lowerFunctionBody(decl: HelperFn | ts.FunctionDeclaration, frame: Frame, out: Stmt[]): Operand {
    // an arrow function's expression body is its result
    if (!ts.isBlock(decl.body!)) return this.lowerExpr(decl.body as ts.Expression, out, "value");
    const body = decl.body;
    const stmts = body.statements;
    const startIndex = out.length;
    // Fast path: the last statement is the only return and no other return exists.
    const returns = countJumps(body, "return", undefined);
    const last = stmts[stmts.length - 1];
    if (returns === 1 && last && ts.isReturnStatement(last)) {
      this.lowerStatements(stmts.slice(0, -1), 0, out);
      if (!last.expression) this.internal(last);
      return this.lowerExpr(last.expression, out, "value");
    }
    // a predicate's (`xs.some(p)`) result may be a boolean
    const sig = this.checker.getSignatureFromDeclaration(decl);
    const boolean = !!sig && (this.checker.getReturnTypeOfSignature(sig).flags & (ts.TypeFlags.Boolean | ts.TypeFlags.BooleanLiteral)) !== 0;
    frame.resultVar = this.newVar("value", boolean ? "bool" : "num", "local");
    if (!definitelyReturns(body)) {
      this.internal(decl.name ?? decl);
    }
    this.lowerStatements(stmts, 0, out);
    if (frame.doneFlag) {
      const init: Stmt[] = [];
      this.emitOp(init, frame.doneFlag, "copy", [{ kind: "const", value: false }], decl);
      out.splice(startIndex, 0, ...init);
    }
    return ref(frame.resultVar);
  }

  // ---------------------------------------------------------------- statements

  protected lowerStatements(list: readonly ts.Statement[], from: number, out: Stmt[]): void {
    for (let i = from; i < list.length; i++) {
      const s = list[i];
      this.sizeBefore(s, out);
      if (ts.isReturnStatement(s) || ts.isBreakStatement(s) || ts.isContinueStatement(s)) {
        this.lowerJump(s, out);
        return; // the rest of the block is unreachable
      }
      const jumps = this.jumpsOut(s);
      if (jumps.size === 0) {
        this.lowerStatement(s, out);
        continue;
      }
      const rest = list.slice(i + 1);
      if (ts.isIfStatement(s) || ts.isBlock(s)) {
        this.lowerJumpingStatement(s, rest, out);
        return;
      }
      // a loop containing a return: run it, then the rest unless the function is done
      this.lowerStatement(s, out);
      this.lowerGuardedRest(jumps, rest, out, s);
      return;
    }
  }

  /** Jumps inside `s` that leave the block `s` is in (returns, and breaks/continues of enclosing loops). */
  protected jumpsOut(s: ts.Statement): Set<JumpKind> {
    const kinds = new Set<JumpKind>();
    const inner = this.frame.loops[0]?.node;
    if (countJumps(s, "return", undefined) > 0) kinds.add("return");
    // a jump to an enclosing loop or switch leaves the innermost one: a break of it
    if (inner && countJumps(s, "break", inner) > 0) kinds.add("break");
    if (inner && !ts.isSwitchStatement(inner) && countJumps(s, "continue", inner) > 0) kinds.add("continue");
    return kinds;
  }

  /** `if` (or block) that may jump: the rest of the block moves under the non-jumping branch. */
  protected lowerJumpingStatement(s: ts.IfStatement | ts.Block, rest: ts.Statement[], out: Stmt[]): void {
    if (ts.isBlock(s)) {
      this.lowerStatements([...s.statements, ...rest], 0, out);
      return;
    }
    const thenJumps = definitelyJumps(s.thenStatement);
    const elseJumps = s.elseStatement ? definitelyJumps(s.elseStatement) : false;
    const thenMay = this.jumpsOut(s.thenStatement).size > 0;
    const elseMay = s.elseStatement ? this.jumpsOut(s.elseStatement).size > 0 : false;
    const cond = this.lowerCondition(s.expression, out);
    const loc = this.loc(s);
    const thenOut: Stmt[] = [];
    const elseOut: Stmt[] = [];
    const branch = (stmt: ts.Statement | undefined, target: Stmt[], withRest: boolean) => {
      this.depth++;
      const body = stmt ? (ts.isBlock(stmt) ? [...stmt.statements] : [stmt]) : [];
      this.lowerStatements(withRest ? [...body, ...rest] : body, 0, target);
      this.depth--;
    };
    if (thenJumps || elseJumps || (!thenMay || !elseMay)) {
      // Each branch either jumps for sure, or never jumps: the rest goes where control falls through.
      const fallThen = !thenJumps && !thenMay;
      const fallElse = !elseJumps && !elseMay;
      if ((thenJumps || fallThen) && (elseJumps || fallElse)) {
        branch(s.thenStatement, thenOut, fallThen);
        branch(s.elseStatement, elseOut, fallElse);
        out.push({ kind: "if", cond, then: thenOut, else: elseOut, loc });
        return;
      }
    }
    // Some branch may or may not jump: lower it with flags, then guard the rest.
    const kinds = this.jumpsOut(s);
    if (kinds.has("return")) this.doneFlag();
    if (kinds.has("continue")) this.loopFlag("continue");
    branch(s.thenStatement, thenOut, false);
    branch(s.elseStatement, elseOut, false);
    out.push({ kind: "if", cond, then: thenOut, else: elseOut, loc });
    this.lowerGuardedRest(this.jumpsOut(s), rest, out, s);
  }

  /** `if (!(done || broke || continued)) { rest }` */
  protected lowerGuardedRest(kinds: Set<JumpKind>, rest: ts.Statement[], out: Stmt[], at: ts.Node): void {
    if (rest.length === 0) return;
    const flags: string[] = [];
    if (kinds.has("return")) flags.push(this.doneFlag());
    if (kinds.has("break")) flags.push(this.loopFlag("break"));
    if (kinds.has("continue")) flags.push(this.loopFlag("continue"));
    let any: Operand = ref(flags[0]);
    for (const f of flags.slice(1)) {
      const t = this.newVar("", "bool", "temp");
      this.emitOp(out, t, "||", [any, ref(f)], at);
      any = ref(t);
    }
    const go = this.newVar("", "bool", "temp");
    this.emitOp(out, go, "!", [any], at);
    const body: Stmt[] = [];
    this.depth++;
    this.lowerStatements(rest, 0, body);
    this.depth--;
    out.push({ kind: "if", cond: ref(go), then: body, else: [], loc: this.loc(at) });
  }

  protected doneFlag(): string {
    const f = this.frame;
    if (!f.doneFlag) f.doneFlag = this.newVar("done", "bool", "flag");
    return f.doneFlag;
  }

  protected loopFlag(kind: "break" | "continue"): string {
    if (kind === "break") {
      const inner = this.frame.loops[0];
      return (inner.breakFlag ??= this.newVar("broke", "bool", "flag"));
    }
    const loop = this.frame.loops.find((l) => !ts.isSwitchStatement(l.node))!;
    return (loop.continueFlag ??= this.newVar("skip", "bool", "flag"));
  }

  protected lowerJump(s: ts.ReturnStatement | ts.BreakStatement | ts.ContinueStatement, out: Stmt[]): void {
    const f = this.frame;
    const yes: Operand = { kind: "const", value: true };
    if (ts.isReturnStatement(s)) {
      if (!s.expression) this.internal(s);
      const value = this.lowerExpr(s.expression, out, "value");
      this.emitOp(out, f.resultVar!, "copy", [value], s);
      if (f.doneFlag) this.emitOp(out, f.doneFlag, "copy", [yes], s);
      for (const loop of f.loops) if (loop.breakFlag) this.emitOp(out, loop.breakFlag, "copy", [yes], s);
      return;
    }
    const target = jumpTarget(s);
    const at = f.loops.findIndex((l) => l.node === target);
    if (at < 0) this.internal(s);
    // leave every loop and switch inside the target, then break or continue the target
    for (const inner of f.loops.slice(0, at)) {
      if (inner.breakFlag) this.emitOp(out, inner.breakFlag, "copy", [yes], s);
      else if (!ts.isSwitchStatement(inner.node)) this.internal(s); // a switch lowered as branches needs no flag
    }
    const loop = f.loops[at];
    if (ts.isBreakStatement(s)) {
      if (loop.breakFlag) this.emitOp(out, loop.breakFlag, "copy", [yes], s);
    } else if (loop.continueFlag) {
      this.emitOp(out, loop.continueFlag, "copy", [yes], s);
    }
  }

  protected lowerStatement(s: ts.Statement, out: Stmt[]): void {
    if (ts.isVariableStatement(s)) {
      for (const d of s.declarationList.declarations) this.lowerDeclaration(d, s.declarationList, out);
      return;
    }
    if (ts.isExpressionStatement(s)) {
      this.lowerExpressionStatement(s.expression, out);
      return;
    }
    if (ts.isIfStatement(s)) {
      const cond = this.lowerCondition(s.expression, out);
      // a condition known here (a choice passed as one of its strings): only its side runs
      if (cond.kind === "const") {
        const taken = cond.value ? s.thenStatement : s.elseStatement;
        if (taken) this.lowerStatements(blockOf(taken), 0, out);
        return;
      }
      const thenOut: Stmt[] = [];
      const elseOut: Stmt[] = [];
      this.depth++;
      this.lowerStatements(blockOf(s.thenStatement), 0, thenOut);
      if (s.elseStatement) this.lowerStatements(blockOf(s.elseStatement), 0, elseOut);
      this.depth--;
      out.push({ kind: "if", cond, then: thenOut, else: elseOut, loc: this.loc(s) });
      return;
    }
    if (ts.isBlock(s)) {
      this.lowerStatements(s.statements, 0, out);
      return;
    }
    // as a local closure, a nested function is inlined at each call: its declaration computes nothing
    if (ts.isEmptyStatement(s) || ts.isFunctionDeclaration(s)) return;
    if (ts.isForStatement(s) || ts.isWhileStatement(s) || ts.isDoStatement(s)) {
      this.lowerLoop(s, out);
      markCheckpoint(s, out);
      return;
    }
    if (ts.isForOfStatement(s)) {
      this.lowerForOf(s, out);
      markCheckpoint(s, out);
      return;
    }
    if (ts.isSwitchStatement(s)) {
      this.lowerSwitch(s, out);
      return;
    }
    if (ts.isLabeledStatement(s)) {
      // the label is resolved by each jump to its statement (jumps.ts)
      this.lowerStatement(s.statement, out);
      return;
    }
    if (ts.isThrowStatement(s)) {
      out.push({ kind: "throw", value: this.lowerHost(s.expression!, out), loc: this.loc(s) });
      return;
    }
    this.internal(s);
  }

  protected lowerDeclaration(d: ts.VariableDeclaration, list: ts.VariableDeclarationList, out: Stmt[]): void {
    if (ts.isArrayBindingPattern(d.name) && d.initializer) {
      this.lowerArrayDestructuring(d.name, d.initializer, out);
      return;
    }
    if (ts.isObjectBindingPattern(d.name) && d.initializer && this.isArrayExpression(d.initializer)) {
      // `const { length } = xs` (or `{ length: n }`, the fence checks): the array's length
      const a = this.lowerArrayRef(d.initializer, out);
      for (const el of d.name.elements) {
        if (!ts.isIdentifier(el.name)) this.internal(el);
        const v = this.newVar(el.name.text, "num", "local", el.name.text);
        this.emitOp(out, v, "copy", [this.arrayLength(out, a, el)], el);
        this.env.set(this.symbolOf(el.name), ref(v));
      }
      return;
    }
    if (ts.isObjectBindingPattern(d.name) && d.initializer) {
      this.lowerObjectDestructuring(d.name, this.lowerRecord(d.initializer, out, "obj"), out);
      return;
    }
    if (!ts.isIdentifier(d.name)) this.internal(d);
    if (!(list.flags & (ts.NodeFlags.Let | ts.NodeFlags.Const))) this.internal(d);
    const sym = this.symbolOf(d.name);
    // a helper's declaration is lowered at each call, and may bind its name to another kind
    this.forget(sym);
    const init = d.initializer && skipParens(d.initializer);
    // a local closure is inlined at each call (inline.ts): its declaration computes nothing
    if (init && isFunctionValue(stripTypes(init))) return;
    // `const mode = opts.mode ?? "sum"`: another name of a choice among strings, its booleans
    const choice = init && this.choiceOf(init);
    if (choice) {
      this.choices.set(sym, choice);
      return;
    }
    // `const seg = segs.find(p)`: the element found, and whether there is one
    if (init && foundElementSearch(d.name, this.checker)) {
      const { rec, found } = this.lowerFoundElement(stripTypes(init) as ts.CallExpression, out);
      this.records.set(sym, rec);
      this.givens.set(sym, found);
      return;
    }
    if (init && this.isRecordExpression(init)) {
      const rec = this.lowerRecord(init, out, d.name.text);
      // `let p = q` of an object passed in, which a later `p = { … }` rebinds: its numbers copied,
      // so that the rebinding writes p's own variables and q keeps its values
      const e = stripTypes(init);
      const rebindable = (list.flags & ts.NodeFlags.Let) !== 0 && (ts.isIdentifier(e) || ts.isPropertyAccessExpression(e) || ts.isElementAccessExpression(e));
      this.records.set(sym, rebindable ? this.recordCopy(rec, d.name.text, out, init) : rec);
      return;
    }
    // a matrix of rows built here: one flat array (matrices.ts)
    if (this.lowerMatrixDeclaration(d as ts.VariableDeclaration & { name: ts.Identifier }, sym, out)) return;
    // another name of a list (`const layers = p.layers`), which is the caller's
    const alias = init && (this.listOf(init) ?? this.elementList(init, out));
    if (alias !== undefined) {
      this.env.set(sym, ref(alias));
      return;
    }
    // the annotation's type, else the initialiser's
    const annotated = annotatedType(d, this.checker);
    if (annotated === "other") this.internal(d);
    const arms = init && stripTypes(init);
    const chooses = !!arms && ts.isConditionalExpression(arms) && this.isArrayExpression(arms.whenTrue) && this.isArrayExpression(arms.whenFalse);
    if (init && (annotated === "arr" || (annotated === undefined && (chooses || this.isArrayExpression(init))))) {
      this.lowerArrayDeclaration(d as ts.VariableDeclaration & { name: ts.Identifier }, init, sym, out);
      return;
    }
    const type = annotated ?? "num";
    const name = this.newVar(d.name.text, type, "local", d.name.text);
    this.env.set(sym, ref(name));
    if (d.initializer) {
      const t = this.assignTo(name, d.initializer, out, d);
      if (annotated === undefined) this.vars.get(name)!.type = t;
    }
  }

  /**
   * `const y = <array>`: a new array is allocated into `y`; a window or another name of an
   * existing array binds `y` to it (writes through `y` go to that array, as in JavaScript).
   */
  protected lowerArrayDeclaration(d: ts.VariableDeclaration & { name: ts.Identifier }, init: ts.Expression, sym: ts.Symbol, out: Stmt[]): void {
    const choice = stripTypes(init);
    if (ts.isConditionalExpression(choice)) {
      // `const h = c ? a : b`: an array of its own, given the chosen arm's elements (the fence
      // checked that no other name refers to the arm's array after the declaration)
      const own = this.newVar(d.name.text, "arr", "local", d.name.text);
      this.allocate(out, own, num(0), d);
      this.env.set(sym, ref(own));
      this.rebindByChoice(d.name, choice, out, d);
      return;
    }
    const name = this.newVar(d.name.text, "arr", "local", d.name.text);
    const r = this.lowerArrayValue(init, out, name);
    const literal = stripTypes(init);
    if (r.array === name && r.offset === undefined) {
      // an array that grows by push is a window of its count
      // (its literal's length: the elements, and the spread arrays' lengths)
      const length = (l: ts.ArrayLiteralExpression) => (l.elements.some(ts.isSpreadElement) ? this.arrayLength(out, r, d) : num(l.elements.length));
      if (ts.isArrayLiteralExpression(literal) && this.declareGrowing(d, sym, name, length(literal), out)) return;
      this.env.set(sym, ref(name));
      return;
    }
    if ((d.parent.flags & ts.NodeFlags.Let) !== 0 && this.reboundInRegion(sym)) {
      // `let h = x`, rebound in a loop or a branch (the fence checked that neither name writes
      // the array): h starts as a copy, which the rebinding can replace
      this.copyOf(r, out, d, (size) => {
        this.allocate(out, name, size, d);
        return { array: name };
      });
      this.env.set(sym, ref(name));
      return;
    }
    this.vars.delete(name);
    this.defs.delete(name);
    if (r.offset === undefined && r.length === undefined) this.env.set(sym, ref(r.array));
    else this.views.set(sym, r);
  }

  /**
   * `y = c ? a : b` of an array name (the fence checked): `if (c) y = a; else y = b;`, each arm
   * rebinding the name as in a branch.
   */
  protected rebindByChoice(left: ts.Identifier, c: ts.ConditionalExpression, out: Stmt[], at: ts.Node): string {
    const cond = this.lowerCondition(c.condition, out);
    if (cond.kind === "const") return this.rebindByCopy(left, cond.value ? c.whenTrue : c.whenFalse, out, at);
    const thenOut: Stmt[] = [];
    const elseOut: Stmt[] = [];
    this.depth++;
    const name = this.rebindByCopy(left, c.whenTrue, thenOut, at);
    this.rebindByCopy(left, c.whenFalse, elseOut, at);
    this.depth--;
    out.push({ kind: "if", cond, then: thenOut, else: elseOut, loc: this.loc(this.stmtOf(at)) });
    return name;
  }

  /** Whether the function assigns `sym` inside a loop or a branch (or one of two arrays, `y = c ? a : b`). */
  private reboundInRegion(sym: ts.Symbol): boolean {
    const decl = this.frame.decl;
    const visit = (n: ts.Node): boolean => {
      if (ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
        const left = stripTypes(n.left);
        if (ts.isIdentifier(left) && this.checker.getSymbolAtLocation(left) === sym && (!isStraightLine(n, decl) || ts.isConditionalExpression(stripTypes(n.right)))) return true;
      }
      return ts.forEachChild(n, visit) ?? false;
    };
    return visit(decl);
  }

  /** Lowers `expr` into the variable `name` (no temporary for the outermost step); returns its type. */
  protected assignTo(name: string, expr: ts.Expression, out: Stmt[], at: ts.Node): Type {
    const type = this.vars.get(name)!.type;
    if (type === "arr") {
      const e = skipParens(expr);
      const ints = this.vars.get(name)!.ints;
      if (ts.isNewExpression(e) && ts.isIdentifier(e.expression) && e.expression.text === (ints ?? "Float64Array")) {
        const args = e.arguments ?? [];
        if (args.length !== 1) this.internal(e);
        const size = this.lowerExpr(args[0], out, "n");
        if (this.typeOfOperand(size) !== "num") this.internal(args[0]);
        this.allocate(out, name, size, at, ints);
        return "arr";
      }
      this.internal(expr);
    }
    const before = out.length;
    const value = this.lowerExpr(expr, out, name);
    const valueType = this.typeOfOperand(value);
    // Retarget the last step when it produced a fresh temporary: `const a = x / y` is one step.
    const last = out[out.length - 1];
    if (out.length > before && isVar(value) && last.kind !== "if" && last.kind !== "for" && last.kind !== "loop"
      && "target" in last && last.target === value.name && this.vars.get(value.name)!.kind === "temp"
      && (this.defs.get(name) ?? 0) === 0) {
      this.vars.delete(value.name);
      this.defs.delete(value.name);
      last.target = name;
      this.loads.renamed(value.name, name);
      this.defs.set(name, 1);
      return valueType;
    }
    this.emitOp(out, name, "copy", [value], at);
    return valueType;
  }

  protected lowerExpressionStatement(e: ts.Expression, out: Stmt[]): void {
    e = skipParens(e);
    if (this.lowerPush(e, out)) return;
    if (ts.isBinaryExpression(e) && isAssignmentOperator(e.operatorToken.kind)) {
      const left = skipParens(e.left);
      if (ts.isArrayLiteralExpression(left)) return this.lowerDestructuringAssignment(left, e.right, out, e);
      this.lowerAssignment(e.left, e.operatorToken.kind, e.right, out, e);
      return;
    }
    if ((ts.isPostfixUnaryExpression(e) || ts.isPrefixUnaryExpression(e))
      && (e.operator === ts.SyntaxKind.PlusPlusToken || e.operator === ts.SyntaxKind.MinusMinusToken)) {
      const one = ts.factory.createNumericLiteral(1);
      this.lowerAssignment(e.operand, e.operator === ts.SyntaxKind.PlusPlusToken ? ts.SyntaxKind.PlusEqualsToken : ts.SyntaxKind.MinusEqualsToken, one, out, e);
      return;
    }
    if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.CommaToken) {
      this.lowerExpressionStatement(e.left, out);
      this.lowerExpressionStatement(e.right, out);
      return;
    }
    if (ts.isCallExpression(e) && this.lowerArrayStatement(e, out)) return;
    if (ts.isCallExpression(e) && isHostCall(e, this.checker)) {
      out.push({ kind: "effect", value: this.lowerHost(e, out), loc: this.loc(this.stmtOf(e)) });
      return;
    }
    if (ts.isCallExpression(e)) {
      this.lowerCall(e, out, true);
      return;
    }
    this.internal(e);
  }

  /**
   * `[a, b] = [b, a]` (the fence checked): every value read first (a literal's elements, each held
   * in a temporary of its own, or an array's elements), then assigned to the targets in order.
   */
  private lowerDestructuringAssignment(left: ts.ArrayLiteralExpression, right: ts.Expression, out: Stmt[], at: ts.Node): void {
    const value = stripTypes(right);
    let values: Operand[];
    if (ts.isArrayLiteralExpression(value)) values = value.elements.map((x) => this.held(this.lowerExpr(x, out, ""), out, at));
    else {
      const src = this.lowerArrayValue(right, out);
      values = left.elements.map((_, i) => this.held(this.arrayLoad(out, src, num(i), at), out, at));
    }
    left.elements.forEach((t, i) => {
      if (!ts.isOmittedExpression(t)) this.lowerAssignment(t, ts.SyntaxKind.EqualsToken, right, out, at, values[i]!);
    });
  }

  /**
   * Lowers an assignment; returns the value assigned (what the assignment expression evaluates to).
   * `value`, when given, is the value of `right`, already computed (a destructuring assignment's).
   */
  protected lowerAssignment(left: ts.Expression, opKind: ts.SyntaxKind, right: ts.Expression, out: Stmt[], at: ts.Node, value?: Operand): Operand {
    left = skipParens(left);
    const binop = compoundOperator(opKind);
    if (binop === "unsupported") this.internal(at);
    if ((binop === "||" || binop === "&&") && value === undefined) {
      // `x ||= e` of a variable or a field (the fence checked): `x = x || e`, which assigns x to
      // itself when x decides, a change of nothing
      if (!ts.isBinaryExpression(at)) this.internal(at);
      const old = this.lowerExpr(left, out, "");
      const chosen = this.typeOfOperand(old) === "num" ? this.lowerChoice(binop, old, at, out, "") : this.step(out, binop, [old, this.lowerExpr(right, out, "")], at, "bool", "");
      return this.lowerAssignment(left, ts.SyntaxKind.EqualsToken, right, out, at, chosen);
    }
    const slot = this.slotOf(left);
    if (ts.isIdentifier(left) || slot) {
      // a variable, or a number field of a record (`s.a = …`)
      const sym = slot ?? this.symbolOf(left);
      const hint = slot ? slot.name.replace(/\./g, "_") : (left as ts.Identifier).text;
      const cur = this.env.get(sym);
      if (!slot && binop === undefined && (this.views.has(sym) || (cur && isVar(cur) && this.vars.get(cur.name)!.type === "arr"))) {
        // `y = c ? a : b`: one of two arrays, which one known only when the code runs
        const choice = stripTypes(right);
        if (ts.isConditionalExpression(choice)) return ref(this.rebindByChoice(left as ts.Identifier, choice, out, at));
        if (!isStraightLine(at, this.frame.decl)) return ref(this.rebindByCopy(left as ts.Identifier, right, out, at));
        // `y = <array>` in straight-line code (the fence checked): the name is bound to the new array
        const r = this.lowerArrayValue(right, out);
        this.views.delete(sym);
        if (r.offset === undefined && r.length === undefined) this.env.set(sym, ref(r.array));
        else this.views.set(sym, r);
        return ref(r.array);
      }
      const rec = slot ? undefined : this.records.get(sym as ts.Symbol);
      if (rec && binop === undefined) return this.rebindRecord(rec, right, out, at, hint);
      if (!cur) this.internal(left);
      if (isVar(cur) && this.vars.get(cur.name)!.type === "arr") this.internal(left);
      if (binop === undefined) {
        const rhs = value ?? this.lowerExpr(right, out, hint);
        const target = this.writeTarget(sym, left);
        // x = x changes nothing
        if (!(isVar(rhs) && rhs.name === target)) this.emitOp(out, target, "copy", [rhs], at);
        return ref(target);
      }
      const rhs = this.lowerRhs(right, out);
      const target = this.writeTarget(sym, left);
      const selfUpdate = target === (cur as { name: string }).name;
      if (selfUpdate && (binop !== "+" && binop !== "-" || (isVar(rhs) && rhs.name === target))) {
        // Only `s = s ± e` may update a variable in place (its adjoint passes d_s through
        // unchanged); anything else goes through a temporary, so the reverse sweep sees the
        // old value and the new one separately.
        const t = this.newVar("", "num", "temp");
        this.emitOp(out, t, binop, [cur, rhs], at);
        this.emitOp(out, target, "copy", [ref(t)], at);
        return ref(target);
      }
      this.emitOp(out, target, binop, [cur, rhs], at);
      return ref(target);
    }
    if (ts.isElementAccessExpression(left)) {
      const arr = this.lowerArrayRef(left.expression, out);
      const index = this.lowerExpr(left.argumentExpression, out, "i");
      let stored: Operand;
      if (binop === undefined) {
        stored = value ?? this.lowerExpr(right, out, "v");
      } else {
        const old = this.arrayLoad(out, arr, index, at);
        const rhs = this.lowerRhs(right, out);
        const t = this.newVar("", "num", "temp");
        this.emitOp(out, t, binop, [old, rhs], at);
        stored = ref(t);
      }
      this.arrayStore(out, arr, index, stored, at);
      return stored;
    }
    return this.internal(left);
  }

  /**
   * `p = { … }` or `p = f(…)` for a record of numbers `p` (the fence checked that nothing else
   * refers to either object): the new object is made, then its numbers are copied into `p`'s
   * fields, so a loop that rebinds `p` carries one variable per field. As a statement, its value
   * is not used.
   */
  private rebindRecord(rec: Rec, right: ts.Expression, out: Stmt[], at: ts.Node, hint: string): Operand {
    const fresh = this.lowerRecord(right, out, hint);
    for (const [name, f] of rec.fields) {
      const g = fresh.fields.get(name);
      if (!("slot" in f) || !g || !("slot" in g)) return this.internal(at);
      const v = this.env.get(g.slot) ?? this.internal(at);
      const target = this.writeTarget(f.slot, at);
      if (!(isVar(v) && v.name === target)) this.emitOp(out, target, "copy", [v], at);
    }
    return num(NaN);
  }

  protected lowerRhs(right: ts.Expression | ts.NumericLiteral, out: Stmt[]): Operand {
    if (!right.parent) return num(Number((right as ts.NumericLiteral).text));
    return this.lowerExpr(right, out, "");
  }
}
