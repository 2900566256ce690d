/**
 * Lowering's state: the IR variables of the function being built, the environment mapping each
 * source symbol to the operand holding its value (SSA: outside any region, reassigning a variable
 * starts a new version, so straight-line code is pure SSA), the frames of inlined helpers, and
 * the emission of steps.
 */
import ts from "typescript";
import { type Stmt, type Operand, type Type, type VarInfo, type Loc, type IntArrayName, ref, isVar } from "../../ir/types.ts";
import { Names } from "../../naming.ts";
import type { AnnotatedFunction } from "../1-parse/index.ts";
import type { ResolveContext } from "./resolve.ts";
import { LoadCache } from "./loads.ts";
import { choiceFallback, skipParens, stringComparison } from "./resolve.ts";
import { type Shape, shapeAt } from "../../ir/shape.ts";

/** `list[index].a.b`: an access into an element of a list, before its index is lowered. */
export interface ElementChain {
  list: string;
  index: ts.Expression;
  path: string[];
  /** The shape of what the chain reaches: a record (an element or part of one), or a leaf. */
  shape: Shape;
}

/** An expression without type assertions and parentheses. */
export function stripTypes(e: ts.Expression): ts.Expression {
  e = skipParens(e);
  while (ts.isAsExpression(e) || ts.isNonNullExpression(e) || ts.isTypeAssertionExpression(e) || ts.isSatisfiesExpression(e)) e = skipParens(e.expression);
  return e;
}

/** Per function invocation (the annotated function, or one inlined helper call). */
export interface Frame {
  decl: import("./resolve.ts").HelperFn | ts.FunctionDeclaration;
  sf: ts.SourceFile;
  /** Variable the result is written to when a return is not in tail position. */
  resultVar?: string;
  /** Flag set by a `return` that must skip later code. */
  doneFlag?: string;
  /** Enclosing loops and switches, innermost first. */
  loops: LoopCtx[];
}

/** A loop or switch being lowered, with the flags that carry its exits. */
export interface LoopCtx {
  node: ts.IterationStatement | ts.SwitchStatement;
  breakFlag?: string;
  continueFlag?: string;
}

/**
 * A field of a record: its value lives in the environment under the slot, like a variable's
 * (a number or an array variable; a window of an array in `views`), so reads and writes of
 * `s.a` are versioned exactly as those of a local.
 */
export interface Slot {
  readonly name: string;
  /** Of an optional field of a record parameter: the boolean that says whether it is given. */
  readonly given?: Operand;
}

/**
 * A record value known while lowering: a record parameter (its fields hold the leaf parameters)
 * or an object literal of this function. Records are never values of the IR; `const q = p`
 * makes `q` another name of the same record, as JavaScript does.
 */
export interface Rec {
  fields: Map<string, { slot: Slot } | { rec: Rec }>;
  /** Reached from a parameter: its fields are the caller's and are never written. */
  input: boolean;
}

export abstract class LowerState {
  protected names = new Names();
  protected vars = new Map<string, VarInfo>();
  /** Source symbol -> operand currently holding its value. */
  protected env = new Map<ts.Symbol | Slot, Operand>();
  /** Source symbols (and record fields) bound to a window of an array (`const row = x.subarray(…)`). */
  protected views = new Map<ts.Symbol | Slot, import("./arrays.ts").ArrayRef>();
  /** Source symbols (and record fields) holding one of some strings: the boolean leaf of each string. */
  protected choices = new Map<ts.Symbol | Slot, Map<string, Operand>>();
  /** Source symbols bound to records. */
  protected records = new Map<ts.Symbol, Rec>();
  /** Of each optional parameter of the function (`scale?: number`), the boolean that says whether it is given. */
  protected givens = new Map<ts.Symbol, Operand>();
  /** Matrices built in the function (matrices.ts): one flat array, row after row, and the row length. */
  protected matrices = new Map<ts.Symbol, { array: string; rows: Operand; cols: Operand }>();

  /**
   * Unbinds a name before it is bound again (a helper's parameter at its next call, a loop's
   * element): what it was bound to last time, of whatever kind, must not outlive the binding.
   */
  protected forget(sym: ts.Symbol): void {
    this.env.delete(sym);
    this.views.delete(sym);
    this.records.delete(sym);
    this.matrices.delete(sym);
    this.choices.delete(sym);
  }
  /** Statements the function's body starts with: the arrays of the module's constant tables it indexes. */
  protected prologue: Stmt[] = [];
  /**
   * Values made once in the prologue: optional parameters and fields with a literal fallback
   * (`s.gain ?? 1`), by given, value and fallback; and the `||` of two choice booleans (`anyOf`).
   */
  protected fallbacks = new Map<string, Operand>();
  /** The booleans of choices with a fallback string (`opts.mode ?? "sum"`), made once in the prologue: by choice and fallback. */
  private fallbackChoices = new Map<string, Map<string, Operand>>();
  /** The array of each constant table the function indexes (see `prologue`). */
  protected tableArrays = new Map<ts.Symbol, string>();
  /** The size of each array's latest allocation (see `rebindByCopy`). */
  protected sizes = new Map<string, Operand>();
  /** Number of definitions seen per IR variable. */
  protected defs = new Map<string, number>();
  protected loads = new LoadCache();
  /** Counters of counted loops: never written in their bodies. */
  protected counters = new Set<string>();
  protected depth = 0; // region nesting: 0 = straight-line code of the outermost function
  protected frames: Frame[] = [];
  protected checker: ts.TypeChecker;

