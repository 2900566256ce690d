/**
 * The output language: a small JavaScript AST that the differentiation passes emit and the
 * printer turns into TypeScript. Expression constructors fold constants and drop algebraic
 * identities (`x * 1`, `x + 0`, `0 * x`) as they build, so rules can be written plainly.
 */

export type Expr =
  | { k: "num"; v: number; text?: string }
  | { k: "bool"; v: boolean }
  | { k: "ref"; name: string }
  | { k: "bin"; op: BinOp; a: Expr; b: Expr }
  | { k: "un"; op: "-" | "!" | "+"; a: Expr }
  | { k: "call"; fn: string; args: Expr[] }
  | { k: "index"; arr: Expr; index: Expr }
  | { k: "member"; obj: Expr; prop: string; optional?: boolean }
  | { k: "inc"; name: string; op: "++" | "--" }
  | { k: "arrow"; params: string[]; body: Expr }
  | { k: "cond"; c: Expr; a: Expr; b: Expr }
  | { k: "new"; ctor: string; args: Expr[] }
  | { k: "object"; props: [string, Expr][] }
  | { k: "undef" };

export type BinOp =
  | "+" | "-" | "*" | "/" | "%" | "**"
  | "<" | "<=" | ">" | ">=" | "===" | "!==" | "&&" | "||" | "??";

export type Stmt =
  | { k: "decl"; kw: "const" | "let"; name: string; init?: Expr; type?: string; comment?: string }
  | { k: "assign"; target: Expr; op: "=" | "+=" | "-=" | "*="; value: Expr; comment?: string }
  | { k: "expr"; e: Expr; comment?: string }
  | { k: "if"; c: Expr; then: Stmt[]; else: Stmt[]; comment?: string }
  | { k: "for"; init: Stmt | null; test: Expr | null; update: Expr | Stmt | null; body: Stmt[]; comment?: string }
  | { k: "while"; test: Expr; body: Stmt[]; doWhile?: boolean; comment?: string }
  | { k: "break" }
  | { k: "return"; e?: Expr }
  | { k: "block"; body: Stmt[]; comment?: string };

export const n = (v: number, text?: string): Expr => (text === undefined ? { k: "num", v } : { k: "num", v, text });
export const r = (name: string): Expr => ({ k: "ref", name });
export const call = (fn: string, ...args: Expr[]): Expr => ({ k: "call", fn, args });
export const idx = (arr: Expr, index: Expr): Expr => ({ k: "index", arr, index });
export const member = (obj: Expr, prop: string): Expr => ({ k: "member", obj, prop });

export function isNum(e: Expr, v?: number): boolean {
  return e.k === "num" && (v === undefined || Object.is(e.v, v) || e.v === v);
}

export function neg(a: Expr): Expr {
  if (a.k === "num" && a.text === undefined) return n(-a.v);
  if (a.k === "un" && a.op === "-") return a.a;
  return { k: "un", op: "-", a };
}

export function add(a: Expr, b: Expr): Expr {
  if (isNum(a, 0)) return b;
  if (isNum(b, 0)) return a;
  if (a.k === "num" && b.k === "num" && !a.text && !b.text) return n(a.v + b.v);
  if (b.k === "un" && b.op === "-") return sub(a, b.a);
  return { k: "bin", op: "+", a, b };
}

export function sub(a: Expr, b: Expr): Expr {
  if (isNum(b, 0)) return a;
  if (isNum(a, 0)) return neg(b);
  if (a.k === "num" && b.k === "num" && !a.text && !b.text) return n(a.v - b.v);
  if (b.k === "un" && b.op === "-") return add(a, b.a);
  return { k: "bin", op: "-", a, b };
}

/**
 * Products fold constants and units. `0 * x` folds to 0: the rules only build products of a
 * partial derivative and an adjoint, where a zero factor means "no dependence".
 */
export function mul(a: Expr, b: Expr): Expr {
  if (isNum(a, 0) || isNum(b, 0)) return n(0);
  if (isNum(a, 1)) return b;
  if (isNum(b, 1)) return a;
  if (isNum(a, -1)) return neg(b);
  if (isNum(b, -1)) return neg(a);
  if (a.k === "num" && b.k === "num" && !a.text && !b.text) return n(a.v * b.v);
  if (a.k === "un" && a.op === "-" && b.k === "un" && b.op === "-") return mul(a.a, b.a);
  if (a.k === "un" && a.op === "-") return neg(mul(a.a, b));
  if (b.k === "un" && b.op === "-") return neg(mul(a, b.a));
  // g * (1 / y)  ->  g / y
  if (b.k === "bin" && b.op === "/" && isNum(b.a, 1)) return div(a, b.b);
  if (a.k === "bin" && a.op === "/" && isNum(a.a, 1)) return div(b, a.b);
  // keep numeric constants on the left for readability: 2 * x
  if (b.k === "num" && a.k !== "num") return { k: "bin", op: "*", a: b, b: a };
  return { k: "bin", op: "*", a, b };
}

