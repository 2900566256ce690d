/**
 * Diagnostics: every fixture in fixtures/errors is one situation the compiler must reject with a
 * stable code, the position of the offending construct, and a message that names the construct
 * and says how to fix it. Cases marked `bug` are known compiler shortcomings (see the reason):
 * they assert the behaviour we want and run as `it.fails` until the compiler is fixed.
 */
import fs from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { compileFiles, formatDiagnostic, Codes, RULES, type Diagnostic, type FileResult } from "../../compiler/index.ts";
import { ROOT } from "../helpers.ts";

const DIR = path.join(ROOT, "fixtures/errors");

/** Words a message uses when it tells the user what to do instead. */
const SUGGESTS_FIX = /\b(use|write|pass|move|rewrite|add|declare|make|restructure|remove|return|call|allocate|replace)\b/i;

interface Case {
  file: string;
  code: string;
  line: number;
  col: number;
  /** Phrases naming the offending construct. */
  names: RegExp[];
  /** A phrase of the suggested fix. */
  fix: RegExp;
  /** Known compiler bug: the test asserts the intended behaviour and is expected to fail. */
  bug?: string;
}

const MATH_LIST = Object.keys(RULES).filter((k) => k.startsWith("Math.")).sort();

const CASES: Case[] = [
  // ---- unsupported syntax
  { file: "unsupported-try.ts", code: Codes.UnsupportedSyntax, line: 5, col: 3, names: [/try\/catch/], fix: /try\/catch around the call/ },
  { file: "unsupported-for-in.ts", code: Codes.UnsupportedSyntax, line: 5, col: 3, names: [/for-in loop/], fix: /loop over indices with for .*or over values with for-of/ },
  { file: "unsupported-var.ts", code: Codes.UnsupportedSyntax, line: 4, col: 7, names: [/'var' declarations/], fix: /use 'let' or 'const'/ },
  { file: "destructuring-nested.ts", code: Codes.UnsupportedSyntax, line: 4, col: 10, names: [/Array destructuring/, /no nesting/], fix: /destructure an inner array in a declaration of its own/ },
  { file: "destructuring-default-type.ts", code: Codes.UnsupportedSyntax, line: 4, col: 21, names: [/default of 'v'/, /'on' is a boolean/], fix: /write a number there/ },
  {
    file: "unsupported-string.ts", code: Codes.UnsupportedSyntax, line: 5, col: 14, names: [/string/i], fix: SUGGESTS_FIX,
  },
  {
    file: "unsupported-object-literal.ts", code: Codes.UnsupportedSyntax, line: 4, col: 15, names: [/computed field name in an object literal/i], fix: /write each field as name: value/,
  },
  { file: "unsupported-class.ts", code: Codes.UnsupportedSyntax, line: 4, col: 3, names: [/class declaration/], fix: SUGGESTS_FIX },
  {
    file: "unsupported-this.ts", code: Codes.UnsupportedSyntax, line: 5, col: 14, names: [/this/], fix: SUGGESTS_FIX,
  },
  {
    file: "this-parameter.ts", code: Codes.UnsupportedSyntax, line: 3, col: 19, names: [/this/], fix: SUGGESTS_FIX,
  },
  { file: "unsupported-template.ts", code: Codes.UnsupportedSyntax, line: 5, col: 14, names: [/template string/], fix: SUGGESTS_FIX },
  { file: "spread.ts", code: Codes.UnsupportedSyntax, line: 4, col: 24, names: [/spread/i], fix: SUGGESTS_FIX },
  {
    file: "helper-optional-param.ts", code: Codes.UnsupportedSyntax, line: 2, col: 28, names: [/optional/, /'k'|scaled/], fix: SUGGESTS_FIX,
  },
  { file: "differentiable-arrow.ts", code: Codes.UnsupportedSyntax, line: 3, col: 1, names: [/@differentiable on this declaration/], fix: /bind one arrow function or function expression to a module-level const/ },
  { file: "switch-impure-case.ts", code: Codes.UnsupportedSyntax, line: 5, col: 10, names: [/case expression/], fix: /compute it before the switch/ },
  { file: "labelled-block.ts", code: Codes.UnsupportedSyntax, line: 5, col: 3, names: [/label/], fix: /move it to the loop/ },
  { file: "array-condition.ts", code: Codes.UnsupportedSyntax, line: 5, col: 7, names: [/condition 'xs' is a Float64Array/], fix: /test its elements or its length/ },
  { file: "array-method.ts", code: Codes.UnsupportedSyntax, line: 4, col: 14, names: [/array method 'copyWithin'/], fix: /use forEach, map or reduce with an inline callback, subarray, slice, fill or set/ },
  { file: "object-rebind-alias.ts", code: Codes.UnsupportedSyntax, line: 10, col: 3, names: [/Reassigning the object 'p'/, /'const q = p;' \(line 9\) lets another name refer to the object of 'p'/], fix: /assign its fields/ },
  { file: "conditional-arrays.ts", code: Codes.UnsupportedSyntax, line: 5, col: 11, names: [/conditional expression choosing between arrays/], fix: /if \(a > 0\) y = ys\.map\(\(v\) => Math\.max\(v, 0\)\); else y = ys;/ },
  { file: "concat-typed.ts", code: Codes.UnsupportedSyntax, line: 5, col: 23, names: [/'concat' appends the Float64Array 'xs' as one element/], fix: /spread it, \[\.\.\.ws, \.\.\.xs\]/ },
  { file: "reverse-caller.ts", code: Codes.UnsupportedSyntax, line: 4, col: 14, names: [/'reverse' reverses 'xs' in place and returns it/], fix: /take a reversed copy, xs\.toReversed\(\)\.$/ },
  { file: "sort-as-strings.ts", code: Codes.UnsupportedSyntax, line: 4, col: 13, names: [/'sort' with no comparator/, /as strings/], fix: /pass a comparator, \[\.\.\.xs\]\.sort\(\(a, b\) => a - b\)/ },
  { file: "sort-comparator.ts", code: Codes.UnsupportedSyntax, line: 4, col: 25, names: [/comparator of 'toSorted'/], fix: /\(a, b\) => a - b \(ascending\)/ },
  { file: "sort-in-place.ts", code: Codes.UnsupportedSyntax, line: 4, col: 3, names: [/sorts 'xs' in place/, /not an array this function created/], fix: /a sorted copy, xs\.toSorted\(\(a, b\) => a - b\)/ },
  { file: "sort-alias.ts", code: Codes.UnsupportedSyntax, line: 5, col: 13, names: [/sorts 'ys' in place and returns it/], fix: /call it as a statement \(ys\.sort\(…\);\)/ },
  { file: "find-without-fallback.ts", code: Codes.UnsupportedSyntax, line: 4, col: 13, names: [/'find' returns undefined when no element matches/], fix: /write xs\.find\(\(v\) => …\) \?\? fallback, or use findIndex/ },
  { file: "callback-not-inline.ts", code: Codes.UnsupportedSyntax, line: 4, col: 21, names: [/callback of 'map'/, /inline function, the name of a helper function or a Math function/], fix: /write xs\.map\(\(v, i\) => …\)/ },
  { file: "search-from-index.ts", code: Codes.UnsupportedSyntax, line: 4, col: 27, names: [/'indexOf' with a start index/], fix: /search a subarray instead, xs\.subarray\(from\)\.indexOf\(x\)/ },
  // ---- closures
  { file: "module-table-exported.ts", code: Codes.Closure, line: 6, col: 14, names: [/'WEIGHTS' is a module-level array that could change while the function runs/], fix: /declare it 'as const'/ },
  { file: "nested-function.ts", code: Codes.Closure, line: 6, col: 5, names: [/closure 'sq' assigns 'calls'/], fix: /Return the new value and assign it at the call/ },
  { file: "let-closure.ts", code: Codes.Closure, line: 4, col: 7, names: [/'sq' holds a function/, /'let'/], fix: /declare it with const/ },
  { file: "let-helper.ts", code: Codes.Closure, line: 6, col: 10, names: [/'relu' is declared with 'let'/], fix: /declare it with const \(const relu = …\)/ },
  { file: "closure-writes-capture.ts", code: Codes.Closure, line: 6, col: 5, names: [/closure 'add' assigns 'total'/], fix: /Return the new value and assign it at the call/ },
  { file: "closure-capture-late.ts", code: Codes.Closure, line: 4, col: 32, names: [/'g' reads 'late'/, /declared after the call of 'g' on line 5/], fix: /declare 'late' before that call/ },
  { file: "closure-let-read.ts", code: Codes.Closure, line: 6, col: 14, names: [/'scale'/, /outside this function/], fix: /Pass it as a parameter/ },
  { file: "closure-let-write.ts", code: Codes.Closure, line: 6, col: 3, names: [/'calls'/, /not a local variable/], fix: /Return the value or pass it in/ },
  { file: "module-const-runtime.ts", code: Codes.Closure, line: 6, col: 14, names: [/'STARTED'/, /not a constant expression/], fix: /Pass it as a parameter/ },
  // ---- callees
  { file: "unknown-math.ts", code: Codes.UnknownCallee, line: 4, col: 17, names: [/'Math\.random'/], fix: /Add an entry to compiler\/rules\/index\.ts|move the call out/ },
  { file: "unknown-math-clz32.ts", code: Codes.UnknownCallee, line: 4, col: 14, names: [/'Math\.clz32'/], fix: /Add an entry to compiler\/rules\/index\.ts|move the call out/ },
  { file: "unknown-callee-dts.ts", code: Codes.UnknownCallee, line: 6, col: 10, names: [/'fastSin'/, /not a function declared with a body/], fix: /helper functions/ },
  { file: "unknown-callee-date.ts", code: Codes.UnknownCallee, line: 4, col: 13, names: [/'Date\.now'/], fix: /move the call out of the differentiable function/ },
  { file: "recursion-direct.ts", code: Codes.Recursion, line: 5, col: 10, names: [/'f' is recursive \(f -> f\)/], fix: /Rewrite it as a loop/ },
  { file: "recursion-mutual.ts", code: Codes.Recursion, line: 9, col: 10, names: [/recursive \(f -> even -> odd -> even\)/], fix: /Rewrite it as a loop/ },
  // ---- signatures and tags
  { file: "maybe-undefined.ts", code: Codes.NonNumericParameter, line: 4, col: 7, names: [/Variable 'best' has type 'number \| undefined'/], fix: /start it where it cannot be missing \(let best = -Infinity, or NaN\), or keep a boolean beside it/ },
  { file: "param-string.ts", code: Codes.NonNumericParameter, line: 3, col: 37, names: [/Parameter 'label' of 'f'/, /'string'/], fix: /a choice among strings: list them in its type, "l1" \| "l2"\).*Pass other data as numbers or arrays/ },
  { file: "param-object.ts", code: Codes.NonNumericParameter, line: 3, col: 22, names: [/Parameter 'p'/, /'\{ x: number; label: string; \}'/, /its field 'label'/], fix: /Pass other data as numbers or arrays/ },
  { file: "param-optional-field.ts", code: Codes.NonNumericParameter, line: 3, col: 22, names: [/Parameter 'p'/, /field 'w' is optional and an object/], fix: /optional fields are numbers, booleans, arrays of numbers and choices among strings: make it required/ },
  { file: "object-param-write.ts", code: Codes.UnsupportedSyntax, line: 4, col: 3, names: [/Writing 'p\.b'/, /object passed in/], fix: /copy the field into a local/ },
  { file: "return-string.ts", code: Codes.NonNumericReturn, line: 3, col: 31, names: [/'f' returns 'string'/], fix: /must return a 'number'/ },
  { file: "return-void.ts", code: Codes.NonNumericReturn, line: 3, col: 50, names: [/'f' returns 'void'/], fix: /must return a 'number'/ },
  { file: "wrt-not-parameter.ts", code: Codes.BadTag, line: 4, col: 4, names: [/@wrt names 'z'/, /not a numeric/], fix: /: x, y\)/ },
  { file: "tag-in-line-comment.ts", code: Codes.BadTag, line: 2, col: 1, names: [/'@differentiable' in a \/\/ comment is ignored/], fix: /mark the function with a JSDoc comment/ },
  { file: "missing-return.ts", code: Codes.MissingReturn, line: 4, col: 17, names: [/Not every path through 'f' returns a value/], fix: /add a return at the end/ },
];

