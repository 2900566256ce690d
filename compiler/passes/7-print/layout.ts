/**
 * The printer's last step: the JavaScript AST as text, with adjoint's own layout. Deterministic,
 * linear in the size of the module, and dependency-free: two-space indentation, one statement per
 * line, signatures and long calls broken one item per line (trailing commas) past 100 columns,
 * and the clarifying parentheses a reader expects where operators of one precedence mix
 * (`(a / b) * c`, `(a && b) || c`).
 */
import type { TypeSpec } from "../../ir/types.ts";
import type { Expr, Stmt } from "./js.ts";

/** A function ready to print. */
export interface FunctionSpec {
  name: string;
  params: { name: string; type: TypeSpec; optional?: boolean; maybe?: boolean; typeName?: string; init?: string }[];
  returnType: TypeSpec;
  body: Stmt[];
  doc?: string;
}

/** A module ready to print: runtime imports, module-level statements, functions. */
export interface ModuleSpec {
  header: string;
  runtimeImports: string[];
  runtimeSpecifier: string;
  /** The user's functions the module calls, by module: [exported name, local name]. */
  userImports?: { specifier: string; names: [string, string][] }[];
  moduleStmts: Stmt[];
  functions: FunctionSpec[];
}

const WIDTH = 100;
const IND = "  ";

export function printModule(m: ModuleSpec): string {
  const parts: string[] = [m.header];
  if (m.runtimeImports.length > 0) {
    const names = [...m.runtimeImports].sort();
    parts.push(fits(`import { ${names.join(", ")} } from ${str(m.runtimeSpecifier)};`, "")
      ?? `import {\n${names.map((n) => `${IND}${n},`).join("\n")}\n} from ${str(m.runtimeSpecifier)};`);
  }
  for (const u of [...(m.userImports ?? [])].sort((a, b) => (a.specifier < b.specifier ? -1 : a.specifier > b.specifier ? 1 : 0))) {
    const names = u.names.map(([e, l]) => (e === l ? e : `${e} as ${l}`)).sort();
    parts.push(fits(`import { ${names.join(", ")} } from ${str(u.specifier)};`, "")
      ?? `import {\n${names.map((n) => `${IND}${n},`).join("\n")}\n} from ${str(u.specifier)};`);
  }
  const items: string[] = [];
  if (m.moduleStmts.length > 0) items.push(m.moduleStmts.map((s) => stmt(s, "")).join("\n\n"));
  for (const f of m.functions) items.push(functionText(f));
  // the header comment sits right above what follows; the import is set off by a blank line
  const head = parts.join("\n");
  const gap = parts.length > 1 ? "\n\n" : "\n";
  return items.length ? `${head}${gap}${items.join("\n\n")}\n` : `${head}\n`;
}

function fits(line: string, indent: string): string | undefined {
  return indent.length + line.length <= WIDTH && !line.includes("\n") ? line : undefined;
}

function str(s: string): string {
  return JSON.stringify(s);
}

// ---------------------------------------------------------------- functions and types

/**
 * `name: T` for each parameter; `name?: T` for an optional one, and for a source parameter the
 * caller may leave out (`maybe`) when no required parameter follows it (else `name: T | undefined`).
 */
export function paramTexts(params: FunctionSpec["params"], indent: string): string[] {
  return params.map((p, i) => {
    const type = typeText(p.type, indent);
    if (p.init !== undefined) return `${p.name}: ${type} = ${p.init}`;
    if (p.optional) return `${p.name}?: ${type}`;
    if (!p.maybe) return `${p.name}: ${type}`;
    return params.slice(i + 1).every((q) => q.optional || q.maybe) ? `${p.name}?: ${type}` : `${p.name}: ${type} | undefined`;
  });
}

function functionText(f: FunctionSpec): string {
  const doc = f.doc ? `/**\n${f.doc.split("\n").map((l) => ` * ${l}`.trimEnd()).join("\n")}\n */\n` : "";
  const params = paramTexts(f.params, IND);
  const ret = typeText(f.returnType, "");
  // parameters stay on the first line when the whole signature fits, or when there is one plain
  // parameter and only the return type breaks; otherwise one per line
  const first = `export function ${f.name}(${params.join(", ")}): ${ret.split("\n")[0]}`;
  const flat = params.every((p) => !p.includes("\n")) && first.length <= WIDTH && (!ret.includes("\n") || params.length <= 1);
  const head = flat
    ? `export function ${f.name}(${params.join(", ")}): ${ret} {`
    : `export function ${f.name}(\n${params.map((p) => `${IND}${p},`).join("\n")}\n): ${ret} {`;
  const body = f.body.map((s) => stmt(s, IND)).join("\n");
  return `${doc}${head}\n${body}${body ? "\n" : ""}}`;
}