  constructor(protected fn: AnnotatedFunction, protected cx: ResolveContext) {
    this.checker = cx.checker;
  }

  // ---------------------------------------------------------------- helpers

  /** A construct the fence should have rejected: a compiler bug, never the user's. */
  protected internal(node: ts.Node): never {
    const sf = node.getSourceFile();
    const { line } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
    throw new Error(`internal: lowering met an unchecked construct '${node.getText(sf).split("\n")[0].slice(0, 60)}' at ${sf.fileName}:${line + 1}`);
  }

  protected get frame(): Frame {
    return this.frames[this.frames.length - 1];
  }

  protected reserveIdentifiers(node: ts.Node): void {
    const visit = (n: ts.Node) => {
      if (ts.isIdentifier(n)) this.names.reserve(n.text);
      ts.forEachChild(n, visit);
    };
    visit(node);
  }

  protected symbolOf(node: ts.Node): ts.Symbol {
    const s = this.checker.getSymbolAtLocation(node);
    if (!s) this.internal(node);
    return s;
  }

  protected loc(node: ts.Node): Loc {
    const sf = node.getSourceFile();
    const start = node.getStart(sf);
    const { line, character } = sf.getLineAndCharacterOfPosition(start);
    const text = sf.text.slice(start, node.getEnd()).split("\n")[0].trim();
    return { file: sf.fileName, start, end: node.getEnd(), line: line + 1, col: character + 1, text };
  }

  protected newVar(hint: string, type: Type, kind: VarInfo["kind"], origin?: string): string {
    const name = kind === "temp" ? this.names.temp() : origin !== undefined ? this.names.claim(origin) : this.names.fresh(hint);
    this.vars.set(name, { name, type, kind, origin });
    this.defs.set(name, 0);
    return name;
  }

  protected typeOfOperand(o: Operand): Type {
    if (isVar(o)) return this.vars.get(o.name)!.type;
    return typeof o.value === "boolean" ? "bool" : "num";
  }

  /** `target = new Float64Array(size)` (or the integer array `ints`), a definition of `target`. */
  protected allocate(out: Stmt[], target: string, size: Operand, node: ts.Node, ints?: IntArrayName): void {
    this.loads.written(target);
    this.sizes.set(target, size);
    out.push({ kind: "alloc", target, size, loc: this.loc(this.stmtOf(node)), ...(ints ? { ints } : {}) });
    this.defs.set(target, (this.defs.get(target) ?? 0) + 1);
  }

  /**
   * A number chosen by a branch: a new local holding `then`'s value when `cond` holds, else
   * `otherwise`'s, each lowered into its own branch (so evaluated only there, as JavaScript does).
   * With `origin`, the local is the source's variable of that name.
   */
  protected chosen(out: Stmt[], cond: Operand, then: (o: Stmt[]) => Operand, otherwise: (o: Stmt[]) => Operand, hint: string, at: ts.Node, loc: Loc = this.loc(this.stmtOf(at)), origin?: string): Operand {
    const t = this.newVar(hint, "num", "local", origin);
    const thenOut: Stmt[] = [];
    const elseOut: Stmt[] = [];
    this.depth++;
    const a = then(thenOut);
    const b = otherwise(elseOut);
    // a choice between two booleans (a flag's default) is a boolean
    if (this.typeOfOperand(a) === "bool" && this.typeOfOperand(b) === "bool") this.vars.get(t)!.type = "bool";
    this.emitOp(thenOut, t, "copy", [a], at);
    this.emitOp(elseOut, t, "copy", [b], at);
    this.depth--;
    out.push({ kind: "if", cond, then: thenOut, else: elseOut, loc });
    return ref(t);
  }

  /** A condition's value: a boolean as it is, a number tested for truthiness as JavaScript does. */
  protected truth(o: Operand, out: Stmt[], node: ts.Node): Operand {
    return this.typeOfOperand(o) === "num" ? this.step(out, "truthy", [o], node, "bool", "") : o;
  }

