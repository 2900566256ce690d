/** `adjoint/webpack`: the bundler plugin (bundler/index.ts) for webpack 5: `plugins: [adjoint()]` in webpack.config.js (with a loader for .ts files, such as ts-loader). */
import type { WebpackPluginInstance } from "webpack";
import { unplugin, type AdjointOptions } from "./index.ts";

export type { AdjointOptions };

export const adjoint: (options?: AdjointOptions) => WebpackPluginInstance = unplugin.webpack;
export default adjoint;
