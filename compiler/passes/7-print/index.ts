/**
 * Pass 7, print: the only place that builds TypeScript.
 *
 * In:  a GenModule (generated functions in the IR, simplified).
 * Out: the module's text.
 * Holds: expressions print exactly as built (no folding here), each primitive as its rule-table
 * `syntax` says; a `// line N: …` comment goes above the first statement of each run of
 * derivative statements that differentiate the same source line, so comments stay attached to
 * what they describe whatever the simplifier removed; element reads carry `!`, so the module
 * type-checks under `noUncheckedIndexedAccess`; the runtime import lists exactly the routines
 * the module calls; the module ends with its entries in the markers' registry (registry.ts).
 * Deterministic: the same module always prints to the same bytes (layout.ts).
 */
import {
  type Expr, type GenFunction, type GenModule, type Loc, type Stmt, type TapeType, type UserFunction, assertNever,
} from "../../ir/types.ts";
import { childBlocks, defOf, usesOf, varsOf, walk } from "../../ir/walk.ts";
import { specifierFor } from "../../modules.ts";
import { RESERVED_NAMES } from "../../naming.ts";
import { ruleFor, RULES } from "../../rules/index.ts";
import { ARRAY_RULES } from "../../rules/blas.ts";
import type { Expr as JsExpr, Stmt as JsStmt, BinOp } from "./js.ts";
import { n, r, call } from "./js.ts";
import { printModule as layout, type FunctionSpec } from "./layout.ts";
import { registryEpilogue } from "./registry.ts";

export function printModule(m: GenModule): string {
  const imports = new Set<string>();
  const moduleStmts: JsStmt[] = m.tapes.map((t) => ({ k: "decl", kw: "const", name: t, init: { k: "new", ctor: "Tape", args: [] } }));
  if (m.tapes.length > 0) imports.add("Tape");
  const users = new UserImports(m);
  const functions: FunctionSpec[] = m.functions.map((f) => new FunctionPrinter(f, imports, users).spec());
  const text = layout({ header: m.header, runtimeImports: [...imports], runtimeSpecifier: m.runtimeSpecifier, userImports: users.list(), moduleStmts, functions });
  const registry = registryEpilogue(functions);
  return registry === undefined ? text : `${text}\n${registry}\n`;
}

/**
 * The user's functions the module calls (functions with their own derivatives, their pullbacks
 * and pushforwards), imported from their modules by specifiers relative to where the module is
 * written; each under its own name unless the module already uses that name.
 */
class UserImports {
  /** Names the module uses: generated and runtime names, every variable of every function. */
  private taken = new Set<string>([...RESERVED_NAMES, ...Object.keys(ARRAY_RULES), ...Object.values(RULES).flatMap((r) => ("runtime" in r.syntax ? [r.syntax.runtime] : []))]);
  private locals = new Map<string, string>();
  private bySpecifier = new Map<string, [string, string][]>();
  private outDir: string;

  constructor(m: GenModule) {
    this.outDir = m.outDir ?? ".";
    for (const t of m.tapes) this.taken.add(t);
    for (const f of m.functions) {
      this.taken.add(f.name);
      for (const p of f.params) this.taken.add(p.name);
      for (const v of f.vars.keys()) this.taken.add(v);
      if (f.tape) this.taken.add(f.tape.local);
      const note = (e: Expr) => {
        for (const v of varsOf(e)) this.taken.add(v);
      };
      walk(f.body, (s) => {
        const d = defOf(s);
        if (d !== undefined) this.taken.add(d);
        usesOf(s).forEach(note);
      });
      note(f.result);
      if (f.guard) [f.guard.when, f.guard.result].forEach(note);
    }
  }

  /** The local name generated code calls `fn` by. */
  local(fn: UserFunction): string {
    const spec = specifierFor(fn.module, this.outDir);
    const key = `${spec}\u0000${fn.name}`;
    let name = this.locals.get(key);
    if (name === undefined) {
      const base = fn.name === "default" ? "defaultExport" : fn.name;
      name = base;
      for (let k = 1; this.taken.has(name); k++) name = `${base}_${k}`;
      this.taken.add(name);
      this.locals.set(key, name);
      const l = this.bySpecifier.get(spec);
      if (l) l.push([fn.name, name]);
      else this.bySpecifier.set(spec, [[fn.name, name]]);
    }
    return name;
  }

  list(): { specifier: string; names: [string, string][] }[] {
    return [...this.bySpecifier].map(([specifier, names]) => ({ specifier, names }));
  }
}

const TAPE_SUFFIX: Record<TapeType, string> = { num: "F", int: "I", bool: "B", array: "A" };

/** `// line 12: y = Math.sin(x)` for a source span (the file is named when it is another module's). */
export function lineComment(loc: Loc, mainFile: string): string {
  const file = loc.file === mainFile ? "" : `${loc.file.split("/").pop()} `;
  const text = (loc.text ?? "").replace(/\s+/g, " ").slice(0, 70);
  return `${file}line ${loc.line}: ${text}`;
}

