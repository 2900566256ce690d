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
 */
import ts from "typescript";
import { countedFor, writtenNames } from "./jumps.ts";
import { skipParens, arrayIteration } from "./resolve.ts";

/** A loop around a push, inside the statement of the array's block that holds the push. */
export type BoundingLoop = ts.ForStatement | ts.ForOfStatement;

export interface PushSite {
  call: ts.CallExpression;
  /** The statement of the declaring block that holds the push. */
  top: ts.Statement;
  /** The loops around the push inside `top`, outermost first. */
  loops: BoundingLoop[];
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
    } else if (ts.isIterationStatement(a, false)) {
      return { why: `'${name}.push' is inside a ${ts.isWhileStatement(a) ? "while" : ts.isDoStatement(a) ? "do…while" : "for-in"} loop (line ${line(a)}), whose trip count is not known when it starts: use a for loop with a bound`, at: a };
    }
  }
  return { call, top, loops };
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
