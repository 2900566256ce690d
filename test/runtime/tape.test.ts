import { describe, expect, it } from "vitest";
import { Tape } from "../../runtime/tape.ts";

/** `Tape.measure` rounds up by less than 1/256 of each stack's buffer. */
function expectPeak(measured: number, exact: number, capacityBytes: number) {
  expect(measured).toBeGreaterThanOrEqual(exact);
  expect(measured).toBeLessThan(exact + capacityBytes / 256 + 8);
}

describe("Tape.measure (high-water mark)", () => {
  it("gives the most a tape held during the call, in bytes", () => {
    const t = new Tape();
    const { result, peakBytes } = Tape.measure(() => {
      t.begin();
      for (let k = 0; k < 3000; k++) t.pushF(k); // grows past the initial 1024
      t.pushI(7);
      t.pushB(true);
      expect(t.popB()).toBe(true);
      expect(t.popI()).toBe(7);
      for (let k = 2999; k >= 1000; k--) expect(t.popF()).toBe(k);
      // refilling to below the mark leaves it; going past it raises it
      for (let k = 0; k < 1500; k++) t.pushF(k);
      for (let k = 0; k < 1500; k++) t.popF();
      for (let k = 0; k < 2500; k++) t.pushF(k);
      return "done";
    });
    expect(result).toBe("done");
    // the branch decision sat on the value stack (3001 values then), the trip count on the integer one
    expectPeak(peakBytes, 8 * 3500 + 4, t.capacityBytes);
    expect(t.size).toEqual({ f: 3500, i: 0, a: 0 });
    expect(t.capacityBytes).toBe(4096 * 8 + 256 * 4);
    t.begin(); // what a live tape holds counts in every measurement
  });

  it("measures a window by the top it hands back, not by the room it made", () => {
    const t = new Tape().begin();
    const { peakBytes } = Tape.measure(() => {
      // room for 4000 (a bound: branches may push less), 1500 written
      const buffer = t.reserveF(4000);
      let top = t.topF();
      for (let k = 0; k < 1500; k++) buffer[top++] = k;
      t.setTopF(top);
      t.pushB(false);
      expect(t.popB()).toBe(false);
      for (let k = 1499; k >= 0; k--) expect(t.popF()).toBe(k);
    });
    expectPeak(peakBytes, 8 * 1501, t.capacityBytes);
    expect(peakBytes).toBeLessThan(8 * 4000);
    expect(t.size).toEqual({ f: 0, i: 0, a: 0 });
  });

  it("counts from what a tape holds when the measurement starts, and pushes as before afterwards", () => {
    const t = new Tape().begin();
    for (let k = 0; k < 10; k++) t.pushF(k);
    expectPeak(Tape.measure(() => { t.pushF(10); t.popF(); }).peakBytes, 8 * 11, t.capacityBytes);
    expect(Tape.measure(() => 0).peakBytes).toBe(8 * 10);
    for (let k = 10; k < 5000; k++) t.pushF(k);
    for (let k = 4999; k >= 0; k--) expect(t.popF()).toBe(k);
    expect(t.size).toEqual({ f: 0, i: 0, a: 0 });
  });

  it("sums every live tape, tapes made during the call included", () => {
    const a = new Tape().begin();
    let b: Tape | undefined;
    const { peakBytes } = Tape.measure(() => {
      for (let k = 0; k < 100; k++) a.pushF(k);
      for (let k = 0; k < 100; k++) a.popF();
      b = new Tape().begin();
      for (let k = 0; k < 10; k++) b.pushI(k);
      for (let k = 0; k < 10; k++) b.popI();
    });
    expectPeak(peakBytes, 800 + 40, a.capacityBytes + b!.capacityBytes);
    expect(b!.size).toEqual({ f: 0, i: 0, a: 0 });
  });

  it("does not nest, and ends when the call throws", () => {
    const t = new Tape().begin();
    expect(() => Tape.measure(() => Tape.measure(() => 0))).toThrow(/do not nest/);
    expect(() => Tape.measure(() => { t.pushF(1); throw new Error("boom"); })).toThrow("boom");
    expectPeak(Tape.measure(() => { t.pushF(2); t.pushF(3); }).peakBytes, 24, t.capacityBytes);
    t.begin();
  });

  it("is within 1/256 of the buffer on a large tape", () => {
    const t = new Tape().begin();
    const n = 1_000_003;
    const { peakBytes } = Tape.measure(() => {
      for (let k = 0; k < n; k++) t.pushF(k);
      for (let k = 0; k < n; k++) t.popF();
    });
    expectPeak(peakBytes, 8 * n, t.capacityBytes);
    expect(t.capacityBytes).toBe(8 * 2 ** 20 + 4 * 256);
  });
});

