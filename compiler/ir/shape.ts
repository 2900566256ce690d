/**
 * Shapes of parameter values (pytrees): numbers, arrays, records of named fields and lists of
 * records or arrays. A differentiable function's parameter may be any such tree; its gradient,
 * tangent, `out` buffer and Hvp direction have the same shape.
 *
 * Records are flattened at the function's boundary: every number, array or list inside a record
 * parameter is a leaf parameter of the IR, reached from the source parameter by a path of field
 * names (`p.layers`, `p.out.W`). Lists stay values of the IR (their length is known only when the
 * function runs) and their elements are reached by `get` steps.
 */
import ts from "typescript";
import { type IntArrayName, type TypeSpec, isIntArrayName } from "./types.ts";

export type Shape =
  | { k: "num" }
  /** A boolean (a flag; it has no derivative). */
  | { k: "bool" }
  /** One of some strings (`"l1" | "l2"`): a choice, which has no derivative; one boolean leaf per string. */
  | { k: "choice"; values: string[] }
  /**
   * A Float64Array, a `number[]` (`list`), or an integer typed array (`ints`: a top-level
   * parameter only). A tuple of numbers (`[number, number]`) is a `number[]` whose parameter keeps
   * its tuple type (`tuple`).
   */
  | { k: "arr"; list?: boolean; ints?: IntArrayName; tuple?: { length: number; readonly: boolean } }
  /**
   * `optional`: a number or array field that may be absent (`scale?: number`, `bias?:
   * Float64Array`), in a record that is not an element of a list. Its leaf parameter comes with a
   * boolean one that says whether it is given.
   */
  | { k: "rec"; fields: { name: string; shape: Shape; optional?: boolean }[] }
  /** An array of records or of arrays (`Layer[]`, `Float64Array[]`). */
  | { k: "list"; elem: Shape };

/** Why a type has no shape, for diagnostics. */
export interface ShapeError {
  reason: string;
}

/**
 * Whether the methods and accessors of an object type are not its data: an instance of a class
 * (`new Layer(…)`), or an interface or object type declared in the program's own code (a model
 * with a `predict` method). Types of the standard library and of declaration files (`Map`,
 * `WeakRef`) are not: their data is not in fields.
 */
export function leavesOutMethods(type: ts.Type): boolean {
  const sym = type.getSymbol();
  if (!sym) return false;
  if (sym.flags & ts.SymbolFlags.Class) return true;
  const decls = sym.declarations ?? [];
  return (sym.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.TypeLiteral)) !== 0 && decls.length > 0 && decls.every((d) => !d.getSourceFile().isDeclarationFile);
}

/**
 * Why a member of a class instance (or of an object type of the program's, see
 * `leavesOutMethods`) is not one of its data fields: a method (or a field holding a function), an
 * accessor (`get size()`), or a field code outside its class cannot read (`private`,
 * `protected`, `#state`). Undefined for a data field.
 */
export function nonDataMember(p: ts.Symbol, checker: ts.TypeChecker): "a method" | "an accessor" | "a private field" | undefined {
  if (p.flags & ts.SymbolFlags.Method) return "a method";
  // a field holding a function (`act: (v: number) => number`) is one too
  if (p.flags & ts.SymbolFlags.Property && checker.getNonNullableType(checker.getTypeOfSymbol(p)).getCallSignatures().length > 0) return "a method";
  if (p.flags & ts.SymbolFlags.Accessor) return "an accessor";
  const d = p.valueDeclaration;
  if (d && ts.isPropertyDeclaration(d) && (ts.isPrivateIdentifier(d.name) || ts.getCombinedModifierFlags(d) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected))) return "a private field";
  if (d && ts.isParameter(d) && ts.getCombinedModifierFlags(d) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) return "a private field";
  return undefined;
}

/**
 * The shape of a TypeScript type: `number`, `Float64Array`, `number[]`, object types (interfaces,
 * type aliases, inline types) whose fields all have shapes, and arrays of records or arrays.
 */
