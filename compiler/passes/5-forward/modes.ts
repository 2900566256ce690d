/**
 * The generated functions built on the tangent pass, assembled on the IR and the signatures:
 *  - `<name>Jvp(...params, tangents)`: forward mode over the primal program;
 *  - `<name>Hvp(...params, v)`: forward mode over the reverse-mode function (forward over
 *    reverse): value, gradient and the Hessian-vector product H·v in one call;
 *  - `<name>Jacobian(...params)`: the dense Jacobian, by the cheaper sweep (runtime `jacobian`),
 *    or, when its shape is static, one function carrying every row or column at once (vector.ts);
 *  - `<name>Hessian(...params)`: the dense Hessian from one Hvp per input coordinate.
 */
import type { Expr, GenFunction, IRFunction, Stmt, TypeSpec, VarInfo } from "../../ir/types.ts";
import { ref, num } from "../../ir/types.ts";
import { call, field, length, isNum } from "../../ir/expr.ts";
import { varsOf, walk, arrayOfArg } from "../../ir/walk.ts";
import { arrayRuleFor } from "../../rules/blas.ts";
import { jvpFunctionName, hvpFunctionName, hessianFunctionName, gradFunctionName, vjpFunctionName, jacobianFunctionName, type Names } from "../../naming.ts";
import { analyzeActivity } from "../4-activity/index.ts";
import { primalProgram, reverseMode, zerosFor } from "../5-reverse/index.ts";
import { simplify } from "../6-simplify/index.ts";
import { Tangents } from "./index.ts";
import { vectorJacobian } from "./vector.ts";
import { keyPath, leafType, fieldAt, nestRecord, nestType, recordField, signatureParams, signatureArgs, sourceNames } from "../../ir/params.ts";

function directionType(fn: IRFunction): TypeSpec {
  return nestType(fn.params.filter((p) => fn.wrt.includes(p.name)).map((p) => ({ path: keyPath(p), type: leafType(p) })), true);
}

/**
 * `let dot_x = dir.x ?? 0` for every differentiated parameter (`let`: the parameter may be
 * reassigned); a working copy of the direction for an array the function writes in place.
 */
function seeds(fn: IRFunction, t: Tangents, dir: string, body: Stmt[]): Stmt[] {
  const written = writtenArrays(body);
  // an array parameter written from differentiated values without being one starts at zero
  const zeroed = fn.params.filter((p) => (p.type === "arr" || p.type === "list") && !fn.wrt.includes(p.name) && !fn.outputs.includes(p.name) && t.isActive(p.name)).map((p): Stmt =>
    ({ kind: "assign", target: t.of(p.name), op: "=", value: p.type === "list" || p.list ? zerosFor(p) : { kind: "new-array", size: length(p.name) }, decl: "const", loc: fn.loc }));
  return [...zeroed, ...fn.params.filter((p) => fn.wrt.includes(p.name)).map((p): Stmt => {
    const given = fieldAt(ref(dir), keyPath(p), true, false);
    // a list's direction may name only some elements or fields: the others are zero
    const value: Expr = p.type === "list" ? call("completeLike", ref(p.name), given)
      : p.type !== "arr" ? { kind: "coalesce", a: given, b: num(0) }
      : written.has(p.name) ? call("copyOf", length(p.name), given, ref(p.name))
      : { kind: "coalesce", a: given, b: zerosFor(p) };
    return { kind: "assign", target: t.of(p.name), op: "=", value, decl: "let", loc: fn.loc };
  })];
}

/** Arrays a body writes (stores and BLAS outputs). */
function writtenArrays(body: Stmt[]): Set<string> {
  const out = new Set<string>();
  walk(body, (s) => {
    if (s.kind === "store") out.add(s.array);
    if (s.kind === "call") {
      const w = arrayRuleFor(s.fn)?.writes;
      if (typeof w === "number") out.add(arrayOfArg(s.args[w])!);
    }
  });
  return out;
}

const paramsOf = signatureParams;
const fieldOf = (fn: IRFunction, v: string) => fn.params.find((p) => p.name === v)!.field;

