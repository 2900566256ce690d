/**
 * Functions with user-supplied derivatives: reading their tags, finding the functions the tags
 * name, and where generated code imports each from. Shared by the fence (which checks them,
 * 2-fence/custom.ts) and lowering (which builds the IR's CustomCallee, custom.ts), so that both
 * agree on every rule. Reads no file: modules are the program's, paths are strings.
 *
 *   /** @pullback fooPullback @pushforward fooPushforward *\/
 *   export function foo(x: number, xs: Float64Array): number { … }
 *
 * The named functions are looked up in foo's module: declared there, or imported into it.
 */
import ts from "typescript";
import type { ModuleRef, UserFunction } from "../../ir/types.ts";
import { CUSTOM_TAGS } from "./resolve.ts";
import { dirname, join, normalize } from "../../modules.ts";

export type RuleKind = (typeof CUSTOM_TAGS)[number];

/** One `@pullback name` or `@pushforward name` tag. */
export interface RuleTag {
  kind: RuleKind;
  /** The name the tag gives (empty when it gives none). */
  name: string;
  tag: ts.JSDocTag;
}

function tagText(tag: ts.JSDocTag): string {
  const c = tag.comment;
  if (c === undefined) return "";
  return typeof c === "string" ? c : c.map((p) => p.text).join("");
}

/** The `@pullback` / `@pushforward` tags of a declaration, in order. */
export function ruleTags(decl: ts.FunctionDeclaration): RuleTag[] {
  const out: RuleTag[] = [];
  for (const tag of ts.getJSDocTags(decl)) {
    const kind = tag.tagName.text;
    if (!(CUSTOM_TAGS as readonly string[]).includes(kind)) continue;
    const name = tagText(tag).trim().split(/\s+/)[0] ?? "";
    out.push({ kind: kind as RuleKind, name, tag });
  }
  return out;
}

/** A function a tag names, as found in the tagged function's module. */
export interface FoundRule {
  /** The symbol in the tagged function's module (an import, or the declaration's own). */
  symbol: ts.Symbol;
  /** Its declaration, where its signature is read. */
  decl: ts.FunctionDeclaration;
  /** Where generated code imports it from, and under which name; undefined when it is not exported. */
  ref: UserFunction | undefined;
  /** Declared in the tagged function's module (not imported into it). */
  local: boolean;
}

/** The value named `name` in the scope of module `sf` (a declaration of the module or an import). */
function moduleScopeSymbol(sf: ts.SourceFile, name: string, checker: ts.TypeChecker): ts.Symbol | undefined {
  return checker.getSymbolsInScope(sf, ts.SymbolFlags.Value | ts.SymbolFlags.Alias).find((s) => s.name === name && s.declarations?.some((d) => d.getSourceFile() === sf));
}

/**
 * The function a tag names, looked up in the module of `tagged`: `undefined` when nothing of that
 * name is declared or imported there, `"not-a-function"` when it is something else.
 */
export function findRule(tagged: ts.FunctionDeclaration, name: string, checker: ts.TypeChecker, style: string): FoundRule | "not-a-function" | undefined {
  const sf = tagged.getSourceFile();
  const sym = moduleScopeSymbol(sf, name, checker);
  if (!sym) return undefined;
  const target = sym.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(sym) : sym;
  const decl = target.declarations?.find((d): d is ts.FunctionDeclaration => ts.isFunctionDeclaration(d));
  if (!decl) return "not-a-function";
  return { symbol: sym, decl, ref: userFunction(sym, sf, checker, style), local: !(sym.flags & ts.SymbolFlags.Alias) };
}

/**
 * Where generated code imports the value `sym` of module `sf` from: the module `sf` imports it
 * from (by the specifier `sf` uses), or `sf` itself when `sf` declares and exports it (undefined
 * when it does not export it). `style` is the extension written for a module imported by path.
 */
export function userFunction(sym: ts.Symbol, sf: ts.SourceFile, checker: ts.TypeChecker, style: string): UserFunction | undefined {
  if (sym.flags & ts.SymbolFlags.Alias) {
    const spec = sym.declarations?.find(ts.isImportSpecifier);
    if (!spec) return undefined; // a default or namespace import: not a named function
    const from = spec.parent.parent.parent.moduleSpecifier;
    if (!ts.isStringLiteral(from)) return undefined;
    return { name: (spec.propertyName ?? spec.name).text, module: moduleFrom(sf.fileName, from.text) };
  }
  const name = exportedName(sym, sf, checker);
  return name === undefined ? undefined : { name, module: { kind: "file", path: stripExtension(sf.fileName).path, ext: style } };
}

/** The name module `sf` exports `sym` under, if it does. */
export function exportedName(sym: ts.Symbol, sf: ts.SourceFile, checker: ts.TypeChecker): string | undefined {
  const mod = checker.getSymbolAtLocation(sf);
  if (!mod) return undefined;
  const own = new Set([sym, checker.getExportSymbolOfSymbol(sym)]);
  for (const e of checker.getExportsOfModule(mod)) {
    if (own.has(e) || (e.flags & ts.SymbolFlags.Alias && own.has(checker.getAliasedSymbol(e)))) return e.name;
  }
  return undefined;
}

/** The function the identifier `id` calls, as generated code imports it (from `id`'s own module). */
export function calledFunction(id: ts.Identifier, checker: ts.TypeChecker, style: string): UserFunction | undefined {
  const sym = checker.getSymbolAtLocation(id);
  return sym && userFunction(sym, id.getSourceFile(), checker, style);
}

const EXTENSIONS = [".d.ts", ".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs"];

function stripExtension(p: string): { path: string; ext: string } {
  for (const e of EXTENSIONS) if (p.endsWith(e) && p.length > e.length) return { path: p.slice(0, -e.length), ext: e };
  return { path: p, ext: "" };
}

/** A module imported from `file` by `specifier`: a package, or a path relative to `file`. */
function moduleFrom(file: string, specifier: string): ModuleRef {
  if (!specifier.startsWith("./") && !specifier.startsWith("../") && !specifier.startsWith("/")) return { kind: "package", specifier };
  const { path, ext } = stripExtension(specifier);
  return { kind: "file", path: specifier.startsWith("/") ? normalize(path) : join(dirname(file), path), ext };
}

/**
 * The extension relative imports of TypeScript modules are written with in `sf` (`.js`, `.ts`
 * or none), so that generated code imports user modules the way the user's code does; `.js`
 * when `sf` has none (what TypeScript's NodeNext resolution, tsx, Vite and esbuild all accept).
 */
export function importStyle(sf: ts.SourceFile): string {
  for (const st of sf.statements) {
    if (!ts.isImportDeclaration(st) || !ts.isStringLiteral(st.moduleSpecifier)) continue;
    const spec = st.moduleSpecifier.text;
    if (!spec.startsWith("./") && !spec.startsWith("../")) continue;
    const ext = stripExtension(spec).ext;
    if (ext === ".ts" || ext === ".js" || ext === "") return ext;
  }
  return ".js";
}
