/**
 * One call in a fresh process, for its peak resident memory: `node --import tsx
 * bench/heat-rss.ts <model.grad.ts> <gradient|objective> <function> <cells> <steps>` runs the
 * heat example's generated gradient (or the plain objective from examples/heat/model.ts) once and
 * prints `{ "maxRssBytes", "tapeBytes", "ms" }` as JSON. Peak RSS is the process's
 * high-water mark: on Linux `VmHWM` of /proc/self/status (`maxRSS` of getrusage survives exec,
 * so a process spawned by a large one would report its parent's peak), elsewhere
 * `process.resourceUsage().maxRSS`. It includes Node's own baseline: the bench reports it beside
 * an objective-only process.
 */
import { pathToFileURL } from "node:url";
import path from "node:path";
import { Tape } from "../runtime/tape.ts";
import { shape } from "../examples/heat/train.ts";
import { peakRssBytes } from "./harness.ts";

const [genPath, what, fn, cells, stepsArg] = process.argv.slice(2);
const n = Number(cells), steps = Number(stepsArg);
const u0 = shape(n);
const target = new Float64Array(n);
const t0 = performance.now();
let tapeBytes = 0;
if (what === "objective") {
  const src = await import(pathToFileURL(path.resolve(import.meta.dirname, "../examples/heat/model.ts")).href);
  src[fn!](u0, 0.25, target, steps);
} else {
  const gen = await import(pathToFileURL(path.resolve(genPath!)).href);
  tapeBytes = Tape.measure(() => gen[fn!](u0, 0.25, target, steps)).peakBytes;
}
const ms = performance.now() - t0;
console.log(JSON.stringify({ maxRssBytes: peakRssBytes(), tapeBytes, ms }));
