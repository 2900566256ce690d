/**
 * Packing adjoint and installing the tarballs into a fresh project, offline.
 *
 * `npm install --offline <tarball>` does not work from a warm cache: it resolves the tarball's
 * dependency ranges against registry metadata, which `npm ci` of this repository never stores
 * (only the packages themselves). So the project gets a lockfile instead, made from this
 * repository's: the tarballs' entries, and for every other package the entry (version and
 * integrity) this repository's lockfile already pins, at the same place in the tree. `npm ci
 * --offline` then installs everything from the npm cache, by integrity, with no network.
 *
 * The versions a project asks for must be ones this repository's lockfile has: the tarballs'
 * dependencies and the tools the tests use (TypeScript, ts-patch, Vitest, webpack, …) are.
 */
import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

export const ROOT = path.resolve(import.meta.dirname, "..");
const NPM = process.platform === "win32" ? "npm.cmd" : "npm";

interface LockEntry {
  name?: string;
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [key: string]: unknown;
}

export interface Tarball {
  name: string;
  version: string;
  /** Absolute path of the .tgz. */
  file: string;
}

function npm(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): string {
  const r = spawnSync(NPM, args, { cwd, encoding: "utf8", env: { ...process.env, ...env }, maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`npm ${args.join(" ")} (in ${cwd}) exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/**
 * Packs this repository's packages (adjoint and its workspaces) into `dest`, as `npm pack` would
 * for publishing. `root`: another checkout (an older commit, to compare).
 */
export function packAll(dest: string, root = ROOT): Tarball[] {
  fs.mkdirSync(dest, { recursive: true });
  const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
  const dirs = [root, ...(pkg.workspaces ?? []).map((w: string) => path.join(root, w))];
  return dirs.map((dir) => {
    // the last line of stdout is the JSON (a prepare script may print before it)
    const out = npm(["pack", "--json", "--pack-destination", dest], dir);
    const [info] = JSON.parse(out.slice(out.indexOf("[")));
    return { name: info.name, version: info.version, file: path.join(dest, info.filename) };
  });
}

const REGISTRY = (spawnSync(NPM, ["config", "get", "registry"], { encoding: "utf8" }).stdout.trim() || "https://registry.npmjs.org/").replace(/\/?$/, "/");

/** `@scope/name`, `1.2.3` -> `<registry>@scope/name/-/name-1.2.3.tgz`, where the registry keeps it. */
function tarballUrl(name: string, version: string): string {
  return `${REGISTRY}${name}/-/${name.split("/").pop()}-${version}.tgz`;
}

/** Where Node would find `name` from a package at `from` ("" is the root) in a lockfile's tree. */
function locate(packages: Record<string, LockEntry>, name: string, from: string): string | undefined {
  let base = from;
  for (;;) {
    const candidate = `${base ? `${base}/` : ""}node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!base) return undefined;
    const i = base.lastIndexOf("/node_modules/");
    base = i < 0 ? "" : base.slice(0, i);
  }
}

