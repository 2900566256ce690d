/**
 * `adjoint/plugin`, the entry ts-patch loads (it `require`s plugins, so this one is CommonJS).
 * Loads the TypeScript implementation (plugin/index.ts) through tsx and exports the program
 * transformer. See plugin/index.ts.
 */
"use strict";
const path = require("node:path");
const { require: tsxRequire } = require("tsx/cjs/api");

const impl = tsxRequire("./index.ts", __filename);
impl.setCompileScript(path.join(__dirname, "compile.mjs"));

module.exports = impl.default;
module.exports.default = impl.default;
