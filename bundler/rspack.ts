/** `adjoint/rspack`: the bundler plugin (bundler/index.ts) for Rspack: `plugins: [adjoint()]` in rspack.config.js. */
import { unplugin, type AdjointOptions } from "./index.ts";

export type { AdjointOptions };

export const adjoint = unplugin.rspack;
export default adjoint;
