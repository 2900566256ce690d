/**
 * Timing: warm up, then time batches of calls until a minimum total time, and report the
 * median time per call. Ratios are always taken between figures measured in the same run.
 *
 * The clock is the process's CPU time (user + system, `process.cpuUsage`) by default, not the
 * wall clock: on a shared machine the wall clock also counts the time the process waits for a
 * core while other jobs run, which is noise. Everything timed here is single-threaded
 * JavaScript, so on an idle machine the two agree. `BENCH_CLOCK=wall` selects the wall clock.
 */
import os from "node:os";
import fs from "node:fs";

const useWall = process.env.BENCH_CLOCK === "wall";

/** Milliseconds on the benchmark's clock (CPU time of this process, or wall time). */
export function now(): number {
  if (useWall) return performance.now();
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

export function clockName(): string {
  return useWall ? "wall-clock time" : "CPU time of the process";
}

export interface Timing {
  /** median milliseconds per call */
  ms: number;
  /** calls timed */
  calls: number;
}

export function measure(fn: () => unknown, minMs = 300): Timing {
  // warm-up: let the optimizing compiler see the function
  let sink = 0;
  const warmEnd = now() + Math.min(100, minMs / 3);
  let reps = 1;
  while (now() < warmEnd) {
    for (let i = 0; i < reps; i++) sink += Number(fn() !== undefined);
    reps = Math.min(reps * 2, 1 << 20);
  }
  // choose a batch size taking ~10 ms
  let batch = 1;
  for (;;) {
    const t0 = now();
    for (let i = 0; i < batch; i++) sink += Number(fn() !== undefined);
    const dt = now() - t0;
    if (dt > 10 || batch >= 1 << 24) break;
    batch *= 2;
  }
  const samples: number[] = [];
  const end = now() + minMs;
  let first = Infinity;
  // at least 5 samples; 3 when one call alone takes 100 ms or more
  while (now() < end || samples.length < (first >= 100 ? 3 : 5)) {
    const t0 = now();
    for (let i = 0; i < batch; i++) sink += Number(fn() !== undefined);
    samples.push((now() - t0) / batch);
    if (samples.length === 1) first = samples[0] * batch;
  }
  samples.sort((a, b) => a - b);
  if (sink < 0) console.log(sink);
  return { ms: samples[samples.length >> 1], calls: samples.length * batch };
}

/**
 * Times several functions against each other: each is warmed up and given a batch size (calls
 * per sample, about 10 ms), then samples are taken in rounds, one batch of every function per
 * round, until every function has had `minMs` of samples (and at least 5 rounds; 3 when a
 * single call takes over a second). Each function's figure is its median sample. Because the
 * functions alternate every few milliseconds, a burst of load from other jobs on the machine
 * slows them alike and their ratios stay put. `onProgress(fraction)` reports progress.
 */
export function compare(fns: (() => unknown)[], minMs = 300, onProgress?: (fraction: number) => void): Timing[] {
  let sink = 0;
  const batches = fns.map((fn, i) => {
    onProgress?.((0.2 * i) / fns.length);
    const warmEnd = now() + Math.min(100, minMs / 3);
    for (let reps = 1; now() < warmEnd; reps = Math.min(reps * 2, 1 << 20)) {
      for (let k = 0; k < reps; k++) sink += Number(fn() !== undefined);
    }
    let batch = 1;
    for (;;) {
      const t0 = now();
      for (let k = 0; k < batch; k++) sink += Number(fn() !== undefined);
      const dt = now() - t0;
      if (dt > 10 || batch >= 1 << 24) return { batch, perCall: dt / batch };
      batch *= 2;
    }
  });
  const minRounds = batches.some((b) => b.perCall > 1000) ? 3 : 5;
  const samples: number[][] = fns.map(() => []);
  const spent = fns.map(() => 0);
  for (let round = 0; round < minRounds || spent.some((t) => t < minMs); round++) {
    fns.forEach((fn, i) => {
      if (round >= minRounds && spent[i] >= minMs) return;
      const { batch } = batches[i];
      const t0 = now();
      for (let k = 0; k < batch; k++) sink += Number(fn() !== undefined);
      const dt = now() - t0;
      spent[i] += dt;
      samples[i].push(dt / batch);
    });
    const frac = Math.min(1, ...spent.map((t) => t / minMs), (round + 1) / minRounds);
    onProgress?.(0.2 + 0.8 * frac);
  }
  if (sink < 0) console.log(sink);
  return samples.map((xs, i) => {
    const sorted = [...xs].sort((a, b) => a - b);
    return { ms: sorted[sorted.length >> 1], calls: xs.length * batches[i].batch };
  });
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

let lastLine = 0;

/**
 * A one-line progress bar on stderr when it is a terminal; otherwise (a log file) a plain line
 * at most every 10 s, when `plain` is set.
 */
export function progress(done: number, total: number, label: string, plain = false): void {
  done = Math.floor(done);
  if (!process.stderr.isTTY) {
    const t = performance.now();
    if (plain && (t - lastLine > 10_000 || done === total)) {
      lastLine = t;
      process.stderr.write(`[${done}/${total}] ${label}\n`);
    }
    return;
  }
  const width = 30;
  const fill = Math.round((done / total) * width);
  process.stderr.write(`\r[${"#".repeat(fill)}${".".repeat(width - fill)}] ${done}/${total} ${label.padEnd(40).slice(0, 40)}`);
  if (done === total) process.stderr.write("\n");
}

export function fmtMs(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms >= 1 ? ms.toFixed(2) : ms >= 0.01 ? ms.toFixed(4) : ms.toExponential(2);
}

/**
 * This process's peak resident memory in bytes: on Linux `VmHWM` of /proc/self/status
 * (getrusage's `maxRSS` survives exec, so a process spawned by a large one would report its
 * parent's peak), elsewhere `process.resourceUsage().maxRSS`.
 */
export function peakRssBytes(): number {
  try {
    const m = /^VmHWM:\s*(\d+) kB/m.exec(fs.readFileSync("/proc/self/status", "utf8"));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS * 1024;
}
