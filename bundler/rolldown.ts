/** `adjoint/rolldown`: the bundler plugin (bundler/index.ts) for Rolldown: `plugins: [adjoint()]`. */
import type { Plugin } from "rolldown";
import { unplugin, type AdjointOptions } from "./index.ts";

export type { AdjointOptions };

export const adjoint: (options?: AdjointOptions) => Plugin = unplugin.rolldown;
export default adjoint;
