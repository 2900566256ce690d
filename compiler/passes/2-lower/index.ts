/**
 * Pass 2, lower: TypeScript function bodies to the IR (see ir/types.ts).
 *
 * In:  an annotated function (pass 1) and the type checker.
 * Out: an IRFunction whose leaves are single-primitive steps and whose regions are structured,
 *      or a DiagnosticError naming the first unsupported construct.
 *
 * - Every expression node becomes one step writing a fresh temporary; `const a = x / y` writes
 *   `a` directly. Evaluation order is the source's, so values are bit-identical.
 * - Outside any region (branch or loop), reassigning a variable starts a new version (`x_1`), so
 *   straight-line code is pure SSA and the reverse pass never saves anything there.
 * - Helpers (functions called from a differentiable function, in the same module or imported from
 *   a relative module) are inlined: their kept values then flow to the reverse sweep like any
 *   other intermediate, without re-running them. Recursion is reported.
 * - break / continue / return are removed: the rest of a block moves under the branch that does
 *   not jump; where a branch only may jump, boolean flags carry the exit.
 */
import path from "node:path";
import ts from "typescript";
import { Codes, type Code, DiagnosticError, diagnosticAt } from "../../diagnostics.ts";
import {
  type IRFunction, type Stmt, type Operand, type Type, type VarInfo, type Loc,
  ref, num, isVar,
} from "../../ir/types.ts";
import { Names } from "../../naming.ts";
import { MATH_CONSTANTS, ruleFor, supportedMathFunctions } from "../../rules/index.ts";
import { ARRAY_RULES, arrayRuleFor } from "../../rules/blas.ts";
import { type AnnotatedFunction, irTypeOf } from "../1-parse/index.ts";

export interface LowerOptions {
  checker: ts.TypeChecker;
}

/** Per function invocation (the annotated function, or one inlined helper call). */
interface Frame {
  decl: ts.FunctionDeclaration;
  sf: ts.SourceFile;
  /** Variable the result is written to when a return is not in tail position. */
  resultVar?: string;
  /** Flag set by a `return` that must skip later code. */
  doneFlag?: string;
  /** Innermost loop first. */
  loops: LoopCtx[];
}

interface LoopCtx {
  node: ts.IterationStatement;
  breakFlag?: string;
  continueFlag?: string;
}

type JumpKind = "return" | "break" | "continue";

const LOOP_KINDS = new Set([
  ts.SyntaxKind.ForStatement, ts.SyntaxKind.WhileStatement, ts.SyntaxKind.DoStatement,
]);

export function lower(fn: AnnotatedFunction, opts: LowerOptions): IRFunction {
  return new Lowerer(fn, opts.checker).run();
}

class Lowerer {
  private names = new Names();
  private vars = new Map<string, VarInfo>();
  /** Source symbol -> operand currently holding its value. */
  private env = new Map<ts.Symbol, Operand>();
  /** Number of definitions seen per IR variable. */
  private defs = new Map<string, number>();
  private depth = 0; // region nesting: 0 = straight-line code of the outermost function
  private frames: Frame[] = [];

  constructor(private fn: AnnotatedFunction, private checker: ts.TypeChecker) {}

  run(): IRFunction {
    const { decl, sourceFile: sf } = this.fn;
    this.reserveIdentifiers(decl);
    const params: { name: string; type: Type }[] = [];
    for (const p of decl.parameters) {
      const name = (p.name as ts.Identifier).text;
      const info = this.fn.params.find((q) => q.name === name)!;
      this.names.claim(name);
      this.vars.set(name, { name, type: info.type, kind: "param", origin: name });
      this.defs.set(name, 1);
      this.env.set(this.symbolOf(p.name), ref(name));
      params.push({ name, type: info.type });
    }
    const frame: Frame = { decl, sf, loops: [] };
    this.frames.push(frame);
    const body: Stmt[] = [];
    if (this.fn.outputs.length > 0) {
      const early = findReturn(decl.body!);
      if (early) this.fail(Codes.UnsupportedSyntax, `'return' in '${this.fn.name}', which writes its results into @out parameters, is not supported: let control reach the end of the function.`, early);
    }
    const result: Operand = this.fn.outputs.length > 0 ? (this.lowerStatements(decl.body!.statements, 0, body), num(0)) : this.lowerFunctionBody(decl, frame, body);
    this.frames.pop();
    return {
      name: this.fn.name,
      file: sf.fileName,
      params,
      wrt: this.fn.wrt,
      outputs: this.fn.outputs,
      vars: this.vars,
      body,
      result,
      loc: this.loc(decl),
      names: this.names,
    };
  }

  // ---------------------------------------------------------------- helpers

  private fail(code: Code, message: string, node: ts.Node): never {
    throw new DiagnosticError(diagnosticAt(code, message, node, node.getSourceFile() ?? this.frame.sf));
  }

  private get frame(): Frame {
    return this.frames[this.frames.length - 1];
  }

  private reserveIdentifiers(node: ts.Node): void {
    const visit = (n: ts.Node) => {
      if (ts.isIdentifier(n)) this.names.reserve(n.text);
      ts.forEachChild(n, visit);
    };
    visit(node);
  }

  private symbolOf(node: ts.Node): ts.Symbol {
    const s = this.checker.getSymbolAtLocation(node);
    if (!s) this.fail(Codes.UnsupportedSyntax, `Cannot resolve '${node.getText()}'.`, node);
    return s;
  }

  private loc(node: ts.Node): Loc {
    const sf = node.getSourceFile();
    const start = node.getStart(sf);
    const { line, character } = sf.getLineAndCharacterOfPosition(start);
    const text = sf.text.slice(start, node.getEnd()).split("\n")[0].trim();
    return { file: sf.fileName, line: line + 1, col: character + 1, text };
  }

  private newVar(hint: string, type: Type, kind: VarInfo["kind"], origin?: string): string {
    const name = kind === "temp" ? this.names.temp() : origin !== undefined ? this.names.claim(origin) : this.names.fresh(hint);
    this.vars.set(name, { name, type, kind, origin });
    this.defs.set(name, 0);
    return name;
  }

  private typeOfOperand(o: Operand): Type {
    if (isVar(o)) return this.vars.get(o.name)!.type;
    return typeof o.value === "boolean" ? "bool" : "num";
  }

  private emitOp(out: Stmt[], target: string, op: string, args: Operand[], node: ts.Node): void {
    out.push({ kind: "op", target, op, args, loc: this.loc(this.stmtOf(node)) });
    this.defs.set(target, (this.defs.get(target) ?? 0) + 1);
  }

  /** The statement enclosing an expression node (locations point at statements). */
  private stmtOf(node: ts.Node): ts.Node {
    let n: ts.Node = node;
    while (n.parent && !ts.isStatement(n) && !ts.isSourceFile(n.parent)) n = n.parent;
    return n;
  }

  // ---------------------------------------------------------------- functions

