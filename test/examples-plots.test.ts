/**
 * The examples' pictures: loss curves (both examples) and the triangle MLP's decision boundary,
 * drawn by the one plotting module the examples share (examples/plot.ts).
 */
import fs from "node:fs";
import path from "node:path";
import { describe, it, expect } from "vitest";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { ROOT } from "./helpers.ts";
import { lineChart, linearTicks, logTicks } from "../examples/plot.ts";
import { main as linearRegression } from "../examples/linear-regression/train.ts";
import { main as triangle } from "../examples/triangle-mlp/train.ts";

const TMP = path.join(ROOT, ".tmp", `plots-${process.pid}`);
const quiet = () => {};

/** The points of the chart's polyline, in pixels. */
function polyline(svg: string): [number, number][] {
  expect(XMLValidator.validate(svg)).toBe(true);
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "" }).parse(svg);
  const line = doc.svg.polyline;
  return String(line.points).split(" ").map((p) => p.split(",").map(Number) as [number, number]);
}

describe("examples/plot.ts", () => {
  it("chooses round ticks", () => {
    expect(linearTicks(0, 300, 6)).toEqual([0, 50, 100, 150, 200, 250, 300]);
    expect(linearTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(logTicks(0.0008, 5.2)).toEqual([1e-4, 1e-3, 1e-2, 1e-1, 1, 10]);
  });

  it("draws a falling series falling, on a log axis by orders of magnitude", () => {
    const svg = lineChart({ title: "t", xLabel: "x", yLabel: "y", series: [{ label: "loss", y: [100, 10, 1] }], logY: true });
    const pts = polyline(svg);
    expect(pts).toHaveLength(3);
    // equal ratios are equal steps down (SVG y grows downwards)
    expect(pts[1][1] - pts[0][1]).toBeCloseTo(pts[2][1] - pts[1][1], 0);
    expect(pts[2][1]).toBeGreaterThan(pts[0][1]);
    expect(pts[1][0] - pts[0][0]).toBeCloseTo(pts[2][0] - pts[1][0], 0);
  });
});

describe("the examples write their pictures", () => {
  it("linear regression: the loss curve, one point per step", () => {
    fs.mkdirSync(TMP, { recursive: true });
    const out = path.join(TMP, "linear-loss.svg");
    const r = linearRegression({ n: 200, steps: 120, log: quiet, out });
    const pts = polyline(fs.readFileSync(out, "utf8"));
    expect(pts).toHaveLength(r.losses.length);
    expect(pts[pts.length - 1][1]).toBeGreaterThan(pts[0][1]); // the loss fell
  });

  it("the triangle MLP: its loss curve next to its decision boundary", () => {
    fs.mkdirSync(TMP, { recursive: true });
    const out = path.join(TMP, "boundary.svg");
    const { losses, lossOut } = triangle({ n: 200, hidden: 8, epochs: 200, log: quiet, out });
    expect(lossOut).toBe(path.join(TMP, "loss.svg"));
    const pts = polyline(fs.readFileSync(lossOut, "utf8"));
    expect(pts).toHaveLength(201);
    expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
    const boundary = fs.readFileSync(out, "utf8");
    expect(XMLValidator.validate(boundary)).toBe(true);
    expect(boundary.match(/<circle /g)).toHaveLength(200);
  });

  it("both examples draw through examples/plot.ts rather than writing SVG themselves", () => {
    for (const rel of ["examples/linear-regression/train.ts", "examples/triangle-mlp/train.ts"]) {
      const text = fs.readFileSync(path.join(ROOT, rel), "utf8");
      expect(text).toMatch(/from "\.\.\/plot\.ts"/);
      expect(text).not.toMatch(/<svg|<rect|<circle|<polyline/);
    }
  });
});
