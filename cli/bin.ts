#!/usr/bin/env node
/**
 * The `adjoint` command (package.json "bin", compiled to dist/cli/bin.js). Whatever goes wrong
 * inside, the user sees one line and exit code 1, never a stack trace.
 *
 * The code cache (startup.ts) is turned on before anything else is loaded, so that it covers
 * the command's own modules too where Node keeps one.
 */
import { enableCompileCache } from "./startup.ts";

enableCompileCache();
const { internalError, main } = await import("./main.ts");

function crash(e: unknown): void {
  process.stderr.write(internalError(e));
  process.exit(1);
}
process.on("uncaughtException", crash);
process.on("unhandledRejection", crash);

main(process.argv).then((code) => {
  process.exitCode = code;
}, crash);
