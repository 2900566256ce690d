/**
 * The generated functions built on the tangent pass:
 *  - `<name>Jvp(...params, tangents)`: forward mode over the primal code;
 *  - `<name>Hvp(...params, v)`: forward mode over the reverse-mode function (forward over
 *    reverse): value, gradient and the Hessian-vector product H·v in one call;
 *  - `<name>Hessian(...params)`: the dense Hessian from one Hvp per input coordinate.
 */
import type { IRFunction } from "../../ir/types.ts";
import { type Expr, type Stmt, type FunctionSpec, type TypeSpec, n, r, call, member } from "../../ast/js.ts";
import { jvpFunctionName, hvpFunctionName, hessianFunctionName, gradFunctionName, vjpFunctionName, jacobianFunctionName, type Names } from "../../naming.ts";
import type { Activity } from "../3-activity/index.ts";
import { primalBody, tsType, type ReverseResult } from "../4-reverse/index.ts";
import { Tangents } from "./index.ts";

export interface ModeResult {
  spec: FunctionSpec;
  runtimeImports: Set<string>;
  derived: Set<string>;
}

function directionType(fn: IRFunction): TypeSpec {
  return { k: "object", props: fn.params.filter((p) => fn.wrt.includes(p.name)).map((p) => ({ name: p.name, type: tsType(p.type), optional: true })) };
}

/** `const dot_x = dir.x ?? 0` for every differentiated parameter. */
function seeds(fn: IRFunction, t: Tangents, dir: string, imports: Set<string>): Stmt[] {
  return fn.params.filter((p) => fn.wrt.includes(p.name)).map((p) => {
    const given: Expr = { k: "member", obj: r(dir), prop: p.name };
    if (p.type === "arr") imports.add("zeros");
    const fallback = p.type === "arr" ? call("zeros", member(r(p.name), "length")) : n(0);
    return { k: "decl", kw: "const", name: t.of(p.name), init: { k: "bin", op: "??", a: given, b: fallback } } as Stmt;
  });
}

export function jvpMode(fn: IRFunction, act: Activity, names: Names): ModeResult {
  const imports = new Set<string>();
  const primal = primalBody(fn, act, names);
  const dir = names.fresh("tangents");
  const t = new Tangents(primal.body, fn.wrt, names);
  const body: Stmt[] = [...seeds(fn, t, dir, imports)];
  // tangents of outputs start at zero, like the outputs' derivatives with respect to anything
  for (const o of fn.outputs) {
    if (t.varied.has(o)) body.push({ k: "decl", kw: "const", name: t.of(o), init: { k: "new", ctor: "Float64Array", args: [member(r(o), "length")] } });
  }
  body.push(...t.block(primal.body));
  const vector = fn.outputs.length > 0;
  let tangent: Expr;
  if (vector) {
    tangent = { k: "object", props: fn.outputs.map((o) => {
      if (t.varied.has(o)) return [o, r(t.of(o))] as [string, Expr];
      imports.add("zeros");
      return [o, call("zeros", member(r(o), "length"))] as [string, Expr];
    }) };
  } else {
    tangent = t.expr(primal.result);
  }
  body.push({ k: "return", e: { k: "object", props: vector ? [["tangent", tangent]] : [["value", primal.result], ["tangent", tangent]] } });
  const outType: TypeSpec = { k: "object", props: fn.outputs.map((o) => ({ name: o, type: { k: "Float64Array" } as TypeSpec })) };
  return {
    spec: {
      name: jvpFunctionName(fn.name),
      params: [...fn.params.map((p) => ({ name: p.name, type: tsType(p.type) })), { name: dir, type: directionType(fn) }],
      returnType: vector
        ? { k: "object", props: [{ name: "tangent", type: outType }] }
        : { k: "object", props: [{ name: "value", type: { k: "number" } }, { name: "tangent", type: { k: "number" } }] },
      body,
      doc: vector
        ? `Runs \`${fn.name}\` (writing ${fn.outputs.map((o) => `\`${o}\``).join(", ")}) and returns the outputs' tangents along \`${dir}\` (forward mode; a missing direction is zero).`
        : `Value of \`${fn.name}\` and its directional derivative along \`${dir}\` (forward mode; a missing direction is zero).`,
    },
    runtimeImports: imports,
    derived: t.derived(),
  };
}

