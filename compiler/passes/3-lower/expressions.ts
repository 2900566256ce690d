/**
 * Lowering of expressions: every expression node becomes one step writing a fresh temporary, in
 * the source's evaluation order, so values are bit-identical. Calls resolve to Math primitives,
 * runtime BLAS routines (matrix-level steps), functions with their own derivatives (custom.ts)
 * or helpers (inlined, inline.ts).
 */
import ts from "typescript";
import { type Expr, type Stmt, type Operand, ref, num, bool, isVar } from "../../ir/types.ts";
import { MATH_CONSTANTS, ruleFor } from "../../rules/index.ts";
import { arrayRuleFor } from "../../rules/blas.ts";
import { LowerState, type ElementChain, type Rec, stripTypes } from "./env.ts";
import type { ArrayRef } from "./arrays.ts";
import { arrayOfArg } from "../../ir/walk.ts";
import { type HelperFn, resolveCallee, skipParens, mathMember, numberConstant, outerName, isErrorConstruction, isHostCall, constantTable, tableValue, conversion } from "./resolve.ts";
import { foundElementSearch, foundFieldRoot, isOptionalArray, isOptionalFieldRead, isOptionalRead, isTruthinessUse, undefinedTest } from "./optional.ts";

/** A string-valued piece of a message. */
function isText(e: ts.Expression): boolean {
  e = skipParens(e);
  return ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e) || ts.isTemplateExpression(e)
    || (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.PlusToken && (isText(e.left) || isText(e.right)));
}
import { BINARY_OPS, isAssignmentOperator } from "./jumps.ts";

/** The literal 1 of `x++` (an expression without a source position). */
const ONE = ts.factory.createNumericLiteral(1);

export abstract class ExpressionLowerer extends LowerState {
  protected abstract lowerAssignment(left: ts.Expression, opKind: ts.SyntaxKind, right: ts.Expression, out: Stmt[], at: ts.Node): Operand;
  protected abstract lowerExpressionStatement(e: ts.Expression, out: Stmt[]): void;
  protected abstract inlineHelper(decl: HelperFn, call: ts.CallExpression, out: Stmt[]): Operand | undefined;
  /**
   * Whether `e` reads an element of an array (`xs[k]`, `A[i][j]`), not of a list; or of an
   * optional array (`p.bias?.[k]`, whose leaf is empty when it is absent: no index is in range).
   */
  protected isElementRead(e0: ts.Expression): boolean {
    const e = stripTypes(e0);
    if (!ts.isElementAccessExpression(e)) return false;
    if (e.questionDotToken && isOptionalRead(e.expression, this.checker)) return isOptionalArray(e.expression, this.checker);
    return this.isArrayExpression(e.expression);
  }

  protected abstract isArrayExpression(e: ts.Expression): boolean;
  protected abstract matrixOf(e: ts.Expression): { array: string; rows: Operand; cols: Operand } | undefined;
  protected abstract isIteration(e: ts.Expression, name?: "forEach" | "map" | "reduce" | "reduceRight"): boolean;
  protected abstract lowerForEach(e: ts.CallExpression, out: Stmt[]): void;
  protected abstract lowerFold(op: string, start: number, e: ts.CallExpression, out: Stmt[]): Operand;
  protected abstract lowerReduce(e: ts.CallExpression, out: Stmt[]): Operand;
  protected abstract isSearch(e: ts.Expression): boolean;
  protected abstract lowerSearch(e: ts.CallExpression, out: Stmt[]): Operand;
  protected abstract lowerFound(e: ts.BinaryExpression, out: Stmt[], hint: string): Operand;
  protected abstract isAt(e: ts.Expression): boolean;
  protected abstract tableArray(id: ts.Identifier, values: readonly number[]): ArrayRef;
  protected abstract atIndex(e: ts.CallExpression, out: Stmt[]): { index: Operand; array: ArrayRef };
  protected abstract lowerCustomCall(decl: ts.FunctionDeclaration, callee: ts.Identifier, call: ts.CallExpression, out: Stmt[]): Operand;
  protected abstract lowerArrayRef(e: ts.Expression, out: Stmt[]): ArrayRef;
  protected abstract arrayLoad(out: Stmt[], a: ArrayRef, index: Operand, at: ts.Node): Operand;
  protected abstract arrayLength(out: Stmt[], a: ArrayRef, at: ts.Node): Operand;
  protected abstract lowerArrayValue(e: ts.Expression, out: Stmt[], target?: string): ArrayRef;
  protected abstract arrayArg(out: Stmt[], a: ArrayRef, at: ts.Node): Expr;

