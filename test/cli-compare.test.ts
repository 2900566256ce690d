/**
 * `--check` modulo formatting (cli/compare.ts): a generated module reformatted by prettier with a
 * project's own config is the same code; any real change, down to one token, is not, and the
 * difference is located. Every golden module is formatted with two configs and compared.
 */
import fs from "node:fs";
import path from "node:path";
import * as prettier from "prettier";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { codeDifference, sameCode } from "../cli/compare.ts";
import { ROOT } from "./helpers.ts";

const goldens = ["fixtures/seeds", "fixtures/programs"].flatMap((d) =>
  fs.readdirSync(path.join(ROOT, d)).filter((f) => f.endsWith(".grad.ts")).map((f) => path.join(d, f)));

/** The configs of the test: the one the issue names, and prettier's defaults at another width. */
const CONFIGS: prettier.Options[] = [
  { singleQuote: true, semi: false, printWidth: 60, trailingComma: "all" },
  { printWidth: 140, trailingComma: "none", arrowParens: "avoid", quoteProps: "consistent" },
];

const format = (text: string, options: prettier.Options) => prettier.format(text, { ...options, parser: "typescript" });

describe("the same code, formatted otherwise", () => {
  it.each([
    ["whitespace and line breaks", "const a = f(x, y);\n", "const a   =\n  f( x,\n y );"],
    ["comments", "// one\nconst a = 1; /* two */\n", "const a = 1;\n/** three */"],
    ["redundant parentheses", "const a = (b * c) + d;\nconst e = -(x);\n", "const a = b * c + d;\nconst e = -x;\n"],
    ["quote style and escapes", `const s = "it's";\nconst t = "a\\"b";\n`, `const s = 'it\\'s';\nconst t = 'a"b';\n`],
    ["number spelling", "const a = 1.50, b = 0xff, c = 1e3;\n", "const a = 1.5, b = 255, c = 1000;\n"],
    ["trailing commas", "f(a, b,);\nconst o = { a: 1, b: 2, };\nfunction g(x: number,) {}\n", "f(a, b);\nconst o = { a: 1, b: 2 };\nfunction g(x: number) {}\n"],
    ["optional semicolons", "const a = 1\nlet b = a\nb++\n", "const a = 1;\nlet b = a;\nb++;\n"],
    ["quoted property names", `const o = { "w": 1, 'b': 2 };\ntype T = { "x": number };\n`, "const o = { w: 1, b: 2 };\ntype T = { x: number };\n"],
    ["parenthesized types", "let f: (A | B)[] = [];\nlet g: (A) = a;\n", "let f: (A | B)[] = [];\nlet g: A = a;\n"],
  ])("%s", (_what, a, b) => {
    expect(codeDifference(ts, a, b)).toBeUndefined();
  });
});

describe("a real change", () => {
  it.each([
    ["an operator", "const a = b * c;\n", "const a = b / c;\n", [1, 13]],
    ["a number", "const a = 2 * c;\n", "const a = 3 * c;\n", [1, 11]],
    ["a name", "const a = b * c;\n", "const a = b * d;\n", [1, 15]],
    ["const against let", "const a = 1;\n", "let a = 1;\n", [1, 1]],
    ["a string's value", `f("a");\n`, `f("b");\n`, [1, 3]],
    ["grouping", "const a = (b + c) * d;\n", "const a = b + c * d;\n", [1, 12]],
    ["an optional chain's end", "const a = (o?.p).q;\n", "const a = o?.p.q;\n", [1, 11]],
    ["a for header's slots", "for (; x;) {}\n", "for (x; ;) {}\n", [1, 8]],
    ["a removed statement", "f();\ng();\n", "f();\n", [2, 1]],
    ["an added statement", "f();\n", "f();\ng();\n", [2, 1]],
    ["a prefix operator", "const a = -b;\n", "const a = !b;\n", [1, 11]],
    ["a directive", `"use strict";\nf();\n`, `("use strict");\nf();\n`, [1, 1]],
    ["a unary minus", "x = a - -b;\n", "x = a - b;\n", [1, 9]],
    ["a type", "let a: number = 1;\n", "let a: string = 1;\n", [1, 8]],
    ["an optional parameter", "function f(x?: number) {}\n", "function f(x: number) {}\n", [1, 13]],
  ])("%s", (_what, a, b, at) => {
    expect(codeDifference(ts, a, b)).toEqual({ line: at[0], column: at[1] });
    expect(sameCode(ts, b, a)).toBe(false);
  });

  it("a text with a syntax error is never the same", () => {
    // the parser would recover to the same statements: `const a = 1; 2;`
    expect(sameCode(ts, "const a = 1 2\n", "const a = 1;\n2;\n")).toBe(false);
  });
});

describe("every golden module", () => {
  it.each(goldens)("%s, formatted by prettier, is the same code; a one-token edit is not", async (rel) => {
    const text = fs.readFileSync(path.join(ROOT, rel), "utf8");
    for (const config of CONFIGS) {
      const formatted = await format(text, config);
      expect(formatted).not.toBe(text);
      expect(codeDifference(ts, formatted, text), JSON.stringify(config)).toBeUndefined();
    }
    // one token changed in the formatted text, on a line of code (not in a comment): the
    // difference is found, on that line
    const formatted = await format(text, CONFIGS[0]!);
    const lines = formatted.split("\n");
    const edits: [RegExp, string][] = [[/\breturn \{ value: /, "return { value: -"], [/ \* /, " / "], [/\bconst\b/, "let"], [/\+= /, "-= "], [/ - /, " + "]];
    let tried = 0;
    for (const [pattern, replacement] of edits) {
      const line = lines.findIndex((l) => !/^\s*(\/\/|\/\*|\*)/.test(l) && pattern.test(l));
      if (line < 0) continue;
      const edited = lines.map((l, i) => (i === line ? l.replace(pattern, replacement) : l)).join("\n");
      const d = codeDifference(ts, edited, text);
      expect(d, `${pattern}`).toBeDefined();
      expect(d!.line, `${pattern}`).toBe(line + 1);
      tried++;
    }
    expect(tried).toBeGreaterThanOrEqual(2);
  });
});
