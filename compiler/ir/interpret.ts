/**
 * An interpreter of the lowered IR, for pictures and tables of a function's derivative
 * (`adjoint graph`, `adjoint table`, the playground): it runs the very steps the compiler
 * differentiates and records every execution of every step.
 *
 * In:  a lowered function (pass 3), a value for each parameter, optionally a tangent direction
 *      (forward mode) and, for `@out` functions, cotangents of the outputs (reverse mode).
 * Out: the value, the tangent, the adjoint of every parameter, and the trace: one record per
 *      executed step with its operands, its value, its local partials, its tangent and its adjoint.
 *
 * Nothing here knows any calculus. Primal steps are evaluated with the rule table's `eval` (and
 * the runtime's BLAS routines for matrix-level steps); tangents and the reverse sweep evaluate
 * the rule table's `partials` expressions numerically (BLAS steps: the tangent and adjoint calls
 * of their entries, run with the runtime's routines). The reverse sweep walks the recorded trace
 * backwards: a step's adjoint is the adjoint of the value it defined, which is then cleared, as
 * the variable held another value before the step. A zero adjoint contributes nothing (as the
 * generated code, which computes no adjoint for a value the result does not depend on).
 *
 * Scale factors of BLAS calls get no adjoint, as in generated code (the compiler reports a
 * differentiated one).
 */
import {
  type Expr, type IRFunction, type Stmt, type LeafStmt, type OpStmt, type CallStmt, type IfStmt, type ForStmt,
  type LoopStmt, type Operand, type CustomStmt, ref, assertNever,
} from "./types.ts";
import { ruleFor, type ScalarRule } from "../rules/index.ts";
import { arrayRuleFor, ARRAY_RULES } from "../rules/blas.ts";
import * as blas from "../../runtime/blas.ts";
import * as accumulate from "../../runtime/accumulate.ts";
import * as custom from "../../runtime/custom.ts";

/** A number, a boolean or an array (integer arrays are typed arrays of their own kind). */
export type Value = number | boolean | Float64Array;
export type Numeric = number | Float64Array;

type Routine = (...args: Value[]) => number | void;

/** The runtime routine behind each matrix-level entry of the rule table. */
const ROUTINES: Record<string, Routine> = (() => {
  const lib = { ...blas, ...accumulate, ...custom } as unknown as Record<string, Routine | undefined>;
  const out: Record<string, Routine> = {};
  for (const name of Object.keys(ARRAY_RULES)) {
    const f = lib[name];
    if (typeof f !== "function") throw new Error(`internal: the runtime has no routine '${name}'`);
    out[name] = f;
  }
  return out;
})();

/** One execution of a leaf step. */
export interface Execution {
  step: LeafStmt;
  /** Position in the trace. */
  seq: number;
  /** Operand values: an op's arguments, a call's arguments (arrays its adjoint reads are copies). */
  args: Value[];
  /** Element index of a load or store. */
  index?: number;
  /** The array a load or store reads or writes. */
  array?: Float64Array;
  /**
   * The value the step defined: an op's or load's result, the element a store wrote, the result
   * of a call returning a number or a copy of the array it wrote, a new array.
   */
  value: Value;
  /** An op's partial derivative with respect to each argument (null: piecewise constant or boolean). */
  partials: number[] | null;
  /** Tangent of the value defined (a copy for arrays). */
  tangent: Numeric;
  /** Adjoint of the value defined, set by the reverse sweep (a copy for arrays). */
  adjoint?: Numeric;
}

export interface RunOptions {
  /** Direction per parameter for forward mode (missing: 0). */
  tangents?: Record<string, Numeric>;
  /** Cotangents of `@out` outputs for reverse mode (missing: all ones). */
  cotangents?: Record<string, Float64Array>;
  /** Stop with an error after this many executed steps (default 1,000,000). */
  maxSteps?: number;
}

