/**
 * Pass 3, lower: TypeScript function bodies to the IR (see ir/types.ts).
 *
 * In:  an annotated function (pass 1) that the fence (pass 2) accepted, and the type checker.
 * Out: an IRFunction whose leaves are single-primitive steps and whose regions are structured.
 * Holds: evaluation order is the source's, so values are bit-identical; straight-line code is in
 *      SSA form; no jumps remain; helpers are inlined. Lowering raises no diagnostics (the fence
 *      owns them): a construct it cannot lower is an internal error. Reads no file.
 *
 * By concern:
 *  - resolve.ts      callee and name resolution (shared with the fence);
 *  - optional.ts     what may be undefined: optional fields and parameters, found elements (shared with the fence);
 *  - jumps.ts        jump analyses, used by jump elimination in statements.ts;
 *  - env.ts          variables, SSA versions and the environment, emission of steps;
 *  - expressions.ts  expressions and calls;
 *  - statements.ts   statements, loops, and jump elimination;
 *  - inline.ts       inlining of helpers;
 *  - custom.ts       calls of functions with their own derivatives (custom-rules.ts: their tags);
 *  - loads.ts        reuse of element loads within a block.
 */
import ts from "typescript";
import { type IRFunction, type Stmt, type Operand, type Type, ref, num } from "../../ir/types.ts";
import type { AnnotatedFunction } from "../1-parse/index.ts";
import type { Frame, Rec, Slot } from "./env.ts";
import type { Shape } from "../../ir/shape.ts";
import { CustomCallLowerer } from "./custom.ts";
import { RUNTIME_SPECIFIERS } from "../../naming.ts";

export interface LowerOptions {
  checker: ts.TypeChecker;
  /** Module specifiers the runtime's BLAS routines are imported from. */
  runtimeSpecifiers?: readonly string[];
}

export function lower(fn: AnnotatedFunction, opts: LowerOptions): IRFunction {
  return new Lowerer(fn, { checker: opts.checker, runtimeSpecifiers: opts.runtimeSpecifiers ?? RUNTIME_SPECIFIERS }).run();
}