  // ---------------------------------------------------------------- expressions

  /** A condition: a boolean, or a number tested for truthiness as JavaScript does (`while (n--)`). */
  protected lowerCondition(e: ts.Expression, out: Stmt[]): Operand {
    return this.truth(this.lowerExpr(e, out, "c"), out, e);
  }

  /** A value of the forward computation only: a message of `throw`, an argument of `console.log`. */
  protected lowerHost(e0: ts.Expression, out: Stmt[]): Expr {
    const e = skipParens(e0);
    if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return { kind: "text", value: e.text };
    if (ts.isTemplateExpression(e)) {
      const parts = [e.head.text, ...e.templateSpans.map((s) => s.literal.text)];
      return { kind: "template", parts, values: e.templateSpans.map((s) => this.lowerHost(s.expression, out)) };
    }
    if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.PlusToken && (isText(e.left) || isText(e.right))) {
      return { kind: "template", parts: ["", "", ""], values: [this.lowerHost(e.left, out), this.lowerHost(e.right, out)] };
    }
    if (isErrorConstruction(e, this.checker)) return { kind: "construct", ctor: (e.expression as ts.Identifier).text, args: (e.arguments ?? []).map((a) => this.lowerHost(a, out)) };
    if (ts.isCallExpression(e) && isHostCall(e, this.checker)) {
      const c = skipParens(e.expression) as ts.PropertyAccessExpression;
      return { kind: "host", fn: `${(c.expression as ts.Identifier).text}.${c.name.text}`, args: e.arguments.map((a) => this.lowerHost(a, out)) };
    }
    return this.lowerExpr(e, out, "");
  }

  /** Lowers an expression to steps appended to `out`; returns the operand holding its value. */
  protected lowerExpr(e: ts.Expression, out: Stmt[], hint: string): Operand {
    e = skipParens(e);
    // `if (p.bias)` of an optional array (always truthy when given), `if (seg)` of a list's element
    // found by a search: whether it is there
    if (isTruthinessUse(e) && ((isOptionalRead(e, this.checker) && isOptionalArray(e, this.checker)) || foundElementSearch(e, this.checker))) return this.isGiven(e);
    // `if (opts.mode)` of a choice among strings: whether it holds a non-empty string
    const choice = isTruthinessUse(e) && (ts.isIdentifier(stripTypes(e)) || ts.isPropertyAccessExpression(stripTypes(e))) ? this.choiceOf(e) : undefined;
    if (choice) return this.choiceTruth(choice, e);
    if (ts.isNumericLiteral(e)) return num(Number(e.text));
    if (e.kind === ts.SyntaxKind.TrueKeyword) return { kind: "const", value: true };
    if (e.kind === ts.SyntaxKind.FalseKeyword) return { kind: "const", value: false };
    if (ts.isIdentifier(e)) return this.lowerIdentifier(e);
    if (ts.isPrefixUnaryExpression(e)) {
      if (e.operator === ts.SyntaxKind.PlusPlusToken || e.operator === ts.SyntaxKind.MinusMinusToken) {
        // ++x is the new value
        return this.lowerAssignment(e.operand, e.operator === ts.SyntaxKind.PlusPlusToken ? ts.SyntaxKind.PlusEqualsToken : ts.SyntaxKind.MinusEqualsToken, ONE, out, e);
      }
      if (e.operator === ts.SyntaxKind.MinusToken && ts.isNumericLiteral(skipParens(e.operand))) return num(-Number((skipParens(e.operand) as ts.NumericLiteral).text));
      const op = e.operator === ts.SyntaxKind.MinusToken ? "neg" : e.operator === ts.SyntaxKind.PlusToken ? "pos" : e.operator === ts.SyntaxKind.ExclamationToken ? "!" : e.operator === ts.SyntaxKind.TildeToken ? "~" : undefined;
      if (!op) this.internal(e);
      // `!x` of a number: the negation of its truthiness (0 and NaN are falsy)
      const a = op === "!" ? this.truth(this.lowerExpr(e.operand, out, ""), out, e) : this.lowerExpr(e.operand, out, "");
      if (op !== "!" && this.typeOfOperand(a) !== "num") this.internal(e);
      return this.step(out, op, [a], e, op === "!" ? "bool" : "num", hint);
    }
    if (ts.isPostfixUnaryExpression(e)) {
      // x++ is the old value: read it before the update
      const old = this.lowerExpr(e.operand, out, "");
      const held = this.held(old, out, e);
      this.lowerAssignment(e.operand, e.operator === ts.SyntaxKind.PlusPlusToken ? ts.SyntaxKind.PlusEqualsToken : ts.SyntaxKind.MinusEqualsToken, ONE, out, e);
      return held;
    }
    if (ts.isBinaryExpression(e)) return this.lowerBinary(e, out, hint);
    if (ts.isConditionalExpression(e)) return this.lowerTernary(e, out, hint);
    if (ts.isCallExpression(e)) return this.lowerCall(e, out, false)!;
    if (ts.isPropertyAccessExpression(e)) {
      const nc = numberConstant(e, this.checker);
      if (nc) return num(nc.value, nc.text);
      // a field of a module's constant record (`CONFIG.tol`), or a constant table's length
      const tv = tableValue(e, this.checker);
      if (typeof tv === "number") return num(tv);
      if (mathMember(e, this.checker)) {
        const v = MATH_CONSTANTS[e.name.text];
        if (v === undefined) this.internal(e);
        return num(v, `Math.${e.name.text}`);
      }
      const ch = this.elementChain(e);
      if (ch && ch.shape.k === "num") {
        const v = this.lowerElement(ch, out, e);
        return "o" in v ? v.o : this.internal(e);
      }
      const slot = this.slotOf(e);
      if (slot) return this.env.get(slot) ?? this.internal(e);
      // an optional field an object of this function does not have: undefined, NaN in arithmetic
      if (isOptionalFieldRead(e, this.checker) && this.recordOf(e.expression)) return num(NaN);
      if (e.name.text === "length") {
        const matrix = this.matrixOf(e.expression);
        if (matrix) return matrix.rows;
        const list = this.listOf(e.expression) ?? this.elementList(e.expression, out);
        if (list !== undefined) return this.step(out, "length", [ref(list)], e, "num", "n");
        return this.arrayLength(out, this.lowerArrayRef(e.expression, out), e);
      }
      this.internal(e);
    }
    if (ts.isElementAccessExpression(e)) {
      const table = constantTable(e.expression, this.checker);
      if (table?.kind === "array") {
        // an element of a constant table at an index known here is that constant
        const i = this.lowerExpr(e.argumentExpression, out, "i");
        const k = i.kind === "const" ? (i.value as number) : NaN;
        if (Number.isInteger(k) && k >= 0 && k < table.values.length) return num(table.values[k]!);
        return this.arrayLoad(out, this.tableArray(skipParens(e.expression) as ts.Identifier, table.values), i, e);
      }
      const arr = this.lowerArrayRef(e.expression, out);
      const index = this.lowerExpr(e.argumentExpression, out, "i");
      return this.arrayLoad(out, arr, index, e);
    }
    if (ts.isAsExpression(e) || ts.isNonNullExpression(e) || ts.isTypeAssertionExpression(e) || ts.isSatisfiesExpression(e)) {
      return this.lowerExpr(e.expression, out, hint);
    }
    if (ts.isArrowFunction(e) || ts.isFunctionExpression(e)) {
      this.internal(e);
    }
    if (ts.isNewExpression(e)) {
      this.internal(e);
    }
    this.internal(e);
  }

  /** A list reached through an element of a list (`p.groups[g].layers`), if `e` is one. */
  protected elementList(e: ts.Expression, out: Stmt[]): string | undefined {
    const ch = this.elementChain(e);
    if (!ch || ch.shape.k !== "list") return undefined;
    const v = this.lowerElement(ch, out, e);
    return "o" in v && isVar(v.o) ? v.o.name : this.internal(e);
  }

  /** What an element chain reaches, its index lowered first (see elementValue). */
  protected lowerElement(ch: ElementChain, out: Stmt[], at: ts.Node): { rec: Rec } | { o: Operand } {
    return this.elementValue(ch.list, this.lowerExpr(ch.index, out, "i"), ch.path, ch.shape, out, at);
  }

  protected lowerIdentifier(e: ts.Identifier): Operand {
    const sym = this.checker.getSymbolAtLocation(e);
    const local = sym && this.env.get(sym);
    if (local) return local;
    // the global NaN and Infinity (a local of that name is a variable like any other)
    if (e.text === "NaN" || e.text === "Infinity") return num(e.text === "NaN" ? NaN : Infinity, e.text);
    if (!sym) this.internal(e);
    // module-level constants with a numeric literal value
    const outer = outerName(sym, this.checker);
    if (outer.kind !== "constant") this.internal(e);
    return num(outer.value);
  }


  protected lowerBinary(e: ts.BinaryExpression, out: Stmt[], hint: string): Operand {
    const k = e.operatorToken.kind;
    // `kind === "l1"` of a choice among strings: that string's boolean
    const chosen = this.choiceTest(e, out);
    if (chosen) return chosen;
    // an assignment is the assigned value; a comma runs its left side, then is its right side
    if (isAssignmentOperator(k)) return this.lowerAssignment(e.left, k, e.right, out, e);
    if (k === ts.SyntaxKind.CommaToken) {
      this.lowerExpressionStatement(e.left, out);
      return this.lowerExpr(e.right, out, hint);
    }
    // `opts.scale === undefined` and `opts.scale ?? fallback`, of an optional field
    const test = undefinedTest(e, this.checker);
    if (test) return this.lowerUndefinedTest(test, out, e);
    if (k === ts.SyntaxKind.QuestionQuestionToken && isOptionalRead(e.left, this.checker)) return this.lowerFallback(e, out, hint);
    // `xs.find(p) ?? fallback` and `xs.at(i) ?? fallback`, the `??`s the fence lets through
    if (k === ts.SyntaxKind.QuestionQuestionToken && (this.isSearch(e.left) || this.isAt(e.left) || this.isElementRead(e.left))) return this.lowerFound(e, out, hint);
    const op = BINARY_OPS[k];
    if (!op) this.internal(e.operatorToken);
    const a = this.lowerExpr(e.left, out, "");
    if ((op === "||" || op === "&&") && this.typeOfOperand(a) === "num") return this.lowerChoice(op, a, e, out, hint);
    const b = this.lowerExpr(e.right, out, "");
    return this.step(out, op, [a, b], e, ruleFor(op)!.result, hint);
  }

  /**
   * Whether an optional field is given: its boolean leaf for a record parameter's field; for an
   * object of this function, whether the object has the field.
   */
  private isGiven(field: ts.Expression): Operand {
    if (ts.isIdentifier(field)) return this.givens.get(this.symbolOf(field)) ?? this.internal(field);
    // `seg?.slope` of a list's element found by a search: whether there is one
    const root = foundFieldRoot(field, this.checker);
    if (root) return this.isGiven(root);
    if (!ts.isPropertyAccessExpression(field)) return this.internal(field);
    const slot = this.slotOf(field);
    if (slot) return slot.given ?? bool(true);
    return this.recordOf(field.expression) ? bool(false) : this.internal(field);
  }

  /** `opts.scale === undefined` and its kin (3-lower/resolve.ts, undefinedTest). */
  private lowerUndefinedTest(test: NonNullable<ReturnType<typeof undefinedTest>>, out: Stmt[], e: ts.BinaryExpression): Operand {
    if (test.constant !== undefined) return bool(test.constant);
    const given = this.isGiven(test.field);
    if (given.kind === "const") return bool(given.value === test.given);
    return test.given ? given : this.step(out, "!", [given], e, "bool", "");
  }

  /** `opts.scale ?? fallback`: the field when it is given, else the fallback, evaluated only then. */
  private lowerFallback(e: ts.BinaryExpression, out: Stmt[], hint: string): Operand {
    const field = stripTypes(e.left);
    const given = this.isGiven(field);
    if (given.kind === "const") return given.value ? this.lowerExpr(field, out, hint) : this.lowerExpr(e.right, out, hint);
    const name = ts.isIdentifier(field) ? field.text : (field as ts.PropertyAccessExpression).name.text;
    // a literal fallback of a parameter's field (`s.gain ?? 1`), which the function never writes:
    // the same choice wherever it is read, so it is made once, at the start of the body, rather
    // than in every iteration of a loop around the read
    const literal = skipParens(e.right);
    const global = (c: ts.Expression) => {
      const sym = ts.isIdentifier(c) && (c.text === "Infinity" || c.text === "NaN") ? this.checker.getSymbolAtLocation(c) : undefined;
      return !!sym && !this.env.get(sym);
    };
    const isLiteral = ts.isNumericLiteral(literal) || global(literal) || (ts.isPrefixUnaryExpression(literal) && literal.operator === ts.SyntaxKind.MinusToken && ts.isNumericLiteral(skipParens(literal.operand)));
    const value = isLiteral ? this.lowerExpr(field, out, "") : undefined;
    if (value && isVar(value) && isVar(given) && this.vars.get(value.name)?.kind === "param" && this.vars.get(given.name)?.kind === "param") {
      const fallback = this.lowerExpr(literal, out, "");
      const key = `${given.name} ${value.name} ${String(fallback.kind === "const" && fallback.value)}`;
      const made = this.fallbacks.get(key);
      if (made) return made;
      const depth = this.depth;
      this.depth = 0;
      const chosen = this.chosen(this.prologue, given, () => value, () => fallback, name, e);
      this.depth = depth;
      this.fallbacks.set(key, chosen);
      return chosen;
    }
    return this.chosen(out, given, (o) => this.lowerExpr(field, o, ""), (o) => this.lowerExpr(e.right, o, ""), hint || name, e);
  }

  /**
   * `a || b` and `a && b` of numbers: `a` when it decides (truthy for `||`, falsy for `&&`), else
   * `b`, evaluated only then, as JavaScript does.
   */
  protected lowerChoice(op: "||" | "&&", a: Operand, e: ts.BinaryExpression, out: Stmt[], hint: string): Operand {
    const t = this.newVar(hint || "sel", "num", "local");
    const left: Stmt[] = [];
    const right: Stmt[] = [];
    this.depth++;
    this.emitOp(left, t, "copy", [a], e);
    this.emitOp(right, t, "copy", [this.lowerExpr(e.right, right, "")], e);
    this.depth--;
    const truthy = this.truth(a, out, e);
    out.push({ kind: "if", cond: truthy, then: op === "||" ? left : right, else: op === "||" ? right : left, loc: this.loc(this.stmtOf(e)) });
    return ref(t);
  }

  protected lowerTernary(e: ts.ConditionalExpression, out: Stmt[], hint: string): Operand {
    const c = this.lowerCondition(e.condition, out);
    // a condition known here (a choice passed as one of its strings): only its side is evaluated
    if (c.kind === "const") return this.lowerExpr(c.value ? e.whenTrue : e.whenFalse, out, hint);
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
    if (ta !== tb || ta === "arr") this.internal(e);
    this.vars.get(t)!.type = ta;
    out.push({ kind: "if", cond: c, then: thenOut, else: elseOut, loc: this.loc(this.stmtOf(e)) });
    return ref(t);
  }

  // ---------------------------------------------------------------- calls

  /** A value as it is now: a variable that a later assignment may change is copied into a temporary. */
  protected held(v: Operand, out: Stmt[], at: ts.Node): Operand {
    return isVar(v) && this.vars.get(v.name)!.kind !== "temp" ? this.step(out, "copy", [v], at, "num", "") : v;
  }

  protected lowerCall(e: ts.CallExpression, out: Stmt[], asStatement: boolean): Operand | undefined {
    const conv = conversion(e, this.checker);
    if (conv) {
      // Number(b) of a boolean: 1 or 0; Boolean(x) of a number: its truthiness; of their own type, the value
      const v = this.lowerExpr(e.arguments[0]!, out, "");
      const isBool = this.typeOfOperand(v) === "bool";
      if (conv === "Boolean") return isBool ? v : this.truth(v, out, e);
      if (!isBool) return v;
      const t = this.newVar("n", "num", "local");
      const one: Stmt[] = [], zero: Stmt[] = [];
      this.emitOp(one, t, "copy", [num(1)], e);
      this.emitOp(zero, t, "copy", [num(0)], e);
      out.push({ kind: "if", cond: v, then: one, else: zero, loc: this.loc(this.stmtOf(e)) });
      return ref(t);
    }
    // array methods taking a callback: loops (inline.ts)
    if (this.isIteration(e, "reduce") || this.isIteration(e, "reduceRight")) return this.lowerReduce(e, out);
    if (this.isIteration(e, "forEach")) return void this.lowerForEach(e, out);
    if (this.isSearch(e)) return this.lowerSearch(e, out);
    if (this.isAt(e)) {
      const { index, array } = this.atIndex(e, out);
      return this.arrayLoad(out, array, index, e);
    }
    const c = resolveCallee(e, this.cx);
    switch (c.kind) {
      case "math": {
        if (!c.rule) this.internal(e);
        if (c.op === "Math.hypot" && e.arguments.length === 1 && ts.isSpreadElement(e.arguments[0]!)) return this.lowerNorm((e.arguments[0] as ts.SpreadElement).expression, e, out);
        if (e.arguments.some(ts.isSpreadElement)) return this.lowerFold(c.op, c.rule.fold ?? this.internal(e), e, out);
        const args = e.arguments.map((a) => this.lowerExpr(a, out, ""));
        return this.step(out, c.op, args, e, c.rule.result, "");
      }
      case "routine": return this.lowerRuntimeCall(c.name, e, out, asStatement);
      case "helper": return this.inlineHelper(c.decl, e, out);
      case "custom": return this.lowerCustomCall(c.decl, c.callee, e, out);
      case "unknown": return this.internal(e);
    }
  }

  /** `Math.hypot(...xs)`: the runtime's `hypotOf(n, xs)`, a matrix-level primitive (rules/blas.ts). */
  private lowerNorm(arg: ts.Expression, e: ts.CallExpression, out: Stmt[]): Operand {
    const a = this.lowerArrayValue(arg, out);
    return this.emitRoutineCall("hypotOf", [this.arrayLength(out, a, e), this.arrayArg(out, a, e)], e, out)!;
  }

  protected lowerRuntimeCall(fn: string, e: ts.CallExpression, out: Stmt[], asStatement: boolean): Operand | undefined {
    const rule = arrayRuleFor(fn);
    if (!rule) {
      this.internal(e.expression);
    }
    if (e.arguments.length !== rule.signature.length) this.internal(e);
    const args = e.arguments.map((a, i): Expr => {
      const want = rule.signature[i];
      if (want === "bool") {
        const lit = skipParens(a);
        if (lit.kind !== ts.SyntaxKind.TrueKeyword && lit.kind !== ts.SyntaxKind.FalseKeyword) {
          this.internal(a);
        }
        return { kind: "const", value: lit.kind === ts.SyntaxKind.TrueKeyword } as Operand;
      }
      if (want === "arr") return this.arrayArg(out, this.lowerArrayRef(a, out), a);
      return this.lowerExpr(a, out, "");
    });
    if (rule.writes === "result" && asStatement) this.internal(e);
    return this.emitRoutineCall(fn, args, e, out);
  }

  /** A call of a runtime routine with its arguments lowered: its result, or nothing when it writes an array. */
  protected emitRoutineCall(fn: string, args: Expr[], e: ts.CallExpression, out: Stmt[]): Operand | undefined {
    const rule = arrayRuleFor(fn) ?? this.internal(e);
    const target = rule.writes === "result" ? this.newVar("", "num", "temp") : undefined;
    if (rule.writes !== "result") this.loads.written(arrayOfArg(args[rule.writes])!);
    out.push({ kind: "call", fn, args, target, loc: this.loc(this.stmtOf(e)) });
    if (target) {
      this.defs.set(target, 1);
      return ref(target);
    }
    return undefined;
  }
}