/** Fixtures that are not a case of their own. */
const NOT_CASES = new Set(["external.d.ts", "good-and-bad.ts"]);

let results: Map<string, FileResult>;

beforeAll(async () => {
  const files = fs.readdirSync(DIR).filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"));
  const compiled = await compileFiles(files.map((f) => path.join(DIR, f)));
  results = new Map(compiled.map((r) => [path.basename(r.source), r]));
});

function frameLines(frame: string): { marker: string; caret: string } {
  const lines = frame.split("\n");
  const i = lines.findIndex((l) => l.startsWith(">"));
  return { marker: lines[i], caret: lines[i + 1] };
}

/** Checks the rendered form: header, blank line, frame with '>' on `line` and carets at `col`. */
function expectFormatted(d: Diagnostic, rel: string): void {
  const text = formatDiagnostic(d, ROOT);
  const [header, blank, ...frame] = text.split("\n");
  expect(header).toBe(`${rel}:${d.line}:${d.col} - error ${d.code}: ${d.message}`);
  expect(blank).toBe("");
  const marked = frame.filter((l) => l.startsWith(">"));
  expect(marked).toHaveLength(1);
  const source = fs.readFileSync(path.join(ROOT, rel), "utf8").split("\n")[d.line - 1];
  expect(marked[0]).toMatch(new RegExp(`^> +${d.line} \\| `));
  expect(marked[0].endsWith(`| ${source}`)).toBe(true);
  const caretLine = frame[frame.indexOf(marked[0]) + 1];
  const bar = marked[0].indexOf("|");
  expect(caretLine.indexOf("|")).toBe(bar);
  // carets start under the reported column
  expect(caretLine.slice(bar + 2)).toMatch(new RegExp(`^ {${d.col - 1}}\\^+$`));
}