export interface Run {
  fn: IRFunction;
  /** The function's result (0 for functions with `@out` outputs). */
  value: number;
  /** Final contents of the `@out` arrays. */
  outputs: Record<string, Float64Array>;
  /** Tangent of the result along `tangents`. */
  tangent: number;
  /** Tangents of the `@out` outputs. */
  outputTangents: Record<string, Float64Array>;
  /** Adjoint of every number and Float64Array parameter (the gradient, or Jᵀ·cotangents). */
  adjoints: Record<string, Numeric>;
  /** The adjoints of the differentiated parameters (`fn.wrt`), as generated code returns them. */
  grad: Record<string, Numeric>;
  trace: Execution[];
  /** Executions of each leaf step, in order. */
  executions: Map<Stmt, Execution[]>;
  /** Trip count of each loop region, per entry. */
  trips: Map<ForStmt | LoopStmt, number[]>;
  /** Decision of each branch, per execution. */
  branches: Map<IfStmt, boolean[]>;
  /** Each variable's last value. */
  env: Map<string, Value>;
  /** The parameters' values the run started from (copies). */
  inputs: Map<string, Value>;
  /** The tangent direction the run was given, per parameter (zeros where none was). */
  inputTangents: Map<string, Numeric>;
}

const truthy = (v: Value): boolean => (typeof v === "boolean" ? v : typeof v === "number" ? v !== 0 && !Number.isNaN(v) : true);

function asNumber(v: Value, what: string): number {
  if (typeof v === "number") return v;
  if (typeof v === "boolean") return Number(v);
  throw new Error(`internal: ${what} is an array, a number was expected`);
}

function asArray(v: Value | undefined, what: string): Float64Array {
  if (v instanceof Float64Array) return v;
  throw new Error(`internal: ${what} is not a Float64Array`);
}

/** A rule-table primitive applied to values. */
function applyRule(op: string, rule: ScalarRule, args: Value[]): Value {
  if (rule.arrayArgument) return asArray(args[0], `the argument of ${op}`).length;
  const r = rule.eval(...(args as number[]));
  return rule.result === "bool" ? Boolean(r) : r;
}

/** Evaluates an expression of lowered code, of a partial derivative or of a BLAS adjoint. */
export function evalExpr(e: Expr, get: (name: string) => Value): Value {
  switch (e.kind) {
    case "var": return get(e.name);
    case "const": return e.value;
    case "apply": {
      const rule = ruleFor(e.op);
      if (!rule) throw new Error(`internal: no rule for '${e.op}'`);
      return applyRule(e.op, rule, e.args.map((a) => evalExpr(a, get)));
    }
    case "select": return truthy(evalExpr(e.cond, get)) ? evalExpr(e.then, get) : evalExpr(e.else, get);
    case "index": return asArray(get(e.array), e.array)[asNumber(evalExpr(e.index, get), "an index")];
    case "call": {
      const f = ROUTINES[e.fn];
      if (!f) throw new Error(`internal: no runtime routine '${e.fn}'`);
      const r = f(...e.args.map((a) => evalExpr(a, get)));
      if (typeof r !== "number") throw new Error(`internal: '${e.fn}' returns no number`);
      return r;
    }
    case "view": {
      const a = asArray(get(e.array), e.array);
      return a.subarray(asNumber(evalExpr(e.begin, get), "a window start"), asNumber(evalExpr(e.end, get), "a window end"));
    }
    case "at":
      throw new RangeError("lists of objects are not traced: tables and pictures take functions of numbers and arrays");
    case "invoke": case "pop": case "tape-call": case "field": case "coalesce": case "new-array": case "tape-begin": case "record": case "lambda":
    case "text": case "template": case "host": case "construct": case "user":
      throw new Error(`internal: '${e.kind}' is not a value of lowered code`);
    default: return assertNever(e);
  }
}

/** Placeholder names: operands of a step as seen by its rule's expressions. */
const argName = (i: number) => `\u0000a${i}`;
const tanName = (i: number) => `\u0000t${i}`;
const adjName = (i: number) => `\u0000d${i}`;
const OUT = "\u0000z";
const G = "\u0000g";

/** Operands as the rule-table expressions see them: constants as they are, variables by position. */
const placeholders = (args: readonly Expr[]): Expr[] => args.map((a, i) => (a.kind === "const" ? a : ref(argName(i))));

class Interpreter {
  env = new Map<string, Value>();
  tan = new Map<string, Numeric>();
  trace: Execution[] = [];
  executions = new Map<Stmt, Execution[]>();
  trips = new Map<ForStmt | LoopStmt, number[]>();
  branches = new Map<IfStmt, boolean[]>();
  private partialCache = new Map<OpStmt, Expr[]>();
  private maxSteps: number;

