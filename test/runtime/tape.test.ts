import { describe, expect, it } from "vitest";
import { Tape } from "../../runtime/tape.ts";

describe("Tape high-water mark", () => {
  it("records the most a tape held, in bytes, and restarts on resetPeak", () => {
    const t = new Tape().begin();
    expect(t.peakBytes).toBe(0);
    for (let k = 0; k < 3000; k++) t.pushF(k); // grows past the initial 1024
    t.pushI(7);
    t.pushB(true);
    expect(t.popB()).toBe(true);
    expect(t.popI()).toBe(7);
    for (let k = 2999; k >= 1000; k--) expect(t.popF()).toBe(k);
    expect(t.peakBytes).toBe(8 * 3000 + 4 * 2);
    // refilling to less than the mark leaves it
    for (let k = 0; k < 500; k++) t.pushF(k);
    expect(t.peakBytes).toBe(8 * 3000 + 4 * 2);
    t.resetPeak();
    expect(t.peakBytes).toBe(8 * 1500); // what it holds now
    t.begin();
    expect(t.peakBytes).toBe(8 * 1500);
    t.resetPeak();
    expect(t.peakBytes).toBe(0);
    expect(t.capacityBytes).toBe(4096 * 8 + 256 * 4);
  });

  it("counts values never popped (a call that stopped midway) at the next begin", () => {
    const t = new Tape().begin();
    for (let k = 0; k < 10; k++) t.pushF(k);
    t.begin();
    expect(t.peakBytes).toBe(80);
  });

  it("sums the marks of every live tape", () => {
    Tape.resetPeaks();
    const a = new Tape().begin();
    const b = new Tape().begin();
    const base = Tape.peakBytes();
    for (let k = 0; k < 100; k++) a.pushF(k);
    for (let k = 0; k < 100; k++) a.popF();
    for (let k = 0; k < 10; k++) b.pushI(k);
    for (let k = 0; k < 10; k++) b.popI();
    expect(Tape.peakBytes() - base).toBe(800 + 40);
    Tape.resetPeaks();
    expect(a.peakBytes).toBe(0);
    expect(b.peakBytes).toBe(0);
  });
});
