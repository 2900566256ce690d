/**
 * `prettier` for the browser bundle: the standalone build with the TypeScript parser plugins
 * loaded, so the compiler's printer formats generated code as it does in Node.
 */
import * as prettier from "prettier/standalone";
import type { Options } from "prettier";
import typescript from "prettier/plugins/typescript";
import estree from "prettier/plugins/estree";

export function format(source: string, options: Options = {}): Promise<string> {
  return prettier.format(source, { ...options, plugins: [typescript, estree, ...(options.plugins ?? [])] });
}