export function jvpMode(fn: IRFunction, names: Names): GenFunction {
  const outputs = fn.outputs.length > 0 ? fn.outputs : varsOf(fn.result);
  const act = analyzeActivity(fn.body, fn.wrt, outputs, fn.vars);
  const primal = primalProgram(fn, act, names);
  const dir = names.fresh("tangents");
  const vars: Map<string, VarInfo> = primal.vars;
  const t = new Tangents(vars, act.active, names);
  const body: Stmt[] = [...seeds(fn, t, dir, fn.body)];
  // tangents of outputs start at zero, like the outputs' derivatives with respect to anything
  for (const o of fn.outputs) {
    if (t.isActive(o)) body.push({ kind: "assign", target: t.of(o), op: "=", value: { kind: "new-array", size: length(o) }, decl: "const", loc: fn.loc });
  }
  body.push(...t.block(primal.body));
  const vector = fn.outputs.length > 0;
  let result: Expr;
  if (vector) {
    const tangent: Expr = { kind: "record", fields: fn.outputs.map((o): [string, Expr] => [fieldOf(fn, o), t.isActive(o) ? ref(t.of(o)) : call("zeros", length(o))]) };
    result = { kind: "record", fields: [["tangent", tangent]] };
  } else {
    result = { kind: "record", fields: [["value", fn.result], ["tangent", t.expr(fn.result)]] };
  }
  const outType: TypeSpec = { k: "object", props: fn.outputs.map((o) => ({ name: fieldOf(fn, o), type: { k: "Float64Array" } as TypeSpec })) };
  return {
    name: jvpFunctionName(fn.name),
    params: [...paramsOf(fn), { name: dir, type: directionType(fn) }],
    returnType: vector
      ? { k: "object", props: [{ name: "tangent", type: outType }] }
      : { k: "object", props: [{ name: "value", type: { k: "number" } }, { name: "tangent", type: { k: "number" } }] },
    body,
    result,
    vars,
    file: fn.file,
    doc: vector
      ? `Runs \`${fn.name}\` (writing ${fn.outputs.map((o) => `\`${fieldOf(fn, o)}\``).join(", ")}) and returns the outputs' tangents along \`${dir}\` (forward mode; a missing direction is zero).`
      : `Value of \`${fn.name}\` and its directional derivative along \`${dir}\` (forward mode; a missing direction is zero).`,
  };
}

export function hvpMode(fn: IRFunction, names: Names): GenFunction {
  const act = analyzeActivity(fn.body, fn.wrt, varsOf(fn.result), fn.vars);
  // forward over the simplified gradient: its tangents can use the values it keeps (z)
  const rev = simplify(reverseMode(fn, act, names, { outBuffers: false, pullbackBodies: true }));
  const grad = (rev.result as Extract<Expr, { kind: "record" }>).fields.find(([k]) => k === "grad")![1] as Extract<Expr, { kind: "record" }>;
  const value = (rev.result as Extract<Expr, { kind: "record" }>).fields.find(([k]) => k === "value")![1];
  const dir = names.fresh("v");
  const wanted = new Set<string>();
  for (const [, g] of grad.fields) varsOf(g, wanted);
  const act2 = analyzeActivity(rev.body, fn.wrt, wanted, rev.vars);
  const t = new Tangents(rev.vars, act2.active, names, true);
  const body: Stmt[] = [...seeds(fn, t, dir, fn.body), ...t.block(rev.body)];
  // the gradient record's leaves, in the order of the parameters
  const leafOf = (p: IRFunction["params"][number]): Expr => {
    let e: Expr = grad;
    for (const k of keyPath(p)) e = recordField(e as Extract<Expr, { kind: "record" }>, k)!;
    return e;
  };
  const hvp = nestRecord(fn.params.filter((p) => fn.wrt.includes(p.name)).map((p) => {
    let d = t.expr(leafOf(p));
    if ((p.type === "arr" || p.type === "list") && isNum(d)) d = zerosFor(p);
    return { path: keyPath(p), value: d, given: p.given };
  }));
  const gradType = (rev.returnType as Extract<TypeSpec, { k: "object" }>).props.find((p) => p.name === "grad")!.type;
  return {
    name: hvpFunctionName(fn.name),
    params: [...paramsOf(fn), { name: dir, type: directionType(fn) }],
    returnType: { k: "object", props: [{ name: "value", type: { k: "number" } }, { name: "grad", type: gradType }, { name: "hvp", type: gradType }] },
    body,
    result: { kind: "record", fields: [["value", value], ["grad", grad], ["hvp", hvp]] },
    vars: rev.vars,
    tape: rev.tape,
    file: fn.file,
    doc: `Value, gradient and Hessian-vector product H·${dir} of \`${fn.name}\` (forward over reverse).`,
  };
}

