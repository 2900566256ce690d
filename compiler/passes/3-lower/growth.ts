/**
 * Arrays that grow by `push`: where each push stands, and how many elements the statement that
 * holds it can add. Pure functions of the syntax tree; the fence (2-fence/arrays.ts) reports a
 * push it cannot size, and lowering (statements.ts) sizes the array before each such statement.
 *
 * A growing array is a `number[]` local declared with an array literal (`const out: number[] =
 * []`). Its pushes are `out.push(a, …)` statements in the function that declares it. The
 * statement of the declaring block that holds a push (its `top`) may run it at most
 * Π trips(loop) times, over the `for` and `for…of` loops around the push inside `top`, whose trip
 * counts are known when `top` starts: their counters, bounds and arrays are not changed inside
 * `top`, and were declared before it. Branches and exits (`if`, `switch`, `break`, `continue`,
 * `return`) only make it run fewer times, so the bound holds.
 *
 * A `while` (or `do…while`) loop around a push bounds it too when it steps a counter
 * (`while (i < n && …) { …; i++; }`, see `countedWhile`) that nothing else in `top` writes:
 * the counter then only moves towards the bound, so no run of the loop inside `top` makes more
 * trips than the counter's value when `top` starts leaves before the bound (one more for a
 * `do…while`, whose body runs before its test).
 */
import ts from "typescript";
import { COMPARISONS, countedFor, writtenNames, stepOf, countJumps, isAssignmentOperator } from "./jumps.ts";
import { skipParens, arrayIteration } from "./resolve.ts";

/** A loop around a push, inside the statement of the array's block that holds the push. */
export type BoundingLoop = ts.ForStatement | ts.ForOfStatement | ts.WhileStatement | ts.DoStatement;

type Cmp = "<" | "<=" | ">" | ">=";
const FLIPPED: Record<Cmp, Cmp> = { "<": ">", "<=": ">=", ">": "<", ">=": "<=" };

/**
 * A `while` or `do…while` loop that steps a counter towards a bound: its test is, or has among
 * the terms of an `&&` chain, a comparison of a name with an expression (`i < n`, `n > i`); one
 * statement of its body steps that name by a constant towards the bound (`i++`, `i -= 2`), no
 * other expression of the loop (its test included) writes it, and no `continue` skips the step.
 */
export function countedWhile(s: ts.WhileStatement | ts.DoStatement): { counter: ts.Identifier; cmp: Cmp; step: number; end: ts.Expression } | undefined {
  if (!ts.isBlock(s.statement) || countJumps(s.statement, "continue", s) > 0) return undefined;
  const terms = (e0: ts.Expression): ts.Expression[] => {
    const e = skipParens(e0);
    return ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken ? [...terms(e.left), ...terms(e.right)] : [e];
  };
  for (const t of terms(s.expression)) {
    if (!ts.isBinaryExpression(t)) continue;
    const op = COMPARISONS[t.operatorToken.kind];
    const left = skipParens(t.left), right = skipParens(t.right);
    if (!op) continue;
    const [counter, end, cmp] = ts.isIdentifier(left) ? [left, t.right, op] : ts.isIdentifier(right) ? [right, t.left, FLIPPED[op]] : [];
    if (!counter || !end || !cmp) continue;
    const steps = s.statement.statements.flatMap((st) => {
      const by = ts.isExpressionStatement(st) ? stepOf(st.expression, counter.text) : undefined;
      return by === undefined ? [] : [by];
    });
    if (steps.length !== 1 || steps[0] === 0 || (cmp === "<" || cmp === "<=") !== steps[0]! > 0) continue;
    if (writesTo(s, counter.text) !== 1) continue;
    return { counter, cmp, step: steps[0]!, end };
  }
  return undefined;
}

