// The playground: `npm run playground` serves it, `npx vite build --config playground/vite.config.ts`
// bundles it. The compiler, the runtime and TypeScript itself run in the page.
import path from "node:path";
import { defineConfig, defaultClientConditions } from "vite";

const here = import.meta.dirname;
const root = path.resolve(here, "..");

export default defineConfig({
  root: here,
  resolve: {
    conditions: ["adjoint-source", ...defaultClientConditions],
  },
  server: { fs: { allow: [root] } },
  // every package the page imports, so that the first load is the only bundling pass (no reload)
  optimizeDeps: {
    include: ["typescript", "@viz-js/viz", "codemirror", "@codemirror/view", "@codemirror/commands", "@codemirror/lang-javascript"],
  },
  cacheDir: path.join(root, ".tmp/playground-vite"),
  build: { outDir: path.join(root, ".tmp/playground-dist"), emptyOutDir: true, chunkSizeWarningLimit: 12_000 },
});
