/**
 * Arrays that grow by push (3-lower/growth.ts): a push that the statement holding it cannot
 * bound, or onto an array that is not a growing local, is one located diagnostic that says why
 * and what to write instead. (fixtures/programs/language.ts `pushed` checks the supported forms
 * in every mode against finite differences, language.test.ts.)
 */
import { describe, expect, it } from "vitest";
import { compileText } from "../helpers.ts";

// what, the function's body, a phrase of the message, where
const rejected: [string, string, string, [number, number]][] = [
  ["a push in a while loop without a counter", `  const out: number[] = [];
  let s = 0;
  while (s < 10) {
    out.push(s);
    s += x[0] * x[0] + 1;
  }
  return out.length;`, "'out.push' is inside a while loop (line 5), whose trip count is not known when it starts: step a counter towards a bound in it, once per iteration (while (i < n) { …; i++; }), or use a for loop with a bound", [5, 3]],
  ["a while loop whose counter a continue can skip", `  const out: number[] = [];
  let i = 0;
  while (i < x.length) {
    if (x[i] < 0) continue;
    out.push(x[i]);
    i++;
  }
  return out.length;`, "'out.push' is inside a while loop (line 5), whose trip count is not known when it starts", [5, 3]],
  ["a while counter stepped away from its bound", `  const out: number[] = [];
  let i = 0;
  while (i < x.length) {
    out.push(x[0]);
    i--;
  }
  return out.length;`, "'out.push' is inside a while loop (line 5), whose trip count is not known when it starts", [5, 3]],
  ["a while counter written elsewhere in the statement", `  const out: number[] = [];
  let i = 0;
  for (let r = 0; r < 2; r++) {
    i = 0;
    while (i < x.length) {
      out.push(x[i]);
      i++;
    }
  }
  return out.length;`, "the counter 'i' of the while loop at line 7 is written elsewhere inside the statement at line 5, so its trip count is not known when that statement starts", [7, 5]],
  ["a while counter declared in the statement from a value it changes", `  const out: number[] = [];
  for (let r = 0; r < 2; r++) {
    let i = r;
    while (i < x.length) {
      out.push(x[i]);
      i++;
    }
  }
  return out.length;`, "'r', which the loop at line 6 depends on, changes inside the statement at line 4", [6, 5]],
  ["a do…while bound its body changes", `  const out: number[] = [];
  let i = 0;
  let n = 3;
  do {
    out.push(x[0]);
    i++;
    n++;
  } while (i < n);
  return out.length;`, "'n', which the loop at line 6 depends on, changes inside the statement at line 6", [6, 3]],
  ["a loop whose bound its body changes", `  const out: number[] = [];
  let n = 2;
  for (let i = 0; i < n; i++) {
    out.push(x[0]);
    if (i === 0) n = 3;
  }
  return out[0];`, "the loop at line 5 around 'out.push' is not a counted for loop", [5, 3]],
  ["an inner bound that the outer loop changes", `  const out: number[] = [];
  let m = 0;
  for (let i = 0; i < 3; i++) {
    m = i + 1;
    for (let j = 0; j < m; j++) out.push(x[j]);
  }
  return out[0];`, "'m', which the loop at line 7 depends on, changes inside the statement at line 5", [7, 5]],
  ["a loop over its own length", `  const out: number[] = [x[0]];
  for (let i = 0; i < out.length; i++) if (i < 3) out.push(out[i] * 2);
  return out[1];`, "the loop at line 4 depends on the length of 'out' itself", [4, 3]],
  ["a push in a callback", `  const out: number[] = [];
  x.forEach((v) => {
    out.push(v);
  });
  return out[0];`, "'out.push' is inside a callback or closure: push in a loop of the function that declares it", [5, 5]],
  ["a push onto a parameter", `  const y: number[] = [1];
  grow(y);
  return y[0] + x[0];
}
function grow(y: number[]): void {
  y.push(2);`, "'y.push' needs an array that grows: declare it in this function as a number[] with an array literal", [8, 3]],
  ["the new length", `  const out: number[] = [];
  const n = out.push(x[0]);
  return n;`, "The result of 'out.push' (the new length) is not supported", [4, 13]],
  ["an alias", `  const out: number[] = [];
  const keep = out;
  out.push(x[0]);
  return keep[0];`, "'out' grows by push, so its array is replaced as it grows: 'const keep = out;' (line 4) lets another name refer to the array of 'out'", [5, 3]],
];

describe("arrays that grow by push", () => {
  for (const [what, body, why, [line, col]] of rejected) {
    it(`${what} is a located diagnostic that says why`, async () => {
      const text = `/** @differentiable */\nexport function f(x: Float64Array): number {\n${body}\n}\n`;
      const { result } = await compileText(text, "f");
      expect(result.diagnostics).toHaveLength(1);
      const d = result.diagnostics[0]!;
      expect(d.message).toContain(why);
      expect({ line: d.line, col: d.col }).toEqual({ line, col });
    });
  }
});
