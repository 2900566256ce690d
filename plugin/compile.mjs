#!/usr/bin/env node
/**
 * The adjoint core as a process: reads `{ files, runtime?, modes? }` as JSON on standard input and
 * writes the compile results (`compileFiles`) as JSON on standard output.
 *
 * The ts-patch plugin runs inside TypeScript's synchronous `createProgram`, while the core is
 * asynchronous (prettier formats the output); the plugin waits for this process instead.
 */
import { register } from "tsx/esm/api";

register();
const { compileFiles } = await import("../compiler/index.ts");

let input = "";
process.stdin.setEncoding("utf8");
for await (const chunk of process.stdin) input += chunk;
const request = JSON.parse(input);
const results = await compileFiles(request.files, { runtime: request.runtime, modes: request.modes });
process.stdout.write(JSON.stringify(results.map(({ source, output, diagnostics, functions }) => ({ source, output, diagnostics, functions }))));
