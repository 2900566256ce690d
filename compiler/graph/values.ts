/**
 * Values of a function's parameters written as text, for the command line and the playground:
 * `x1=1.5,x2=0.5`, arrays as `w=[0.1,0.2]`, booleans as `true`, one of a choice's strings as
 * `kind="l1"`; or as JSON
 * (`{ "x1": 1.5, "w": [0.1, 0.2] }`). The fields of an object parameter are named by their paths
 * (`p.W1=[…]`, or nested objects in JSON). Checked against the function's parameters.
 */
import type { IRFunction } from "../ir/types.ts";
import type { Value } from "../ir/interpret.ts";

/** A value as written: a parameter's value, or one of a choice's strings (checkValues turns it into the strings' booleans). */
export type Written = Value | string;

/** A mistake in the values given: the message says what to write instead. */
export class ValueError extends Error {}

/** Splits `a=1,b=[1,2,3]` at the commas outside brackets. */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = "";
  for (const ch of s) {
    if (ch === "[") depth++;
    if (ch === "]") depth--;
    if (ch === "," && depth === 0) {
      out.push(cur);
      cur = "";
    } else {
      cur += ch;
    }
  }
  if (cur.trim() !== "") out.push(cur);
  return out;
}

function parseNumber(text: string, what: string): number {
  const t = text.trim();
  const v = Number(t);
  if (t === "" || (Number.isNaN(v) && t !== "NaN")) throw new ValueError(`${what}: '${text}' is not a number`);
  return v;
}

/** A JSON value as a parameter value: numbers, booleans, arrays of numbers (as Float64Arrays). */
export function fromJson(v: unknown, what: string): Written {
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "string") return v;
  if (Array.isArray(v) && v.every((x) => typeof x === "number")) return Float64Array.from(v as number[]);
  throw new ValueError(`${what}: expected a number, a boolean or an array of numbers, got ${JSON.stringify(v)}`);
}

/** Values from a JSON object's text. */
export function parseJsonValues(text: string, what: string): Record<string, Written> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new ValueError(`${what} is not valid JSON (${(e as Error).message})`);
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) throw new ValueError(`${what} must hold an object: { "name": value, … }`);
  const out: Record<string, Written> = {};
  // an object parameter's fields are named by their paths (`p.W1`)
  const visit = (obj: object, prefix: string) => {
    for (const [k, v] of Object.entries(obj)) {
      const name = prefix ? `${prefix}.${k}` : k;
      if (v !== null && typeof v === "object" && !Array.isArray(v)) visit(v, name);
      else out[name] = fromJson(v, `${what} ${name}`);
    }
  };
  visit(data, "");
  return out;
}

/** Values from `x1=1.5,x2=0.5` (`option` names where they came from, for messages). */
export function parseAssignments(spec: string, option: string): Record<string, Written> {
  const out: Record<string, Written> = {};
  for (const part of splitTop(spec)) {
    const eq = part.indexOf("=");
    if (eq <= 0) throw new ValueError(`${option}: expected name=value, got '${part.trim()}' (for example x1=1.5,x2=0.5)`);
    const name = part.slice(0, eq).trim();
    const text = part.slice(eq + 1).trim();
    if (text.startsWith("[")) {
      if (!text.endsWith("]")) throw new ValueError(`${option} ${name}: an array is written [1, 2, 3]`);
      const inner = text.slice(1, -1).trim();
      out[name] = Float64Array.from(inner === "" ? [] : inner.split(",").map((x) => parseNumber(x, `${option} ${name}`)));
    } else if (text === "true" || text === "false") {
      out[name] = text === "true";
    } else if (text.length >= 2 && (text[0] === '"' || text[0] === "'") && text.at(-1) === text[0]) {
      out[name] = text.slice(1, -1);
    } else {
      out[name] = parseNumber(text, `${option} ${name}`);
    }
  }
  return out;
}

const typeName = (t: string) => (t === "arr" ? "Float64Array" : t === "bool" ? "boolean" : "number");

/** How a parameter is written in values: its name, or the path to a field of an object parameter (`p.W1`). */
export function valueName(p: IRFunction["params"][number]): string {
  return [p.field, ...(p.path ?? [])].join(".");
}

/** `x1: number, x2: number` */
export function signatureText(ir: IRFunction): string {
  const out: string[] = [];
  for (const p of ir.params) {
    if (p.presence) continue;
    // a choice among strings: once, with its strings
    if (p.choice !== undefined) {
      if (ir.params.find((q) => q.choice !== undefined && valueName(q) === valueName(p)) !== p) continue;
      out.push(`${valueName(p)}: ${choiceStrings(ir, valueName(p)).map((v) => JSON.stringify(v)).join(" | ")}`);
      continue;
    }
    out.push(`${valueName(p)}${p.given ? "?" : ""}: ${typeName(p.type)}`);
  }
  return out.join(", ");
}

/** The strings of the choice named `name` (one boolean parameter each). */
function choiceStrings(ir: IRFunction, name: string): string[] {
  return ir.params.filter((q) => q.choice !== undefined && valueName(q) === name).map((q) => q.choice!);
}

/**
 * Checks that every parameter has a value of its type (unless `all` is false), and that no
 * unknown name is given; returns the values keyed by the IR's parameter names.
 */
export function checkValues(ir: IRFunction, values: Record<string, Written>, option: string, all: boolean): Record<string, Value> {
  const params = signatureText(ir);
  for (const k of Object.keys(values)) {
    if (!ir.params.some((p) => valueName(p) === k)) throw new ValueError(`${option}: ${ir.name} has no parameter '${k}' (its parameters: ${params})`);
  }
  const out: Record<string, Value> = {};
  for (const p of ir.params) {
    const v = values[valueName(p)];
    // an optional field: whether it is given, and NaN for a number (an empty array for an array)
    // when it is not (see ir/params.ts)
    if (p.presence) {
      if (all) out[p.name] = v !== undefined;
      continue;
    }
    // one string of a choice: whether it is the one given
    if (p.choice !== undefined) {
      const strings = choiceStrings(ir, valueName(p));
      if (v === undefined && !all) continue;
      if (typeof v !== "string" || !strings.includes(v)) throw new ValueError(`${option}: '${valueName(p)}' is one of ${strings.map((s) => JSON.stringify(s)).join(", ")}, written ${valueName(p)}=${JSON.stringify(strings[0])}${v === undefined ? "" : `, got ${v instanceof Float64Array ? "an array" : JSON.stringify(v)}`}`);
      out[p.name] = v === p.choice;
      continue;
    }
    if (typeof v === "string") throw new ValueError(`${option}: '${valueName(p)}' is a ${typeName(p.type)}, got the string ${JSON.stringify(v)}`);
    if (v === undefined && p.given) {
      if (all) out[p.name] = p.type === "num" ? NaN : new Float64Array(0);
      continue;
    }
    if (v === undefined) {
      if (all) throw new ValueError(`${option}: no value for '${valueName(p)}' (${ir.name} takes ${params})`);
      continue;
    }
    const ok = p.type === "num" ? typeof v === "number" : p.type === "bool" ? typeof v === "boolean" : v instanceof Float64Array;
    if (!ok) throw new ValueError(`${option}: '${valueName(p)}' is a ${typeName(p.type)}, got ${v instanceof Float64Array ? "an array" : typeof v}`);
    out[p.name] = v;
  }
  return out;
}
