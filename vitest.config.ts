import { defineConfig } from "vitest/config";
import { defaultClientConditions, defaultServerConditions } from "vite";

// `adjoint-source`: inside this repository `adjoint` and `adjoint/runtime` resolve to the .ts
// sources, never to the built dist/ a user's installed copy loads (see package.json exports).
const conditions = ["adjoint-source"];

export default defineConfig({
  resolve: { conditions: [...conditions, ...defaultClientConditions] },
  ssr: { resolve: { conditions: [...conditions, ...defaultServerConditions] } },
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["node_modules/**", ".tmp/**"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
