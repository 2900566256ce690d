/**
 * Text form of the IR, for `adjoint gen --dump-ir` and per-pass tests: one line per step,
 * regions indented, `*` before active variables.
 */
import { type Expr, type IRFunction, type Stmt, assertNever } from "./types.ts";

/** An expression in the IR's text form: primitives as `op(args)`. */
export function exprText(e: Expr): string {
  switch (e.kind) {
    case "var": return e.name;
    case "const": return e.text ?? String(e.value);
    case "apply": return `${e.op}(${e.args.map(exprText).join(", ")})`;
    case "select": return `select(${exprText(e.cond)}, ${exprText(e.then)}, ${exprText(e.else)})`;
    case "index": return `${e.array}[${exprText(e.index)}]`;
    case "call": return `call ${e.fn}(${e.args.map(exprText).join(", ")})`;
    case "invoke": return `invoke ${e.fn}(${e.args.map(exprText).join(", ")})`;
    case "pop": return `pop${e.type === "num" ? "" : ` ${e.type}`}${e.key !== undefined ? ` ${e.key}` : ""}${e.cursor ? ` via ${e.cursor.buffer}[--${e.cursor.top}]` : ""}`;
    case "field": return `${exprText(e.object)}${e.optional ? "?." : "."}${e.name}`;
    case "coalesce": return `${exprText(e.a)} ?? ${exprText(e.b)}`;
    case "new-array": return `alloc(${exprText(e.size)})`;
    case "view": return `${e.array}[${exprText(e.begin)}:${exprText(e.end)}]`;
    case "at": return `${e.list}[${exprText(e.index)}]${e.path.map((k) => `.${k}`).join("")}`;
    case "tape-begin": return "tape-begin";
    case "tape-call": return `tape.${e.method}(${e.args.map(exprText).join(", ")})`;
    case "record": return `{ ${e.fields.map(([k, x]) => `${k}: ${exprText(x)}`).join(", ")} }`;
    case "lambda": return `(${e.params.join(", ")}) => ${exprText(e.body)}`;
    case "text": return JSON.stringify(e.value);
    case "template": return `template(${[...e.parts.map((p) => JSON.stringify(p)), ...e.values.map(exprText)].join(", ")})`;
    case "host": return `host ${e.fn}(${e.args.map(exprText).join(", ")})`;
    case "construct": return `new ${e.ctor}(${e.args.map(exprText).join(", ")})`;
    case "user": return `user ${e.fn.name}(${e.args.map(exprText).join(", ")})`;
    default: return assertNever(e);
  }
}

/** Statements in the IR's text form. */
export function stmtsText(stmts: Stmt[], activeVars?: Set<string>, indent = ""): string[] {
  const lines: string[] = [];
  const mark = (v: string) => (activeVars?.has(v) ? "*" : "");
  const at = (s: Stmt) => (s.loc.line > 0 ? `    ; line ${s.loc.line}` : "");
  const decl = (s: { decl?: string }) => (s.decl ? `${s.decl} ` : "");
  const block = (b: Stmt[], ind: string) => {
    for (const s of b) {
      switch (s.kind) {
        case "op":
          lines.push(`${ind}${decl(s)}${mark(s.target)}${s.target} = ${s.op}(${s.args.map(exprText).join(", ")})${at(s)}`);
          break;
        case "load":
          lines.push(`${ind}${decl(s)}${mark(s.target)}${s.target} = load ${s.array}[${exprText(s.index)}]${at(s)}`);
          break;
        case "get":
          lines.push(`${ind}${decl(s)}${mark(s.target)}${s.target} = get ${s.list}[${exprText(s.index)}]${s.path.map((k) => `.${k}`).join("")}${at(s)}`);
          break;
        case "store":
          lines.push(`${ind}store ${s.array}[${exprText(s.index)}] = ${exprText(s.value)}${at(s)}`);
          break;
        case "alloc":
          lines.push(`${ind}${decl(s)}${mark(s.target)}${s.target} = alloc(${exprText(s.size)})`);
          break;
        case "call":
          lines.push(`${ind}${decl(s)}${s.target ? `${mark(s.target)}${s.target} = ` : ""}call ${s.fn}(${s.args.map(exprText).join(", ")})${at(s)}`);
          break;
        case "custom": {
          const rules = [s.callee.pullback && `pullback ${s.callee.pullback.name}`, s.callee.pushforward && `pushforward ${s.callee.pushforward.name}`].filter(Boolean).join(", ");
          lines.push(`${ind}${decl(s)}${mark(s.target)}${s.target} = custom ${s.callee.fn.name}(${s.args.map(exprText).join(", ")}) [${rules}]${at(s)}`);
          break;
        }
        case "if":
          lines.push(`${ind}if ${exprText(s.cond)} {`);
          block(s.then, ind + "  ");
          if (s.else.length) {
            lines.push(`${ind}} else {`);
            block(s.else, ind + "  ");
          }
          lines.push(`${ind}}`);
          break;
        case "for":
          lines.push(`${ind}for ${s.counter} = ${exprText(s.start)}; ${s.counter} ${s.cmp} ${exprText(s.end)}; ${s.counter} += ${s.step} {`);
          block(s.body, ind + "  ");
          lines.push(`${ind}}`);
          break;
        case "loop":
          lines.push(`${ind}loop${s.doWhile ? " (do-while)" : ""} {`);
          lines.push(`${ind}  header:`);
          block(s.header, ind + "    ");
          lines.push(`${ind}  exit unless ${exprText(s.cond)}`);
          lines.push(`${ind}  body:`);
          block(s.body, ind + "    ");
          if (s.update.length) {
            lines.push(`${ind}  update:`);
            block(s.update, ind + "    ");
          }
          lines.push(`${ind}}`);
          break;
        case "assign":
          lines.push(`${ind}${decl(s)}${mark(s.target)}${s.target} ${s.op} ${exprText(s.value)}`);
          break;
        case "assign-elem":
          lines.push(`${ind}${s.array}[${exprText(s.index)}] ${s.op} ${exprText(s.value)}`);
          break;
        case "assign-at":
          lines.push(`${ind}${s.list}[${exprText(s.index)}]${s.path.map((k) => `.${k}`).join("")} ${s.op} ${exprText(s.value)}`);
          break;
        case "push":
          lines.push(`${ind}push${s.type === "num" ? "" : ` ${s.type}`} ${exprText(s.value)}`);
          break;
        case "effect":
          lines.push(`${ind}${exprText(s.value)}`);
          break;
        case "throw":
          lines.push(`${ind}throw ${exprText(s.value)}`);
          break;
        default:
          assertNever(s);
      }
    }
  };
  block(stmts, indent);
  return lines;
}

export function printIR(fn: IRFunction, activeVars?: Set<string>): string {
  const mark = (v: string) => (activeVars?.has(v) ? "*" : "");
  return [
    `function ${fn.name}(${fn.params.map((p) => `${mark(p.name)}${p.name}: ${p.type}`).join(", ")}) wrt ${fn.wrt.join(" ") || "-"}`,
    ...stmtsText(fn.body, activeVars, "  "),
    `  return ${exprText(fn.result)}`,
  ].join("\n");
}
