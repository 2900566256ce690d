/**
 * TypeScript's library files for the in-memory compiler, bundled as text from the typescript
 * package (only those lib.es2022.d.ts and lib.es2023.array.d.ts need).
 */
import { neededLibFiles } from "../compiler/memory.ts";

const raw = import.meta.glob(
  ["../node_modules/typescript/lib/lib.es5.d.ts", "../node_modules/typescript/lib/lib.es20*.d.ts", "../node_modules/typescript/lib/lib.decorators*.d.ts"],
  { query: "?raw", import: "default", eager: true },
) as Record<string, string>;

const byName = new Map(Object.entries(raw).map(([k, v]) => [k.split("/").pop()!, v]));

export const LIBS: Record<string, string> = Object.fromEntries(neededLibFiles([...byName.keys()]).map((f) => [f, byName.get(f)!]));