describe("error fixtures", () => {
  it("every fixture is a case, and starts with a comment line naming what it tests", () => {
    const files = fs.readdirSync(DIR).filter((f) => f.endsWith(".ts")).sort();
    const covered = new Set([...CASES.map((c) => c.file), ...NOT_CASES]);
    expect(files.filter((f) => !covered.has(f))).toEqual([]);
    expect(CASES.filter((c) => !files.includes(c.file)).map((c) => c.file)).toEqual([]);
    for (const f of files) expect(fs.readFileSync(path.join(DIR, f), "utf8"), f).toMatch(/^\/\/ \S.{10,}\n/);
  });

  for (const c of CASES) {
    const test = c.bug && !process.env.ADJOINT_SHOW_BUGS ? it.fails : it; // ADJOINT_SHOW_BUGS=1 shows why they fail
    test(`${c.file}: ${c.code} at ${c.line}:${c.col}${c.bug ? ` (known bug: ${c.bug})` : ""}`, () => {
      const r = results.get(c.file)!;
      expect(r, c.file).toBeDefined();
      expect(r.output, "no output when there are errors").toBeUndefined();
      expect(r.diagnostics).toHaveLength(1);
      const d = r.diagnostics[0];
      expect({ code: d.code, line: d.line, col: d.col }).toEqual({ code: c.code, line: c.line, col: c.col });
      expect(d.file).toBe(path.join(DIR, c.file));
      expectFormatted(d, `fixtures/errors/${c.file}`);
      for (const n of c.names) expect(d.message).toMatch(n);
      expect(d.message).toMatch(c.fix);
    });
  }

  it("every fixture with an error produces no output (including the known-bug ones)", () => {
    for (const c of CASES) {
      if (c.file === "this-parameter.ts") continue; // accepted by the compiler: see its case
      const r = results.get(c.file)!;
      expect(r.diagnostics.length, c.file).toBeGreaterThan(0);
      expect(r.output, c.file).toBeUndefined();
    }
  });

  it("an unknown Math function lists every supported Math function", () => {
    for (const f of ["unknown-math.ts", "unknown-math-clz32.ts"]) {
      const msg = results.get(f)!.diagnostics[0].message;
      expect(MATH_LIST.length).toBeGreaterThan(10);
      for (const m of MATH_LIST) expect(msg).toContain(m);
    }
  });

  it("start and length span the offending construct", () => {
    const d = results.get("unknown-math.ts")!.diagnostics[0];
    const text = fs.readFileSync(path.join(DIR, "unknown-math.ts"), "utf8");
    expect(text.slice(d.start, d.start + d.length)).toBe("Math.random");
    const w = results.get("param-string.ts")!.diagnostics[0];
    expect(fs.readFileSync(path.join(DIR, "param-string.ts"), "utf8").slice(w.start, w.start + w.length)).toBe("string");
  });

  it("formatDiagnostic renders file:line:col, the code, the message and a code frame", () => {
    const d = results.get("array-condition.ts")!.diagnostics[0];
    expect(formatDiagnostic(d, ROOT)).toBe(
      "fixtures/errors/array-condition.ts:5:7 - error AD1001: The condition 'xs' is a Float64Array, which is always true: test its elements or its length.\n" +
      "\n" +
      "  3 | export function f(xs: Float64Array): number {\n" +
      "  4 |   let y = 1;\n" +
      "> 5 |   if (xs) {\n" +
      "    |       ^^\n" +
      "  6 |     y = xs[0] * 2;\n",
    );
    // outside cwd the path stays absolute
    expect(formatDiagnostic(d, "/nonexistent").split("\n")[0]).toMatch(new RegExp(`^${DIR}/array-condition\\.ts:5:7 - error AD1001: `));
  });

  it("the frame gutter widens at line 10 and the caret spans the construct", () => {
    const d = results.get("recursion-mutual.ts")!.diagnostics[0];
    const { marker, caret } = frameLines(d.frame);
    expect(marker).toBe(">  9 |   return even(x + 1, n - 1);");
    expect(caret).toBe("     |          ^^^^^^^^^^^^^^^^^^");
    expect(d.frame).toContain("  10 | }");
  });

  it("a module with one good and one bad function reports the error and generates nothing", async () => {
    const [r] = await compileFiles([path.join(DIR, "good-and-bad.ts")]);
    expect(r.output).toBeUndefined();
    expect(r.diagnostics.map((d) => [d.code, d.line, d.col])).toEqual([[Codes.UnknownCallee, 9, 17]]);
    expect(r.diagnostics[0].message).toMatch(/'Math\.random'/);
    expectFormatted(r.diagnostics[0], "fixtures/errors/good-and-bad.ts");
  });
});