  constructor(readonly fn: IRFunction, maxSteps: number) {
    this.maxSteps = maxSteps;
  }

  get(name: string): Value {
    const v = this.env.get(name);
    if (v === undefined) throw new Error(`internal: '${name}' is read before it is set`);
    return v;
  }

  operand(o: Expr): Value {
    return evalExpr(o, (n) => this.get(n));
  }

  private isNum(name: string): boolean {
    return this.fn.vars.get(name)?.type === "num";
  }

  /** Tangent of a scalar operand. */
  private tangentOf(o: Expr): number {
    if (o.kind !== "var") return 0;
    const t = this.tan.get(o.name);
    return typeof t === "number" ? t : 0;
  }

  /** Tangent array of an array variable (zeros until something varies it). */
  tangentArray(name: string): Float64Array {
    const t = this.tan.get(name);
    const arr = asArray(this.get(name), name);
    if (t instanceof Float64Array && t.length === arr.length) return t;
    const z = new Float64Array(arr.length);
    this.tan.set(name, z);
    return z;
  }

  private record(x: Omit<Execution, "seq">): Execution {
    if (this.trace.length >= this.maxSteps) throw new Error(`stopped after ${this.maxSteps} steps: the function runs too long for a trace (a loop that does not end?)`);
    const e: Execution = { ...x, seq: this.trace.length };
    this.trace.push(e);
    let list = this.executions.get(x.step);
    if (!list) this.executions.set(x.step, (list = []));
    list.push(e);
    return e;
  }

  private partialExprs(s: OpStmt, rule: ScalarRule): Expr[] {
    let p = this.partialCache.get(s);
    if (!p) {
      p = rule.partials!(placeholders(s.args), ref(OUT));
      this.partialCache.set(s, p);
    }
    return p;
  }

  block(stmts: Stmt[]): void {
    for (const s of stmts) this.stmt(s);
  }

  private stmt(s: Stmt): void {
    switch (s.kind) {
      case "op": return this.op(s);
      case "load": {
        const array = asArray(this.get(s.array), s.array);
        const index = asNumber(this.operand(s.index), "an index");
        const value = array[index];
        const tangent = this.tangentArray(s.array)[index];
        this.env.set(s.target, value);
        this.tan.set(s.target, tangent);
        this.record({ step: s, args: [index], index, array, value, partials: [1], tangent });
        return;
      }
      case "store": {
        const array = asArray(this.get(s.array), s.array);
        const index = asNumber(this.operand(s.index), "an index");
        const value = asNumber(this.operand(s.value), "a stored value");
        const tangent = this.tangentOf(s.value);
        this.tangentArray(s.array)[index] = tangent;
        array[index] = value;
        this.record({ step: s, args: [index, value], index, array, value, partials: [1], tangent });
        return;
      }
      case "alloc": {
        const n = asNumber(this.operand(s.size), "an array size");
        // an integer array converts what is stored into it, as JavaScript does (read as numbers)
        const value = (s.ints ? new globalThis[s.ints](n) : new Float64Array(n)) as Float64Array;
        this.env.set(s.target, value);
        this.tan.set(s.target, new Float64Array(n));
        this.record({ step: s, args: [n], value, partials: null, tangent: new Float64Array(n) });
        return;
      }
      case "call": return this.call(s);
      case "custom": throw customError(s);
      case "if": {
        const c = truthy(this.operand(s.cond));
        this.listOf(this.branches, s).push(c);
        this.block(c ? s.then : s.else);
        return;
      }
      case "for": {
        const start = asNumber(this.operand(s.start), "a loop start");
        const trips = this.listOf(this.trips, s);
        let n = 0;
        const more = (i: number, end: number) => (s.cmp === "<" ? i < end : s.cmp === "<=" ? i <= end : s.cmp === ">" ? i > end : i >= end);
        for (let i = start; more(i, asNumber(this.operand(s.end), "a loop bound")); i += s.step) {
          this.env.set(s.counter, i);
          this.tan.set(s.counter, 0);
          this.block(s.body);
          n++;
        }
        trips.push(n);
        return;
      }
      case "loop": {
        const trips = this.listOf(this.trips, s);
        let n = 0;
        for (;;) {
          if (s.doWhile) {
            this.block(s.body);
            this.block(s.update);
            n++;
            this.block(s.header);
            if (!truthy(this.operand(s.cond))) break;
          } else {
            this.block(s.header);
            if (!truthy(this.operand(s.cond))) break;
            this.block(s.body);
            this.block(s.update);
            n++;
          }
        }
        trips.push(n);
        return;
      }
      case "effect":
        return; // a console call: the trace records values, not output
      case "throw":
        throw new RangeError(`the function throws at line ${s.loc.line}: ${s.loc.text ?? ""}`);
      case "get":
        throw new RangeError("lists of objects are not traced: tables and pictures take functions of numbers and arrays");
      case "assign": case "assign-elem": case "assign-at": case "push":
        throw new Error(`internal: '${s.kind}' is a derivative step, not a step of lowered code`);
      default:
        return assertNever(s);
    }
  }