export function div(a: Expr, b: Expr): Expr {
  if (isNum(b, 1)) return a;
  if (isNum(a, 0)) return n(0);
  if (a.k === "num" && b.k === "num" && !a.text && !b.text && b.v !== 0 && Number.isInteger(a.v / b.v)) return n(a.v / b.v);
  if (a.k === "un" && a.op === "-") return neg(div(a.a, b));
  return { k: "bin", op: "/", a, b };
}

export function bin(op: BinOp, a: Expr, b: Expr): Expr {
  switch (op) {
    case "+": return add(a, b);
    case "-": return sub(a, b);
    case "*": return mul(a, b);
    case "/": return div(a, b);
    default: return { k: "bin", op, a, b };
  }
}

export function not(a: Expr): Expr {
  if (a.k === "un" && a.op === "!") return a.a;
  if (a.k === "bool") return { k: "bool", v: !a.v };
  return { k: "un", op: "!", a };
}

export function cond(c: Expr, a: Expr, b: Expr): Expr {
  if (isNum(a, 0) && isNum(b, 0)) return n(0);
  return { k: "cond", c, a, b };
}

/** Names of variables an expression reads. */
export function refsOf(e: Expr, out: Set<string> = new Set()): Set<string> {
  switch (e.k) {
    case "ref": out.add(e.name); break;
    case "bin": refsOf(e.a, out); refsOf(e.b, out); break;
    case "un": refsOf(e.a, out); break;
    case "call":
      // a method call `tape.popF()` reads its receiver
      if (e.fn.includes(".")) out.add(e.fn.slice(0, e.fn.indexOf(".")));
      e.args.forEach((x) => refsOf(x, out));
      break;
    case "new": e.args.forEach((x) => refsOf(x, out)); break;
    case "index": refsOf(e.arr, out); refsOf(e.index, out); break;
    case "member": refsOf(e.obj, out); break;
    case "inc": out.add(e.name); break;
    case "arrow": refsOf(e.body, out); break;
    case "cond": refsOf(e.c, out); refsOf(e.a, out); refsOf(e.b, out); break;
    case "object": e.props.forEach(([, x]) => refsOf(x, out)); break;
    case "num": case "bool": case "undef": break;
  }
  return out;
}

/** Rewrites references by a substitution (used when inlining and when renaming). */
export function substitute(e: Expr, f: (name: string) => Expr | undefined): Expr {
  const go = (x: Expr): Expr => substitute(x, f);
  switch (e.k) {
    case "ref": return f(e.name) ?? e;
    case "bin": return bin(e.op, go(e.a), go(e.b));
    case "un": return e.op === "-" ? neg(go(e.a)) : { k: "un", op: e.op, a: go(e.a) };
    case "call": return { k: "call", fn: e.fn, args: e.args.map(go) };
    case "new": return { k: "new", ctor: e.ctor, args: e.args.map(go) };
    case "index": return idx(go(e.arr), go(e.index));
    case "member": return { ...e, obj: go(e.obj) };
    case "cond": return cond(go(e.c), go(e.a), go(e.b));
    case "object": return { k: "object", props: e.props.map(([p, x]) => [p, go(x)] as [string, Expr]) };
    default: return e;
  }
}

/** Types of generated signatures. */
export type TypeSpec =
  | { k: "number" }
  | { k: "boolean" }
  | { k: "Float64Array" }
  | { k: "object"; props: { name: string; type: TypeSpec; optional?: boolean }[] };

export interface FunctionSpec {
  name: string;
  params: { name: string; type: TypeSpec; optional?: boolean }[];
  returnType: TypeSpec;
  body: Stmt[];
  /** JSDoc text above the function. */
  doc?: string;
}

/** A generated module: runtime imports, module-level statements, functions. */
export interface ModuleSpec {
  header: string;
  runtimeImports: string[];
  runtimeSpecifier: string;
  moduleStmts: Stmt[];
  functions: FunctionSpec[];
}
