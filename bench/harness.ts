/**
 * Timing: warm up, then time batches of calls until a minimum total time, and report the
 * median time per call. Ratios are always taken between figures measured in the same run.
 */
import os from "node:os";
import fs from "node:fs";

export interface Timing {
  /** median milliseconds per call */
  ms: number;
  /** calls timed */
  calls: number;
}

export function measure(fn: () => unknown, minMs = 300): Timing {
  // warm-up: let the optimizing compiler see the function
  let sink = 0;
  const warmEnd = performance.now() + Math.min(100, minMs / 3);
  let reps = 1;
  while (performance.now() < warmEnd) {
    for (let i = 0; i < reps; i++) sink += Number(fn() !== undefined);
    reps = Math.min(reps * 2, 1 << 20);
  }
  // choose a batch size taking ~10 ms
  let batch = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) sink += Number(fn() !== undefined);
    const dt = performance.now() - t0;
    if (dt > 10 || batch >= 1 << 24) break;
    batch *= 2;
  }
  const samples: number[] = [];
  const end = performance.now() + minMs;
  while (performance.now() < end || samples.length < 5) {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) sink += Number(fn() !== undefined);
    samples.push((performance.now() - t0) / batch);
  }
  samples.sort((a, b) => a - b);
  if (sink < 0) console.log(sink);
  return { ms: samples[samples.length >> 1], calls: samples.length * batch };
}

/**
 * Times several functions in interleaved rounds and keeps each one's best median, so that a
 * burst of other load on the machine affects them alike instead of skewing one ratio.
 */
export function compare(fns: (() => unknown)[], minMs = 300, rounds = 3): Timing[] {
  const best: Timing[] = fns.map(() => ({ ms: Infinity, calls: 0 }));
  for (let r = 0; r < rounds; r++) {
    fns.forEach((fn, i) => {
      const t = measure(fn, minMs / rounds);
      if (t.ms < best[i].ms) best[i] = { ms: t.ms, calls: best[i].calls + t.calls };
    });
  }
  return best;
}

export function machine(): string {
  const cpu = os.cpus()[0]?.model?.trim() ?? "unknown CPU";
  let model = cpu;
  try {
    const info = fs.readFileSync("/proc/cpuinfo", "utf8").match(/model name\s*:\s*(.*)/);
    if (info) model = info[1].trim();
  } catch { /* not Linux */ }
  return `${model}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.arch()}`;
}

/** A one-line progress bar on stderr (only when it is a terminal). */
export function progress(done: number, total: number, label: string): void {
  if (!process.stderr.isTTY) return;
  const width = 30;
  const fill = Math.round((done / total) * width);
  process.stderr.write(`\r[${"#".repeat(fill)}${".".repeat(width - fill)}] ${done}/${total} ${label.padEnd(40).slice(0, 40)}`);
  if (done === total) process.stderr.write("\n");
}

export function fmtMs(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms >= 1 ? ms.toFixed(2) : ms >= 0.01 ? ms.toFixed(4) : ms.toExponential(2);
}