  private listOf<K, V>(m: Map<K, V[]>, k: K): V[] {
    let l = m.get(k);
    if (!l) m.set(k, (l = []));
    return l;
  }

  private op(s: OpStmt): void {
    const rule = ruleFor(s.op);
    if (!rule) throw new Error(`internal: no rule for '${s.op}'`);
    const args = s.args.map((a) => this.operand(a));
    const value = applyRule(s.op, rule, args);
    let partials: number[] | null = null;
    let tangent = 0;
    if (rule.partials && rule.result === "num" && !rule.arrayArgument && this.isNum(s.target)) {
      const get = (n: string): Value => (n === OUT ? value : args[Number(n.slice(2))]);
      partials = this.partialExprs(s, rule).map((e) => asNumber(evalExpr(e, get), "a partial derivative"));
      s.args.forEach((a, i) => {
        const d = this.tangentOf(a);
        if (d !== 0) tangent += partials![i] * d;
      });
    }
    this.env.set(s.target, value);
    this.tan.set(s.target, tangent);
    this.record({ step: s, args, value, partials, tangent });
  }

  private call(s: CallStmt): void {
    const rule = arrayRuleFor(s.fn);
    const f = ROUTINES[s.fn];
    if (!rule || !f) throw new Error(`internal: no rule for routine '${s.fn}'`);
    const args = s.args.map((a) => this.operand(a));
    const a = placeholders(s.args);
    const scalarTangents = rule.scalarTangents ?? [];
    const t = s.args.map((e, i): Expr | null => {
      if (rule.signature[i] === "arr") return e.kind === "var" ? ref(tanName(i)) : null;
      if (rule.signature[i] === "num" && scalarTangents.includes(i) && this.tangentOf(e) !== 0) return ref(tanName(i));
      return null;
    });
    const get = (n: string): Value => {
      const i = Number(n.slice(2));
      if (n.startsWith(argName(0).slice(0, 2))) return args[i];
      const e = s.args[i];
      if (rule.signature[i] === "arr") return this.tangentArray((e as { name: string }).name);
      return this.tangentOf(e);
    };
    const tangent = rule.tangent(a, t);
    // tangents first: they read the inputs before the call overwrites anything
    if (Array.isArray(tangent)) for (const c of tangent) ROUTINES[c.fn](...c.args.map((x) => evalExpr(x, get)));
    const kept = new Set(rule.keeps(s.args));
    const argsKept = args.map((v, i) => (kept.has(i) && v instanceof Float64Array ? new Float64Array(v) : v));
    const result = f(...args);
    if (rule.writes === "result") {
      if (typeof result !== "number" || !s.target) throw new Error(`internal: '${s.fn}' returns no number`);
      const dz = Array.isArray(tangent) ? 0 : asNumber(evalExpr(tangent, get), "a tangent");
      this.env.set(s.target, result);
      this.tan.set(s.target, dz);
      this.record({ step: s, args: argsKept, value: result, partials: null, tangent: dz });
      return;
    }
    const w = s.args[rule.writes] as { name: string };
    this.record({ step: s, args: argsKept, value: new Float64Array(asArray(this.get(w.name), w.name)), partials: null, tangent: new Float64Array(this.tangentArray(w.name)) });
  }
}

