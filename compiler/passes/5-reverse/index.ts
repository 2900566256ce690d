/**
 * Pass 5, reverse mode: the gradient function `<name>Grad` (or `<name>Vjp` for a vector-valued
 * function), IR → IR.
 *
 * In:  a lowered IRFunction, its activity, and a name allocator.
 * Out: a GenFunction: the signature (the function's parameters, the cotangents of its outputs,
 *      optional `out` buffers for array gradients), a body made of a forward sweep followed by a
 *      reverse sweep (sweeps.ts), and the result record `{ value, grad }`.
 * Holds: the value is computed by exactly the primal steps, so it is bit-identical to the
 *      source function's; what the reverse sweep reads is decided by one analysis (plan.ts);
 *      inputs are never written.
 *
 * `primalProgram` gives the lowered function with declarations placed, for forward mode.
 */
import type { Expr, GenFunction, IRFunction, LoopStmt, Stmt, TypeSpec } from "../../ir/types.ts";
import { isVar, ref, num } from "../../ir/types.ts";
import { call, field, length } from "../../ir/expr.ts";
import { keyPath, leafType, fieldAt, nestRecord, nestType, signatureParams, sourceNames } from "../../ir/params.ts";
import { gradFunctionName, vjpFunctionName, type Names } from "../../naming.ts";
import type { Activity } from "../4-activity/index.ts";
import { ReverseContext } from "./adjoints.ts";
import { planReverse } from "./plan.ts";
import { Sweeps, emptyPlan, zeroOf } from "./sweeps.ts";
import { checkpointState, isCheckpointed } from "./checkpoint.ts";

export interface ReverseOptions {
  /** Whether the function takes `out` buffers for its array gradients (not inside an Hvp). */
  outBuffers?: boolean;
  /** Run the bodies of pullbacks instead of calling them, for forward mode to differentiate (inside an Hvp). */
  pullbackBodies?: boolean;
}

/** A zeroed gradient buffer of a parameter array (a `number[]` for a `number[]` parameter), or of a list. */
export function zerosFor(p: IRFunction["params"][number], reuse?: Expr): Expr {
  if (p.type === "list") return reuse ? call("zerosLike", ref(p.name), reuse) : call("zerosLike", ref(p.name));
  const fn = p.list ? "zerosArray" : "zeros";
  return reuse ? call(fn, length(p.name), reuse) : call(fn, length(p.name));
}

