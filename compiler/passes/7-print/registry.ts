/**
 * The module's epilogue: its entries in `AdjointRegistry`, the global interface adjoint's markers
 * (`grad`, `jvp`, `vjp`, `jacobian`, `hvp`, `hessian` in index.ts) read their types from, so that
 * `grad(loss)` has exactly the type of the generated `lossGrad`:
 *
 *   declare global {
 *     interface AdjointRegistry {
 *       "loss:0x1k9d2": { fn: (w: Float64Array, b: number) => number; grad: typeof lossGrad };
 *     }
 *   }
 *
 * One entry per source function: `fn`, the source function's type (its parameters, then `number`,
 * or `void` for a function with `@out` arrays), and one member per generated mode. The markers
 * find a function's entry by its type (function types are structural), so the key only has to be
 * unique: the function's name and a digest of the entry's types, so that two modules declaring
 * the same key (interfaces merge across modules) always declare identical members.
 *
 * A global interface rather than an augmentation of the module "adjoint": the module then
 * compiles whether or not "adjoint" resolves from where it is written (an `--out-dir` outside
 * the project, a project that has only the runtime), and the markers find it however they were
 * resolved (their sources in this repository, an installed package's declarations).
 */
import { MODES, MODE_SUFFIX, type Mode } from "../../naming.ts";
import { paramTexts, typeText, type FunctionSpec } from "./layout.ts";

const WIDTH = 100;

/** The generated functions' source functions, in module order, with their modes. */
interface Source {
  name: string;
  modes: Map<Mode, FunctionSpec>;
}

/** `lossGrad` -> `{ name: "loss", mode: "grad" }` (naming.ts: a generated name is the source's name and one suffix). */
function modeOf(generated: string): { name: string; mode: Mode } | undefined {
  for (const mode of MODES) {
    const suffix = MODE_SUFFIX[mode];
    if (generated.endsWith(suffix) && generated.length > suffix.length) return { name: generated.slice(0, -suffix.length), mode };
  }
  return undefined;
}

/**
 * The source function's parameters, from a generated function's: every mode takes them first,
 * then its own (the `cotangents` of a Vjp, the `tangents` of a Jvp, the direction `v` of an Hvp,
 * and last, optional, the `out` buffers of a Grad or Vjp, the `out` matrix of a Jacobian).
 */
function sourceParams(mode: Mode, f: FunctionSpec): FunctionSpec["params"] {
  let ps = f.params;
  if ((mode === "grad" || mode === "vjp" || mode === "jacobian") && ps.at(-1)?.optional) ps = ps.slice(0, -1);
  if (mode === "vjp" || mode === "jvp" || mode === "hvp") ps = ps.slice(0, -1);
  return ps;
}

/** Whether a source function writes `@out` arrays: its reverse mode is a Vjp, its Jvp has no `value`. */
function isVector(modes: Map<Mode, FunctionSpec>): boolean {
  if (modes.has("vjp")) return true;
  const jvp = modes.get("jvp");
  return jvp !== undefined && jvp.returnType.k === "object" && !jvp.returnType.props.some((p) => p.name === "value");
}

/** FNV-1a, 32 bits, in base 36: a short digest that is the same on every machine. */
function digest(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(36).padStart(7, "0");
}

/** Parameters as a function type names them (a destructuring pattern without its renamings). */
function typeParams(params: FunctionSpec["params"]): FunctionSpec["params"] {
  return params.map(({ init: _, ...p }) => (p.typeName === undefined ? p : { ...p, name: p.typeName }));
}

/** `(w: Float64Array, b: number) => number`, broken one parameter per line past the width. */
function functionType(params0: FunctionSpec["params"], ret: string, indent: string, prefix: number): string {
  const params = typeParams(params0);
  const flat = `(${paramTexts(params, indent).join(", ")}) => ${ret}`;
  if (!flat.includes("\n") && indent.length + prefix + flat.length <= WIDTH) return flat;
  const inner = `${indent}  `;
  return `(\n${paramTexts(params, inner).map((p) => `${inner}${p},`).join("\n")}\n${indent}) => ${ret}`;
}

/** The `declare global { interface AdjointRegistry { … } }` block, or undefined for a module without generated functions. */
export function registryEpilogue(functions: FunctionSpec[]): string | undefined {
  const sources: Source[] = [];
  for (const f of functions) {
    const m = modeOf(f.name);
    if (!m) continue;
    let s = sources.find((x) => x.name === m.name);
    if (!s) sources.push((s = { name: m.name, modes: new Map() }));
    s.modes.set(m.mode, f);
  }
  const entries: string[] = [];
  for (const s of sources) {
    const modes = MODES.filter((m) => s.modes.has(m));
    // every mode must agree on the source function's parameters; if one did not, no entry (the
    // markers keep their loose types) rather than a wrong one
    const texts = modes.map((m) => sourceParams(m, s.modes.get(m)!).map((p) => typeText(p.type, "")).join(", "));
    if (texts.some((t) => t !== texts[0])) continue;
    const params = sourceParams(modes[0]!, s.modes.get(modes[0]!)!);
    const ret = isVector(s.modes) ? "void" : "number";
    const signatures = modes.map((m) => {
      const f = s.modes.get(m)!;
      return `${m}: (${paramTexts(typeParams(f.params), "").join(", ")}) => ${typeText(f.returnType, "")}`;
    });
    const key = JSON.stringify(`${s.name}:${digest([`fn: ${texts[0]} => ${ret}`, ...signatures].join("\n"))}`);
    const members = modes.map((m) => `${m}: typeof ${s.modes.get(m)!.name}`);
    const flat = `    ${key}: { fn: ${functionType(params, ret, "", 0)}; ${members.join("; ")} };`;
    if (!flat.includes("\n") && flat.length <= WIDTH) {
      entries.push(flat);
      continue;
    }
    const ind = "      ";
    entries.push([
      `    ${key}: {`,
      `${ind}fn: ${functionType(params, ret, ind, "fn: ".length)};`,
      ...members.map((m) => `${ind}${m};`),
      "    };",
    ].join("\n"));
  }
  if (entries.length === 0) return undefined;
  const first = sources.find((x) => x.modes.size > 0)!;
  const [mode, f] = [...first.modes].sort((a, b) => MODES.indexOf(a[0]) - MODES.indexOf(b[0]))[0]!;
  const more = entries.length > 1 || first.modes.size > 1 ? ", and so on" : "";
  return [
    `// For adjoint's markers: ${mode}(${first.name}) has exactly the type of ${f.name}${more}.`,
    "declare global {",
    "  interface AdjointRegistry {",
    ...entries,
    "  }",
    "}",
  ].join("\n");
}
