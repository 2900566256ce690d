/** `adjoint/rspack`: the bundler plugin (bundler/index.ts) for Rspack: `plugins: [adjoint()]` in rspack.config.js. */
import { unplugin, type AdjointOptions } from "./index.ts";

export type { AdjointOptions };

// typed through unplugin: Rspack's own types come from @rspack/core where it is installed
export const adjoint: typeof unplugin.rspack = unplugin.rspack;
export default adjoint;