describe("tape windows (a loop's own cursor into the buffer)", () => {
  /** What a generated pushing loop does: room for all its values, then `buf[top++] = v`. */
  function pushWindow(t: Tape, values: number[]) {
    const buf = t.reserveF(values.length);
    let top = t.topF();
    for (const v of values) buf[top++] = v;
    t.setTopF(top);
  }
  /** What a generated popping loop does: `buf[--top]`, then the top handed back. */
  function popWindow(t: Tape, n: number): number[] {
    const buf = t.bufferF();
    let top = t.topF();
    const out: number[] = [];
    for (let k = 0; k < n; k++) out.push(buf[--top]!);
    t.setTopF(top);
    return out;
  }

  it("keeps the stack order with pushes and pops around it, growing past the buffer", () => {
    const t = new Tape().begin();
    t.pushF(-1);
    const values = Array.from({ length: 5000 }, (_, k) => k * 0.5);
    pushWindow(t, values); // 5001 values: the 1024-value buffer grows to 8192
    t.pushF(-2);
    expect(t.size.f).toBe(5002);
    expect(t.capacityBytes).toBe(8192 * 8 + 256 * 4);
    expect(t.popF()).toBe(-2);
    expect(popWindow(t, 5000)).toEqual(values.reverse());
    expect(t.popF()).toBe(-1);
    expect(t.size.f).toBe(0);
  });

  it("is counted by Tape.measure, and pushes after a window still take the slow path when due", () => {
    const t = new Tape().begin();
    const { peakBytes } = Tape.measure(() => {
      pushWindow(t, Array.from({ length: 3000 }, (_, k) => k));
      for (let k = 0; k < 2000; k++) t.pushF(k); // past the window's mark, and past the buffer
      popWindow(t, 5000);
      pushWindow(t, [1, 2, 3]);
    });
    expectPeak(peakBytes, 8 * 5000, t.capacityBytes);
    expect(t.size.f).toBe(3);
    expect(popWindow(t, 3)).toEqual([3, 2, 1]);
  });
});

describe("arrays kept by reference (a loop's fresh array per iteration)", () => {
  it("come back last first, the very objects pushed, and the tape lets them go", () => {
    const t = new Tape().begin();
    const arrays = [new Float64Array([1, 2]), new Float64Array(3), new Float64Array([7])];
    for (const a of arrays) t.pushA(a);
    t.pushF(5);
    expect(t.size).toEqual({ f: 1, i: 0, a: 3 });
    expect(t.popF()).toBe(5);
    expect(t.popA()).toBe(arrays[2]);
    expect(t.popA()).toBe(arrays[1]);
    expect(t.popA()).toBe(arrays[0]);
    expect(t.size).toEqual({ f: 0, i: 0, a: 0 });
    // a call that threw leaves references behind: begin() drops them
    t.pushA(arrays[0]!);
    expect(t.begin().size).toEqual({ f: 0, i: 0, a: 0 });
  });

  it("count their bytes in Tape.measure, at their most", () => {
    const t = new Tape().begin();
    const { peakBytes } = Tape.measure(() => {
      t.pushA(new Float64Array(100));
      t.pushA(new Float64Array(50));
      t.popA();
      t.pushA(new Float64Array(10));
      t.popA();
      t.popA();
    });
    expect(peakBytes).toBe(150 * 8);
  });
});