/** How many expressions inside `node` write the name `name` (assignments, destructuring, ++ and --). */
function writesTo(node: ts.Node, name: string): number {
  let n = 0;
  const targets = (e0: ts.Expression): void => {
    const e = skipParens(e0);
    if (ts.isIdentifier(e)) n += e.text === name ? 1 : 0;
    else if (ts.isArrayLiteralExpression(e)) e.elements.forEach((x) => targets(ts.isSpreadElement(x) ? x.expression : x));
    else if (ts.isObjectLiteralExpression(e)) {
      for (const p of e.properties) {
        if (ts.isShorthandPropertyAssignment(p)) n += p.name.text === name ? 1 : 0;
        else if (ts.isPropertyAssignment(p)) targets(p.initializer);
        else if (ts.isSpreadAssignment(p)) targets(p.expression);
      }
    } else if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.EqualsToken) targets(e.left);
  };
  const visit = (x: ts.Node) => {
    if (ts.isBinaryExpression(x) && isAssignmentOperator(x.operatorToken.kind)) targets(x.left);
    if ((ts.isPostfixUnaryExpression(x) || ts.isPrefixUnaryExpression(x)) && (x.operator === ts.SyntaxKind.PlusPlusToken || x.operator === ts.SyntaxKind.MinusMinusToken)) targets(x.operand);
    if ((ts.isForOfStatement(x) || ts.isForInStatement(x)) && !ts.isVariableDeclarationList(x.initializer)) targets(x.initializer);
    ts.forEachChild(x, visit);
  };
  visit(node);
  return n;
}

export interface PushSite {
  call: ts.CallExpression;
  /** The statement of the declaring block that holds the push. */
  top: ts.Statement;
  /** The loops around the push inside `top`, outermost first. */
  loops: BoundingLoop[];
  /**
   * The value a `while` loop's counter starts from, when it is declared inside `top` (`let j =
   * 0` in the loop around it): its initialiser. Otherwise the counter's value when `top` starts.
   */
  starts: Map<BoundingLoop, ts.Expression>;
}

/** `name.push(…)` of an identifier (the receiver and the call), if `e` is one. */
export function pushCall(e: ts.Expression): { recv: ts.Identifier; call: ts.CallExpression } | undefined {
  const c = skipParens(e);
  if (!ts.isCallExpression(c)) return undefined;
  const callee = skipParens(c.expression);
  if (!ts.isPropertyAccessExpression(callee) || callee.name.text !== "push") return undefined;
  const recv = skipParens(callee.expression);
  return ts.isIdentifier(recv) ? { recv, call: c } : undefined;
}

/** Every push in a function, by the symbol pushed onto (one walk per function and checker). */
const pushesByFunction = new WeakMap<ts.TypeChecker, WeakMap<ts.Node, Map<ts.Symbol, ts.CallExpression[]>>>();

/** The pushes onto the array `decl` declares, anywhere in the function around it. */
export function pushesOf(decl: ts.VariableDeclaration, checker: ts.TypeChecker): ts.CallExpression[] {
  const sym = checker.getSymbolAtLocation(decl.name);
  let fn: ts.Node = decl;
  while (fn.parent && !ts.isFunctionLike(fn)) fn = fn.parent;
  let byFn = pushesByFunction.get(checker);
  if (!byFn) pushesByFunction.set(checker, (byFn = new WeakMap()));
  let all = byFn.get(fn);
  if (!all) {
    const found = new Map<ts.Symbol, ts.CallExpression[]>();
    const visit = (n: ts.Node) => {
      const p = ts.isExpression(n) ? pushCall(n) : undefined;
      const s = p && checker.getSymbolAtLocation(p.recv);
      if (s) found.set(s, [...(found.get(s) ?? []), p.call]);
      ts.forEachChild(n, visit);
    };
    visit(fn);
    byFn.set(fn, (all = found));
  }
  return (sym && all.get(sym)) ?? [];
}

/**
 * Where a push onto the array `decl` declares stands, or why the array cannot be sized before
 * the statement holding it (what to say, and where).
 */
