/**
 * gemm benchmark: runtime/blas.ts gemm against a naive i-k-j triple loop, ml-matrix
 * (Matrix#mmul) and @stdlib/blas-base-dgemm (the package behind @stdlib/blas/base/dgemm).
 *
 *   npx tsx bench/gemm.ts           # n = 128, 256, 512, 1024 (about two minutes)
 *   npx tsx bench/gemm.ts --quick   # n = 64, 128, few repetitions (a few seconds)
 *
 * Every implementation's result is checked against ours (and ours against the naive loop)
 * before anything is timed. Every implementation is warmed up, then sampled in interleaved
 * rounds; a sample repeats the product until at least 0.3 s have passed (0.05 s with
 * --quick). The tables show the median sample as GFLOP/s = 2n³ / time, by wall-clock time
 * and, because shared machines are noisy, also by the process's CPU time.
 */
import { readFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Matrix } from "ml-matrix";
import dgemm from "@stdlib/blas-base-dgemm";
import { gemm } from "../runtime/blas.ts";

const quick = process.argv.includes("--quick");
const SIZES = quick ? [64, 128] : [128, 256, 512, 1024];
const MIN_SAMPLE_S = quick ? 0.05 : 0.3;
const SAMPLES = quick ? 3 : 5;
/** When one product takes longer than this, fewer samples are taken. */
const SLOW_REP_S = 1.0;
const SLOW_SAMPLES = 3;

// ---------------------------------------------------------------------------
// Data
// ---------------------------------------------------------------------------

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomMatrix(n: number, seed: number): Float64Array {
  const rnd = mulberry32(seed);
  const out = new Float64Array(n * n);
  for (let i = 0; i < out.length; i++) out[i] = 2 * rnd() - 1;
  return out;
}

function transposed(n: number, M: Float64Array): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[j * n + i] = M[i * n + j];
  return out;
}

function toRows(n: number, M: Float64Array): number[][] {
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) rows.push(Array.from(M.subarray(i * n, (i + 1) * n)));
  return rows;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i] - b[i]);
    if (!(e <= d)) d = e;
  }
  return d;
}

/** C = A·B with the textbook i-k-j loop (row of C += a(i,p) · row p of B). */
function naiveGemm(n: number, A: Float64Array, B: Float64Array, C: Float64Array): void {
  C.fill(0);
  for (let i = 0; i < n; i++) {
    const ci = i * n;
    for (let p = 0; p < n; p++) {
      const a = A[i * n + p];
      const bp = p * n;
      for (let j = 0; j < n; j++) C[ci + j] += a * B[bp + j];
    }
  }
}

// ---------------------------------------------------------------------------
// Timing
// ---------------------------------------------------------------------------

interface Impl {
  name: string;
  /** Runs one n×n product. */
  run: () => void;
  /** The product's result as a row-major array, for the pre-timing check. */
  result: () => ArrayLike<number>;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

interface Rate {
  /** Median GFLOP/s by wall-clock time. */
  wall: number;
  /** Median GFLOP/s by this process's CPU time (user + system): less sensitive to other load. */
  cpu: number;
}

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1e6;
}

/** Runs `run` once after a short warm-up and returns the seconds one product takes. */
function warmUp(run: () => void): number {
  let t0 = performance.now();
  run();
  let one = (performance.now() - t0) / 1000;
  if (one < MIN_SAMPLE_S) {
    for (let w = 0; w < 3; w++) run();
    t0 = performance.now();
    run();
    one = (performance.now() - t0) / 1000;
  }
  return one;
}

// A full garbage collection before every sample, so that garbage left by one contender
// (ml-matrix allocates a new result matrix per product) is not collected, concurrently
// or not, during another contender's sample.
setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;

/** One sample: repeats `run` for at least MIN_SAMPLE_S; returns GFLOP/s by wall and CPU time. */
function sample(n: number, run: () => void): Rate {
  collectGarbage();
  const flops = 2 * n * n * n;
  let reps = 0;
  let elapsed = 0;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  do {
    run();
    reps++;
    elapsed = (performance.now() - start) / 1000;
  } while (elapsed < MIN_SAMPLE_S);
  const used = cpuSeconds(cpu0);
  return { wall: (flops * reps) / elapsed / 1e9, cpu: (flops * reps) / used / 1e9 };
}

/**
 * Median GFLOP/s of each implementation. Samples are interleaved (round r takes one
 * sample of every implementation) so that a burst of outside load hits all of them alike
 * instead of one implementation's whole measurement.
 */
function measureAll(n: number, impls: Impl[]): Map<string, Rate> {
  const slow = impls.map((impl) => warmUp(impl.run) > SLOW_REP_S);
  const wall: number[][] = impls.map(() => []);
  const cpu: number[][] = impls.map(() => []);
  for (let round = 0; round < SAMPLES; round++) {
    impls.forEach((impl, i) => {
      if (slow[i] && round >= SLOW_SAMPLES) return;
      const r = sample(n, impl.run);
      wall[i].push(r.wall);
      cpu[i].push(r.cpu);
    });
  }
  const rates = new Map<string, Rate>();
  impls.forEach((impl, i) => {
    const rate = { wall: median(wall[i]), cpu: median(cpu[i]) };
    rates.set(impl.name, rate);
    process.stderr.write(`n=${n} ${impl.name}: ${rate.wall.toFixed(2)} GFLOP/s (by CPU time ${rate.cpu.toFixed(2)})\n`);
  });
  return rates;
}