  protected emitOp(out: Stmt[], target: string, op: string, args: Operand[], node: ts.Node): void {
    this.loads.written(target);
    out.push({ kind: "op", target, op, args, loc: this.loc(this.stmtOf(node)) });
    this.defs.set(target, (this.defs.get(target) ?? 0) + 1);
  }

  /** The statement enclosing an expression node (locations point at statements). */
  protected stmtOf(node: ts.Node): ts.Node {
    let n: ts.Node = node;
    while (n.parent && !ts.isStatement(n) && !ts.isSourceFile(n.parent)) n = n.parent;
    return n;
  }

  /** Target variable for a write to `sym`: a new version in straight-line code, else the same. */
  protected writeTarget(sym: ts.Symbol | Slot, node: ts.Node): string {
    const cur = this.env.get(sym);
    if (!cur || !isVar(cur)) this.internal(node);
    const info = this.vars.get(cur.name)!;
    if (this.depth === 0 && (this.defs.get(cur.name) ?? 0) > 0) {
      const v = this.newVar(info.origin ?? cur.name, info.type, info.kind === "param" ? "local" : info.kind, info.origin);
      this.env.set(sym, ref(v));
      return v;
    }
    return cur.name;
  }

  /**
   * The boolean leaf of each string, when an expression names a choice among strings (`kind`,
   * `opts.mode`, `mode` after `const mode = opts.mode`), or is one with a fallback string
   * (`opts.mode ?? "sum"`, `opts.mode || "sum"`).
   */
  protected choiceOf(e0: ts.Expression): Map<string, Operand> | undefined {
    const e = stripTypes(e0);
    const fallback = choiceFallback(e);
    if (fallback) {
      const m = this.choiceOf(fallback.choice);
      return m && this.withFallback(m, fallback.text, fallback.op, e);
    }
    if (ts.isIdentifier(e)) {
      const sym = this.checker.getSymbolAtLocation(e);
      return sym && this.choices.get(sym);
    }
    const slot = this.slotOf(e);
    return slot && this.choices.get(slot);
  }

  /**
   * The booleans of `choice ?? text` (or `choice || text`): a string's boolean is the choice's, but
   * for `text`, which holds when no other string does (the choice is absent, or for `||` the empty
   * string). The strings of a choice are exclusive, and the function never writes its parameters,
   * so these are made once, at the start of the body, whatever the loop around the read.
   */
  protected withFallback(m: Map<string, Operand>, text: string, op: "??" | "||", at: ts.Node): Map<string, Operand> {
    const out = new Map<string, Operand>();
    for (const [v, is] of m) if (v !== text) out.set(v, op === "||" && v === "" ? { kind: "const", value: false } : is);
    const key = `${op} ${JSON.stringify(text)} ${[...out].map(([v, is]) => `${JSON.stringify(v)}=${isVar(is) ? is.name : String(is.value)}`).join(" ")}`;
    const made = this.fallbackChoices.get(key);
    if (made) return made;
    const other = this.anyOf([...out.values()], at);
    let is: Operand = { kind: "const", value: !(other.kind === "const" && other.value) };
    if (isVar(other)) {
      const t = this.newVar(`is_${text.replace(/[^A-Za-z0-9_$]/g, "_") || "empty"}`, "bool", "local");
      this.emitOp(this.prologue, t, "!", [other], at);
      is = ref(t);
    }
    out.set(text, is);
    this.fallbackChoices.set(key, out);
    return out;
  }

  /** Whether any of the booleans of a choice's strings holds, made in the prologue: by the booleans. */
  private anyOf(leaves: Operand[], at: ts.Node): Operand {
    let any: Operand = { kind: "const", value: false };
    for (const is of leaves) {
      if (is.kind === "const") any = is.value ? is : any;
      else if (any.kind === "const") any = any.value ? any : is;
      else {
        const key = `|| ${any.name} ${is.name}`;
        const made = this.fallbacks.get(key);
        if (made) {
          any = made;
          continue;
        }
        const t = this.newVar("any", "bool", "local");
        this.emitOp(this.prologue, t, "||", [any, is], at);
        this.fallbacks.set(key, ref(t));
        any = ref(t);
      }
    }
    return any;
  }

  /** `if (opts.mode)` of a choice among strings: whether it holds one of its strings other than the empty one. */
  protected choiceTruth(m: Map<string, Operand>, at: ts.Node): Operand {
    return this.anyOf([...m].filter(([v]) => v !== "").map(([, is]) => is), at);
  }

  /**
   * `kind === "l1"` (or `!==`, either way round) of a choice among strings: the string's boolean
   * leaf, or its negation. Undefined when the expression is no such comparison.
   */
  protected choiceTest(e: ts.BinaryExpression, out: Stmt[]): Operand | undefined {
    const c = stringComparison(e);
    const m = c && this.choiceOf(c.subject);
    if (!c || !m) return undefined;
    // a string the choice cannot hold is never equal (TypeScript flags the comparison too)
    const is = m.get(c.text) ?? { kind: "const", value: false };
    return c.equal ? is : this.step(out, "!", [is], e, "bool", "");
  }