export function pushSite(call: ts.CallExpression, decl: ts.VariableDeclaration): PushSite | { why: string; at: ts.Node } {
  const block = decl.parent.parent.parent;
  const name = (decl.name as ts.Identifier).text;
  const chain: ts.Node[] = [];
  let n: ts.Node = call;
  while (n.parent && n.parent !== block) {
    if (ts.isFunctionLike(n.parent)) return { why: `'${name}.push' is inside a callback or closure: push in a loop of the function that declares '${name}' (for…of instead of forEach)`, at: call };
    n = n.parent;
    chain.push(n);
  }
  if (n.parent !== block || !ts.isStatement(n)) return { why: `'${name}.push' must be in the function that declares '${name}'`, at: call };
  const top = n;
  const written = writtenNames(top);
  const line = (x: ts.Node) => x.getSourceFile().getLineAndCharacterOfPosition(x.getStart()).line + 1;
  /** Why an expression a loop's trip count depends on might not be known when `top` starts. */
  const unknown = (e: ts.Expression, loop: ts.Node): string | undefined => {
    let why: string | undefined;
    const visit = (x: ts.Node): void => {
      if (why) return;
      const walked = ts.isCallExpression(x) ? arrayIteration(x) : undefined;
      if (walked) return visit(walked.recv);
      if (ts.isCallExpression(x) || ts.isElementAccessExpression(x)) why = `the bound '${e.getText()}' of the loop at line ${line(loop)} calls or indexes`;
      else if (ts.isIdentifier(x) && !(ts.isPropertyAccessExpression(x.parent) && x.parent.name === x)) {
        if (x.text === name) why = `the loop at line ${line(loop)} depends on the length of '${name}' itself`;
        else if (written.has(x.text)) why = `'${x.text}', which the loop at line ${line(loop)} depends on, changes inside the statement at line ${line(top)}`;
        else if (declaredWithin(x, top)) why = `'${x.text}', which the loop at line ${line(loop)} depends on, is declared inside the statement at line ${line(top)}`;
      }
      ts.forEachChild(x, visit);
    };
    visit(e);
    return why;
  };
  const loops: BoundingLoop[] = [];
  const starts = new Map<BoundingLoop, ts.Expression>();
  for (const a of chain) {
    if (ts.isForStatement(a)) {
      const shape = countedFor(a);
      if (!shape) return { why: `the loop at line ${line(a)} around '${name}.push' is not a counted for loop (for (let i = a; i < b; i++), with i and b unchanged in it)`, at: a };
      const why = unknown(shape.decl.initializer!, a) ?? unknown(shape.end, a);
      if (why) return { why, at: a };
      loops.unshift(a);
    } else if (ts.isForOfStatement(a)) {
      const why = unknown(a.expression, a);
      if (why) return { why, at: a.expression };
      loops.unshift(a);
    } else if (ts.isWhileStatement(a) || ts.isDoStatement(a)) {
      const kind = ts.isWhileStatement(a) ? "while" : "do…while";
      const shape = countedWhile(a);
      if (!shape) return { why: `'${name}.push' is inside a ${kind} loop (line ${line(a)}), whose trip count is not known when it starts: step a counter towards a bound in it, once per iteration (while (i < n) { …; i++; }), or use a for loop with a bound`, at: a };
      const c = shape.counter.text;
      if (writesTo(top, c) !== 1) return { why: `the counter '${c}' of the ${kind} loop at line ${line(a)} is written elsewhere inside the statement at line ${line(top)}, so its trip count is not known when that statement starts`, at: a };
      // declared inside top (let j = 0 in the loop around it): every run starts at or past its initialiser
      const init = counterDeclaration(a, c, top)?.initializer;
      if (init) {
        const why = unknown(init, a);
        if (why) return { why, at: a };
        starts.set(a, init);
      } else if (declaredWithin(shape.counter, top)) {
        return { why: `the counter '${c}' of the ${kind} loop at line ${line(a)} is declared inside the statement at line ${line(top)} without a value known when it starts: declare it before that statement, or with such a value (let ${c} = 0)`, at: a };
      }
      const why = unknown(shape.end, a);
      if (why) return { why, at: a };
      loops.unshift(a);
    } else if (ts.isIterationStatement(a, false)) {
      return { why: `'${name}.push' is inside a for-in loop (line ${line(a)}), whose trip count is not known when it starts: use a for loop with a bound`, at: a };
    }
  }
  return { call, top, loops, starts };
}

/**
 * The `let` declaration of `name` in scope at `loop`, when it is a statement of a block around
 * `loop` inside `top` (before the loop), declaring that one name.
 */
function counterDeclaration(loop: ts.Node, name: string, top: ts.Node): ts.VariableDeclaration | undefined {
  for (let child = loop, n = loop.parent; child !== top && n; child = n, n = n.parent) {
    if (!ts.isBlock(n)) continue;
    for (const st of n.statements.slice(0, n.statements.indexOf(child as ts.Statement))) {
      if (!ts.isVariableStatement(st)) continue;
      const d = st.declarationList.declarations.find((x) => ts.isIdentifier(x.name) && x.name.text === name);
      if (d) return st.declarationList.flags & ts.NodeFlags.Let ? d : undefined;
    }
  }
  return undefined;
}

function declaredWithin(id: ts.Identifier, node: ts.Node): boolean {
  // the declaration of a name used inside `node`: a variable or a loop counter declared there
  let found = false;
  const visit = (x: ts.Node) => {
    if (found) return;
    if ((ts.isVariableDeclaration(x) || ts.isParameter(x)) && ts.isIdentifier(x.name) && x.name.text === id.text && x.pos < id.pos) found = true;
    ts.forEachChild(x, visit);
  };
  visit(node);
  return found;
}