/** A call of a function with its own derivatives: its code is the user's, not the IR's. */
function customError(s: CustomStmt): Error {
  return new Error(`line ${s.loc.line} calls '${s.callee.fn.name}', which has its own derivatives: its body is not part of the lowered function, so it cannot be evaluated here. Leave out --at (and --tangent) to see the function's structure.`);
}

/** The reverse sweep over a trace: sets every execution's adjoint, returns the parameters'. */
function reverseSweep(fn: IRFunction, trace: Execution[], seed: (adj: AdjointEnv) => void, inputs: Map<string, Value>): Record<string, Numeric> {
  const adj = new AdjointEnv();
  seed(adj);
  for (let k = trace.length - 1; k >= 0; k--) {
    const x = trace[k];
    const s = x.step;
    switch (s.kind) {
      case "op": {
        if (fn.vars.get(s.target)?.type !== "num") break;
        const g = adj.take(s.target);
        x.adjoint = g;
        if (g !== 0 && x.partials) s.args.forEach((a, i) => { if (a.kind === "var") adj.add(a.name, g * x.partials![i]); });
        break;
      }
      case "load": {
        const g = adj.take(s.target);
        x.adjoint = g;
        if (g !== 0) adj.array(s.array, x.array!.length)[x.index!] += g;
        break;
      }
      case "store": {
        const d = adj.array(s.array, x.array!.length);
        const g = d[x.index!];
        d[x.index!] = 0;
        x.adjoint = g;
        if (g !== 0 && s.value.kind === "var") adj.add(s.value.name, g);
        break;
      }
      case "get":
        throw new RangeError("lists of objects are not traced: tables and pictures take functions of numbers and arrays");
      case "alloc": {
        const n = (x.value as Float64Array).length;
        x.adjoint = new Float64Array(adj.array(s.target, n));
        // before the allocation the variable held another array, whose adjoint starts afresh
        adj.arrays.delete(s.target);
        break;
      }
      case "call": {
        const rule = arrayRuleFor(s.fn)!;
        let g = 0;
        if (rule.writes === "result") {
          g = adj.take(s.target!);
          x.adjoint = g;
          if (g === 0) break;
        } else {
          const w = (s.args[rule.writes] as { name: string }).name;
          x.adjoint = new Float64Array(adj.array(w, (x.value as Float64Array).length));
        }
        const d = s.args.map((e, i): Expr | null => (rule.signature[i] === "arr" && e.kind === "var" ? ref(adjName(i)) : null));
        const calls = rule.adjoint(placeholders(s.args), d, rule.writes === "result" ? ref(G) : null);
        const get = (n: string): Value => {
          if (n === G) return g;
          const i = Number(n.slice(2));
          if (n.startsWith(adjName(0).slice(0, 2))) return adj.array((s.args[i] as { name: string }).name, (x.args[i] as Float64Array).length);
          return x.args[i];
        };
        for (const c of calls) ROUTINES[c.fn](...c.args.map((e) => evalExpr(e, get)));
        break;
      }
      case "custom":
        throw customError(s);
      default:
        assertNever(s);
    }
  }
  const out: Record<string, Numeric> = {};
  for (const p of fn.params) {
    if (p.type === "num") out[p.name] = adj.scalars.get(p.name) ?? 0;
    else if (p.type === "arr") out[p.name] = new Float64Array(adj.array(p.name, (inputs.get(p.name) as Float64Array).length));
  }
  return out;
}

class AdjointEnv {
  scalars = new Map<string, number>();
  arrays = new Map<string, Float64Array>();

  /** The adjoint of a scalar, cleared (the step being reversed defined it). */
  take(name: string): number {
    const g = this.scalars.get(name) ?? 0;
    this.scalars.set(name, 0);
    return g;
  }

  add(name: string, v: number): void {
    this.scalars.set(name, (this.scalars.get(name) ?? 0) + v);
  }

  array(name: string, length: number): Float64Array {
    let a = this.arrays.get(name);
    if (!a) this.arrays.set(name, (a = new Float64Array(length)));
    return a;
  }
}

