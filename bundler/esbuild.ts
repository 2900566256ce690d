/** `adjoint/esbuild`: the bundler plugin (bundler/index.ts) for esbuild: `plugins: [adjoint()]` in the build options (for builds that bundle). */
import type { Plugin } from "esbuild";
import { unplugin, type AdjointOptions } from "./index.ts";

export type { AdjointOptions };

export const adjoint: (options?: AdjointOptions) => Plugin = unplugin.esbuild;
export default adjoint;
