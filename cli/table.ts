/**
 * `adjoint table <file.ts> --fn <name> --at …`: the forward-mode trace (one row per intermediate,
 * primal and tangent, as in the lecture notes' table) and the reverse-mode adjoint table, from the
 * interpreter of the function's lowered IR.
 */
import { tables, tablesText } from "../compiler/graph/table.ts";
import { loadFunction, runAt, pointText, ValueError, type PointOptions } from "./graph.ts";
import type { Io } from "./main.ts";

export interface TableOptions extends PointOptions {
  fn?: string;
  digits?: string;
  maxRows?: string;
}

export function table(file: string, opts: TableOptions, io: Io): number {
  if (opts.at === undefined) {
    io.err("error: adjoint table needs a point: --at x1=1.5,x2=0.5 (or --at @inputs.json)\n");
    return 2;
  }
  const digits = opts.digits === undefined ? 3 : Number(opts.digits);
  const maxRows = opts.maxRows === undefined ? 200 : Number(opts.maxRows);
  if (!Number.isInteger(digits) || digits < 0 || digits > 15) {
    io.err(`error: --digits must be a whole number from 0 to 15, got '${opts.digits}'\n`);
    return 2;
  }
  if (!Number.isInteger(maxRows) || maxRows < 1) {
    io.err(`error: --max-rows must be a positive whole number, got '${opts.maxRows}'\n`);
    return 2;
  }
  const loaded = loadFunction(file, opts.fn, io);
  if (typeof loaded === "number") return loaded;
  try {
    const run = runAt(loaded.ir, opts)!;
    const tangents = opts.tangent !== undefined;
    io.out(tablesText(tables(run), { digits, maxRows, tangents, heading: pointText(run, tangents) }));
    return 0;
  } catch (e) {
    io.err(`error: ${(e as Error).message}\n`);
    return e instanceof ValueError ? 2 : 1;
  }
}

/** Registers `adjoint table` on the command line. */
