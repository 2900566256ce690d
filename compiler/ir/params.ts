/**
 * The boundary of a generated function: its source parameters (numbers, arrays, and records of
 * them) and the leaf parameters of the IR they flatten to. Every generated function's signature,
 * its prologue (`const W1 = p.W1`), and the nested records and types of gradients, tangents and
 * `out` buffers are built here, so that every mode gives parameters of the same shape the same
 * shape of derivatives.
 */
import type { Expr, IRFunction, Param, Stmt, TypeSpec } from "./types.ts";
import { ref, num, bool } from "./types.ts";
import { shapeType } from "./shape.ts";

export type LeafParam = IRFunction["params"][number];

/** The TypeScript type of a leaf parameter (and of its gradient and tangent). */
export function leafType(p: LeafParam): TypeSpec {
  switch (p.type) {
    case "num": return { k: "number" };
    case "bool": return { k: "boolean" };
    case "arr": return p.ints ? { k: "ints", name: p.ints } : p.list ? { k: "number[]" } : { k: "Float64Array" };
    case "list": return shapeType(p.shape!);
  }
}

/** The keys from the generated function's arguments to a leaf: `["p", "W1"]`, or `["x"]`. */
export function keyPath(p: LeafParam): string[] {
  return [p.field, ...(p.path ?? [])];
}

/** `base.a.b`, with `?.` below the first level when `optional` (`out?.p?.W1`, `tangents.p?.W1`). */
export function fieldAt(base: Expr, path: readonly string[], optional: boolean, optionalFirst = optional): Expr {
  let e = base;
  path.forEach((name, i) => {
    const opt = i === 0 ? optionalFirst : optional;
    e = opt ? { kind: "field", object: e, name, optional: true } : { kind: "field", object: e, name };
  });
  return e;
}

/**
 * The key of a record field that spreads `cond ? { name: value } : {}` into its record: an
 * optional field, there only when the parameter's field is given (see `nestRecord`).
 */
export const SPREAD = "...";

/** The value of field `name` of a record expression, through the spread of an optional field. */
export function recordField(rec: Extract<Expr, { kind: "record" }>, name: string): Expr | undefined {
  for (const [k, v] of rec.fields) {
    if (k === name) return v;
    if (k === SPREAD && v.kind === "select" && v.then.kind === "record") {
      const inner = v.then.fields.find(([n]) => n === name);
      if (inner) return inner[1];
    }
  }
  return undefined;
}

/**
 * A nested record from values at key paths, in the order the paths first appear. An entry with
 * `given` (an optional field's boolean leaf) is there only when it is true, as the parameter's
 * field is: `...(scale_given ? { scale: d_scale } : {})`.
 */
export function nestRecord(entries: { path: readonly string[]; value: Expr; given?: string | undefined }[]): Expr {
  const fields: [string, Expr][] = [];
  const groups = new Map<string, { path: readonly string[]; value: Expr; given?: string | undefined }[]>();
  for (const e of entries) {
    const [head, ...rest] = e.path;
    if (rest.length === 0) {
      fields.push(e.given ? [SPREAD, { kind: "select", cond: ref(e.given), then: { kind: "record", fields: [[head, e.value]] }, else: { kind: "record", fields: [] } }] : [head, e.value]);
      continue;
    }
    let g = groups.get(head);
    if (!g) {
      groups.set(head, (g = []));
      fields.push([head, { kind: "record", fields: [] }]); // placeholder, keeps the order
    }
    g.push({ path: rest, value: e.value, given: e.given });
  }
  return { kind: "record", fields: fields.map(([k, v]): [string, Expr] => (groups.has(k) ? [k, nestRecord(groups.get(k)!)] : [k, v])) };
}

/** A type whose object properties, inside lists too, are all optional (a direction naming only some leaves). */
function partialType(t: TypeSpec): TypeSpec {
  if (t.k === "object") return { k: "object", props: t.props.map((p) => ({ ...p, type: partialType(p.type), optional: true })) };
  if (t.k === "list") return { k: "list", elem: partialType(t.elem) };
  return t;
}

/** A nested object type from leaf types at key paths; `optional` marks every property optional, inside lists too. */
export function nestType(entries: { path: readonly string[]; type: TypeSpec; optional?: boolean }[], optional = false): TypeSpec {
  if (optional) entries = entries.map((e) => ({ ...e, type: partialType(e.type) }));
  const props: { name: string; type: TypeSpec; optional?: boolean }[] = [];
  const groups = new Map<string, { path: readonly string[]; type: TypeSpec; optional?: boolean }[]>();
  for (const e of entries) {
    const [head, ...rest] = e.path;
    if (rest.length === 0) {
      props.push({ name: head, type: e.type, ...(optional || e.optional ? { optional: true } : {}) });
      continue;
    }
    let g = groups.get(head);
    if (!g) {
      groups.set(head, (g = []));
      props.push({ name: head, type: { k: "object", props: [] }, ...(optional ? { optional: true } : {}) });
    }
    g.push({ path: rest, type: e.type, ...(e.optional ? { optional: true } : {}) });
  }
  return { k: "object", props: props.map((p) => (groups.has(p.name) ? { ...p, type: nestType(groups.get(p.name)!, optional) } : p)) };
}

