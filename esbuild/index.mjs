/**
 * `adjoint/esbuild`, the entry Node loads with a build script: loads the TypeScript
 * implementation (esbuild/index.ts) through tsx, scoped to it. See esbuild/index.ts.
 */
import { tsImport } from "tsx/esm/api";

const impl = await tsImport("./index.ts", import.meta.url);

export const adjoint = impl.adjoint;
export default impl.adjoint;