export function shapeOf(type: ts.Type, checker: ts.TypeChecker, seen: ts.Type[] = [], inList = false): Shape | ShapeError {
  if (type.flags & (ts.TypeFlags.Number | ts.TypeFlags.NumberLiteral)) return { k: "num" };
  if (type.flags & (ts.TypeFlags.Boolean | ts.TypeFlags.BooleanLiteral)) {
    if (inList) return { reason: "booleans in the elements of a list are not supported (pass them as numbers, 1 or 0)" };
    return { k: "bool" };
  }
  // `"l1" | "l2"`: a choice among strings
  const strings = type.isUnion() ? type.types : [type];
  if (strings.every((t) => t.isStringLiteral())) {
    if (inList) return { reason: "choices among strings in the elements of a list are not supported (pass them as numbers)" };
    return { k: "choice", values: strings.map((t) => (t as ts.StringLiteralType).value) };
  }
  const sym = type.getSymbol();
  if (sym && sym.getName() === "Float64Array") return { k: "arr" };
  // other arrays of numbers: named, with what to pass instead
  if (sym && sym.getName() === "Float32Array") return { reason: "Float32Array is not supported (its elements round to single precision, and derivatives are computed in double): pass a Float64Array (Float64Array.from(xs)) or a number[]" };
  if (sym && (sym.getName() === "ArrayLike" || sym.getName() === "Iterable")) return { reason: `${sym.getName()}<number> is not supported: take a Float64Array or a number[]` };
  if (sym && isIntArrayName(sym.getName())) {
    if (seen.length > 0) return { reason: `${sym.getName()} values inside objects and lists are not supported (pass the integer array as a parameter of its own)` };
    return { k: "arr", ints: sym.getName() as IntArrayName };
  }
  if (checker.isArrayType(type)) {
    const [el] = checker.getTypeArguments(type as ts.TypeReference);
    if (!el) return { reason: "its elements have no type" };
    if (el.flags & (ts.TypeFlags.Number | ts.TypeFlags.NumberLiteral)) return { k: "arr", list: true };
    const inner = shapeOf(el, checker, seen, true);
    if ("reason" in inner) return inner;
    if (inner.k === "arr" && inner.ints) return { reason: `lists of ${inner.ints} values are not supported (pass each integer array as a parameter of its own)` };
    if (inner.k === "num") return { k: "arr", list: true };
    return { k: "list", elem: inner };
  }
  if (checker.isTupleType(type)) {
    // `[number, number]`: every element a number, none optional or a rest
    const target = (type as ts.TupleTypeReference).target;
    const els = checker.getTypeArguments(type as ts.TypeReference);
    const numbers = els.length > 0 && els.every((e) => e.flags & (ts.TypeFlags.Number | ts.TypeFlags.NumberLiteral)) && target.elementFlags.every((f) => f === ts.ElementFlags.Required);
    if (!numbers) return { reason: "a tuple is supported when each element is a number, none optional or a rest ([number, number]); use number[] or a Float64Array" };
    return { k: "arr", list: true, tuple: { length: els.length, readonly: target.readonly } };
  }
  if (type.flags & ts.TypeFlags.Object && !(type.flags & ts.TypeFlags.Union)) {
    if (seen.includes(type)) return { reason: `the type '${checker.typeToString(type)}' is recursive` };
    if (type.getCallSignatures().length > 0 || type.getConstructSignatures().length > 0) return { reason: "it is a function" };
    if (checker.getIndexInfosOfType(type).length > 0) return { reason: `'${checker.typeToString(type)}' has an index signature (give its fields names)` };
    const fields: { name: string; shape: Shape; optional?: boolean }[] = [];
    const dataOnly = leavesOutMethods(type);
    for (const p of checker.getPropertiesOfType(type)) {
      // a class's methods, accessors and the fields only the class reads hold no data of the value
      if (dataOnly && nonDataMember(p, checker)) continue;
      if (p.flags & ts.SymbolFlags.Method) return { reason: `its field '${p.name}' is a method` };
      const decl = p.valueDeclaration ?? p.declarations?.[0];
      const declared = decl ? checker.getTypeOfSymbolAtLocation(p, decl) : checker.getTypeOfSymbol(p);
      const optional = (p.flags & ts.SymbolFlags.Optional) !== 0;
      const pt = optional ? checker.getNonNullableType(declared) : declared;
      if (optional && inList) return { reason: `its field '${p.name}' is optional, in the elements of a list (make it required)` };
      const s = shapeOf(pt, checker, [...seen, type], inList);
      if ("reason" in s) return { reason: `its field '${p.name}': ${s.reason}` };
      // an optional choice reads as none of its strings when absent (`opts.mode === "mean"` is false)
      if (optional && s.k !== "num" && s.k !== "arr" && s.k !== "bool" && s.k !== "choice") {
        const what = s.k === "rec" ? "an object" : "a list";
        return { reason: `its field '${p.name}' is optional and ${what} (optional fields are numbers, booleans, arrays of numbers and choices among strings: make it required)` };
      }
      fields.push({ name: p.name, shape: s, ...(optional ? { optional: true } : {}) });
    }
    if (fields.length === 0) return { reason: "it has no fields" };
    return { k: "rec", fields };
  }
  // a string chooses the computation when it is one of some strings, listed in its type
  if (type.flags & ts.TypeFlags.String) return { reason: "'string' is not a number, an array or an object of them (a string that chooses the computation is a choice among strings: list them in its type, \"l1\" | \"l2\")" };
  return { reason: `'${checker.typeToString(type)}' is not a number, an array or an object of them` };
}

export function isShape(s: Shape | ShapeError): s is Shape {
  return !("reason" in s);
}

/** The leaves of a shape: numbers, arrays and lists, with their paths of field names, in order. */
export function leavesOf(shape: Shape, path: string[] = []): { path: string[]; shape: Exclude<Shape, { k: "rec" }> }[] {
  if (shape.k !== "rec") return [{ path, shape }];
  return shape.fields.flatMap((f) => leavesOf(f.shape, [...path, f.name]));
}

/**
 * The TypeScript type of a value of this shape. A tuple is a `number[]`, except in the type of
 * the parameter itself (`asParameter`), which is the source's.
 */
export function shapeType(shape: Shape, asParameter = false): TypeSpec {
  switch (shape.k) {
    case "num": return { k: "number" };
    case "bool": return { k: "boolean" };
    case "choice": return { k: "literals", values: shape.values };
    case "arr":
      if (shape.ints) return { k: "ints", name: shape.ints };
      if (shape.tuple && asParameter) return { k: "tuple", length: shape.tuple.length, ...(shape.tuple.readonly ? { readonly: true } : {}) };
      return shape.list ? { k: "number[]" } : { k: "Float64Array" };
    case "rec": return { k: "object", props: shape.fields.map((f) => ({ name: f.name, type: shapeType(f.shape, asParameter), ...(f.optional ? { optional: true } : {}) })) };
    case "list": return { k: "list", elem: shapeType(shape.elem, asParameter) };
  }
}

/** The shape at a path of field names (and, for lists, `[]` for an element). */
export function shapeAt(shape: Shape, path: readonly (string | null)[]): Shape | undefined {
  let s: Shape | undefined = shape;
  for (const key of path) {
    if (!s) return undefined;
    if (key === null) s = s.k === "list" ? s.elem : undefined;
    else s = s.k === "rec" ? s.fields.find((f) => f.name === key)?.shape : undefined;
  }
  return s;
}
