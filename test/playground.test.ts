/**
 * The playground in a real browser: headless Chromium (Debian's package) driven by playwright-core
 * against the Vite dev server. The test types a function into the editor and a point, waits for
 * the generated module and the gradient, and checks them against the CLI for the same function:
 * the module is `adjoint gen`'s, byte for byte; the gradient is `adjoint table`'s adjoints; the
 * graph has as many step nodes as `adjoint graph` draws. Then it types an unsupported construct
 * and expects the diagnostic with its code frame.
 *
 * Skipped, saying so, where no Chromium is installed (`apt-get install chromium`; .ci/run does).
 */
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { main } from "../cli/main.ts";
import { ROOT } from "./helpers.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const haveChromium = fs.existsSync(CHROMIUM);
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const TMP = path.join(ROOT, ".tmp", `playground-${process.pid}`);

const SOURCE = `// typed in the playground test
/** @differentiable */
export function g(x: number, w: Float64Array): number {
  let s = 0;
  for (let i = 0; i < w.length; i++) s += Math.tanh(w[i] * x);
  return s * s + Math.log(1 + x * x);
}
`;
const POINT = "x=0.7,w=[0.5,-1.25,2]";

const BROKEN = `/** @differentiable */
export function h(x: number): number {
  const t = Date.now();
  return x * t;
}
`;

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "", err = "";
  const code = await main(["node", "adjoint", ...args], { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

if (!haveChromium) {
  console.warn(`playground test skipped: no Chromium at ${CHROMIUM} (install Debian's package: apt-get install -y chromium)`);
}

describe.skipIf(!haveChromium)(haveChromium ? "the playground in headless Chromium" : `the playground (skipped: no Chromium at ${CHROMIUM}; apt-get install -y chromium)`, () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let server: any, context: any, page: any, userDataDir: string, url: string;
  const errors: string[] = [];

  beforeAll(async () => {
    const { createServer } = await import("vite");
    const { chromium } = await import("playwright-core");
    const port = await freePort();
    server = await createServer({
      configFile: path.join(ROOT, "playground/vite.config.ts"),
      server: { host: "127.0.0.1", port, strictPort: true, hmr: false },
      logLevel: "warn",
    });
    await server.listen();
    url = `http://127.0.0.1:${port}/`;
    userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "adjoint-chromium-"));
    context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1400, height: 1000 } });
    page = context.pages()[0] ?? (await context.newPage());
    page.on("pageerror", (e: Error) => errors.push(e.message));
    await page.goto(url);
    // the first analysis: the example function
    await page.waitForFunction("Number(document.body.dataset.runs ?? 0) >= 1", null, { timeout: 240_000 });
    fs.mkdirSync(TMP, { recursive: true });
  }, 300_000);

  afterAll(async () => {
    await context?.close();
    await server?.close();
    if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
  });

  /** Replaces the editor's text as a user would: select all, then type. */
  async function typeSource(text: string): Promise<number> {
    const before = Number(await page.evaluate("document.body.dataset.runs ?? 0"));
    await page.click(".cm-content");
    await page.keyboard.press("Control+A");
    await page.keyboard.press("Delete");
    await page.keyboard.insertText(text);
    return before;
  }

  async function settle(before: number): Promise<void> {
    await page.waitForFunction(`Number(document.body.dataset.runs) > ${before} && document.body.dataset.state !== "busy"`, null, { timeout: 120_000 });
  }

  it("shows the example's gradient on load", async () => {
    expect(await page.evaluate("document.body.dataset.state")).toBe("ready");
    const x1 = Number(await page.getAttribute('tr[data-name="grad:x1"] td.num', "data-value"));
    const r = await cli("table", "fixtures/seeds/table.ts", "--at", "x1=1.5,x2=0.5", "--digits", "15");
    const row = r.out.slice(r.out.indexOf("Reverse mode")).split("\n").map((l) => l.trim().split(/\s{3,}/)).find((c) => c[0] === "x1")!;
    expect(x1).toBeCloseTo(Number(row[2]), 12);
    expect(errors).toEqual([]);
  }, 120_000);

  it("typed function: generated module, value and gradient agree with the CLI", async () => {
    const before = await typeSource(SOURCE);
    await page.fill("#point", POINT);
    await settle(before);
    await page.waitForFunction(`document.querySelector("#output")?.textContent?.includes("export function gGrad(") && document.querySelector('tr[data-name="grad:w"]')`, null, { timeout: 120_000 });
    expect(await page.evaluate("document.body.dataset.state")).toBe("ready");

    // the same function through the CLI
    const file = path.join(TMP, "model.ts");
    fs.writeFileSync(file, SOURCE);
    const gen = await cli("gen", file, "--quiet");
    expect(gen.code).toBe(0);
    const generated = fs.readFileSync(path.join(TMP, "model.grad.ts"), "utf8");
    expect(await page.textContent("#output")).toBe(generated);

    const table = await cli("table", file, "--at", POINT, "--digits", "15");
    expect(table.code).toBe(0);
    const rows = table.out.split("\n").map((l) => l.trim().split(/\s{3,}/));
    const reverse = table.out.slice(table.out.indexOf("Reverse mode")).split("\n").map((l) => l.trim().split(/\s{3,}/));
    const value = Number(await page.getAttribute('tr[data-name="value"] td.num', "data-value"));
    const gx = Number(await page.getAttribute('tr[data-name="grad:x"] td.num', "data-value"));
    const gw = JSON.parse(await page.getAttribute('tr[data-name="grad:w"] td.num', "data-value")) as number[];
    const cliValue = Number(rows.find((c) => c[0] === "g(x, w)")![2]);
    const cliX = Number(reverse.find((c) => c[0] === "x")![2]);
    const cliW = reverse.find((c) => c[0] === "w")![2].replace(/^\[|\]$/g, "").split(",").map(Number);
    expect(value).toBeCloseTo(cliValue, 12);
    expect(gx).toBeCloseTo(cliX, 12);
    expect(gw).toHaveLength(3);
    gw.forEach((v, i) => expect(v).toBeCloseTo(cliW[i], 12));
    // and a hand check: d/dx of s² + log(1 + x²) with s = Σ tanh(wᵢx)
    const w = [0.5, -1.25, 2], x = 0.7;
    const s = w.reduce((a, wi) => a + Math.tanh(wi * x), 0);
    const ds = w.reduce((a, wi) => a + wi * (1 - Math.tanh(wi * x) ** 2), 0);
    expect(gx).toBeCloseTo(2 * s * ds + (2 * x) / (1 + x * x), 12);

    // the graph: as many step nodes as `adjoint graph` draws for the same function
    const svg = (await cli("graph", file)).out;
    const cliSteps = (svg.match(/class="node step[ "]/g) ?? []).length;
    expect(cliSteps).toBeGreaterThan(5);
    expect(await page.locator("#graph svg g.node.step").count()).toBe(cliSteps);
    expect(await page.textContent("#graph")).toContain("for i = 0; i < w.length; i += 1 (3 trips)");
    expect(errors).toEqual([]);
  }, 180_000);

  it("typed error: the diagnostic with its code frame", async () => {
    const before = await typeSource(BROKEN);
    await page.fill("#point", "x=1");
    await settle(before);
    await page.waitForFunction(`document.body.dataset.state === "error" && !document.querySelector("#diagnostics")?.hasAttribute("hidden")`, null, { timeout: 120_000 });
    const text = (await page.textContent("#diagnostics")) as string;
    expect(text).toMatch(/^model\.ts:3:13 - error AD1002: Cannot differentiate a call to 'Date\.now'/);
    expect(text).toContain("> 3 |   const t = Date.now();");
    expect(text).toContain("^^^");
    expect(await page.textContent("#output")).toBe("");
    expect(errors).toEqual([]);
  }, 120_000);
});
