/**
 * adjoint/runtime: the only module generated code imports.
 * Dependency-free: Float64Array BLAS, the value tape, checkpointing schedules, a gradient checker
 * and optimizers.
 */
export * from "./blas.ts";
export * from "./tape.ts";
export * from "./gradcheck.ts";
export * from "./optim.ts";
export * from "./jacobian.ts";
export * from "./accumulate.ts";
export * from "./custom.ts";
export * from "./checkpoint.ts";
export * from "./tree.ts";
