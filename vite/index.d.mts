import type { Plugin } from "vite";

export interface AdjointViteOptions {
  /** Module specifier generated code imports the runtime from (default "adjoint/runtime"). */
  runtime?: string;
  /** What to generate for functions without an `@modes` tag (default: grad, or vjp for `@out` functions). */
  modes?: ("grad" | "jvp" | "vjp" | "jacobian" | "hvp" | "hessian")[];
}

/** Serves `*.grad.ts` modules from the adjoint core and rewrites `grad(f)` marker calls. */
export declare function adjoint(options?: AdjointViteOptions): Plugin;
export default adjoint;