class FunctionPrinter {
  constructor(private fn: GenFunction, private imports: Set<string>, private users: UserImports) {}
  /** The variables declared with `let` so far, which a later assignment may change. */
  private lets = new Set<string>();

  spec(): FunctionSpec {
    const body = this.block(this.fn.body);
    const g = this.fn.guard;
    if (g) body.unshift({ k: "if", c: this.expr(g.when), then: [{ k: "return", e: this.expr(g.result) }], else: [] });
    body.push({ k: "return", e: this.expr(this.fn.result) });
    return { name: this.fn.name, params: this.fn.params, returnType: this.fn.returnType, body, doc: this.fn.doc };
  }

  private tape(): string {
    if (!this.fn.tape) throw new Error(`internal: '${this.fn.name}' uses a tape it does not have`);
    return this.fn.tape.local;
  }

  expr(e: Expr): JsExpr {
    switch (e.kind) {
      case "var": return r(e.name);
      case "const": return typeof e.value === "boolean" ? { k: "bool", v: e.value } : n(e.value, e.text);
      case "apply": return this.apply(e.op, e.args.map((a) => this.expr(a)));
      case "select": return { k: "cond", c: this.expr(e.cond), a: this.expr(e.then), b: this.expr(e.else) };
      case "index": return { k: "index", arr: r(e.array), index: this.expr(e.index), assert: true };
      case "call": this.imports.add(e.fn); return call(e.fn, ...e.args.map((a) => this.expr(a)));
      case "invoke": return call(e.fn, ...e.args.map((a) => this.expr(a)));
      case "pop":
        if (e.cursor) {
          const read: JsExpr = { k: "index", arr: r(e.cursor.buffer), index: { k: "inc", name: e.cursor.top, op: "--", prefix: true }, assert: true };
          // a branch decision is kept as 1 or 0 (Tape.pushB)
          return e.type === "bool" ? { k: "bin", op: "!==", a: read, b: n(0) } : read;
        }
        return call(`${this.tape()}.pop${TAPE_SUFFIX[e.type]}${e.ints ? `<${e.ints}>` : ""}`);
      case "tape-call": return call(`${this.tape()}.${e.method}`, ...e.args.map((a) => this.expr(a)));
      case "field": return { k: "member", obj: this.expr(e.object), prop: e.name, ...(e.optional ? { optional: true } : {}) };
      case "coalesce": return { k: "bin", op: "??", a: this.expr(e.a), b: this.expr(e.b) };
      case "new-array": return { k: "new", ctor: e.ints ?? "Float64Array", args: [this.expr(e.size)] };
      case "view": return call(`${e.array}.subarray`, this.expr(e.begin), this.expr(e.end));
      case "at": return this.at(e.list, e.index, e.path);
      case "tape-begin": return call(`${this.fn.tape!.module}.begin`);
      case "record": return { k: "object", props: e.fields.map(([k, x]) => [k, this.expr(x)] as [string, JsExpr]) };
      case "lambda": return { k: "arrow", params: e.params, body: this.expr(e.body) };
      case "text": return { k: "str", v: e.value };
      case "template": return { k: "template", parts: e.parts, values: e.values.map((v) => this.expr(v)) };
      case "host": return call(e.fn, ...e.args.map((a) => this.expr(a)));
      case "construct": return { k: "new", ctor: e.ctor, args: e.args.map((a) => this.expr(a)) };
      case "user": return call(this.users.local(e.fn), ...e.args.map((a) => this.expr(a)));
      default: return assertNever(e);
    }
  }

  /** `list[i]!.a.b`: a field of a list's element. */
  private at(list: string, index: Expr, path: string[]): JsExpr {
    let e: JsExpr = { k: "index", arr: r(list), index: this.expr(index), assert: true };
    for (const name of path) e = { k: "member", obj: e, prop: name };
    return e;
  }

  /** A primitive, written as the rule table says. */
  private apply(op: string, args: JsExpr[]): JsExpr {
    const rule = ruleFor(op);
    if (!rule) throw new Error(`internal: no rule for '${op}'`);
    const syn = rule.syntax;
    if ("infix" in syn) return { k: "bin", op: syn.infix as BinOp, a: args[0], b: args[1] };
    if ("prefix" in syn) return { k: "un", op: syn.prefix, a: args[0] };
    if ("call" in syn) return call(syn.call, ...args);
    if ("runtime" in syn) {
      this.imports.add(syn.runtime);
      return call(syn.runtime, ...args);
    }
    if ("member" in syn) return { k: "member", obj: args[0], prop: syn.member };
    return args[0];
  }

  private define(target: string, value: JsExpr, decl: "const" | "let" | undefined): JsStmt {
    if (decl === "let") this.lets.add(target);
    return decl ? { k: "decl", kw: decl, name: target, init: value } : { k: "assign", target: r(target), op: "=", value };
  }