function tarballEntry(t: Tarball, project: string): LockEntry {
  const tmp = fs.mkdtempSync(path.join(path.dirname(t.file), "manifest-"));
  try {
    spawnSync("tar", ["-xzf", t.file, "-C", tmp, "package/package.json"]);
    const manifest = JSON.parse(fs.readFileSync(path.join(tmp, "package/package.json"), "utf8"));
    const integrity = `sha512-${crypto.createHash("sha512").update(fs.readFileSync(t.file)).digest("base64")}`;
    const entry: LockEntry = { version: manifest.version, resolved: `file:${path.relative(project, t.file)}`, integrity };
    for (const k of ["license", "dependencies", "peerDependencies", "peerDependenciesMeta", "bin", "engines"]) {
      if (manifest[k] !== undefined) entry[k] = manifest[k];
    }
    return entry;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

export interface ProjectSpec {
  /** Production dependencies: a tarball's name, or a package this repository's lockfile has (its version is used). */
  dependencies?: string[];
  devDependencies?: string[];
  /** Packages under another name: `{ typescript: "typescript6" }` installs this repository's typescript6 as typescript. */
  aliases?: Record<string, string>;
  /** Extra package.json fields ("type", "scripts", …). */
  manifest?: Record<string, unknown>;
}

/**
 * Writes `project`'s package.json and package-lock.json for `spec` and runs `npm ci --offline`.
 * Returns the package.json written. `root`: the checkout whose lockfile pins the versions.
 */
export function installOffline(project: string, tarballs: Tarball[], spec: ProjectSpec, root = ROOT): Record<string, unknown> {
  const repoLock = JSON.parse(fs.readFileSync(path.join(root, "package-lock.json"), "utf8")) as { packages: Record<string, LockEntry> };
  const repo = repoLock.packages;
  const byName = new Map(tarballs.map((t) => [t.name, t]));
  const packages: Record<string, LockEntry> = {};
  const queue: { name: string; from: string; source: string }[] = []; // `source`: the repository lockfile location to resolve from

  const versionOf = (name: string): string => {
    const t = byName.get(name);
    if (t) return `file:${path.relative(project, t.file)}`;
    const entry = repo[`node_modules/${spec.aliases?.[name] ?? name}`];
    if (!entry?.version) throw new Error(`${name} is not in package-lock.json: a project installed offline can only use packages this repository has`);
    return entry.version;
  };
  const section = (names: string[] = []) => Object.fromEntries(names.map((n) => [n, versionOf(n)]));
  const manifest = {
    name: path.basename(project).toLowerCase().replace(/[^a-z0-9-]/g, "-"),
    version: "1.0.0",
    private: true,
    ...spec.manifest,
    dependencies: section(spec.dependencies),
    devDependencies: section(spec.devDependencies),
  };

  const add = (target: string, entry: LockEntry, source: string) => {
    if (packages[target]) return;
    const { dev, devOptional, peer, name, ...rest } = entry;
    void dev, void devOptional, void peer;
    // the tarball's URL, which lockfiles written with omit-lockfile-registry-resolved leave out:
    // without it npm would ask the registry for the package's metadata to find it
    if (!rest.resolved && rest.version) rest.resolved = tarballUrl(name ?? source.slice(source.lastIndexOf("node_modules/") + 13), rest.version);
    packages[target] = rest;
    const deps = { ...entry.dependencies, ...entry.optionalDependencies };
    for (const [dep, range] of Object.entries(entry.peerDependencies ?? {})) {
      if (!entry.peerDependenciesMeta?.[dep]?.optional) deps[dep] ??= range;
    }
    for (const dep of Object.keys(deps)) queue.push({ name: dep, from: target, source });
  };
  for (const name of [...(spec.dependencies ?? []), ...(spec.devDependencies ?? [])]) {
    const t = byName.get(name);
    if (t) add(`node_modules/${name}`, tarballEntry(t, project), "");
    else {
      const from = `node_modules/${spec.aliases?.[name] ?? name}`;
      add(`node_modules/${name}`, repo[from], from);
    }
  }
  while (queue.length > 0) {
    const { name, from, source } = queue.shift()!;
    const t = byName.get(name);
    if (t) {
      add(`node_modules/${name}`, tarballEntry(t, project), "");
      continue;
    }
    // the package (and version) Node finds from the requester in this repository's tree, at the
    // same place in the project's tree, unless the project placed its own there (an alias)
    const found = locate(repo, name, source);
    if (!found || repo[found].link) {
      if (found === undefined && repo[`${source}`]?.optionalDependencies?.[name]) continue; // an optional package of another platform
      throw new Error(`cannot place ${name} (needed by ${from}): not in package-lock.json`);
    }
    add(found, repo[found], found);
  }

  const lock = { name: manifest.name, version: manifest.version, lockfileVersion: 3, requires: true, packages: { "": { name: manifest.name, version: manifest.version, dependencies: manifest.dependencies, devDependencies: manifest.devDependencies }, ...packages } };
  fs.mkdirSync(project, { recursive: true });
  fs.writeFileSync(path.join(project, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  fs.writeFileSync(path.join(project, "package-lock.json"), `${JSON.stringify(lock, null, 2)}\n`);
  npm(["ci", "--offline", "--no-audit", "--no-fund", "--loglevel=error"], project);
  return manifest;
}
