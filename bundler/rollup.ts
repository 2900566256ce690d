/** `adjoint/rollup`: the bundler plugin (bundler/index.ts) for Rollup: `plugins: [adjoint(), …]`, before the plugin that compiles TypeScript. */
import type { Plugin } from "rollup";
import { unplugin, type AdjointOptions } from "./index.ts";

export type { AdjointOptions };

export const adjoint: (options?: AdjointOptions) => Plugin = unplugin.rollup;
export default adjoint;
