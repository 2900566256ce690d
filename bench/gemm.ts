/**
 * gemm benchmark: runtime/blas.ts gemm (WebAssembly SIMD kernel and JavaScript kernel) against
 * a naive i-k-j triple loop, ml-matrix (Matrix#mmul), @stdlib/blas-base-dgemm (the package
 * behind @stdlib/blas/base/dgemm) and TensorFlow.js's WebAssembly backend
 * (@tensorflow/tfjs-backend-wasm, float32, XNNPACK with SIMD, one thread).
 *
 *   npx tsx bench/gemm.ts              # n = 128, 256, 512, 1024 (about four minutes)
 *   npx tsx bench/gemm.ts --quick      # n = 64, 128, few repetitions (several seconds)
 *   npx tsx bench/gemm.ts --sizes=512  # chosen sizes only (with or without --quick)
 *   npx tsx bench/gemm.ts --threshold  # small products: wasm vs JS kernel per call, for
 *                                      # runtime/blas.ts's WASM_GEMM (about a minute)
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
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { gemm } from "../runtime/blas.ts";
import { gemmWasm, setWasmGemmEnabled, wasmGemmUnavailableReason } from "../runtime/gemm-wasm.ts";

const quick = process.argv.includes("--quick");
const thresholdMode = process.argv.includes("--threshold");
const sizesArg = process.argv.find((a) => a.startsWith("--sizes="));
const SIZES = sizesArg ? sizesArg.slice("--sizes=".length).split(",").map(Number) : quick ? [64, 128] : [128, 256, 512, 1024];
if (!SIZES.every((n) => Number.isInteger(n) && n > 0)) throw new Error(`bad ${sizesArg}: expected e.g. --sizes=512,1024`);
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
  /** The largest max-abs difference from the naive loop accepted before timing. */
  tolerance: number;
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
  /** The best sample's GFLOP/s by wall-clock time: the least disturbed one. */
  best: number;
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
function sample(n: number, run: () => void): { wall: number; cpu: number } {
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
    const rate = { wall: median(wall[i]), cpu: median(cpu[i]), best: Math.max(...wall[i]) };
    rates.set(impl.name, rate);
    process.stderr.write(
      `n=${n} ${impl.name}: ${rate.wall.toFixed(2)} GFLOP/s (by CPU time ${rate.cpu.toFixed(2)}, best sample ${rate.best.toFixed(2)})\n`,
    );
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
// TensorFlow.js, WebAssembly backend
// ---------------------------------------------------------------------------

/** Selects tfjs's WebAssembly backend (its .wasm ships in the npm package; nothing is downloaded). */
async function loadTfWasm(): Promise<string> {
  tf.enableProdMode();
  if (!(await tf.setBackend("wasm"))) throw new Error("tfjs: the wasm backend failed to initialize");
  await tf.ready();
  const simd = tf.env().getBool("WASM_HAS_SIMD_SUPPORT");
  const threads = tf.env().getBool("WASM_HAS_MULTITHREAD_SUPPORT");
  return `@tensorflow/tfjs-backend-wasm ${tf.version_core}, SIMD ${simd ? "on" : "off"}, ${threads ? "multi-threaded" : "one thread"}`;
}

// ---------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------

interface Row {
  n: number;
  rates: Map<string, Rate>;
  checks: Map<string, number>;
}

/** Runs f with runtime/blas.ts's WebAssembly path on or off. */
function withWasm(on: boolean, f: () => void): () => void {
  return () => {
    setWasmGemmEnabled(on);
    f();
  };
}

function header(title: string): void {
  const load = loadavg();
  console.log(`# ${title}`);
  console.log("");
  console.log(`- node ${process.version}, ${cpuModel()}, nproc ${availableParallelism()}`);
  console.log(`- load average at start: ${load.map((l) => l.toFixed(2)).join(" ")}`);
  const why = wasmGemmUnavailableReason();
  console.log(`- runtime gemm WebAssembly SIMD kernel: ${why === null ? "available" : `unavailable (${why})`}`);
}

async function main(): Promise<void> {
  if (thresholdMode) return threshold();
  header(`gemm benchmark${quick ? " (--quick)" : ""}`);
  const tfInfo = await loadTfWasm();
  console.log(`- tfjs: ${tfInfo}`);
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
    // tfjs computes in float32: its inputs are A and B rounded once, outside the timing.
    const tA = tf.tensor2d(Float32Array.from(A), [n, n]);
    const tB = tf.tensor2d(Float32Array.from(B), [n, n]);
    let tC: ArrayLike<number> = new Float32Array(0);

    const ours = (name: string, on: boolean, f: () => void): Impl => ({ name, run: withWasm(on, f), result: () => C, tolerance: 1e-10 * n });
    const impls: Impl[] = [
      ours("wasm NN", true, () => gemm(false, false, n, n, n, 1, A, B, 0, C)),
      ours("wasm TN", true, () => gemm(true, false, n, n, n, 1, At, B, 0, C)),
      ours("wasm NT", true, () => gemm(false, true, n, n, n, 1, A, Bt, 0, C)),
      ours("wasm TT", true, () => gemm(true, true, n, n, n, 1, At, Bt, 0, C)),
      ours("js NN", false, () => gemm(false, false, n, n, n, 1, A, B, 0, C)),
      ours("js TN", false, () => gemm(true, false, n, n, n, 1, At, B, 0, C)),
      ours("js NT", false, () => gemm(false, true, n, n, n, 1, A, Bt, 0, C)),
      ours("js TT", false, () => gemm(true, true, n, n, n, 1, At, Bt, 0, C)),
      { name: "naive i-k-j", run: () => naiveGemm(n, A, B, Cnaive), result: () => Cnaive, tolerance: 1e-10 * n },
      {
        name: "ml-matrix mmul",
        run: () => {
          mC = mA.mmul(mB);
        },
        result: () => mC.to1DArray(),
        tolerance: 1e-10 * n,
      },
      {
        name: "stdlib dgemm",
        run: () => {
          dgemm("row-major", "no-transpose", "no-transpose", n, n, n, 1, A, n, B, n, 0, Cstd, n);
        },
        result: () => Cstd,
        tolerance: 1e-10 * n,
      },
      {
        // One matMul, its result read back to a Float32Array, its tensor freed.
        name: "tfjs-wasm f32",
        run: () => {
          const t = tf.matMul(tA, tB);
          tC = t.dataSync();
          t.dispose();
        },
        result: () => tC,
        // float32: inputs rounded to 2⁻²⁴ relative, products summed in float32.
        tolerance: 1e-5 * n,
      },
    ];

    // Correctness first: the naive loop is the reference for every implementation.
    naiveGemm(n, A, B, Cnaive);
    const reference = Float64Array.from(Cnaive);
    const checks = new Map<string, number>();
    for (const impl of impls) {
      C.fill(NaN);
      impl.run();
      const d = maxAbsDiff(impl.result(), reference);
      checks.set(impl.name, d);
      if (!(d <= impl.tolerance)) {
        throw new Error(`n=${n}: ${impl.name} differs from the naive loop by ${d} (tolerance ${impl.tolerance})`);
      }
    }

    const rates = measureAll(n, impls);
    rows.push({ n, rates, checks });
    tf.dispose([tA, tB]);
  }
  setWasmGemmEnabled(true);

  const fmt = (x: number) => x.toFixed(2);
  const table = (title: string, pick: (r: Rate) => number): void => {
    const g = (r: Row, k: string) => pick(r.rates.get(k)!);
    const ours = ["wasm NN", "wasm TN", "wasm NT", "wasm TT", "js NN", "js TN", "js NT", "js TT"];
    console.log(`${title}, runtime/blas.ts gemm:`);
    console.log("");
    console.log(`| n | ${ours.join(" | ")} | wasm NN / js NN |`);
    console.log(`|---:|${ours.map(() => "---:").join("|")}|---:|`);
    for (const r of rows) {
      console.log(`| ${r.n} | ${ours.map((k) => fmt(g(r, k))).join(" | ")} | ${(g(r, "wasm NN") / g(r, "js NN")).toFixed(1)}× |`);
    }
    console.log("");
    const others = ["naive i-k-j", "ml-matrix mmul", "stdlib dgemm", "tfjs-wasm f32"];
    console.log(`${title}, against other implementations (NN):`);
    console.log("");
    console.log(`| n | wasm NN | js NN | ${others.join(" | ")} | wasm / ml-matrix | wasm / stdlib | wasm / tfjs-wasm |`);
    console.log(`|---:|---:|---:|${others.map(() => "---:").join("|")}|---:|---:|---:|`);
    for (const r of rows) {
      const ratio = (k: string) => `${(g(r, "wasm NN") / g(r, k)).toFixed(1)}×`;
      console.log(
        `| ${r.n} | ${fmt(g(r, "wasm NN"))} | ${fmt(g(r, "js NN"))} | ${others.map((k) => fmt(g(r, k))).join(" | ")} | ${ratio("ml-matrix mmul")} | ${ratio("stdlib dgemm")} | ${ratio("tfjs-wasm f32")} |`,
      );
    }
    console.log("");
  };
  table("GFLOP/s by wall-clock time (median)", (r) => r.wall);
  table("GFLOP/s by process CPU time (median; discounts time the process was not running)", (r) => r.cpu);
  table("GFLOP/s by wall-clock time, best sample (the least disturbed by other load)", (r) => r.best);
  console.log("GFLOP/s (2n³ / time), higher is better; one thread, row-major; Float64Array except tfjs (float32).");
  const worst = (pred: (name: string) => boolean) =>
    Math.max(...rows.flatMap((r) => [...r.checks.entries()].filter(([k]) => pred(k)).map(([, v]) => v)));
  console.log(
    `All results agreed with the naive loop before timing (max abs diff ${worst((k) => !k.startsWith("tfjs")).toExponential(1)} in float64, ` +
      `${worst((k) => k.startsWith("tfjs")).toExponential(1)} for tfjs in float32).`,
  );
  console.log(`Load average at end: ${loadavg().map((l) => l.toFixed(2)).join(" ")}.`);
}