/** `{ x: x.length, a: -1, p: { W: W.length } }`: how the runtime flattens parameters into matrix rows and columns. */
function layoutOf(ps: { name: string; type: string; field: string; path?: string[]; given?: string }[]): Expr {
  const leaf = (p: { name: string; type: string }): Expr => p.type === "arr" ? length(p.name) : p.type === "list" ? call("layoutOf", ref(p.name)) : num(-1);
  // an optional field that is absent has no rows or columns, as it has no gradient
  return nestRecord(ps.map((p) => ({ path: [p.field, ...(p.path ?? [])], value: leaf(p), given: p.given })));
}

/** `<name>Jacobian`: dense, rows = outputs, columns = differentiated inputs, by the cheaper sweep. */
export function jacobianMode(fn: IRFunction, names: Names): GenFunction {
  const tv = names.fresh("t"), cv = names.fresh("c"), gv = names.fresh("g"), ov = names.fresh("out");
  const wrt = fn.params.filter((p) => fn.wrt.includes(p.name));
  const args = signatureArgs(fn);
  const vector = fn.outputs.length > 0;
  const jvpCall: Expr = { kind: "invoke", fn: jvpFunctionName(fn.name), args: [...args, ref(tv)] };
  // each reverse sweep fills the previous sweep's gradient buffers (`g`), where it has array gradients
  const reuse = wrt.some((p) => p.type === "arr" || p.type === "list") ? [ref(gv)] : [];
  const revCall: Expr = vector
    ? { kind: "invoke", fn: vjpFunctionName(fn.name), args: [...args, ref(cv), ...reuse] }
    : { kind: "invoke", fn: gradFunctionName(fn.name), args: [...args, ...reuse] };
  const jvp: Expr = vector ? jvpCall : { kind: "record", fields: [["tangent", { kind: "record", fields: [["value", field(jvpCall, "tangent")]] }]] };
  const outLayout = vector ? layoutOf(fn.outputs.map((o) => ({ name: o, type: "arr", field: fieldOf(fn, o) }))) : { kind: "record", fields: [["value", num(-1)]] } as Expr;
  const wrapper: GenFunction = {
    name: jacobianFunctionName(fn.name),
    params: [...paramsOf(fn), { name: ov, type: { k: "Float64Array" }, optional: true }],
    returnType: { k: "object", props: [{ name: "jacobian", type: { k: "Float64Array" } }, { name: "rows", type: { k: "number" } }, { name: "cols", type: { k: "number" } }] },
    body: [],
    result: call("jacobian", { kind: "lambda", params: [tv], body: jvp }, { kind: "lambda", params: reuse.length > 0 ? [cv, gv] : [cv], body: revCall }, layoutOf(wrt), outLayout, ref(ov)),
    vars: new Map(),
    file: fn.file,
    doc: `Dense Jacobian of \`${fn.name}\`, row-major: rows ${vector ? fn.outputs.map((o) => `\`${fieldOf(fn, o)}\``).join(", ") : "the value"}, columns ${sourceNames(fn, fn.wrt).map((f) => `\`${f}\``).join(", ")} flattened in order. Uses forward sweeps when there are fewer inputs than outputs, reverse sweeps otherwise; \`${ov}\`, when given, receives the matrix.`,
  };
  // one generated function carrying all rows (or columns) at once, when the shape is static
  return vectorJacobian(fn, names, wrapper, jvpMode) ?? wrapper;
}

/** `<name>Hessian`: dense, row-major over the differentiated parameters flattened in order. */
export function hessianMode(fn: IRFunction, names: Names): GenFunction {
  const dv = names.fresh("direction");
  const wrt = fn.params.filter((p) => fn.wrt.includes(p.name));
  const args = signatureArgs(fn);
  const hvp: Expr = { kind: "invoke", fn: hvpFunctionName(fn.name), args: [...args, ref(dv)] };
  return {
    name: hessianFunctionName(fn.name),
    params: paramsOf(fn),
    returnType: { k: "object", props: [{ name: "value", type: { k: "number" } }, { name: "hessian", type: { k: "Float64Array" } }, { name: "size", type: { k: "number" } }] },
    body: [],
    result: call("hessianFromHvp", { kind: "lambda", params: [dv], body: hvp }, layoutOf(wrt)),
    vars: new Map(),
    file: fn.file,
    doc: `Value and dense Hessian of \`${fn.name}\` (row-major, ${sourceNames(fn, fn.wrt).map((f) => `\`${f}\``).join(", ")} flattened in order), one Hvp per column.`,
  };
}
