import { defineConfig } from "vitest/config";
import adjoint from "adjoint/vite";

export default defineConfig({
  plugins: [adjoint()],
});
