/**
 * Text form of the IR, for `adjoint gen --dump-ir` and per-pass tests.
 */
import { type IRFunction, type Operand, type Stmt, assertNever } from "./types.ts";

function op(o: Operand): string {
  if (o.kind === "var") return o.name;
  if (o.text) return o.text;
  return String(o.value);
}

export function printIR(fn: IRFunction, activeVars?: Set<string>): string {
  const lines: string[] = [];
  const mark = (v: string) => (activeVars?.has(v) ? "*" : "");
  lines.push(`function ${fn.name}(${fn.params.map((p) => `${mark(p.name)}${p.name}: ${p.type}`).join(", ")}) wrt ${fn.wrt.join(" ") || "-"}`);
  const block = (stmts: Stmt[], ind: string) => {
    for (const s of stmts) {
      switch (s.kind) {
        case "op":
          lines.push(`${ind}${mark(s.target)}${s.target} = ${s.op}(${s.args.map(op).join(", ")})    ; line ${s.loc.line}`);
          break;
        case "load":
          lines.push(`${ind}${mark(s.target)}${s.target} = load ${s.array}[${op(s.index)}]    ; line ${s.loc.line}`);
          break;
        case "store":
          lines.push(`${ind}store ${s.array}[${op(s.index)}] = ${op(s.value)}    ; line ${s.loc.line}`);
          break;
        case "alloc":
          lines.push(`${ind}${mark(s.target)}${s.target} = alloc(${op(s.size)})`);
          break;
        case "call":
          lines.push(`${ind}${s.target ? `${mark(s.target)}${s.target} = ` : ""}call ${s.fn}(${s.args.map(op).join(", ")})    ; line ${s.loc.line}`);
          break;
        case "if":
          lines.push(`${ind}if ${op(s.cond)} {`);
          block(s.then, ind + "  ");
          if (s.else.length) {
            lines.push(`${ind}} else {`);
            block(s.else, ind + "  ");
          }
          lines.push(`${ind}}`);
          break;
        case "for":
          lines.push(`${ind}for ${s.counter} = ${op(s.start)}; ${s.counter} ${s.cmp} ${op(s.end)}; ${s.counter} += ${s.step} {`);
          block(s.body, ind + "  ");
          lines.push(`${ind}}`);
          break;
        case "loop":
          lines.push(`${ind}loop${s.doWhile ? " (do-while)" : ""} {`);
          lines.push(`${ind}  header:`);
          block(s.header, ind + "    ");
          lines.push(`${ind}  exit unless ${op(s.cond)}`);
          lines.push(`${ind}  body:`);
          block(s.body, ind + "    ");
          if (s.update.length) {
            lines.push(`${ind}  update:`);
            block(s.update, ind + "    ");
          }
          lines.push(`${ind}}`);
          break;
        default:
          assertNever(s);
      }
    }
  };
  block(fn.body, "  ");
  lines.push(`  return ${op(fn.result)}`);
  return lines.join("\n");
}