  private lowerFunctionBody(decl: ts.FunctionDeclaration, frame: Frame, out: Stmt[]): Operand {
    const stmts = decl.body!.statements;
    const startIndex = out.length;
    // Fast path: the last statement is the only return and no other return exists.
    const returns = countJumps(decl.body!, "return", undefined);
    const last = stmts[stmts.length - 1];
    if (returns === 1 && last && ts.isReturnStatement(last)) {
      this.lowerStatements(stmts.slice(0, -1), 0, out);
      if (!last.expression) this.fail(Codes.MissingReturn, "A differentiable function must return a number.", last);
      return this.lowerExpr(last.expression, out, "value");
    }
    frame.resultVar = this.newVar("value", "num", "local");
    if (!definitelyReturns(decl.body!)) {
      this.fail(Codes.MissingReturn, `Not every path through '${decl.name?.text}' returns a value: add a return at the end.`, decl.name ?? decl);
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

  private lowerStatements(list: readonly ts.Statement[], from: number, out: Stmt[]): void {
    for (let i = from; i < list.length; i++) {
      const s = list[i];
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
  private jumpsOut(s: ts.Statement): Set<JumpKind> {
    const kinds = new Set<JumpKind>();
    const loop = this.frame.loops[0]?.node;
    if (countJumps(s, "return", undefined) > 0) kinds.add("return");
    if (loop && countJumps(s, "break", loop) > 0) kinds.add("break");
    if (loop && countJumps(s, "continue", loop) > 0) kinds.add("continue");
    return kinds;
  }

  /** `if` (or block) that may jump: the rest of the block moves under the non-jumping branch. */
  private lowerJumpingStatement(s: ts.IfStatement | ts.Block, rest: ts.Statement[], out: Stmt[]): void {
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
  private lowerGuardedRest(kinds: Set<JumpKind>, rest: ts.Statement[], out: Stmt[], at: ts.Node): void {
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

  private doneFlag(): string {
    const f = this.frame;
    if (!f.doneFlag) f.doneFlag = this.newVar("done", "bool", "flag");
    return f.doneFlag;
  }

  private loopFlag(kind: "break" | "continue"): string {
    const loop = this.frame.loops[0];
    if (kind === "break") return (loop.breakFlag ??= this.newVar("broke", "bool", "flag"));
    return (loop.continueFlag ??= this.newVar("skip", "bool", "flag"));
  }

  private lowerJump(s: ts.ReturnStatement | ts.BreakStatement | ts.ContinueStatement, out: Stmt[]): void {
    const f = this.frame;
    const yes: Operand = { kind: "const", value: true };
    if (ts.isReturnStatement(s)) {
      if (!s.expression) this.fail(Codes.MissingReturn, "A differentiable function must return a number.", s);
      const value = this.lowerExpr(s.expression, out, "value");
      this.emitOp(out, f.resultVar!, "copy", [value], s);
      if (f.doneFlag) this.emitOp(out, f.doneFlag, "copy", [yes], s);
      for (const loop of f.loops) if (loop.breakFlag) this.emitOp(out, loop.breakFlag, "copy", [yes], s);
      return;
    }
    if (s.label) this.fail(Codes.UnsupportedSyntax, "Labelled break/continue is not supported: restructure the loops or use a flag.", s);
    const loop = f.loops[0];
    if (!loop) this.fail(Codes.UnsupportedSyntax, "break/continue outside a loop.", s);
    if (ts.isBreakStatement(s)) this.emitOp(out, loop.breakFlag!, "copy", [yes], s);
    else if (loop.continueFlag) this.emitOp(out, loop.continueFlag, "copy", [yes], s);
  }

  private lowerStatement(s: ts.Statement, out: Stmt[]): void {
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
    if (ts.isEmptyStatement(s)) return;
    if (ts.isForStatement(s) || ts.isWhileStatement(s) || ts.isDoStatement(s)) {
      this.lowerLoop(s, out);
      return;
    }
    if (ts.isLabeledStatement(s)) {
      this.fail(Codes.UnsupportedSyntax, "A labelled statement is not supported: restructure the loops (for example move the inner loop into a helper) or use a flag to leave them.", s);
    }
    if (ts.isFunctionDeclaration(s)) {
      this.fail(Codes.Closure, `Nested function '${s.name?.text ?? ""}' is a closure: move it to module level so it can be differentiated as a helper.`, s);
    }
    this.fail(Codes.UnsupportedSyntax, `${describeSyntax(s)} is not supported in a differentiable function: use if/else, for, while and do-while loops, and arithmetic on numbers and Float64Arrays.`, s);
  }

  private lowerDeclaration(d: ts.VariableDeclaration, list: ts.VariableDeclarationList, out: Stmt[]): void {
    if (!ts.isIdentifier(d.name)) this.fail(Codes.UnsupportedSyntax, "Destructuring declarations are not supported: declare one variable at a time.", d);
    if (!(list.flags & (ts.NodeFlags.Let | ts.NodeFlags.Const))) this.fail(Codes.UnsupportedSyntax, "'var' declarations are not supported: use 'let' or 'const'.", d);
    const sym = this.symbolOf(d.name);
    const init = d.initializer && skipParens(d.initializer);
    if (init && (ts.isArrowFunction(init) || ts.isFunctionExpression(init))) {
      this.fail(Codes.Closure, `'${d.name.text}' is a function expression (a closure), which cannot be differentiated: write a module-level helper function and call it.`, init);
    }
    if (init && ts.isArrayLiteralExpression(init)) {
      this.fail(Codes.UnsupportedSyntax, `An array literal is not supported: allocate 'new Float64Array(${init.elements.length})' and assign its elements.`, init);
    }
    if (init && ts.isObjectLiteralExpression(init)) {
      this.fail(Codes.UnsupportedSyntax, `An object literal is not supported in a differentiable function: use separate number variables, or a Float64Array.`, init);
    }
    const type = irTypeOf(this.checker.getTypeAtLocation(d.name), this.checker);
    if (!type) {
      this.fail(Codes.NonNumericParameter, `Variable '${d.name.text}' has type '${this.checker.typeToString(this.checker.getTypeAtLocation(d.name))}': only number, boolean and Float64Array values are supported in a differentiable function.`, d);
    }
    const name = this.newVar(d.name.text, type, "local", d.name.text);
    this.env.set(sym, ref(name));
    if (d.initializer) this.assignTo(name, d.initializer, out, d);
  }

  /** Lowers `expr` into the variable `name` (no temporary for the outermost step). */
  private assignTo(name: string, expr: ts.Expression, out: Stmt[], at: ts.Node): void {
    const type = this.vars.get(name)!.type;
    if (type === "arr") {
      const e = skipParens(expr);
      if (ts.isNewExpression(e) && ts.isIdentifier(e.expression) && e.expression.text === "Float64Array") {
        const args = e.arguments ?? [];
        if (args.length !== 1) this.fail(Codes.UnsupportedSyntax, "new Float64Array(...) takes one argument, the length.", e);
        const size = this.lowerExpr(args[0], out, "n");
        if (this.typeOfOperand(size) !== "num") this.fail(Codes.UnsupportedSyntax, "new Float64Array(...) takes a length; copying from an array is not supported: allocate and copy in a loop.", args[0]);
        out.push({ kind: "alloc", target: name, size, loc: this.loc(this.stmtOf(at)) });
        this.defs.set(name, (this.defs.get(name) ?? 0) + 1);
        return;
      }
      this.fail(Codes.UnsupportedSyntax, "A Float64Array variable must be initialised with 'new Float64Array(length)'; aliasing another array is not supported.", expr);
    }
    const before = out.length;
    const value = this.lowerExpr(expr, out, name);
    // Retarget the last step when it produced a fresh temporary: `const a = x / y` is one step.
    const last = out[out.length - 1];
    if (out.length > before && isVar(value) && last.kind !== "if" && last.kind !== "for" && last.kind !== "loop"
      && "target" in last && last.target === value.name && this.vars.get(value.name)!.kind === "temp"
      && (this.defs.get(name) ?? 0) === 0) {
      this.vars.delete(value.name);
      this.defs.delete(value.name);
      last.target = name;
      this.defs.set(name, 1);
      return;
    }
    this.emitOp(out, name, "copy", [value], at);
  }

  /** Target variable for a write to `sym`: a new version in straight-line code, else the same. */
  private writeTarget(sym: ts.Symbol, node: ts.Node): string {
    const cur = this.env.get(sym);
    if (!cur || !isVar(cur)) this.fail(Codes.UnsupportedSyntax, `Cannot assign to '${node.getText()}'.`, node);
    const info = this.vars.get(cur.name)!;
    if (this.depth === 0 && (this.defs.get(cur.name) ?? 0) > 0) {
      const v = this.newVar(info.origin ?? cur.name, info.type, info.kind === "param" ? "local" : info.kind, info.origin);
      this.env.set(sym, ref(v));
      return v;
    }
    return cur.name;
  }

  private lowerExpressionStatement(e: ts.Expression, out: Stmt[]): void {
    e = skipParens(e);
    if (ts.isBinaryExpression(e) && isAssignmentOperator(e.operatorToken.kind)) {
      this.lowerAssignment(e.left, e.operatorToken.kind, e.right, out, e);
      return;
    }
    if ((ts.isPostfixUnaryExpression(e) || ts.isPrefixUnaryExpression(e))
      && (e.operator === ts.SyntaxKind.PlusPlusToken || e.operator === ts.SyntaxKind.MinusMinusToken)) {
      const one = ts.factory.createNumericLiteral(1);
      this.lowerAssignment(e.operand, e.operator === ts.SyntaxKind.PlusPlusToken ? ts.SyntaxKind.PlusEqualsToken : ts.SyntaxKind.MinusEqualsToken, one, out, e);
      return;
    }
    if (ts.isCallExpression(e)) {
      this.lowerCall(e, out, true);
      return;
    }
    this.fail(Codes.UnsupportedSyntax, `The expression statement '${e.getText()}' has no effect or is not supported: statements must be assignments, increments or helper calls.`, e);
  }

  private lowerAssignment(left: ts.Expression, opKind: ts.SyntaxKind, right: ts.Expression | ts.NumericLiteral, out: Stmt[], at: ts.Node): void {
    left = skipParens(left);
    const binop = compoundOperator(opKind);
    if (binop === "unsupported") this.fail(Codes.UnsupportedSyntax, `The assignment operator '${ts.tokenToString(opKind)}' is not supported: use =, +=, -=, *=, /=, %= or **=.`, at);
    if (ts.isIdentifier(left)) {
      const sym = this.symbolOf(left);
      const cur = this.env.get(sym);
      if (!cur) this.fail(Codes.Closure, `'${left.text}' is not a local variable: assigning to variables outside the function is a closure over mutable state. Return the value or pass it in.`, left);
      if (isVar(cur) && this.vars.get(cur.name)!.type === "arr") this.fail(Codes.UnsupportedSyntax, `Reassigning the array '${left.text}' is not supported: write its elements instead.`, left);
      if (binop === undefined) {
        const rhs = this.lowerExpr(right as ts.Expression, out, left.text);
        const target = this.writeTarget(sym, left);
        this.emitOp(out, target, "copy", [rhs], at);
        return;
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
        return;
      }
      this.emitOp(out, target, binop, [cur, rhs], at);
      return;
    }
    if (ts.isElementAccessExpression(left)) {
      const arr = this.lowerArrayRef(left.expression, out);
      if (this.vars.get(arr)!.kind === "param" && !this.fn.outputs.includes(arr)) {
        this.fail(Codes.UnsupportedSyntax, `Writing into the parameter array '${left.expression.getText()}' would mutate the caller's input: copy it into a local 'new Float64Array(${left.expression.getText()}.length)' first and write there.`, left);
      }
      const index = this.lowerExpr(left.argumentExpression, out, "i");
      let value: Operand;
      if (binop === undefined) {
        value = this.lowerExpr(right as ts.Expression, out, "v");
      } else {
        const old = this.newVar("", "num", "temp");
        out.push({ kind: "load", target: old, array: arr, index, loc: this.loc(this.stmtOf(at)) });
        this.defs.set(old, 1);
        const rhs = this.lowerRhs(right, out);
        const t = this.newVar("", "num", "temp");
        this.emitOp(out, t, binop, [ref(old), rhs], at);
        value = ref(t);
      }
      if (this.typeOfOperand(value) !== "num") this.fail(Codes.UnsupportedSyntax, "Only numbers can be stored in a Float64Array.", right);
      out.push({ kind: "store", array: arr, index, value, loc: this.loc(this.stmtOf(at)) });
      return;
    }
    this.fail(Codes.UnsupportedSyntax, `Assignment to '${left.getText()}' is not supported: assign to local variables or Float64Array elements.`, left);
  }

  private lowerRhs(right: ts.Expression | ts.NumericLiteral, out: Stmt[]): Operand {
    if (!right.parent) return num(Number((right as ts.NumericLiteral).text));
    return this.lowerExpr(right, out, "");
  }

  private lowerArrayRef(e: ts.Expression, out: Stmt[]): string {
    const a = this.lowerExpr(e, out, "a");
    if (!isVar(a) || this.vars.get(a.name)!.type !== "arr") this.fail(Codes.UnsupportedSyntax, `'${e.getText()}' is not a Float64Array.`, e);
    return a.name;
  }

  // ---------------------------------------------------------------- loops

  private lowerLoop(s: ts.ForStatement | ts.WhileStatement | ts.DoStatement, out: Stmt[]): void {
    const loc = this.loc(s);
    const ctx: LoopCtx = { node: s };
    const hasExits = countJumps(s.statement, "break", s) > 0 || countJumps(s.statement, "continue", s) > 0 || countJumps(s.statement, "return", undefined) > 0;
    if (ts.isForStatement(s)) {
      const counted = !hasExits && this.countedFor(s);
      if (counted) {
        const { decl, cmp, step, end } = counted;
        const counter = this.newVar(decl.name.getText(), "num", "local", decl.name.getText());
        const start = this.lowerExpr(decl.initializer!, out, "start");
        const bound = this.lowerExpr(end, out, "end");
        this.env.set(this.symbolOf(decl.name), ref(counter));
        this.defs.set(counter, 1);
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
    this.frame.loops.unshift(ctx);
    this.depth++;
    // Flags must exist before the body sets them: pre-create them for loops that exit early.
    const returns = countJumps(s.statement, "return", undefined) > 0;
    if (returns) this.doneFlag();
    if (returns || countJumps(s.statement, "break", s) > 0) this.loopFlag("break");
    const header: Stmt[] = [];
    const condExpr = ts.isForStatement(s) ? s.condition : s.expression;
    let cond: Operand = condExpr ? this.lowerCondition(condExpr, header) : { kind: "const", value: true };
    if (ctx.breakFlag) {
      const notBroke = this.newVar("", "bool", "temp");
      this.emitOp(header, notBroke, "!", [ref(ctx.breakFlag)], s);
      const both = this.newVar("", "bool", "temp");
      this.emitOp(header, both, "&&", [ref(notBroke), cond], s);
      cond = ref(both);
    }
    const body: Stmt[] = [];
    this.lowerStatements(blockOf(s.statement), 0, body);
    if (ctx.continueFlag) {
      // reset at the start of every iteration
      const reset: Stmt[] = [];
      this.emitOp(reset, ctx.continueFlag, "copy", [{ kind: "const", value: false }], s);
      body.unshift(...reset);
    }
    const update: Stmt[] = [];
    if (ts.isForStatement(s) && s.incrementor) {
      if (ctx.breakFlag) {
        const go = this.newVar("", "bool", "temp");
        this.emitOp(update, go, "!", [ref(ctx.breakFlag)], s);
        const inner: Stmt[] = [];
        this.lowerExpressionStatement(s.incrementor, inner);
        update.push({ kind: "if", cond: ref(go), then: inner, else: [], loc });
      } else {
        this.lowerExpressionStatement(s.incrementor, update);
      }
    }
    this.depth--;
    this.frame.loops.shift();
    const pre: Stmt[] = [];
    if (ctx.breakFlag) this.emitOp(pre, ctx.breakFlag, "copy", [{ kind: "const", value: false }], s);
    out.push(...pre, { kind: "loop", header, cond, body, update, doWhile: ts.isDoStatement(s), loc });
  }

  /** Recognises `for (let i = a; i < b; i += k)` with i and b untouched by the body. */
  private countedFor(s: ts.ForStatement): { decl: ts.VariableDeclaration & { name: ts.Identifier }; cmp: "<" | "<=" | ">" | ">="; step: number; end: ts.Expression } | undefined {
    const init = s.initializer;
    if (!init || !ts.isVariableDeclarationList(init) || init.declarations.length !== 1) return undefined;
    if (!(init.flags & ts.NodeFlags.Let)) return undefined;
    const decl = init.declarations[0];
    if (!ts.isIdentifier(decl.name) || !decl.initializer) return undefined;
    const name = decl.name.text;
    const c = s.condition && skipParens(s.condition);
    if (!c || !ts.isBinaryExpression(c) || !ts.isIdentifier(skipParens(c.left)) || (skipParens(c.left) as ts.Identifier).text !== name) return undefined;
    const cmpMap: Record<number, "<" | "<=" | ">" | ">="> = {
      [ts.SyntaxKind.LessThanToken]: "<", [ts.SyntaxKind.LessThanEqualsToken]: "<=",
      [ts.SyntaxKind.GreaterThanToken]: ">", [ts.SyntaxKind.GreaterThanEqualsToken]: ">=",
    };
    const cmp = cmpMap[c.operatorToken.kind];
    if (!cmp) return undefined;
    const step = stepOf(s.incrementor, name);
    if (step === undefined || step === 0) return undefined;
    if ((cmp === "<" || cmp === "<=") !== step > 0) return undefined;
    // the counter and everything the bound reads must not be written in the body
    const written = writtenNames(s.statement);
    if (written.has(name)) return undefined;
    let boundOk = true;
    const visit = (n: ts.Node) => {
      if (ts.isIdentifier(n) && written.has(n.text)) boundOk = false;
      if (ts.isCallExpression(n) || ts.isElementAccessExpression(n)) boundOk = false;
      ts.forEachChild(n, visit);
    };
    visit(c.right);
    if (!boundOk) return undefined;
    return { decl: decl as ts.VariableDeclaration & { name: ts.Identifier }, cmp, step, end: c.right };
  }

  // ---------------------------------------------------------------- expressions

  private lowerCondition(e: ts.Expression, out: Stmt[]): Operand {
    const c = this.lowerExpr(e, out, "c");
    if (this.typeOfOperand(c) !== "bool") {
      this.fail(Codes.UnsupportedSyntax, `The condition '${e.getText()}' is a number: write an explicit comparison such as '${e.getText()} !== 0'.`, e);
    }
    return c;
  }

  /** Lowers an expression to steps appended to `out`; returns the operand holding its value. */
  private lowerExpr(e: ts.Expression, out: Stmt[], hint: string): Operand {
    e = skipParens(e);
    if (ts.isNumericLiteral(e)) return num(Number(e.text));
    if (e.kind === ts.SyntaxKind.TrueKeyword) return { kind: "const", value: true };
    if (e.kind === ts.SyntaxKind.FalseKeyword) return { kind: "const", value: false };
    if (ts.isIdentifier(e)) return this.lowerIdentifier(e);
    if (ts.isPrefixUnaryExpression(e)) {
      if (e.operator === ts.SyntaxKind.PlusPlusToken || e.operator === ts.SyntaxKind.MinusMinusToken) {
        this.fail(Codes.UnsupportedSyntax, "Increment used as a value is not supported: write the increment as its own statement.", e);
      }
      if (e.operator === ts.SyntaxKind.MinusToken && ts.isNumericLiteral(skipParens(e.operand))) return num(-Number((skipParens(e.operand) as ts.NumericLiteral).text));
      const a = this.lowerExpr(e.operand, out, "");
      const op = e.operator === ts.SyntaxKind.MinusToken ? "neg" : e.operator === ts.SyntaxKind.PlusToken ? "pos" : e.operator === ts.SyntaxKind.ExclamationToken ? "!" : undefined;
      if (!op) this.fail(Codes.UnsupportedSyntax, `The operator '${ts.tokenToString(e.operator)}' is not supported.`, e);
      if (op === "!" && this.typeOfOperand(a) !== "bool") this.fail(Codes.UnsupportedSyntax, `'!' needs a boolean: write an explicit comparison such as '${e.operand.getText()} === 0'.`, e);
      if (op !== "!" && this.typeOfOperand(a) !== "num") this.fail(Codes.UnsupportedSyntax, `Unary '${ts.tokenToString(e.operator)}' needs a number.`, e);
      return this.step(out, op, [a], e, op === "!" ? "bool" : "num", hint);
    }
    if (ts.isPostfixUnaryExpression(e)) {
      this.fail(Codes.UnsupportedSyntax, "Increment used as a value is not supported: write the increment as its own statement.", e);
    }
    if (ts.isBinaryExpression(e)) return this.lowerBinary(e, out, hint);
    if (ts.isConditionalExpression(e)) return this.lowerTernary(e, out, hint);
    if (ts.isCallExpression(e)) return this.lowerCall(e, out, false)!;
    if (ts.isPropertyAccessExpression(e)) {
      if (ts.isIdentifier(e.expression) && e.expression.text === "Math" && this.isGlobalMath(e.expression)) {
        const v = MATH_CONSTANTS[e.name.text];
        if (v === undefined) this.fail(Codes.UnknownCallee, `'Math.${e.name.text}' is not a supported Math constant or is used as a value (constants: ${Object.keys(MATH_CONSTANTS).map((k) => "Math." + k).join(", ")}).`, e);
        return num(v, `Math.${e.name.text}`);
      }
      if (e.name.text === "length") {
        const arr = this.lowerArrayRef(e.expression, out);
        return this.step(out, "length", [ref(arr)], e, "num", hint || "n");
      }
      this.fail(Codes.UnsupportedSyntax, `Property access '${e.getText()}' is not supported: only Math constants and '.length' of a Float64Array can be read. Pass the value as a parameter instead.`, e);
    }
    if (ts.isElementAccessExpression(e)) {
      const arr = this.lowerArrayRef(e.expression, out);
      const index = this.lowerExpr(e.argumentExpression, out, "i");
      if (this.typeOfOperand(index) !== "num") this.fail(Codes.UnsupportedSyntax, "An array index must be a number.", e.argumentExpression);
      const t = this.newVar(hint, "num", "temp");
      out.push({ kind: "load", target: t, array: arr, index, loc: this.loc(this.stmtOf(e)) });
      this.defs.set(t, 1);
      return ref(t);
    }
    if (ts.isAsExpression(e) || ts.isNonNullExpression(e) || ts.isTypeAssertionExpression(e) || ts.isSatisfiesExpression(e)) {
      return this.lowerExpr(e.expression, out, hint);
    }
    if (ts.isArrowFunction(e) || ts.isFunctionExpression(e)) {
      this.fail(Codes.Closure, "Function expressions (closures) are not supported in a differentiable function: write a module-level helper function and call it.", e);
    }
    if (ts.isNewExpression(e)) {
      this.fail(Codes.UnsupportedSyntax, "'new Float64Array(n)' is supported only as the initialiser of a const or let declaration.", e);
    }
    this.fail(Codes.UnsupportedSyntax, `${describeSyntax(e)} is not supported in a differentiable function: ${fixFor(e)}`, e);
  }

  private step(out: Stmt[], op: string, args: Operand[], node: ts.Node, type: Type, _hint: string): Operand {
    const t = this.newVar("", type, "temp");
    this.emitOp(out, t, op, args, node);
    return ref(t);
  }

  private isGlobalMath(id: ts.Identifier): boolean {
    const s = this.checker.getSymbolAtLocation(id);
    return !s || !s.declarations || s.declarations.every((d) => d.getSourceFile().isDeclarationFile);
  }

  private lowerIdentifier(e: ts.Identifier): Operand {
    if (e.text === "undefined" || e.text === "NaN" || e.text === "Infinity") {
      if (e.text === "undefined") this.fail(Codes.UnsupportedSyntax, "'undefined' is not a number.", e);
      return num(e.text === "NaN" ? NaN : Infinity, e.text);
    }
    const sym = this.symbolOf(e);
    const v = this.env.get(sym);
    if (v) return v;
    // module-level constants with a numeric literal value
    const decl = sym.valueDeclaration;
    if (decl && ts.isVariableDeclaration(decl) && decl.parent && ts.isVariableDeclarationList(decl.parent)) {
      const isConst = (decl.parent.flags & ts.NodeFlags.Const) !== 0;
      const init = decl.initializer && skipParens(decl.initializer);
      const atModule = ts.isSourceFile(decl.parent.parent?.parent);
      if (isConst && atModule && init) {
        const value = literalValue(init);
        if (value !== undefined) return num(value);
      }
      if (!isConst || atModule) {
        this.fail(Codes.Closure, `'${e.text}' is a ${isConst ? "module-level constant that is not a numeric literal" : "variable declared outside this function"}: reading outer ${isConst ? "values" : "mutable state"} is not supported. Pass it as a parameter${isConst ? " or make it a numeric literal constant" : ""}.`, e);
      }
    }
    this.fail(Codes.Closure, `'${e.text}' is not a parameter or local variable of this function: pass it as a parameter.`, e);
  }

  private lowerBinary(e: ts.BinaryExpression, out: Stmt[], hint: string): Operand {
    const k = e.operatorToken.kind;
    if (isAssignmentOperator(k)) this.fail(Codes.UnsupportedSyntax, "An assignment used as a value is not supported: write the assignment as its own statement.", e);
    if (k === ts.SyntaxKind.CommaToken) this.fail(Codes.UnsupportedSyntax, "The comma operator is not supported.", e);
    const op = BINARY_OPS[k];
    if (!op) this.fail(Codes.UnsupportedSyntax, `The operator '${e.operatorToken.getText()}' is not supported in a differentiable function.`, e.operatorToken);
    const a = this.lowerExpr(e.left, out, "");
    const b = this.lowerExpr(e.right, out, "");
    const rule = ruleFor(op)!;
    const wantBool = op === "&&" || op === "||";
    for (const [x, node] of [[a, e.left], [b, e.right]] as const) {
      const t = this.typeOfOperand(x);
      if (wantBool && t !== "bool") this.fail(Codes.UnsupportedSyntax, `'${op}' needs booleans: write an explicit comparison for '${node.getText()}'.`, node);
      if (!wantBool && t !== "num") this.fail(Codes.UnsupportedSyntax, `'${op}' needs numbers, but '${node.getText()}' is ${t === "arr" ? "a Float64Array" : "a boolean"}.`, node);
    }
    return this.step(out, op, [a, b], e, rule.result, hint);
  }

  private lowerTernary(e: ts.ConditionalExpression, out: Stmt[], hint: string): Operand {
    const c = this.lowerCondition(e.condition, out);
    const t = this.newVar(hint || "sel", "num", "local");
    const thenOut: Stmt[] = [];
    const elseOut: Stmt[] = [];
    this.depth++;
    const a = this.lowerExpr(e.whenTrue, thenOut, "");
    this.emitOp(thenOut, t, "copy", [a], e);
    const b = this.lowerExpr(e.whenFalse, elseOut, "");
    this.emitOp(elseOut, t, "copy", [b], e);
    this.depth--;
    const ta = this.typeOfOperand(a), tb = this.typeOfOperand(b);
    if (ta !== tb || ta === "arr") this.fail(Codes.UnsupportedSyntax, "Both arms of a conditional expression must be numbers (or both booleans).", e);
    this.vars.get(t)!.type = ta;
    out.push({ kind: "if", cond: c, then: thenOut, else: elseOut, loc: this.loc(this.stmtOf(e)) });
    return ref(t);
  }

  // ---------------------------------------------------------------- calls

  private lowerCall(e: ts.CallExpression, out: Stmt[], asStatement: boolean): Operand | undefined {
    const callee = skipParens(e.expression);
    if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && callee.expression.text === "Math" && this.isGlobalMath(callee.expression)) {
      const op = `Math.${callee.name.text}`;
      const rule = ruleFor(op);
      if (!rule) {
        this.fail(Codes.UnknownCallee, `'${op}' is not differentiable by adjoint. Supported: ${supportedMathFunctions().join(", ")}. Add an entry to compiler/rules/index.ts to support it, or move the call out of the differentiable function.`, callee);
      }
      if (rule.arity !== "variadic" && e.arguments.length !== rule.arity) this.fail(Codes.UnsupportedSyntax, `'${op}' takes ${rule.arity} argument(s).`, e);
      if (rule.arity === "variadic" && e.arguments.length === 0) this.fail(Codes.UnsupportedSyntax, `'${op}()' with no arguments is a constant: write the number instead.`, e);
      const args = e.arguments.map((a) => {
        if (ts.isSpreadElement(a)) this.fail(Codes.UnsupportedSyntax, "Spread arguments are not supported: pass the arguments one by one, or use a loop over the array.", a);
        const o = this.lowerExpr(a, out, "");
        if (this.typeOfOperand(o) !== "num") this.fail(Codes.UnsupportedSyntax, `'${op}' needs numbers.`, a);
        return o;
      });
      if (asStatement) this.fail(Codes.UnsupportedSyntax, `The result of '${op}(...)' is unused.`, e);
      return this.step(out, op, args, e, "num", "");
    }
    if (!ts.isIdentifier(callee)) {
      this.fail(Codes.UnknownCallee, `Cannot differentiate a call to '${callee.getText()}': call Math functions or helper functions declared with 'function' in this module or a relative import. Supported Math functions: ${supportedMathFunctions().join(", ")}.`, callee);
    }
    const routine = this.runtimeRoutine(callee);
    if (routine !== undefined) return this.lowerRuntimeCall(routine, e, out, asStatement);
    const decl = this.resolveHelper(callee);
    return this.inlineHelper(decl, e, out, asStatement);
  }

  /** The name of a runtime routine `id` refers to (imported from adjoint/runtime), if any. */
  private runtimeRoutine(id: ts.Identifier): string | undefined {
    let sym = this.checker.getSymbolAtLocation(id);
    if (sym && sym.flags & ts.SymbolFlags.Alias) sym = this.checker.getAliasedSymbol(sym);
    const decl = sym?.declarations?.[0];
    if (!decl) return undefined;
    const file = decl.getSourceFile().fileName.replace(/\\/g, "/");
    return owningPackage(file) === "adjoint-runtime" ? sym!.getName() : undefined;
  }

  private lowerRuntimeCall(fn: string, e: ts.CallExpression, out: Stmt[], asStatement: boolean): Operand | undefined {
    const rule = arrayRuleFor(fn);
    if (!rule) {
      this.fail(Codes.UnknownCallee, `The runtime function '${fn}' is not differentiable. Differentiable runtime routines: ${Object.keys(ARRAY_RULES).join(", ")}.`, e.expression);
    }
    if (e.arguments.length !== rule.signature.length) this.fail(Codes.UnsupportedSyntax, `'${fn}' takes ${rule.signature.length} arguments.`, e);
    const args = e.arguments.map((a, i) => {
      const want = rule.signature[i];
      if (want === "bool") {
        const lit = skipParens(a);
        if (lit.kind !== ts.SyntaxKind.TrueKeyword && lit.kind !== ts.SyntaxKind.FalseKeyword) {
          this.fail(Codes.UnsupportedSyntax, `The transpose flag of '${fn}' must be a literal true or false, so that the adjoint's transposes are known.`, a);
        }
        return { kind: "const", value: lit.kind === ts.SyntaxKind.TrueKeyword } as Operand;
      }
      const o = this.lowerExpr(a, out, "");
      const got = this.typeOfOperand(o);
      if (got !== want) this.fail(Codes.UnsupportedSyntax, `Argument ${i + 1} of '${fn}' must be ${want === "arr" ? "a Float64Array" : "a number"}.`, a);
      return o;
    });
    if (rule.writes !== "result") {
      const w = args[rule.writes];
      if (isVar(w) && this.vars.get(w.name)!.kind === "param" && !this.fn.outputs.includes(w.name)) {
        this.fail(Codes.UnsupportedSyntax, `'${fn}' writes into the parameter array '${e.arguments[rule.writes].getText()}', which would mutate the caller's input: write into a local 'new Float64Array(...)' (or declare it '@out').`, e.arguments[rule.writes]);
      }
    } else if (asStatement) {
      this.fail(Codes.UnsupportedSyntax, `The result of '${fn}(...)' is unused.`, e);
    }
    const target = rule.writes === "result" ? this.newVar("", "num", "temp") : undefined;
    out.push({ kind: "call", fn, args, target, loc: this.loc(this.stmtOf(e)) });
    if (target) {
      this.defs.set(target, 1);
      return ref(target);
    }
    return undefined;
  }

  private resolveHelper(id: ts.Identifier): ts.FunctionDeclaration {
    let sym = this.checker.getSymbolAtLocation(id);
    if (sym && sym.flags & ts.SymbolFlags.Alias) sym = this.checker.getAliasedSymbol(sym);
    const decl = sym?.declarations?.find((d): d is ts.FunctionDeclaration => ts.isFunctionDeclaration(d) && d.body !== undefined);
    if (!decl || decl.getSourceFile().isDeclarationFile) {
      this.fail(Codes.UnknownCallee, `Cannot differentiate a call to '${id.text}': it is not a function declared with a body in this module or a relative import. Supported callees: helper functions, and Math functions (${supportedMathFunctions().join(", ")}).`, id);
    }
    return decl;
  }

  private inlineHelper(decl: ts.FunctionDeclaration, call: ts.CallExpression, out: Stmt[], asStatement: boolean): Operand | undefined {
    const name = decl.name?.text ?? "helper";
    if (decl === this.fn.decl || this.frames.some((f) => f.decl === decl)) {
      this.fail(Codes.Recursion, `'${name}' is recursive (${[...this.frames.map((f) => f.decl.name?.text), name].join(" -> ")}): recursion cannot be differentiated. Rewrite it as a loop.`, call);
    }
    for (const p of decl.parameters) {
      if (!ts.isIdentifier(p.name) || p.dotDotDotToken || p.initializer || p.questionToken) {
        const what = p.initializer ? "a default value" : p.questionToken ? "an optional parameter" : p.dotDotDotToken ? "a rest parameter" : "a destructured parameter";
        this.fail(Codes.UnsupportedSyntax, `Parameter '${p.name.getText()}' of helper '${name}' has ${what}, which is not supported: declare it as a plain parameter and pass the value at every call.`, p);
      }
    }
    if (decl.parameters.length !== call.arguments.length) this.fail(Codes.UnsupportedSyntax, `'${name}' takes ${decl.parameters.length} argument(s), but is called with ${call.arguments.length}: pass every argument.`, call);
    const sig = this.checker.getSignatureFromDeclaration(decl);
    const retType = sig && this.checker.getReturnTypeOfSignature(sig);
    const isVoid = !!retType && (retType.flags & ts.TypeFlags.Void) !== 0;
    if (!isVoid && (!retType || irTypeOf(retType, this.checker) !== "num")) {
      this.fail(Codes.NonNumericReturn, `Helper '${name}' returns '${retType ? this.checker.typeToString(retType) : "unknown"}': helpers must return a number (or nothing).`, call);
    }
    if (!isVoid && asStatement) this.fail(Codes.UnsupportedSyntax, `The result of '${name}(...)' is unused.`, call);
    this.reserveIdentifiers(decl);
    // Arguments are evaluated first, in order.
    const args = call.arguments.map((a, i) => {
      const p = decl.parameters[i];
      if (!ts.isIdentifier(p.name) || p.dotDotDotToken || p.initializer) this.fail(Codes.UnsupportedSyntax, `Helper '${name}' has a destructured, rest or default parameter, which is not supported.`, p);
      const pt = irTypeOf(this.checker.getTypeAtLocation(p), this.checker);
      if (pt !== "num" && pt !== "arr") this.fail(Codes.NonNumericParameter, `Parameter '${p.name.getText()}' of helper '${name}' must be a number or a Float64Array.`, p);
      const o = this.lowerExpr(a, out, p.name.text);
      if (this.typeOfOperand(o) !== pt) this.fail(Codes.UnsupportedSyntax, `Argument ${i + 1} of '${name}' must be ${pt === "arr" ? "a Float64Array" : "a number"}.`, a);
      return { p, o };
    });
    const written = writtenNames(decl.body!);
    for (const { p, o } of args) {
      const sym = this.symbolOf(p.name);
      const pname = (p.name as ts.Identifier).text;
      if (written.has(pname)) {
        // the helper reassigns its parameter: give it a local variable
        const v = this.newVar(pname, this.typeOfOperand(o), "local", pname);
        this.emitOp(out, v, "copy", [o], call);
        this.env.set(sym, ref(v));
      } else {
        this.env.set(sym, o);
      }
    }
    const frame: Frame = { decl, sf: decl.getSourceFile(), loops: [] };
    this.frames.push(frame);
    const savedDepth = this.depth;
    let result: Operand | undefined;
    if (isVoid) {
      const returns = countJumps(decl.body!, "return", undefined);
      if (returns > 0) this.fail(Codes.UnsupportedSyntax, `Early 'return' in the void helper '${name}' is not supported.`, call);
      this.lowerStatements(decl.body!.statements, 0, out);
    } else {
      result = this.lowerFunctionBody(decl, frame, out);
    }
    this.depth = savedDepth;
    this.frames.pop();
    return result;
  }
}

// ---------------------------------------------------------------- syntax utilities

const BINARY_OPS: Partial<Record<ts.SyntaxKind, string>> = {
  [ts.SyntaxKind.PlusToken]: "+",
  [ts.SyntaxKind.MinusToken]: "-",
  [ts.SyntaxKind.AsteriskToken]: "*",
  [ts.SyntaxKind.SlashToken]: "/",
  [ts.SyntaxKind.PercentToken]: "%",
  [ts.SyntaxKind.AsteriskAsteriskToken]: "**",
  [ts.SyntaxKind.LessThanToken]: "<",
  [ts.SyntaxKind.LessThanEqualsToken]: "<=",
  [ts.SyntaxKind.GreaterThanToken]: ">",
  [ts.SyntaxKind.GreaterThanEqualsToken]: ">=",
  [ts.SyntaxKind.EqualsEqualsEqualsToken]: "===",
  [ts.SyntaxKind.ExclamationEqualsEqualsToken]: "!==",
  [ts.SyntaxKind.EqualsEqualsToken]: "==",
  [ts.SyntaxKind.ExclamationEqualsToken]: "!=",
  [ts.SyntaxKind.AmpersandAmpersandToken]: "&&",
  [ts.SyntaxKind.BarBarToken]: "||",
};

function compoundOperator(k: ts.SyntaxKind): string | undefined {
  switch (k) {
    case ts.SyntaxKind.EqualsToken: return undefined;
    case ts.SyntaxKind.PlusEqualsToken: return "+";
    case ts.SyntaxKind.MinusEqualsToken: return "-";
    case ts.SyntaxKind.AsteriskEqualsToken: return "*";
    case ts.SyntaxKind.SlashEqualsToken: return "/";
    case ts.SyntaxKind.AsteriskAsteriskEqualsToken: return "**";
    case ts.SyntaxKind.PercentEqualsToken: return "%";
    default: return "unsupported";
  }
}

function isAssignmentOperator(k: ts.SyntaxKind): boolean {
  return k >= ts.SyntaxKind.FirstAssignment && k <= ts.SyntaxKind.LastAssignment;
}

function skipParens(e: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(e)) e = e.expression;
  return e;
}

function blockOf(s: ts.Statement): readonly ts.Statement[] {
  return ts.isBlock(s) ? s.statements : [s];
}

function literalValue(e: ts.Expression): number | undefined {
  e = skipParens(e);
  if (ts.isNumericLiteral(e)) return Number(e.text);
  if (ts.isPrefixUnaryExpression(e) && e.operator === ts.SyntaxKind.MinusToken) {
    const v = literalValue(e.operand);
    return v === undefined ? undefined : -v;
  }
  return undefined;
}

function stepOf(inc: ts.Expression | undefined, name: string): number | undefined {
  if (!inc) return undefined;
  inc = skipParens(inc);
  if ((ts.isPostfixUnaryExpression(inc) || ts.isPrefixUnaryExpression(inc)) && ts.isIdentifier(inc.operand) && inc.operand.text === name) {
    if (inc.operator === ts.SyntaxKind.PlusPlusToken) return 1;
    if (inc.operator === ts.SyntaxKind.MinusMinusToken) return -1;
  }
  if (ts.isBinaryExpression(inc) && ts.isIdentifier(inc.left) && inc.left.text === name) {
    const v = literalValue(inc.right);
    if (v === undefined || !Number.isInteger(v)) return undefined;
    if (inc.operatorToken.kind === ts.SyntaxKind.PlusEqualsToken) return v;
    if (inc.operatorToken.kind === ts.SyntaxKind.MinusEqualsToken) return -v;
  }
  return undefined;
}

/** Names assigned (=, op=, ++, --) anywhere inside a node. */
function writtenNames(node: ts.Node): Set<string> {
  const out = new Set<string>();
  const visit = (n: ts.Node) => {
    if (ts.isBinaryExpression(n) && isAssignmentOperator(n.operatorToken.kind) && ts.isIdentifier(skipParens(n.left))) out.add((skipParens(n.left) as ts.Identifier).text);
    if ((ts.isPostfixUnaryExpression(n) || ts.isPrefixUnaryExpression(n)) && (n.operator === ts.SyntaxKind.PlusPlusToken || n.operator === ts.SyntaxKind.MinusMinusToken) && ts.isIdentifier(n.operand)) out.add(n.operand.text);
    ts.forEachChild(n, visit);
  };
  visit(node);
  return out;
}

/**
 * Counts jumps of a kind inside `node`: returns (not crossing nested functions), or
 * breaks/continues that target `loop` (unlabelled ones inside nested loops target those).
 */
function countJumps(node: ts.Node, kind: JumpKind, loop: ts.IterationStatement | undefined): number {
  let count = 0;
  const visit = (n: ts.Node, inNestedLoop: boolean) => {
    if (ts.isFunctionLike(n) && n !== node) return;
    if (kind === "return" && ts.isReturnStatement(n)) count++;
    if (kind === "break" && ts.isBreakStatement(n) && !inNestedLoop) count++;
    if (kind === "continue" && ts.isContinueStatement(n) && !inNestedLoop) count++;
    const nested = inNestedLoop || (LOOP_KINDS.has(n.kind) && n !== loop);
    ts.forEachChild(n, (c) => visit(c, nested));
  };
  if (kind !== "return" && loop === undefined) return 0;
  visit(node, false);
  return count;
}

const packageNames = new Map<string, string | undefined>();

/** Name in the nearest package.json above `file` (cached per directory). */
function owningPackage(file: string): string | undefined {
  let dir = path.dirname(file);
  const visited: string[] = [];
  for (;;) {
    if (packageNames.has(dir)) break;
    visited.push(dir);
    const pj = path.join(dir, "package.json");
    if (ts.sys.fileExists(pj)) {
      let name: string | undefined;
      try {
        name = JSON.parse(ts.sys.readFile(pj) ?? "{}").name;
      } catch {
        name = undefined;
      }
      packageNames.set(dir, name);
      break;
    }
    const up = path.dirname(dir);
    if (up === dir) {
      packageNames.set(dir, undefined);
      break;
    }
    dir = up;
  }
  const name = packageNames.get(dir);
  for (const v of visited) packageNames.set(v, name);
  return name;
}

function findReturn(node: ts.Node): ts.ReturnStatement | undefined {
  let found: ts.ReturnStatement | undefined;
  const visit = (n: ts.Node) => {
    if (found || (ts.isFunctionLike(n) && n !== node)) return;
    if (ts.isReturnStatement(n)) found = n;
    else ts.forEachChild(n, visit);
  };
  ts.forEachChild(node, visit);
  return found;
}

function definitelyJumps(s: ts.Statement): boolean {
  if (ts.isReturnStatement(s) || ts.isBreakStatement(s) || ts.isContinueStatement(s)) return true;
  if (ts.isBlock(s)) return s.statements.some(definitelyJumps);
  if (ts.isIfStatement(s)) return !!s.elseStatement && definitelyJumps(s.thenStatement) && definitelyJumps(s.elseStatement);
  return false;
}

function definitelyReturns(s: ts.Statement): boolean {
  if (ts.isReturnStatement(s)) return true;
  if (ts.isBlock(s)) return s.statements.some(definitelyReturns);
  if (ts.isIfStatement(s)) return !!s.elseStatement && definitelyReturns(s.thenStatement) && definitelyReturns(s.elseStatement);
  return false;
}

const SYNTAX_NAMES: Partial<Record<ts.SyntaxKind, string>> = {
  [ts.SyntaxKind.SwitchStatement]: "A switch statement",
  [ts.SyntaxKind.TryStatement]: "A try/catch statement",
  [ts.SyntaxKind.ThrowStatement]: "A throw statement",
  [ts.SyntaxKind.ForOfStatement]: "A for-of loop",
  [ts.SyntaxKind.ForInStatement]: "A for-in loop",
  [ts.SyntaxKind.LabeledStatement]: "A labelled statement",
  [ts.SyntaxKind.ClassDeclaration]: "A class declaration",
  [ts.SyntaxKind.WithStatement]: "A with statement",
  [ts.SyntaxKind.StringLiteral]: "A string",
  [ts.SyntaxKind.TemplateExpression]: "A template string",
  [ts.SyntaxKind.NoSubstitutionTemplateLiteral]: "A template string",
  [ts.SyntaxKind.ArrayLiteralExpression]: "An array literal",
  [ts.SyntaxKind.ObjectLiteralExpression]: "An object literal",
  [ts.SyntaxKind.AwaitExpression]: "await",
  [ts.SyntaxKind.YieldExpression]: "yield",
  [ts.SyntaxKind.BigIntLiteral]: "A bigint literal",
  [ts.SyntaxKind.TypeOfExpression]: "typeof",
  [ts.SyntaxKind.DeleteExpression]: "delete",
  [ts.SyntaxKind.VoidExpression]: "void",
  [ts.SyntaxKind.ThisKeyword]: "'this'",
  [ts.SyntaxKind.NullKeyword]: "null",
};

/** What to write instead of an unsupported expression. */
function fixFor(n: ts.Node): string {
  switch (n.kind) {
    case ts.SyntaxKind.StringLiteral:
    case ts.SyntaxKind.TemplateExpression:
    case ts.SyntaxKind.NoSubstitutionTemplateLiteral:
      return "only numbers, booleans and Float64Arrays are values here; move string handling out of the function.";
    case ts.SyntaxKind.ThisKeyword:
      return "pass the value as a parameter instead.";
    case ts.SyntaxKind.ArrayLiteralExpression:
      return "allocate a 'new Float64Array(n)' and assign its elements.";
    case ts.SyntaxKind.ObjectLiteralExpression:
      return "use separate number variables, or a Float64Array.";
    case ts.SyntaxKind.NullKeyword:
      return "use a number (for example NaN) instead.";
    default:
      return "rewrite it with numbers, Float64Arrays, arithmetic, Math functions and helper calls.";
  }
}

export function describeSyntax(n: ts.Node): string {
  return SYNTAX_NAMES[n.kind] ?? `The syntax '${ts.SyntaxKind[n.kind]}'`;
}