/** A type; object types are written one property per line (indented to `indent`). */
export function typeText(t: TypeSpec, indent: string): string {
  switch (t.k) {
    case "number": return "number";
    case "boolean": return "boolean";
    case "Float64Array": return "Float64Array";
    case "number[]": return "number[]";
    case "literals": return t.values.map((v) => JSON.stringify(v)).join(" | ");
    case "tuple": return `${t.readonly ? "readonly " : ""}[${Array.from({ length: t.length }, () => "number").join(", ")}]`;
    case "ints": return t.name;
    case "list": return `${typeText(t.elem, indent)}[]`;
    case "object": {
      if (t.props.length === 0) return "{}";
      const inner = indent + IND;
      return `{\n${t.props.map((p) => `${inner}${p.name}${p.optional ? "?" : ""}: ${typeText(p.type, inner)};`).join("\n")}\n${indent}}`;
    }
  }
}

// ---------------------------------------------------------------- statements

function block(stmts: Stmt[], indent: string): string {
  if (stmts.length === 0) return "{}";
  return `{\n${stmts.map((s) => stmt(s, indent + IND)).join("\n")}\n${indent}}`;
}

function withComment(comment: string | undefined, text: string, indent: string): string {
  return comment ? `${indent}// ${comment}\n${text}` : text;
}

function stmt(s: Stmt, indent: string): string {
  switch (s.k) {
    case "decl":
      return withComment(s.comment, line(`${s.kw} ${s.name}${s.type ? `: ${s.type}` : ""}${s.init ? " = " : ""}`, s.init, ";", indent), indent);
    case "assign": {
      let op: string = s.op;
      let value = s.value;
      if (op === "+=" && value.k === "un" && value.op === "-") {
        op = "-=";
        value = value.a;
      }
      return withComment(s.comment, line(`${expr(s.target, 0)} ${op} `, value, ";", indent), indent);
    }
    case "expr":
      return withComment(s.comment, line("", s.e, ";", indent), indent);
    case "if": {
      let text = `${indent}if (${expr(s.c, 0)}) ${block(s.then, indent)}`;
      if (s.else.length === 1 && s.else[0].k === "if" && !s.else[0].comment) text += ` else ${stmt(s.else[0], indent).slice(indent.length)}`;
      else if (s.else.length > 0) text += ` else ${block(s.else, indent)}`;
      return withComment(s.comment, text, indent);
    }
    case "for": {
      const init = s.init ? stmt(s.init, "").replace(/;$/, "") : "";
      const test = s.test ? expr(s.test, 0) : "";
      const update = s.update ? ("k" in s.update && isStmt(s.update) ? stmt(s.update, "").replace(/;$/, "") : expr(s.update as Expr, 0)) : "";
      return withComment(s.comment, `${indent}for (${init}; ${test}; ${update}) ${block(s.body, indent)}`, indent);
    }
    case "while":
      return withComment(s.comment, s.doWhile
        ? `${indent}do ${block(s.body, indent)} while (${expr(s.test, 0)});`
        : `${indent}while (${expr(s.test, 0)}) ${block(s.body, indent)}`, indent);
    case "break": return `${indent}break;`;
    case "throw": return line("throw ", s.e, ";", indent);
    case "return": return s.e ? line("return ", s.e, ";", indent) : `${indent}return;`;
    case "block": return withComment(s.comment, `${indent}${block(s.body, indent)}`, indent);
  }
}

function isStmt(x: Expr | Stmt): x is Stmt {
  return ["decl", "assign", "expr", "if", "for", "while", "break", "throw", "return", "block"].includes(x.k);
}

/** `prefix` + expression + `suffix` on one line, or with the outermost call/object broken up. */
function line(prefix: string, e: Expr | undefined, suffix: string, indent: string): string {
  if (!e) return `${indent}${prefix.trimEnd()}${suffix}`;
  const flat = `${indent}${prefix}${expr(e, 0)}${suffix}`;
  if (flat.length <= WIDTH) return flat;
  return `${indent}${prefix}${broken(e, indent)}${suffix}`;
}

/** An expression whose outermost argument list or object is written one item per line. */
function broken(e: Expr, indent: string): string {
  const inner = indent + IND;
  const item = (x: Expr) => {
    const flat = `${inner}${expr(x, 0)},`;
    return flat.length <= WIDTH ? flat : `${inner}${broken(x, inner)},`;
  };
  if (e.k === "call" && e.args.length > 0) return `${e.fn}(\n${e.args.map(item).join("\n")}\n${indent})`;
  if (e.k === "object" && e.props.length > 0) {
    return `{\n${e.props.map(([k, v]) => {
      if (v.k === "ref" && v.name === k) return `${inner}${k},`;
      if (k === "...") return `${inner}${spread(v)},`;
      const flat = `${inner}${k}: ${expr(v, 0)},`;
      return flat.length <= WIDTH ? flat : `${inner}${k}: ${broken(v, inner)},`;
    }).join("\n")}\n${indent}}`;
  }
  // an object body is parenthesized, as on one line: `(t) => ({ … })`
  if (e.k === "arrow") return `(${e.params.join(", ")}) => ${e.body.k === "object" ? `(${broken(e.body, indent)})` : broken(e.body, indent)}`;
  return expr(e, 0);
}

