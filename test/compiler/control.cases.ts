/** The functions of fixtures/programs/control.ts: parameters, sampling intervals, differentiated parameters. */
export type Spec = ([number, number] | [number, number, number])[];
export const CONTROL_CASES: [string, string[], ([number, number] | [number, number, number])[], string[]?][] = [
  ["branch", ["x", "y"], [[-2, 2], [-1, 2]]],
  ["earlyReturn", ["x", "y"], [[-2, 2], [-1, 2]]],
  ["ternary", ["x", "y"], [[-2, 2], [0.1, 2]]],
  ["compound", ["x", "y"], [[-2, 2], [0.5, 2]]],
  ["logic", ["x", "y"], [[-2, 2], [-1, 2]]],
  ["helpers", ["x", "y"], [[-2, 2], [-2, 2]]],
  ["dot", ["w", "x"], [[7, -1, 1], [7, -1, 1]]],
  ["powerLoop", ["x", "n"], [[0.5, 1.5], [5, 5]], ["x"]],
  ["overwrite", ["x"], [[-2, 2]]],
  ["whileLoop", ["x"], [[0.5, 3]]],
  ["breakContinue", ["v"], [[12, -1, 1]]],
  ["returnInLoop", ["v", "t"], [[8, -1, 1], [0.1, 1]]],
  ["nested", ["a", "x"], [[16, -1, 1], [4, -1, 1]]],
  ["localArray", ["x"], [[6, -1, 1]]],
  ["doWhile", ["x"], [[2, 8]]],
  ["branchInLoop", ["x", "c"], [[9, -1, 1], [0.5, 2]]],
  ["floorThenUpdate", ["x"], [[-2, 2]]],
  ["hoistedArrays", ["x", "a"], [[3, -1, 1], [0.2, 1.5]]],
];

