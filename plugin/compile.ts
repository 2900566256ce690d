/**
 * The adjoint core as a process, for the tsc plugin (see core.ts): reads `{ files, runtime?,
 * modes? }` as JSON on standard input and writes the compile results (`compileFiles`) as JSON on
 * standard output.
 */
import { compileFiles } from "../compiler/index.ts";

let input = "";
process.stdin.setEncoding("utf8");
for await (const chunk of process.stdin) input += chunk;
const request = JSON.parse(input);
const results = await compileFiles(request.files, { runtime: request.runtime, modes: request.modes });
process.stdout.write(JSON.stringify(results.map(({ source, output, diagnostics, functions }) => ({ source, output, diagnostics, functions }))));