  /** Statements of a block, with `// line N:` comments above each run of one source line. */
  block(stmts: Stmt[]): JsStmt[] {
    const out: JsStmt[] = [];
    let lastLine = -1;
    for (const s of stmts) {
      const printed = this.stmt(s);
      if (printed.length === 0) continue;
      let comment = s.comment;
      if (s.note && s.note.line !== lastLine && comment === undefined) {
        comment = lineComment(s.note, this.fn.file);
        lastLine = s.note.line;
      } else if (s.note) {
        lastLine = s.note.line;
      }
      if (childBlocks(s).length > 0) lastLine = -1;
      if (comment !== undefined) printed[0] = { ...printed[0], comment } as JsStmt;
      out.push(...printed);
    }
    return out;
  }

  private stmt(s: Stmt): JsStmt[] {
    switch (s.kind) {
      case "op": {
        const d = this.define(s.target, this.apply(s.op, s.args.map((a) => this.expr(a))), s.decl);
        // `const t = seen || c; seen = t;` in a loop: TypeScript infers t's type from seen's and
        // seen's from t's, and gives up (TS7022) unless t's type is written
        const circular = (s.op === "||" || s.op === "&&") && s.args.some((a) => a.kind === "var" && this.lets.has(a.name));
        return [d.k === "decl" && circular ? { ...d, type: "boolean" } : d];
      }
      case "load":
        return [this.define(s.target, { k: "index", arr: r(s.array), index: this.expr(s.index), assert: true }, s.decl)];
      case "get":
        return [this.define(s.target, this.at(s.list, s.index, s.path), s.decl)];
      case "store":
        return [{ k: "assign", target: { k: "index", arr: r(s.array), index: this.expr(s.index) }, op: "=", value: this.expr(s.value) }];
      case "alloc":
        return [this.define(s.target, { k: "new", ctor: s.ints ?? "Float64Array", args: [this.expr(s.size)] }, s.decl)];
      case "call": {
        this.imports.add(s.fn);
        const c = call(s.fn, ...s.args.map((a) => this.expr(a)));
        return [s.target !== undefined ? this.define(s.target, c, s.decl) : { k: "expr", e: c }];
      }
      case "custom":
        return [this.define(s.target, call(this.users.local(s.callee.fn), ...s.args.map((a) => this.expr(a))), s.decl)];
      case "if":
        return [{ k: "if", c: this.expr(s.cond), then: this.block(s.then), else: this.block(s.else) }];
      case "for": {
        const i = s.counter;
        const update: JsStmt = s.step === 1 || s.step === -1
          ? { k: "expr", e: { k: "inc", name: i, op: s.step === 1 ? "++" : "--" } }
          : { k: "assign", target: r(i), op: s.step > 0 ? "+=" : "-=", value: n(Math.abs(s.step)) };
        return [{
          k: "for",
          init: { k: "decl", kw: "let", name: i, init: this.expr(s.start) },
          test: { k: "bin", op: s.cmp, a: r(i), b: this.expr(s.end) },
          update,
          body: this.block(s.body),
        }];
      }
      case "loop": {
        const header = this.block(s.header);
        const inner = [...this.block(s.body), ...this.block(s.update)];
        const cond = this.expr(s.cond);
        const exit: JsStmt = { k: "if", c: { k: "un", op: "!", a: cond }, then: [{ k: "break" }], else: [] };
        if (s.doWhile) {
          return [header.length
            ? { k: "while", test: { k: "bool", v: true }, body: [...inner, ...header, exit] }
            : { k: "while", test: cond, doWhile: true, body: inner }];
        }
        if (header.length === 0) return [{ k: "while", test: cond, body: inner }];
        return [{ k: "while", test: { k: "bool", v: true }, body: [...header, exit, ...inner] }];
      }
      case "assign": {
        const value = this.expr(s.value);
        if (s.decl) return [this.define(s.target, value, s.decl)];
        return [{ k: "assign", target: r(s.target), op: s.op, value }];
      }
      case "assign-elem":
        return [{ k: "assign", target: { k: "index", arr: r(s.array), index: this.expr(s.index), assert: s.op !== "=" }, op: s.op, value: this.expr(s.value) }];
      case "assign-at":
        return [{ k: "assign", target: this.at(s.list, s.index, s.path), op: s.op, value: this.expr(s.value) }];
      case "push":
        if (s.cursor) {
          const value = this.expr(s.value);
          const kept: JsExpr = s.type === "bool" ? { k: "cond", c: value, a: n(1), b: n(0) } : value;
          return [{ k: "assign", target: { k: "index", arr: r(s.cursor.buffer), index: { k: "inc", name: s.cursor.top, op: "++" } }, op: "=", value: kept }];
        }
        return [{ k: "expr", e: call(`${this.tape()}.push${TAPE_SUFFIX[s.type]}`, this.expr(s.value)) }];
      case "effect":
        return [{ k: "expr", e: this.expr(s.value) }];
      case "throw":
        return [{ k: "throw", e: this.expr(s.value) }];
      default:
        return assertNever(s);
    }
  }
}
