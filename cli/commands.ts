/**
 * The `graph` and `table` commands as commander sees them: options and help. Their work is
 * loaded only when they run, so `adjoint --help` does not load the compiler.
 */
import type { Command } from "commander";
import type { GraphOptions } from "./graph.ts";
import type { TableOptions } from "./table.ts";
import type { Io } from "./main.ts";
import { loadTypeScript } from "./startup.ts";

export function registerGraph(program: Command, io: Io, done: (code: number) => void): void {
  program
    .command("graph")
    .description("draw a function's computational graph from its IR (SVG, or DOT)")
    .argument("<file>", "TypeScript source file")
    .option("--fn <name>", "the @differentiable function (needed when the file has several)")
    .option("-o, --out <file>", "write the picture here (default: standard output)")
    .option("--format <format>", "svg or dot (default: svg, or dot for an --out ending in .dot)")
    .option("--at <values>", "point to evaluate at: x1=1.5,x2=0.5 (arrays as w=[1,2]) or @inputs.json; adds values, adjoints and local partials")
    .option("--tangent <values>", "direction for forward mode, as --at (missing: 0); adds tangents")
    .option("--cotangent <values>", "cotangents of @out outputs for the adjoints (default: ones)")
    .option("--expand", "draw the steps of inlined helpers instead of one node per call")
    .option("--active-only", "leave out the steps no derivative flows through (sizes, indices, conditions)")
    .action(async (file: string, opts: GraphOptions) => {
      loadTypeScript();
      const { graph } = await import("./graph.ts");
      done(await graph(file, opts, io));
    });
}

export function registerTable(program: Command, io: Io, done: (code: number) => void): void {
  program
    .command("table")
    .description("print the forward-mode trace (primals, tangents) and the reverse-mode adjoints of a function at a point")
    .argument("<file>", "TypeScript source file")
    .option("--fn <name>", "the @differentiable function (needed when the file has several)")
    .option("--at <values>", "the point: x1=1.5,x2=0.5 (arrays as w=[1,2]) or @inputs.json")
    .option("--tangent <values>", "direction for forward mode, as --at (missing: 0)")
    .option("--cotangent <values>", "cotangents of @out outputs for the adjoints (default: ones)")
    .option("--digits <n>", "decimal places (default 3)")
    .option("--max-rows <n>", "rows per table at most (default 200)")
    .action(async (file: string, opts: TableOptions) => {
      loadTypeScript();
      const { table } = await import("./table.ts");
      done(table(file, opts, io));
    });
}
