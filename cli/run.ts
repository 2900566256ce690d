/**
 * What `adjoint gen` runs, with and without `--watch`, in one module that main.ts imports when
 * the command runs (never for `--help` or `--version`). The build bundles it, with the compiler,
 * into one file (scripts/build-dist.mjs): Node loads one module much faster than the fifty it
 * stands for. `graph` and `table` load their own modules (and Graphviz), as before.
 */
export { gen } from "./gen.ts";
export { watch } from "./watch.ts";