  /** The record an expression names (`p`, `p.inner`, `q` after `const q = p`), if any. */
  protected recordOf(e0: ts.Expression): Rec | undefined {
    const e = stripTypes(e0);
    if (ts.isIdentifier(e)) {
      const sym = this.checker.getSymbolAtLocation(e);
      return sym && this.records.get(sym);
    }
    if (ts.isPropertyAccessExpression(e)) {
      const f = this.recordOf(e.expression)?.fields.get(e.name.text);
      return f && "rec" in f ? f.rec : undefined;
    }
    return undefined;
  }

  /** The slot of a record field an expression names (`p.W1`, `s.a`), if any. */
  protected slotOf(e0: ts.Expression): Slot | undefined {
    const e = stripTypes(e0);
    if (!ts.isPropertyAccessExpression(e)) return undefined;
    const f = this.recordOf(e.expression)?.fields.get(e.name.text);
    return f && "slot" in f ? f.slot : undefined;
  }

  /** The list variable an expression names (`layers`, `p.layers`), if any. */
  protected listOf(e0: ts.Expression): string | undefined {
    const e = stripTypes(e0);
    let o: Operand | undefined;
    if (ts.isIdentifier(e)) {
      const sym = this.checker.getSymbolAtLocation(e);
      o = sym && this.env.get(sym);
    } else {
      const slot = this.slotOf(e);
      o = slot && this.env.get(slot);
    }
    return o && isVar(o) && this.vars.get(o.name)!.type === "list" ? o.name : undefined;
  }

  /** `p.layers[i].W`, `xs[i]`, `layers[l].out.b`: an access into an element of a list, if `e` is one. */
  protected elementChain(e0: ts.Expression): ElementChain | undefined {
    let e = stripTypes(e0);
    const path: string[] = [];
    while (ts.isPropertyAccessExpression(e)) {
      path.unshift(e.name.text);
      e = stripTypes(e.expression);
    }
    if (!ts.isElementAccessExpression(e)) return undefined;
    const list = this.listOf(e.expression);
    const ls = list === undefined ? undefined : this.vars.get(list)!.shape;
    const shape = ls && ls.k === "list" ? shapeAt(ls.elem, path) : undefined;
    return list !== undefined && shape ? { list, index: e.argumentExpression, path, shape } : undefined;
  }

  /**
   * The value an element chain reaches, at a lowered index: a number is read (`get`), an array
   * or a list is a reference to the caller's, and a record is a record of such reads.
   */
  protected elementValue(list: string, index: Operand, path: string[], shape: Shape, out: Stmt[], at: ts.Node): { rec: Rec } | { o: Operand } {
    if (shape.k === "rec") {
      const fields: Rec["fields"] = new Map();
      for (const f of shape.fields) {
        const v = this.elementValue(list, index, [...path, f.name], f.shape, out, at);
        if ("rec" in v) fields.set(f.name, { rec: v.rec });
        else {
          const slot: Slot = { name: `${list}[].${[...path, f.name].join(".")}` };
          this.env.set(slot, v.o);
          fields.set(f.name, { slot });
        }
      }
      return { rec: { fields, input: true } };
    }
    if (isVar(index) && this.vars.get(index.name)!.kind !== "temp" && !this.counters.has(index.name)) {
      // the reverse sweep reads the reference again at this index: hold the index's value now
      const held = this.newVar("", "num", "temp");
      this.emitOp(out, held, "copy", [index], at);
      index = ref(held);
    }
    if (shape.k === "choice") return this.internal(at);
    const t = this.newVar(path[path.length - 1] ?? `${list}_i`, shape.k, "local");
    if (shape.k === "list") this.vars.get(t)!.shape = shape;
    out.push({ kind: "get", target: t, list, index, path, loc: this.loc(this.stmtOf(at)) });
    this.defs.set(t, 1);
    return { o: ref(t) };
  }

  /** `array[index]`, read once per block while nothing writes it. */
  protected load(out: Stmt[], array: string, index: Operand, node: ts.Node): Operand {
    const held = this.loads.find(out, array, index);
    if (held !== undefined) return ref(held);
    const t = this.newVar("", "num", "temp");
    out.push({ kind: "load", target: t, array, index, loc: this.loc(this.stmtOf(node)) });
    this.defs.set(t, 1);
    this.loads.add(out, t, array, index);
    return ref(t);
  }

  protected step(out: Stmt[], op: string, args: Operand[], node: ts.Node, type: Type, _hint: string): Operand {
    const t = this.newVar("", type, "temp");
    this.emitOp(out, t, op, args, node);
    return ref(t);
  }
}