/** `<name>Jacobian`: dense, rows = outputs, columns = differentiated inputs, by the cheaper sweep. */
export function jacobianMode(fn: IRFunction, names: Names): ModeResult {
  const tv = names.fresh("t"), cv = names.fresh("c");
  const wrt = fn.params.filter((p) => fn.wrt.includes(p.name));
  const args = fn.params.map((p) => r(p.name));
  const layoutOf = (ps: { name: string; type: string }[]): Expr =>
    ({ k: "object", props: ps.map((p) => [p.name, p.type === "arr" ? member(r(p.name), "length") : n(-1)] as [string, Expr]) });
  const vector = fn.outputs.length > 0;
  const jvpCall: Expr = { k: "call", fn: jvpFunctionName(fn.name), args: [...args, r(tv)] };
  const revCall: Expr = vector
    ? { k: "call", fn: vjpFunctionName(fn.name), args: [...args, r(cv)] }
    : { k: "call", fn: gradFunctionName(fn.name), args };
  const jvp: Expr = vector ? jvpCall : { k: "object", props: [["tangent", { k: "object", props: [["value", member(jvpCall, "tangent")]] }]] };
  const outLayout = vector ? layoutOf(fn.outputs.map((o) => ({ name: o, type: "arr" }))) : { k: "object", props: [["value", n(-1)]] } as Expr;
  const body: Stmt[] = [{
    k: "return",
    e: call("jacobian", { k: "arrow", params: [tv], body: jvp }, { k: "arrow", params: [cv], body: revCall }, layoutOf(wrt), outLayout),
  }];
  return {
    spec: {
      name: jacobianFunctionName(fn.name),
      params: fn.params.map((p) => ({ name: p.name, type: tsType(p.type) })),
      returnType: { k: "object", props: [{ name: "jacobian", type: { k: "Float64Array" } }, { name: "rows", type: { k: "number" } }, { name: "cols", type: { k: "number" } }] },
      body,
      doc: `Dense Jacobian of \`${fn.name}\`, row-major: rows ${vector ? fn.outputs.map((o) => `\`${o}\``).join(", ") : "the value"}, columns ${wrt.map((p) => `\`${p.name}\``).join(", ")} flattened in order. Uses forward sweeps when there are fewer inputs than outputs, reverse sweeps otherwise.`,
    },
    runtimeImports: new Set(["jacobian"]),
    derived: new Set(),
  };
}

export function hvpMode(fn: IRFunction, rev: ReverseResult, names: Names): ModeResult {
  const imports = new Set<string>(rev.runtimeImports);
  const ret = rev.spec.body[rev.spec.body.length - 1];
  if (ret.k !== "return" || !ret.e || ret.e.k !== "object") throw new Error("internal: gradient body must end in its return");
  const [[, value], [, gradObj]] = ret.e.props;
  if (gradObj.k !== "object") throw new Error("internal: gradient object");
  const dir = names.fresh("v");
  // gradient buffers are always fresh here: the Hvp has no `out` parameter
  const outParam = rev.spec.params.find((p) => p.optional)?.name;
  const inner = rev.spec.body.slice(0, -1).map((s) => (outParam ? dropOut(s, outParam) : s));
  const t = new Tangents(inner, fn.wrt, names);
  const body: Stmt[] = [...seeds(fn, t, dir, imports), ...t.block(inner)];
  const hvp: [string, Expr][] = gradObj.props.map(([name, g]) => {
    const p = fn.params.find((q) => q.name === name)!;
    let d = t.expr(g);
    if (p.type === "arr" && d.k === "num") {
      imports.add("zeros");
      d = call("zeros", member(r(p.name), "length"));
    }
    return [name, d];
  });
  body.push({ k: "return", e: { k: "object", props: [["value", value], ["grad", gradObj], ["hvp", { k: "object", props: hvp }]] } });
  const gradType = (rev.spec.returnType as Extract<TypeSpec, { k: "object" }>).props[1].type;
  return {
    spec: {
      name: hvpFunctionName(fn.name),
      params: [...fn.params.map((p) => ({ name: p.name, type: tsType(p.type) })), { name: dir, type: directionType(fn) }],
      returnType: { k: "object", props: [{ name: "value", type: { k: "number" } }, { name: "grad", type: gradType }, { name: "hvp", type: gradType }] },
      body,
      doc: `Value, gradient and Hessian-vector product H·${dir} of \`${fn.name}\` (forward over reverse).`,
    },
    runtimeImports: imports,
    derived: new Set([...t.derived(), ...rev.derived]),
  };
}

function dropOut(s: Stmt, out: string): Stmt {
  if (s.k === "decl" && s.init?.k === "call" && s.init.fn === "zeros" && s.init.args.length === 2) {
    const a = s.init.args[1];
    if (a.k === "member" && a.obj.k === "ref" && a.obj.name === out) return { ...s, init: call("zeros", s.init.args[0]) };
  }
  return s;
}

/** `<name>Hessian`: dense, row-major over the differentiated parameters flattened in order. */
export function hessianMode(fn: IRFunction, names: Names): ModeResult {
  const dv = names.fresh("direction");
  const wrt = fn.params.filter((p) => fn.wrt.includes(p.name));
  const args = fn.params.map((p) => r(p.name));
  const layout: Expr = { k: "object", props: wrt.map((p) => [p.name, p.type === "arr" ? member(r(p.name), "length") : n(-1)] as [string, Expr]) };
  const hvp = { k: "call", fn: hvpFunctionName(fn.name), args: [...args, r(dv)] } as Expr;
  const body: Stmt[] = [{ k: "return", e: call("hessianFromHvp", { k: "arrow", params: [dv], body: hvp }, layout) }];
  return {
    spec: {
      name: hessianFunctionName(fn.name),
      params: fn.params.map((p) => ({ name: p.name, type: tsType(p.type) })),
      returnType: { k: "object", props: [{ name: "value", type: { k: "number" } }, { name: "hessian", type: { k: "Float64Array" } }, { name: "size", type: { k: "number" } }] },
      body,
      doc: `Value and dense Hessian of \`${fn.name}\` (row-major, ${wrt.map((p) => `\`${p.name}\``).join(", ")} flattened in order), one Hvp per column.`,
    },
    runtimeImports: new Set(["hessianFromHvp"]),
    derived: new Set(),
  };
}

