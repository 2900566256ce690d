/**
 * The README's pictures and table: each `npx adjoint graph … -o docs/pictures/<name>.svg` the
 * README shows, run again, gives the committed SVG byte for byte, and the picture is shown next
 * to its command; the `adjoint table` example prints what the README says. The pictures parse as
 * XML with one node per step. `UPDATE_PICTURES=1 npx vitest run test/readme-pictures.test.ts`
 * rewrites them after an intended change (never in CI).
 */
import fs from "node:fs";
import path from "node:path";
import { describe, it, expect } from "vitest";
import { XMLValidator } from "fast-xml-parser";
import { main } from "../cli/main.ts";
import { createProgram } from "../compiler/index.ts";
import { lowerFunction } from "../compiler/graph/source.ts";
import { leafSteps } from "../compiler/graph/labels.ts";
import { ROOT } from "./helpers.ts";

const README = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
const TMP = path.join(ROOT, ".tmp", `readme-pictures-${process.pid}`);

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "", err = "";
  const cwd = process.cwd();
  process.chdir(ROOT);
  try {
    const code = await main(["node", "adjoint", ...args], { out: (s) => (out += s), err: (s) => (err += s) });
    return { code, out, err };
  } finally {
    process.chdir(cwd);
  }
}

const commands = [...README.matchAll(/^npx adjoint graph (.+) -o (docs\/pictures\/[\w-]+\.svg)$/gm)].map((m) => ({ args: m[1].split(/\s+/), out: m[2], line: m[0] }));

describe("README pictures", () => {
  it("shows at least the seed 001 function and the MLP", () => {
    expect(commands.map((c) => c.out)).toEqual(expect.arrayContaining(["docs/pictures/table.svg", "docs/pictures/mlp.svg"]));
  });

  it.each(commands.map((c) => [c.out, c] as const))("%s is what its command draws", async (_name, c) => {
    // the picture follows its command
    const at = README.indexOf(c.line);
    const image = README.indexOf(`](${c.out})`, at);
    expect(image).toBeGreaterThan(at);
    expect(README.slice(at + c.line.length, image)).not.toContain("npx adjoint graph ");

    fs.mkdirSync(TMP, { recursive: true });
    const tmp = path.join(TMP, path.basename(c.out));
    const r = await cli(["graph", ...c.args, "-o", tmp]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const fresh = fs.readFileSync(tmp, "utf8");
    const committed = path.join(ROOT, c.out);
    if (process.env.UPDATE_PICTURES === "1" && !process.env.CI) fs.writeFileSync(committed, fresh);
    expect(fs.existsSync(committed), `missing ${c.out}: run with UPDATE_PICTURES=1`).toBe(true);
    expect(fresh).toBe(fs.readFileSync(committed, "utf8"));

    // valid XML, one node per step of the function (these functions call no helpers)
    expect(XMLValidator.validate(fresh)).toBe(true);
    const file = path.join(ROOT, c.args[0]);
    const fnAt = c.args.indexOf("--fn");
    const program = createProgram([file]);
    const l = lowerFunction(program, program.getSourceFile(file)!, fnAt >= 0 ? c.args[fnAt + 1] : undefined);
    if (!l.ok) throw new Error(`cannot lower ${c.args[0]}`);
    expect(fresh.match(/<g id="node\d+" class="node step[ "]/g)).toHaveLength(leafSteps(l.ir.body).length);
  });

  it("prints the adjoint table the README shows", async () => {
    const m = README.match(/```sh\nnpx adjoint table (.+)\n```\n\n```\n([\s\S]*?)```/);
    expect(m).not.toBeNull();
    const r = await cli(["table", ...m![1].split(/\s+/)]);
    expect(r.code).toBe(0);
    expect(r.out).toBe(m![2]);
  });
});