// ---------------------------------------------------------------------------
// Machine
// ---------------------------------------------------------------------------

function cpuModel(): string {
  try {
    const line = readFileSync("/proc/cpuinfo", "utf8")
      .split("\n")
      .find((l) => l.startsWith("model name"));
    return line ? line.split(":")[1].trim() : "unknown";
  } catch {
    return "unknown";
  }
}

// ---------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------

interface Row {
  n: number;
  rates: Map<string, Rate>;
  checks: Map<string, number>;
}

function main(): void {
  const load = loadavg();
  console.log(`# gemm benchmark${quick ? " (--quick)" : ""}`);
  console.log("");
  console.log(`- node ${process.version}, ${cpuModel()}, nproc ${availableParallelism()}`);
  console.log(`- load average at start: ${load.map((l) => l.toFixed(2)).join(" ")}`);
  console.log(`- median of ${SAMPLES} interleaved samples of at least ${MIN_SAMPLE_S} s each (${SLOW_SAMPLES} when one product takes over ${SLOW_REP_S} s)`);
  console.log("");

  const rows: Row[] = [];
  for (const n of SIZES) {
    const A = randomMatrix(n, 1000 + n);
    const B = randomMatrix(n, 2000 + n);
    const At = transposed(n, A);
    const Bt = transposed(n, B);
    const C = new Float64Array(n * n);
    const Cnaive = new Float64Array(n * n);
    const Cstd = new Float64Array(n * n);
    const mA = new Matrix(toRows(n, A));
    const mB = new Matrix(toRows(n, B));
    let mC: Matrix = mA;

    const impls: Impl[] = [
      { name: "ours NN", run: () => gemm(false, false, n, n, n, 1, A, B, 0, C), result: () => C },
      { name: "ours TN", run: () => gemm(true, false, n, n, n, 1, At, B, 0, C), result: () => C },
      { name: "ours NT", run: () => gemm(false, true, n, n, n, 1, A, Bt, 0, C), result: () => C },
      { name: "ours TT", run: () => gemm(true, true, n, n, n, 1, At, Bt, 0, C), result: () => C },
      { name: "naive i-k-j", run: () => naiveGemm(n, A, B, Cnaive), result: () => Cnaive },
      {
        name: "ml-matrix mmul",
        run: () => {
          mC = mA.mmul(mB);
        },
        result: () => mC.to1DArray(),
      },
      {
        name: "stdlib dgemm",
        run: () => {
          dgemm("row-major", "no-transpose", "no-transpose", n, n, n, 1, A, n, B, n, 0, Cstd, n);
        },
        result: () => Cstd,
      },
    ];

    // Correctness first: the naive loop is the reference for ours, ours for the others.
    naiveGemm(n, A, B, Cnaive);
    const reference = Float64Array.from(Cnaive);
    const tolerance = 1e-10 * n;
    const checks = new Map<string, number>();
    for (const impl of impls) {
      impl.run();
      const d = maxAbsDiff(impl.result(), reference);
      checks.set(impl.name, d);
      if (!(d <= tolerance)) {
        throw new Error(`n=${n}: ${impl.name} differs from the naive loop by ${d} (tolerance ${tolerance})`);
      }
    }

    const rates = measureAll(n, impls);
    rows.push({ n, rates, checks });
  }

  const names = ["ours NN", "ours TN", "ours NT", "ours TT", "naive i-k-j", "ml-matrix mmul", "stdlib dgemm"];
  const table = (title: string, pick: (r: Rate) => number): void => {
    console.log(`${title}`);
    console.log("");
    console.log(`| n | ${names.join(" | ")} | NN / naive | NN / ml-matrix | NN / stdlib |`);
    console.log(`|---:|${names.map(() => "---:").join("|")}|---:|---:|---:|`);
    for (const r of rows) {
      const g = (k: string) => pick(r.rates.get(k)!);
      const ratio = (k: string) => `${(g("ours NN") / g(k)).toFixed(1)}×`;
      console.log(
        `| ${r.n} | ${names.map((k) => g(k).toFixed(2)).join(" | ")} | ${ratio("naive i-k-j")} | ${ratio("ml-matrix mmul")} | ${ratio("stdlib dgemm")} |`,
      );
    }
    console.log("");
  };
  table("GFLOP/s by wall-clock time (median):", (r) => r.wall);
  table("GFLOP/s by process CPU time (median; discounts time the process was not running):", (r) => r.cpu);
  console.log("GFLOP/s (2n³ / time), higher is better; one thread, Float64Array, row-major.");
  const worst = Math.max(...rows.flatMap((r) => [...r.checks.values()]));
  console.log(`All results agreed with the naive loop before timing (max abs diff ${worst.toExponential(1)}).`);
  console.log(`Load average at end: ${loadavg().map((l) => l.toFixed(2)).join(" ")}.`);
}

main();
