/**
 * The intermediate representation (IR).
 *
 * A function is a tree of structured regions (if, counted for, general loop) whose leaves are
 * three-address steps: every step applies one primitive to at most a few operands and writes one
 * variable (`t3 = mul(t1, t2)`). Expression temporaries are assigned exactly once; source
 * variables keep their names and may be reassigned (the reverse pass saves what an overwrite
 * destroys). Jumps (break, continue, return) are removed by lowering: the remainder of a block is
 * nested under the branch that does not jump, and exits are carried by boolean flags, so every
 * region has a single entry and a single exit.
 */

import type { Names } from "../naming.ts";

export type Type = "num" | "bool" | "arr";

export interface Loc {
  file: string;
  line: number; // 1-based
  col: number; // 1-based
  /** Source text of the statement this step came from (for comments in generated code). */
  text?: string;
}

export interface VarInfo {
  name: string;
  type: Type;
  kind: "param" | "local" | "temp" | "flag";
  /** Name in the user's source, when the variable is one of theirs. */
  origin?: string;
}

export type Operand = VarRef | Const;
export interface VarRef {
  kind: "var";
  name: string;
}
export interface Const {
  kind: "const";
  value: number | boolean;
  /** How the constant is spelled in source when it is a named constant (`Math.PI`). */
  text?: string;
}

/** `target = op(args)`: op names a rule-table primitive, or one of the structural ops below. */
export interface OpStmt {
  kind: "op";
  target: string;
  op: string;
  args: Operand[];
  loc: Loc;
}
/** `target = array[index]` */
export interface LoadStmt {
  kind: "load";
  target: string;
  array: string;
  index: Operand;
  loc: Loc;
}
/** `array[index] = value` */
export interface StoreStmt {
  kind: "store";
  array: string;
  index: Operand;
  value: Operand;
  loc: Loc;
}
/** `target = new Float64Array(size)` */
export interface AllocStmt {
  kind: "alloc";
  target: string;
  size: Operand;
  loc: Loc;
}
/** A call of a runtime BLAS routine (a matrix-level primitive): writes an array or `target`. */
export interface CallStmt {
  kind: "call";
  fn: string;
  args: Operand[];
  target?: string;
  loc: Loc;
}
export interface IfStmt {
  kind: "if";
  cond: Operand;
  then: Stmt[];
  else: Stmt[];
  loc: Loc;
}
/**
 * Counted loop: `for (let counter = start; counter <cmp> end; counter += step) body`.
 * The counter is not written by the body, `end` is not written by the body, and the body
 * contains no exits: the trip count is known on entry.
 */
export interface ForStmt {
  kind: "for";
  counter: string;
  start: Operand;
  end: Operand;
  cmp: "<" | "<=" | ">" | ">=";
  step: number;
  body: Stmt[];
  loc: Loc;
}
/**
 * General loop: `while (true) { header; if (!cond) break; body; update }`, or for do-while
 * `while (true) { body; update; header; if (!cond) break; }`.
 */
export interface LoopStmt {
  kind: "loop";
  header: Stmt[];
  cond: Operand;
  body: Stmt[];
  update: Stmt[];
  doWhile: boolean;
  loc: Loc;
}
export type Stmt = OpStmt | LoadStmt | StoreStmt | AllocStmt | CallStmt | IfStmt | ForStmt | LoopStmt;

export interface IRFunction {
  name: string;
  file: string;
  params: { name: string; type: Type }[];
  /** Parameters the user asked derivatives for (all numeric parameters unless `@wrt`). */
  wrt: string[];
  /** Float64Array parameters holding the results of a vector-valued function (`@out`). */
  outputs: string[];
  vars: Map<string, VarInfo>;
  body: Stmt[];
  /** The function's result; set by the body on every path. */
  result: Operand;
  loc: Loc;
  /** Every name in use (source identifiers and IR variables), for collision-free generated names. */
  names: Names;
}

export function isVar(o: Operand): o is VarRef {
  return o.kind === "var";
}
export function ref(name: string): VarRef {
  return { kind: "var", name };
}
export function num(value: number, text?: string): Const {
  return text === undefined ? { kind: "const", value } : { kind: "const", value, text };
}

export function assertNever(x: never): never {
  throw new Error(`unhandled IR kind: ${JSON.stringify(x)}`);
}

/** Visits every statement in the tree, regions first then their children. */
export function walk(stmts: Stmt[], fn: (s: Stmt) => void): void {
  for (const s of stmts) {
    fn(s);
    switch (s.kind) {
      case "if":
        walk(s.then, fn);
        walk(s.else, fn);
        break;
      case "for":
        walk(s.body, fn);
        break;
      case "loop":
        walk(s.header, fn);
        walk(s.body, fn);
        walk(s.update, fn);
        break;
      case "op":
      case "load":
      case "store":
      case "alloc":
      case "call":
        break;
      default:
        assertNever(s);
    }
  }
}

/** The variable a step writes (whole-variable writes only; stores write an element). */
export function defOf(s: Stmt): string | undefined {
  switch (s.kind) {
    case "op":
    case "load":
    case "alloc":
      return s.target;
    case "call":
      return s.target;
    default:
      return undefined;
  }
}

/** Operands a leaf step or a region's own test reads (not its children's). */
export function usesOf(s: Stmt): Operand[] {
  switch (s.kind) {
    case "op":
      return s.args;
    case "load":
      return [ref(s.array), s.index];
    case "store":
      return [ref(s.array), s.index, s.value];
    case "alloc":
      return [s.size];
    case "call":
      return s.args;
    case "if":
      return [s.cond];
    case "for":
      return [s.start, s.end];
    case "loop":
      return [s.cond];
    default:
      return assertNever(s);
  }
}