// ---------------------------------------------------------------- expressions

/** A spread in an object literal (the key `...`, see ir/params.ts SPREAD): `...(c ? { a } : {})`. */
function spread(v: Expr): string {
  return `...(${expr(v, 0)})`;
}

const PREC: Record<string, number> = {
  "??": 3, "||": 3, "&&": 4, "|": 5, "^": 6, "&": 7, "===": 8, "!==": 8, "<": 9, "<=": 9, ">": 9, ">=": 9,
  "<<": 10, ">>": 10, ">>>": 10, "+": 11, "-": 11, "*": 12, "/": 12, "%": 12, "**": 13,
};
const BITWISE = new Set(["&", "|", "^", "<<", ">>", ">>>"]);
const UNARY = 15;
const POSTFIX = 16;
const PRIMARY = 20;

function precedence(e: Expr): number {
  switch (e.k) {
    case "bin": return PREC[e.op]!;
    case "cond": return 1;
    case "arrow": return 0;
    case "un": return UNARY;
    case "num": return e.text === undefined && (e.v < 0 || Object.is(e.v, -0)) ? UNARY : PRIMARY;
    case "inc": return e.prefix ? UNARY : POSTFIX;
    default: return PRIMARY;
  }
}

/** Whether `child` needs clarifying parentheses as an operand of `parent` (as common formatters do). */
function mixes(parent: string, child: Expr): boolean {
  if (child.k !== "bin" || child.op === parent) return false;
  const p = PREC[parent]!, c = PREC[child.op]!;
  // a bitwise or shift operator mixed with another operator reads best parenthesised
  if (BITWISE.has(parent) || BITWISE.has(child.op)) return true;
  if (p !== c) return (parent === "||" && child.op === "&&") || parent === "??" || child.op === "??";
  return c === 12; // *, / and % of one precedence, mixed
}

function wrap(e: Expr, need: boolean): string {
  const t = expr(e, 0);
  return need ? `(${t})` : t;
}

function num(v: number, text?: string): string {
  if (text !== undefined) return text;
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "Infinity" : "-Infinity";
  if (v < 0 || Object.is(v, -0)) return `-${String(-v)}`;
  return String(v);
}

function expr(e: Expr, _ctx: number): string {
  switch (e.k) {
    case "num": return num(e.v, e.text);
    case "bool": return e.v ? "true" : "false";
    case "ref": return e.name;
    case "undef": return "undefined";
    case "bin": {
      const p = PREC[e.op]!;
      const pa = precedence(e.a), pb = precedence(e.b);
      // ** is right-associative, and a unary operand on its left is a syntax error
      const left = e.op === "**" ? wrap(e.a, pa <= p) : wrap(e.a, pa < p || mixes(e.op, e.a));
      const right = e.op === "**" ? wrap(e.b, pb < p) : wrap(e.b, pb <= p || mixes(e.op, e.b));
      return `${left} ${e.op} ${right}`;
    }
    case "un": {
      const needs = precedence(e.a) < UNARY || e.a.k === "un" || (e.a.k === "num" && precedence(e.a) === UNARY);
      return `${e.op}${wrap(e.a, needs)}`;
    }
    case "call": return `${e.fn}(${e.args.map((a) => expr(a, 0)).join(", ")})`;
    case "new": return `new ${e.ctor}(${e.args.map((a) => expr(a, 0)).join(", ")})`;
    case "index": return `${wrap(e.arr, precedence(e.arr) < PRIMARY)}[${expr(e.index, 0)}]${e.assert ? "!" : ""}`;
    case "member": return `${wrap(e.obj, precedence(e.obj) < PRIMARY)}${e.optional ? "?." : "."}${e.prop}`;
    case "cond": return `${wrap(e.c, precedence(e.c) <= 1)} ? ${wrap(e.a, precedence(e.a) < 1)} : ${wrap(e.b, precedence(e.b) < 1)}`;
    case "object": return e.props.length === 0 ? "{}" : `{ ${e.props.map(([k, v]) => (k === "..." ? spread(v) : v.k === "ref" && v.name === k ? k : `${k}: ${expr(v, 0)}`)).join(", ")} }`;
    case "arrow": return `(${e.params.join(", ")}) => ${wrap(e.body, e.body.k === "object")}`;
    case "inc": return e.prefix ? `${e.op}${e.name}` : `${e.name}${e.op}`;
    case "str": return JSON.stringify(e.v);
    case "template": return `\`${e.parts.map((p, i) => p.replace(/[`\\$]/g, (c) => `\\${c}`) + (i < e.values.length ? `\${${expr(e.values[i]!, 0)}}` : "")).join("")}\``;
  }
}
