/**
 * The printer's own view of the output language: a small JavaScript AST between the IR and
 * TypeScript's factory nodes. Only the printing pass uses it.
 */

export type Expr =
  | { k: "num"; v: number; text?: string }
  | { k: "bool"; v: boolean }
  | { k: "ref"; name: string }
  | { k: "bin"; op: BinOp; a: Expr; b: Expr }
  | { k: "un"; op: "-" | "!" | "+" | "~"; a: Expr }
  | { k: "call"; fn: string; args: Expr[] }
  /** `arr[index]`, with `!` when reading an element (generated code is checked with noUncheckedIndexedAccess). */
  | { k: "index"; arr: Expr; index: Expr; assert?: boolean }
  | { k: "member"; obj: Expr; prop: string; optional?: boolean }
  /** `name++` (or `++name` with `prefix`) */
  | { k: "inc"; name: string; op: "++" | "--"; prefix?: boolean }
  | { k: "arrow"; params: string[]; body: Expr }
  | { k: "cond"; c: Expr; a: Expr; b: Expr }
  | { k: "new"; ctor: string; args: Expr[] }
  | { k: "object"; props: [string, Expr][] }
  | { k: "str"; v: string }
  | { k: "template"; parts: string[]; values: Expr[] }
  | { k: "undef" };

export type BinOp =
  | "+" | "-" | "*" | "/" | "%" | "**"
  | "<" | "<=" | ">" | ">=" | "===" | "!==" | "&&" | "||" | "??"
  | "&" | "|" | "^" | "<<" | ">>" | ">>>";

export type UnOp = "-" | "!" | "+";

export type Stmt =
  | { k: "decl"; kw: "const" | "let"; name: string; init?: Expr; type?: string; comment?: string }
  | { k: "assign"; target: Expr; op: "=" | "+=" | "-=" | "*="; value: Expr; comment?: string }
  | { k: "expr"; e: Expr; comment?: string }
  | { k: "if"; c: Expr; then: Stmt[]; else: Stmt[]; comment?: string }
  | { k: "for"; init: Stmt | null; test: Expr | null; update: Expr | Stmt | null; body: Stmt[]; comment?: string }
  | { k: "while"; test: Expr; body: Stmt[]; doWhile?: boolean; comment?: string }
  | { k: "break" }
  | { k: "throw"; e: Expr }
  | { k: "return"; e?: Expr }
  | { k: "block"; body: Stmt[]; comment?: string };

export const n = (v: number, text?: string): Expr => (text === undefined ? { k: "num", v } : { k: "num", v, text });
export const r = (name: string): Expr => ({ k: "ref", name });
export const call = (fn: string, ...args: Expr[]): Expr => ({ k: "call", fn, args });

