/**
 * `adjoint/runtime`: the runtime package, `adjoint-runtime`, re-exported for code written against
 * this name. Generated modules import `adjoint-runtime` itself: an application needs only that
 * package at run time, and `adjoint` (compiler, CLI, build plugins) as a development dependency.
 */
export * from "adjoint-runtime";