/** Checks the inputs against the parameters and copies arrays (inputs are never mutated). */
function bindInputs(fn: IRFunction, inputs: Record<string, Value>): Map<string, Value> {
  const env = new Map<string, Value>();
  for (const p of fn.params) {
    const v = inputs[p.name];
    if (v === undefined) throw new Error(`no value for parameter '${p.name}' of ${fn.name}`);
    const want = p.type === "num" ? "number" : p.type === "bool" ? "boolean" : "Float64Array";
    const ok = p.type === "num" ? typeof v === "number" : p.type === "bool" ? typeof v === "boolean" : v instanceof Float64Array;
    if (!ok) throw new Error(`parameter '${p.name}' of ${fn.name} is a ${want}, got ${v instanceof Float64Array ? "Float64Array" : typeof v}`);
    env.set(p.name, v instanceof Float64Array ? new Float64Array(v) : v);
  }
  for (const k of Object.keys(inputs)) {
    if (!fn.params.some((p) => p.name === k)) throw new Error(`${fn.name} has no parameter '${k}' (its parameters: ${fn.params.map((p) => p.name).join(", ")})`);
  }
  return env;
}

/** Runs a lowered function at `inputs`: value, tangent, adjoints and the trace of every step. */
export function interpret(fn: IRFunction, inputs: Record<string, Value>, options: RunOptions = {}): Run {
  const it = new Interpreter(fn, options.maxSteps ?? 1_000_000);
  const bound = bindInputs(fn, inputs);
  const initial = new Map<string, Value>();
  for (const [k, v] of bound) {
    it.env.set(k, v);
    initial.set(k, v instanceof Float64Array ? new Float64Array(v) : v);
  }
  for (const p of fn.params) {
    const t = options.tangents?.[p.name];
    if (p.type === "num") it.tan.set(p.name, typeof t === "number" ? t : 0);
    if (p.type === "arr") {
      const n = (bound.get(p.name) as Float64Array).length;
      if (t !== undefined && (!(t instanceof Float64Array) || t.length !== n)) throw new Error(`the tangent of '${p.name}' must be a Float64Array of length ${n}`);
      it.tan.set(p.name, t ? new Float64Array(t) : new Float64Array(n));
    }
  }
  const inputTangents = new Map<string, Numeric>();
  for (const p of fn.params) {
    const t = it.tan.get(p.name);
    if (t !== undefined) inputTangents.set(p.name, typeof t === "number" ? t : new Float64Array(t));
  }
  for (const k of Object.keys(options.tangents ?? {})) {
    if (!fn.params.some((p) => p.name === k)) throw new Error(`${fn.name} has no parameter '${k}' to take a tangent along`);
  }
  it.block(fn.body);
  const resultOperand: Operand = fn.result;
  const value = fn.outputs.length > 0 ? 0 : asNumber(it.operand(resultOperand), "the result");
  const tangent = fn.outputs.length > 0 ? 0 : (resultOperand.kind === "var" ? (it.tan.get(resultOperand.name) as number) ?? 0 : 0);
  const outputs: Record<string, Float64Array> = {};
  const outputTangents: Record<string, Float64Array> = {};
  for (const o of fn.outputs) {
    outputs[o] = new Float64Array(asArray(it.env.get(o), o));
    outputTangents[o] = new Float64Array(it.tangentArray(o));
  }
  const adjoints = reverseSweep(fn, it.trace, (adj) => {
    if (fn.outputs.length === 0) {
      if (resultOperand.kind === "var") adj.scalars.set(resultOperand.name, 1);
      return;
    }
    for (const o of fn.outputs) {
      const c = options.cotangents?.[o];
      const n = outputs[o].length;
      if (c !== undefined && c.length !== n) throw new Error(`the cotangent of '${o}' must have length ${n}`);
      adj.arrays.set(o, c ? new Float64Array(c) : new Float64Array(n).fill(1));
    }
  }, initial);
  const grad: Record<string, Numeric> = {};
  for (const w of fn.wrt) grad[w] = adjoints[w];
  return {
    fn, value, outputs, tangent, outputTangents, adjoints, grad,
    trace: it.trace, executions: it.executions, trips: it.trips, branches: it.branches, env: it.env,
    inputs: initial, inputTangents,
  };
}