/** The inputs by source parameter: one each, or the fields of one destructured in the signature. */
function sourceParams(fn: IRFunction): IRFunction["inputs"][] {
  const out: IRFunction["inputs"][] = [];
  for (const i of fn.inputs) {
    const last = out.at(-1);
    if (i.pattern && last?.[0]?.pattern?.param === i.pattern.param) last.push(i);
    else out.push([i]);
  }
  return out;
}

/**
 * The generated function's own parameters: the source function's, with their source types. One
 * destructured in the signature is destructured the same way, into the inputs' variables:
 * `{ w, b: b_1 }: { w: number; b: number }`.
 */
export function signatureParams(fn: IRFunction): Param[] {
  const groups = sourceParams(fn);
  return groups.map((group, at) => {
    const i = group[0]!;
    if (!i.pattern) return { name: i.name, type: shapeType(i.shape, true), ...(i.optional ? { maybe: true } : {}) };
    const names = group.map((g) => (g.name === g.field ? g.name : `${propertyKey(g.field)}: ${g.name}`));
    // in a function type, its fields (each a name no other parameter has), or a name of its own
    const plain = group.every((g) => propertyKey(g.field) === g.field);
    let typeName = `arg${at}`;
    while (groups.some((o) => o.some((g) => g.name === typeName || g.field === typeName))) typeName += "_";
    const type = shapeType(i.pattern.shape, true);
    // one that may be left out defaults to `{}` (a function type has no defaults: a plain name there)
    if (i.pattern.settings) return { name: `{ ${names.join(", ")} }`, type, init: "{}", maybe: true, typeName };
    return { name: `{ ${names.join(", ")} }`, type, typeName: plain ? `{ ${group.map((g) => g.field).join(", ")} }` : typeName };
  });
}

/** The arguments a generated function passes on to another one of the module: its own parameters. */
export function signatureArgs(fn: IRFunction): Expr[] {
  return sourceParams(fn).map((group) => group[0]!.pattern
    ? { kind: "record", fields: group.map((g): [string, Expr] => [g.field, ref(g.name)]) }
    : ref(group[0]!.name));
}

/** A field name as an object key: itself when it is an identifier, else quoted. */
function propertyKey(field: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(field) ? field : JSON.stringify(field);
}

/** What an optional leaf holds when its field or parameter is absent: NaN, or an empty array. */
function absentValue(p: LeafParam): Expr {
  if (p.type === "num") return num(NaN);
  if (p.type === "bool") return bool(false);
  return p.list ? { kind: "construct", ctor: "Array<number>", args: [] } : { kind: "new-array", size: num(0) };
}

/** `const W1 = p.W1;` for each leaf inside a record parameter, and the leaves of optional numbers. */
export function prologue(fn: IRFunction): Stmt[] {
  const out: Stmt[] = [];
  for (const p of fn.params) {
    if ((!p.path || p.path.length === 0) && !p.given && !p.presence && p.choice === undefined) continue;
    const input = fn.inputs.find((i) => i.field === p.field)!;
    // a settings object that may be left out (`opts: Options = {}`) is read through `?.`
    const read = fieldAt(ref(input.name), p.path ?? [], false, !!input.optional && (p.path ?? []).length > 0);
    // an optional field: NaN when absent (what arithmetic on undefined gives), or an empty array
    // (which only `?.` reads), and whether it is given
    // one string of a choice among strings: whether it is the one given (`kind === "l1"`, or with
    // the default "l2" `(kind ?? "l2") === "l1"`)
    const value: Expr = p.presence ? { kind: "apply", op: "!==", args: [read, ref("undefined")] }
      : p.choice !== undefined ? { kind: "apply", op: "===", args: [p.fallback !== undefined ? { kind: "coalesce", a: read, b: { kind: "text", value: p.fallback } } : read, { kind: "text", value: p.choice }] }
      : p.given ? { kind: "coalesce", a: read, b: absentValue(p) } : read;
    out.push({ kind: "assign", target: p.name, op: "=", value, decl: "const", loc: fn.loc });
  }
  return out;
}

/** The source parameters the given leaves belong to, in order, once each (for documentation). */
export function sourceNames(fn: IRFunction, leaves: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of fn.params) if (leaves.includes(p.name) && !out.includes(p.field)) out.push(p.field);
  return out;
}
