/**
 * Sampling of every annotated function of the fixtures: the interpreter test and the vector-mode
 * Jacobian test draw their seeded random points from here.
 */
import type { Value } from "../../compiler/ir/interpret.ts";
import { CONTROL_CASES } from "./control.cases.ts";

/** A parameter's sampling: [lo, hi] for a number, [length, lo, hi] for an array, or a fixed value. */
export type Draw = [number, number] | [number, number, number] | { fixed: Value } | { oneOf: number[] };

export const CASES: Record<string, Record<string, Draw[]>> = {
  "fixtures/seeds/table.ts": { f: [[-2, 2], [0.3, 2]] },
  "fixtures/seeds/chain.ts": { composite: [[-1, 1], [-1, 1]] },
  "fixtures/seeds/logistic.ts": { logisticLoss: [[-1, 1], [-1, 1], [-1, 1], [-2, 2], [-2, 2], { oneOf: [1, -1] }] },
  "fixtures/seeds/neuron.ts": { neuronLoss: [[-1, 1], [-1, 1], [-2, 2], [-2, 2], [0, 1]] },
  "fixtures/programs/control.ts": Object.fromEntries(CONTROL_CASES.map(([name, , spec]) => [name, spec as Draw[]])),
  "fixtures/programs/models.ts": {
    mlpLoss: [[12, -1, 1], [3, -0.5, 0.5], [3, -1, 1], [-0.5, 0.5], [4, -1, 1], [-1, 1]],
    scanningMlp: [[6, -1, 1], [2, -0.5, 0.5], [2, -1, 1], [-0.5, 0.5], [11, -1, 1], { fixed: 2 }],
    rnnLoss: [[9, -0.5, 0.5], [6, -0.5, 0.5], [3, -0.5, 0.5], [8, -1, 1]],
    dampedOscillator: [[0.5, 2], [0.1, 0.5], [-1, 1], [-1, 1]],
    logisticGrowth: [[0.5, 2], [1, 3], [0.1, 0.5]],
    softmaxCrossEntropy: [[5, -2, 2], { fixed: 2 }],
    logsumexp: [[5, -2, 2], [0.5, 2]],
    logisticRegression: [[3, -1, 1], [-0.5, 0.5], [12, -1, 1], [4, 0, 1], [0.01, 0.1]],
    newtonSqrt: [[1, 4], [1, 2]],
    fixedPoint: [[-0.5, 0.5], [-1, 1]],
    helperArrays: [[12, -1, 1], [4, -1, 1], [0.2, 2]],
    horner: [[5, -1, 1], [-1.5, 1.5]],
    gaussSeidel: [[6, -1, 1], [0.5, 2], [6, -1, 1]],
    withInactive: [[4, -1, 1], [3, -1, 1], [0.2, 2]],
    survivalExpanded: [[5, 0, 1], [0.1, 0.5]],
    helperBreakInLoop: [[6, -1, 1], [0.5, 3]],
  },
  "fixtures/programs/layers.ts": {
    layerLoss: [[12, -1, 1], [4, -1, 1], [3, -1, 1], [4, -1, 1]],
    // batch 5, d 3, h1 4, h2 3, c 3 (Y: soft labels are fine for the comparison)
    mlpLoss: [[12, -1, 1], [4, -1, 1], [12, -1, 1], [3, -1, 1], [9, -1, 1], [3, -1, 1], [15, -2, 2], [15, 0, 1]],
  },
  "fixtures/programs/closures.ts": {
    mlp: [[12, -1, 1], [4, -1, 1], [4, -1, 1], [-0.5, 0.5], [3, -1, 1], [0, 1]],
    scaled: [[-2, 2], [2, -1, 1]],
    nested: [[-1, 1], [4, -1, 1]],
    weighted: [[5, -1, 1], [5, -1, 1]],
    mapped: [[5, -1, 1], [0.5, 1.5]],
    reduced: [[5, -1, 1], [-0.5, 0.5]],
    chain: [[6, -1, 1], [0.5, 2]],
  },
  "fixtures/programs/vector.ts": {
    activation: [[4, 0.5, 2], [4, 0, 0]],
    projectile: [[5, 10], [0.3, 1], [0.01, 0.1], { fixed: 0.01 }, { fixed: 50 }, [2, 0, 0]],
    softmax: [[4, -2, 2], [4, 0, 0]],
    curve: [[-1, 1], [5, 0, 0]],
    polar: [[0.5, 2], [-3, 3], [3, 0, 0]],
  },
};

export function draw(rng: () => number, d: Draw): Value {
  if ("fixed" in d) return d.fixed;
  if ("oneOf" in d) return d.oneOf[Math.floor(rng() * d.oneOf.length)];
  if (d.length === 2) return d[0] + (d[1] - d[0]) * rng();
  return Float64Array.from({ length: d[0] }, () => d[1] + (d[2] - d[1]) * rng());
}
