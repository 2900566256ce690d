/** `adjoint/vite`: the bundler plugin (bundler/index.ts) for Vite (and Vitest): `plugins: [adjoint()]` in vite.config.ts or vitest.config.ts. */
import type { Plugin } from "vite";
import { unplugin, type AdjointOptions } from "./index.ts";

export type { AdjointOptions };

export const adjoint: (options?: AdjointOptions) => Plugin = unplugin.vite;
export default adjoint;
