/** Declarations for scripts/build-wasm.mjs (imported by test/runtime/gemm-wasm.test.ts). */
export declare const SOURCE: string;
export declare const OUTPUT: string;
export declare function compileGemmWasm(): Promise<{ binary: Uint8Array; text: string; version: string }>;
export declare function renderGenerated(binary: Uint8Array, version: string): string;
export declare function buildGenerated(): Promise<string>;