export function reverseMode(fn: IRFunction, activity: Activity, names: Names, options: ReverseOptions = {}): GenFunction {
  const outBuffers = options.outBuffers ?? true;
  const tapeLocal = names.fresh("tape");
  const cx = new ReverseContext(fn, activity, names);
  cx.pullbackBodies = options.pullbackBodies ?? false;
  const plan = planReverse(cx);
  const st = cx.st;
  const hoisted = new Set(plan.hoisted);
  for (const sp of plan.saves.values()) if (sp.kind === "slot") sp.slot = cx.newVar(`${sp.v}_old`, cx.typeOf(sp.v), "saved");
  const trips = new Map<LoopStmt, string>();
  for (const s of plan.live) if (s.kind === "loop") trips.set(s, cx.newVar("trips", "num", "counter"));
  const sweeps = new Sweeps(cx, plan, trips);

  const body: Stmt[] = [];
  const at = fn.loc;
  // declarations of hoisted values and save slots
  const initial = (v: string): Expr => {
    const ints = cx.vars.get(v)?.ints;
    return cx.typeOf(v) === "arr" ? { kind: "new-array", size: num(0), ...(ints ? { ints } : {}) } : zeroOf(cx.typeOf(v));
  };
  for (const v of plan.hoisted) body.push({ kind: "assign", target: v, op: "=", value: initial(v), decl: "let", loc: at });
  for (const sp of plan.saves.values()) if (sp.slot) body.push({ kind: "assign", target: sp.slot, op: "=", value: initial(sp.v), decl: "let", loc: at });
  for (const [loop, t] of trips) {
    const b = st.blockOf.get(loop)!;
    if (b !== st.root && !st.blocks.get(b)!.inLoop) body.push({ kind: "assign", target: t, op: "=", value: num(0), decl: "let", loc: at });
  }
  let tape: GenFunction["tape"];
  if (usesTape(cx, plan, trips)) {
    tape = { local: tapeLocal, module: names.fresh(`${fn.name}Tape`) };
    body.push({ kind: "assign", target: tapeLocal, op: "=", value: { kind: "tape-begin" }, decl: "const", loc: at });
  }
  body.push(...sweeps.forward(st.root, hoisted));
  // arrays the caller sees that a checkpointed loop's reverse sweep overwrites as it re-runs the loop
  const restoredArrays: [string, string][] = [];
  for (const v of checkpointState(st, plan.live)) {
    if (cx.typeOf(v) !== "arr" || !fn.params.some((p) => p.name === v)) continue;
    const saved = cx.newVar(`${v}_final`, "arr", "saved");
    restoredArrays.push([v, saved]);
    body.push({ kind: "assign", target: saved, op: "=", value: call("saveArray", ref(v)), decl: "const", loc: at });
  }

  const vector = fn.outputs.length > 0;
  // the value, before the reverse sweep restores anything
  let value: Expr = fn.result;
  if (isVar(fn.result) && plan.restored.has(fn.result.name)) {
    const vname = cx.newVar("value", "num", "local");
    body.push({ kind: "assign", target: vname, op: "=", value, decl: "const", loc: at });
    value = ref(vname);
  }

  // gradient buffers and the seed
  const cotName = vector ? names.fresh("cotangents") : "";
  const outName = names.fresh("out");
  const arrayWrt = fn.params.filter((p) => (p.type === "arr" || p.type === "list") && fn.wrt.includes(p.name));
  const hasOut = outBuffers && arrayWrt.length > 0;
  const fieldOf = (v: string) => fn.params.find((p) => p.name === v)!.field;
  for (const o of fn.outputs) {
    if (!cx.isActive(o)) continue;
    body.push({ kind: "assign", target: cx.adjOf(o), op: "=", value: call("seedCotangent", length(o), field(ref(cotName), fieldOf(o))), decl: "const", loc: at });
  }
  // an array parameter that is active without being differentiated (written in place from
  // differentiated values) still needs its adjoint
  for (const p of fn.params) {
    if ((p.type === "arr" || p.type === "list") && !fn.wrt.includes(p.name) && !fn.outputs.includes(p.name) && cx.isActive(p.name)) {
      body.push({ kind: "assign", target: cx.adjOf(p.name), op: "=", value: p.type === "list" ? zerosFor(p) : { kind: "new-array", size: length(p.name) }, decl: "const", loc: at });
    }
  }
  const gradFields: { path: string[]; value: Expr; given?: string | undefined }[] = [];
  for (const p of fn.params) {
    if (!fn.wrt.includes(p.name)) continue;
    if (p.type === "arr" || p.type === "list") {
      const buf = zerosFor(p, outBuffers ? fieldAt(ref(outName), keyPath(p), true) : undefined);
      if (cx.isActive(p.name)) {
        body.push({ kind: "assign", target: cx.adjOf(p.name), op: "=", value: buf, decl: "const", loc: at });
        gradFields.push({ path: keyPath(p), value: ref(cx.adjOf(p.name)), given: p.given });
      } else {
        gradFields.push({ path: keyPath(p), value: buf, given: p.given });
      }
    } else {
      gradFields.push({ path: keyPath(p), value: cx.isActive(p.name) ? ref(cx.adjOf(p.name)) : num(0), given: p.given });
    }
  }
  body.push(...sweeps.reverse(st.root));
  for (const [v, saved] of restoredArrays) body.push({ kind: "effect", value: call("restoreArray", ref(v), ref(saved)), loc: at });
  const gradObj: Expr = nestRecord(gradFields);
  const result: Expr = { kind: "record", fields: vector ? [["grad", gradObj]] : [["value", value], ["grad", gradObj]] };

  const gradType = nestType(fn.params.filter((p) => fn.wrt.includes(p.name)).map((p) => ({ path: keyPath(p), type: leafType(p), optional: p.given !== undefined })));
  const params: GenFunction["params"] = signatureParams(fn);
  if (vector) {
    params.push({ name: cotName, type: { k: "object", props: fn.outputs.map((o) => ({ name: fieldOf(o), type: { k: "Float64Array" } as TypeSpec, optional: true })) } });
  }
  if (hasOut) {
    params.push({
      name: outName,
      optional: true,
      type: nestType(arrayWrt.map((p) => ({ path: keyPath(p), type: leafType(p) })), true),
    });
  }
  const wrtText = fn.wrt.length ? sourceNames(fn, fn.wrt).map((w) => `\`${w}\``).join(", ") : "nothing";
  return {
    name: vector ? vjpFunctionName(fn.name) : gradFunctionName(fn.name),
    params,
    returnType: { k: "object", props: vector ? [{ name: "grad", type: gradType }] : [{ name: "value", type: { k: "number" } }, { name: "grad", type: gradType }] },
    body,
    result,
    vars: cx.vars,
    tape,
    file: fn.file,
    doc: (vector
      ? `Runs \`${fn.name}\` (writing ${fn.outputs.map((o) => `\`${fieldOf(o)}\``).join(", ")}) and returns the vector-Jacobian product: the gradient with respect to ${wrtText} of ⟨${cotName}, outputs⟩ (reverse mode).`
      : `Value and gradient of \`${fn.name}\` with respect to ${wrtText} (reverse mode).`) +
      (hasOut ? `\nArrays passed in \`${outName}\` receive the array gradients (overwritten) and are returned.` : ""),
  };
}

function usesTape(cx: ReverseContext, plan: ReturnType<typeof planReverse>, trips: Map<LoopStmt, string>): boolean {
  if ([...plan.saves.values()].some((s) => s.kind === "tape")) return true;
  if ([...plan.live].some(isCheckpointed)) return true; // snapshots
  for (const l of plan.kept.values()) if (l.length > 0) return true;
  for (const s of trips.keys()) {
    const b = cx.st.blockOf.get(s)!;
    if (b !== cx.st.root && cx.st.blocks.get(b)!.inLoop) return true;
  }
  return false;
}

/** The lowered function as a program: declarations placed, nothing kept (forward mode's input). */
export function primalProgram(fn: IRFunction, activity: Activity, names: Names): { body: Stmt[]; vars: ReverseContext["vars"] } {
  const cx = new ReverseContext(fn, activity, names);
  return { body: new Sweeps(cx, emptyPlan()).forward(cx.st.root, new Set()), vars: cx.vars };
}
