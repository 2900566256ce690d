/**
 * The playground page: an editor, and on every change (debounced) the analysis of session.ts
 * rendered into the page. `body[data-state]` is `busy` while an analysis runs and `ready` or
 * `error` after it; `body[data-runs]` counts finished analyses.
 */
import { EditorView, minimalSetup } from "codemirror";
import { lineNumbers, keymap } from "@codemirror/view";
import { indentWithTab } from "@codemirror/commands";
import { javascript } from "@codemirror/lang-javascript";
import { analyze, type Analysis } from "./session.ts";
import { LIBS } from "./libs.ts";

const EXAMPLE = `// f(x1, x2) = [sin(x1/x2) + x1/x2 − e^{x2}]·[x1/x2 − e^{x2}], step by step

/** @differentiable */
export function f(x1: number, x2: number): number {
  const v1 = x1 / x2;
  const v2 = Math.sin(v1);
  const v3 = Math.exp(x2);
  const v4 = v1 - v3;
  const v5 = v2 + v4;
  return v5 * v4;
}
`;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const fnSelect = $<HTMLSelectElement>("fn");
const point = $<HTMLInputElement>("point");
const tangent = $<HTMLInputElement>("tangent");
const expand = $<HTMLInputElement>("expand");
const activeOnly = $<HTMLInputElement>("active-only");
const status = $<HTMLDivElement>("status");

const editor = new EditorView({
  doc: EXAMPLE,
  extensions: [minimalSetup, lineNumbers(), keymap.of([indentWithTab]), javascript({ typescript: true }), EditorView.updateListener.of((u) => { if (u.docChanged) schedule(); })],
  parent: $("editor"),
});

let timer: ReturnType<typeof setTimeout> | undefined;
let generation = 0;
let runs = 0;

function schedule(delay = 250): void {
  if (timer) clearTimeout(timer);
  document.body.dataset.state = "busy";
  timer = setTimeout(() => void update(), delay);
}

const fmt = (v: number | Float64Array): string => (typeof v === "number" ? String(v) : `[${Array.from(v).join(", ")}]`);

function renderGradient(a: Analysis): void {
  const body = $<HTMLTableElement>("gradient").tBodies[0];
  body.replaceChildren();
  const row = (name: string, label: string, v: number | Float64Array) => {
    const tr = document.createElement("tr");
    tr.dataset.name = name;
    const k = document.createElement("td");
    k.textContent = label;
    const d = document.createElement("td");
    d.className = "num";
    d.textContent = fmt(v);
    d.dataset.value = typeof v === "number" ? String(v) : JSON.stringify(Array.from(v));
    tr.append(k, d);
    body.append(tr);
  };
  if (a.value !== undefined) row("value", "value", a.value);
  for (const [k, v] of Object.entries(a.outputs ?? {})) row(`output:${k}`, k, v);
  for (const [k, v] of Object.entries(a.grad ?? {})) row(`grad:${k}`, a.ran?.endsWith("Vjp") ? `Jᵀ1 · ${k}` : `∂/∂${k}`, v);
  $("ran").textContent = a.ran ? `from ${a.ran}` : "";
}

async function update(): Promise<void> {
  const mine = ++generation;
  document.body.dataset.state = "busy";
  const source = editor.state.doc.toString();
  let a: Analysis;
  try {
    a = await analyze({ source, fn: fnSelect.value || undefined, point: point.value, tangent: tangent.value, expand: expand.checked, activeOnly: activeOnly.checked }, LIBS);
  } catch (e) {
    if (mine !== generation) return;
    status.textContent = `internal error: ${(e as Error).message}`;
    status.className = "error";
    document.body.dataset.state = "error";
    document.body.dataset.runs = String(++runs);
    return;
  }
  if (mine !== generation) return; // a newer edit is being analysed
  const selected = fnSelect.value;
  fnSelect.replaceChildren(...a.functions.map((f) => Object.assign(document.createElement("option"), { value: f, textContent: f })));
  if (a.fn) fnSelect.value = a.fn;
  else if (selected) fnSelect.value = selected;
  $("signature").textContent = a.fn && a.signature ? `${a.fn}(${a.signature})` : "";
  const diags = $<HTMLPreElement>("diagnostics");
  diags.hidden = a.diagnostics.length === 0;
  diags.textContent = a.diagnostics.join("\n");
  $("output").textContent = a.output ?? "";
  $("graph").innerHTML = a.svg ?? "";
  $("table").textContent = a.table ?? "";
  renderGradient(a);
  const problems = a.diagnostics.length > 0 || a.error !== undefined;
  status.className = problems ? "error" : "";
  status.textContent = a.error
    ?? (a.diagnostics.length ? `${a.diagnostics.length} error${a.diagnostics.length === 1 ? "" : "s"}` : a.functions.length === 0 ? "no @differentiable function yet" : `compiled in ${a.timings.compile.toFixed(0)} ms, ran in ${a.timings.run.toFixed(0)} ms, drawn in ${a.timings.draw.toFixed(0)} ms`);
  const suggest = $<HTMLButtonElement>("suggest");
  suggest.hidden = !(a.error?.startsWith("point") && a.suggestedPoint);
  suggest.textContent = `at ${a.suggestedPoint ?? ""}`;
  suggest.onclick = () => {
    point.value = a.suggestedPoint ?? "";
    schedule(0);
  };
  document.body.dataset.state = problems ? "error" : "ready";
  document.body.dataset.runs = String(++runs);
}

$("graph").addEventListener("click", () => $("graph").classList.toggle("fit"));
for (const el of [point, tangent]) el.addEventListener("input", () => schedule());
for (const el of [fnSelect, expand, activeOnly]) el.addEventListener("change", () => schedule(0));
schedule(0);
