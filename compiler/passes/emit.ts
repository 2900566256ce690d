/**
 * Printing IR steps as output-language statements, shared by the differentiation passes.
 */
import { type Operand, type Stmt, type Type, assertNever } from "../ir/types.ts";
import { type Expr, n, r, idx, call } from "../ast/js.ts";
import { ruleFor } from "../rules/index.ts";

export function operandExpr(o: Operand): Expr {
  if (o.kind === "var") return r(o.name);
  if (typeof o.value === "boolean") return { k: "bool", v: o.value };
  return n(o.value, o.text);
}

/** The right-hand side of a leaf step's primal computation. */
export function primalExpr(s: Stmt): Expr {
  switch (s.kind) {
    case "op": {
      if (s.op === "length") return { k: "member", obj: operandExpr(s.args[0]), prop: "length" };
      const rule = ruleFor(s.op);
      if (!rule) throw new Error(`no rule for ${s.op}`);
      return rule.emit(s.args.map(operandExpr));
    }
    case "load":
      return idx(r(s.array), operandExpr(s.index));
    case "alloc":
      return { k: "new", ctor: "Float64Array", args: [operandExpr(s.size)] };
    case "call":
      return call(s.fn, ...s.args.map(operandExpr));
    case "store":
    case "if":
    case "for":
    case "loop":
      throw new Error(`not a value step: ${s.kind}`);
    default:
      return assertNever(s);
  }
}

export function zeroOf(t: Type): Expr {
  return t === "bool" ? { k: "bool", v: false } : n(0);
}

/** `// line 12: y = Math.sin(x)` for the step's source statement. */
export function lineComment(s: Stmt, mainFile: string): string {
  const loc = s.loc;
  const file = loc.file === mainFile ? "" : `${loc.file.split("/").pop()} `;
  const text = (loc.text ?? "").replace(/\s+/g, " ").slice(0, 70);
  return `${file}line ${loc.line}: ${text}`;
}
