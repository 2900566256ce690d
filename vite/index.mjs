/**
 * `adjoint/vite`, the entry Node loads with the Vite or Vitest config: loads the TypeScript
 * implementation (vite/index.ts) through tsx, scoped to it. See vite/index.ts.
 */
import { tsImport } from "tsx/esm/api";

const impl = await tsImport("./index.ts", import.meta.url);

export const adjoint = impl.adjoint;
export default impl.adjoint;