// ---------------------------------------------------------------------------
// --threshold: where the WebAssembly kernel starts to pay for its copies
// ---------------------------------------------------------------------------

/** Median microseconds per call of `run` over 5 samples of at least 0.05 s. */
function microsPerCall(run: () => void): number {
  for (let w = 0; w < 200; w++) run();
  const xs: number[] = [];
  for (let s = 0; s < 5; s++) {
    let reps = 0;
    const t0 = performance.now();
    let el = 0;
    do {
      run();
      reps++;
      el = performance.now() - t0;
    } while (el < 50);
    xs.push((el * 1000) / reps);
  }
  return median(xs);
}

function threshold(): void {
  header("gemm: WebAssembly kernel vs JavaScript kernel on small products (--threshold)");
  console.log("- per call, median of 5 samples of at least 0.05 s; the wasm column calls the kernel directly, whatever runtime/blas.ts's threshold");
  console.log("");
  // Cubes, then the shapes of an MLP step (fixtures/programs/layers.ts at batch 128, 64-128-64-10:
  // forward Z = X·W, and the gradient's dW = Xᵀ·dZ and dX = dZ·Wᵀ).
  const shapes: Array<[string, boolean, boolean, number, number, number]> = [];
  for (const c of [2, 3, 4, 5, 6, 8, 10, 12, 16, 24, 32, 48, 64]) shapes.push([`${c}³`, false, false, c, c, c]);
  for (const [m, n, k] of [
    [2, 2, 32],
    [2, 32, 2],
    [32, 2, 2],
    [2, 8, 8],
    [8, 8, 2],
    [3, 5, 7],
    [8, 8, 64],
    [64, 4, 4],
    [4, 64, 16],
  ]) {
    shapes.push([`${m}×${n}×${k}`, false, false, m, n, k]);
  }
  shapes.push(
    ["X·W3 (128×10×64)", false, false, 128, 10, 64],
    ["X·W2 (128×64×128)", false, false, 128, 64, 128],
    ["Xᵀ·dZ3 (64×10×128)", true, false, 64, 10, 128],
    ["dZ3·W3ᵀ (128×64×10)", false, true, 128, 64, 10],
  );
  console.log("| shape | m·n·k | js µs (β=0) | wasm µs (β=0) | js / wasm (β=0) | js µs (β=1) | wasm µs (β=1) | js / wasm (β=1) |");
  console.log("|---|---:|---:|---:|---:|---:|---:|---:|");
  for (const [label, tA, tB, m, n, k] of shapes) {
    const A = randomMatrix(Math.ceil(Math.sqrt(m * k)), m).subarray(0, m * k);
    const B = randomMatrix(Math.ceil(Math.sqrt(k * n)), n).subarray(0, k * n);
    const C = new Float64Array(m * n);
    const cells: string[] = [];
    for (const beta of [0, 1]) {
      // Check first: the two kernels agree on this shape.
      const Cj = new Float64Array(m * n).fill(0.5);
      const Cw = new Float64Array(m * n).fill(0.5);
      setWasmGemmEnabled(false);
      gemm(tA, tB, m, n, k, 1, A, B, beta, Cj);
      setWasmGemmEnabled(true);
      if (!gemmWasm(tA, tB, m, n, k, 1, A, B, beta, Cw)) throw new Error("the WebAssembly kernel is not available");
      const d = maxAbsDiff(Cj, Cw);
      if (!(d <= 1e-12)) throw new Error(`${label}: the kernels differ by ${d}`);
      setWasmGemmEnabled(false);
      const js = microsPerCall(() => gemm(tA, tB, m, n, k, 1, A, B, beta, C));
      setWasmGemmEnabled(true);
      const wasm = microsPerCall(() => gemmWasm(tA, tB, m, n, k, 1, A, B, beta, C));
      cells.push(js.toFixed(2), wasm.toFixed(2), `${(js / wasm).toFixed(2)}×`);
    }
    console.log(`| ${label} | ${m * n * k} | ${cells.join(" | ")} |`);
  }
  console.log("");
  console.log(`Load average at end: ${loadavg().map((l) => l.toFixed(2)).join(" ")}.`);
}

await main();
