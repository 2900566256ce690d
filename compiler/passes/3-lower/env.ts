/**
 * Lowering's state: the IR variables of the function being built, the environment mapping each
 * source symbol to the operand holding its value (SSA: outside any region, reassigning a variable
 * starts a new version, so straight-line code is pure SSA), the frames of inlined helpers, and
 * the emission of steps.
 */
import ts from "typescript";
import { type Stmt, type Operand, type Type, type VarInfo, type Loc, ref, isVar } from "../../ir/types.ts";
import { Names } from "../../naming.ts";
import type { AnnotatedFunction } from "../1-parse/index.ts";
import type { ResolveContext } from "./resolve.ts";
import { LoadCache } from "./loads.ts";

/** Per function invocation (the annotated function, or one inlined helper call). */
export interface Frame {
  decl: ts.FunctionDeclaration;
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

export abstract class LowerState {
  protected names = new Names();
  protected vars = new Map<string, VarInfo>();
  /** Source symbol -> operand currently holding its value. */
  protected env = new Map<ts.Symbol, Operand>();
  /** Source symbols bound to a window of an array (`const row = x.subarray(…)`). */
  protected views = new Map<ts.Symbol, import("./arrays.ts").ArrayRef>();
  /** Number of definitions seen per IR variable. */
  protected defs = new Map<string, number>();
  protected loads = new LoadCache();
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
  protected writeTarget(sym: ts.Symbol, node: ts.Node): string {
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