class Lowerer extends CustomCallLowerer {
  run(): IRFunction {
    const { decl, sourceFile: sf } = this.fn;
    this.reserveIdentifiers(decl);
    const params: IRFunction["params"] = [];
    const inputs: IRFunction["inputs"] = [];
    const irName = new Map<string, string>();
    const defaults: { id: ts.Identifier; init: ts.Expression; at: ts.Node; leaf: string; given: string }[] = [];
    /** A leaf parameter's variable (a number, array or list; or the boolean that says whether an optional one is given). */
    const leafVar = (name: string, type: Type, origin: string, shape: { shape?: Shape } = {}) => {
      this.vars.set(name, { name, type, kind: "param", origin, ...shape });
      this.defs.set(name, 1);
    };
    /** A choice among strings (`kind: "l1" | "l2"`): one boolean leaf per string, `kind === "l1"`. */
    const choiceLeaves = (values: string[], base: string, field: string, path?: string[], fallback?: string): Map<string, Operand> => {
      const m = new Map<string, Operand>();
      for (const v of values) {
        const leaf = this.names.claim(`${base}_${v.replace(/[^A-Za-z0-9_$]/g, "_") || "empty"}`);
        leafVar(leaf, "bool", `${[field, ...(path ?? [])].join(".")} === ${JSON.stringify(v)}`);
        params.push({ name: leaf, type: "bool", field, ...(path ? { path } : {}), choice: v, ...(fallback !== undefined ? { fallback } : {}) });
        m.set(v, ref(leaf));
      }
      return m;
    };
    // each source parameter, and each field of one destructured in the signature (`{ w, b }: P`)
    const bindings = decl.parameters.flatMap((p) => ts.isIdentifier(p.name)
      ? [{ p, id: p.name, field: p.name.text, info: this.fn.params.find((q) => q.name === (p.name as ts.Identifier).text && !q.pattern)! }]
      : this.fn.params.filter((q) => q.pattern?.element.parent === p.name).map((info) => ({ p, id: info.pattern!.element.name as ts.Identifier, field: info.name, info })));
    for (const { p, id, field, info } of bindings) {
      // a parameter keeps its name unless generated code needs it (a parameter named `zeros`)
      const name = this.names.claim(field);
      irName.set(field, name);
      const pattern = info.pattern ? { pattern: { param: info.pattern.param, shape: info.pattern.whole, ...(info.pattern.settings ? { settings: true } : {}) } } : {};
      inputs.push({ name, field, shape: info.shape, ...pattern });
      // `opts: Options = {}`: left out, it has none of its fields (read as `opts?.scale`)
      if (info.optional && info.type === "rec") inputs[inputs.length - 1] = { name, field, shape: info.shape, optional: true };
      if (info.type === "choice") {
        // (optional only with a default, one of its strings, which the prologue applies)
        if (info.fallback !== undefined) inputs[inputs.length - 1] = { name, field, shape: info.shape, optional: true, ...pattern };
        this.choices.set(this.symbolOf(id), choiceLeaves((info.shape as Extract<Shape, { k: "choice" }>).values, field, field, undefined, info.fallback));
        continue;
      }
      if (info.optional && info.type !== "rec") {
        // `scale?: number`, `bias?: Float64Array` or `lambda = 0.01`: the value (NaN, or an empty
        // array, when left out) and whether it is given
        inputs[inputs.length - 1] = { name, field, shape: info.shape, optional: true, ...pattern };
        const leaf = this.names.claim(`${field}_value`);
        const given = this.names.claim(`${field}_given`);
        const type = info.type;
        leafVar(leaf, type, field);
        leafVar(given, "bool", `${field} !== undefined`);
        params.push({ name: leaf, type, field, given, ...(info.list ? { list: true } : {}) }, { name: given, type: "bool", field, presence: true });
        const sym = this.symbolOf(id);
        this.env.set(sym, ref(leaf));
        this.givens.set(sym, ref(given));
        // a default, of the parameter or of the field destructured in the signature
        const init = info.pattern ? info.pattern.element.initializer : p.initializer;
        if (init) defaults.push({ id, init, at: info.pattern?.element ?? p, leaf, given });
        continue;
      }
      if (info.type !== "rec") {
        const shape = info.type === "list" ? { shape: info.shape } : {};
        const ints = info.ints ? { ints: info.ints } : {};
        this.vars.set(name, { name, type: info.type, kind: "param", origin: field, ...shape, ...ints });
        this.defs.set(name, 1);
        this.env.set(this.symbolOf(id), ref(name));
        params.push({ name, type: info.type, field, ...(info.list ? { list: true } : {}), ...ints, ...shape });
        continue;
      }
      // a record: one leaf parameter per number and array inside it, named after its field
      const rec = (shape: Extract<Shape, { k: "rec" }>, path: string[]): Rec => {
        const fields: Rec["fields"] = new Map();
        for (const f of shape.fields) {
          const at = [...path, f.name];
          if (f.shape.k === "rec") {
            fields.set(f.name, { rec: rec(f.shape, at) });
            continue;
          }
          if (f.shape.k === "choice") {
            const slot: Slot = { name: [field, ...at].join(".") };
            this.choices.set(slot, choiceLeaves(f.shape.values, this.names.isUsed(f.name) ? [field, ...at].slice(-2).join("_") : f.name, field, at));
            fields.set(f.name, { slot });
            continue;
          }
          // named after its field, or after its path when another leaf has that name (`outer_scale`)
          const leaf = this.names.claim(this.names.isUsed(f.name) ? [field, ...at].slice(-2).join("_") : f.name);
          const type = f.shape.k;
          const shape = f.shape.k === "list" ? { shape: f.shape } : {};
          leafVar(leaf, type, [field, ...at].join("."), shape);
          // an optional field: whether it is given, a boolean leaf of its own
          const given = f.optional ? this.names.claim(`${leaf}_given`) : undefined;
          if (given) leafVar(given, "bool", `${[field, ...at].join(".")} !== undefined`);
          const slot: Slot = given ? { name: [field, ...at].join("."), given: ref(given) } : { name: [field, ...at].join(".") };
          this.env.set(slot, ref(leaf));
          fields.set(f.name, { slot });
          params.push({ name: leaf, type, field, path: at, ...(f.shape.k === "arr" && f.shape.list ? { list: true } : {}), ...shape, ...(given ? { given } : {}) });
          if (given) params.push({ name: given, type: "bool", field, path: at, presence: true });
        }
        return { fields, input: true };
      };
      this.records.set(this.symbolOf(id), rec(info.shape as Extract<Shape, { k: "rec" }>, []));
    }
    const frame: Frame = { decl, sf, loops: [] };
    this.frames.push(frame);
    const body: Stmt[] = [];
    // a default value applies when its parameter is left out, computed from the ones before it
    for (const { id, init, at, leaf, given } of defaults) {
      this.env.set(this.symbolOf(id), this.chosen(body, ref(given), () => ref(leaf), (o) => this.lowerExpr(init, o, ""), id.text, at, this.loc(at)));
      this.givens.delete(this.symbolOf(id));
    }
    const result: Operand = this.fn.outputs.length > 0 ? (this.lowerStatements((decl.body as ts.Block).statements, 0, body), num(0)) : this.lowerFunctionBody(decl, frame, body);
    this.frames.pop();
    // pullbacks may read constant tables too: the prologue is complete after them
    this.lowerPullbacks();
    body.unshift(...this.prologue);
    this.prologue = [];
    return {
      name: this.fn.name,
      file: sf.fileName,
      params,
      inputs,
      // every leaf of a differentiated record is differentiated
      wrt: params.filter((p) => this.fn.wrt.includes(p.field) && p.type !== "bool").map((p) => p.name),
      outputs: this.fn.outputs.map((o) => irName.get(o)!),
      vars: this.vars,
      body,
      result,
      loc: this.loc(decl),
      names: this.names,
    };
  }
}
