/**
 * Writing a run's outputs all or nothing.
 *
 * Every changed output is first staged: written in full to a temporary file beside its target
 * (same directory, so the final rename is atomic and cannot cross file systems). Only when every
 * output is staged are the temporaries renamed over their targets; if any stage fails, the
 * temporaries (and directories the run created) are removed and every existing output is left
 * byte for byte as it was. An output whose content is unchanged is not written at all, so its
 * mtime stays and file watchers are not woken; with `same`, neither is one whose file holds the
 * same code formatted otherwise (compare.ts).
 */
import fs from "node:fs";
import path from "node:path";

export interface Output {
  target: string;
  text: string;
}

export interface WriteResult {
  written: string[];
  unchanged: string[];
}

/** A write that failed: `file` is the path that could not be written, `reason` says why in words. */
export class WriteError extends Error {
  constructor(readonly file: string, readonly reason: string) {
    super(`cannot write ${file}: ${reason}`);
  }
}

const CAUSES: Record<string, string> = {
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "read-only file system",
  ENOTDIR: "a parent path is not a directory",
  EISDIR: "it is a directory",
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  ENAMETOOLONG: "the name is too long",
  EEXIST: "a file is in the way",
  ENOENT: "no such directory",
  EMFILE: "too many open files",
  EBUSY: "the file is busy",
};

/** `EACCES` -> "permission denied (EACCES)"; an error without a code -> its message's first line. */
export function describeFsError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err.code === "string") return `${CAUSES[err.code] ?? err.code.toLowerCase()} (${err.code})`;
  return String((err && err.message) || err).split("\n")[0];
}

/** Removes a file if it is there; a path that cannot exist (a parent is a file) is fine too. */
function remove(file: string): void {
  try {
    fs.rmSync(file, { force: true });
  } catch {
    // nothing there to remove
  }
}

function readOrUndefined(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

/** Creates `dir` and its missing parents, recording each directory created (outermost first). */
function makeDirectory(dir: string, created: string[]): void {
  const missing: string[] = [];
  let d = path.resolve(dir);
  for (;;) {
    let stat: fs.Stats | undefined;
    try {
      stat = fs.statSync(d);
    } catch {
      stat = undefined;
    }
    if (stat) {
      if (!stat.isDirectory()) throw Object.assign(new Error(`${d} is not a directory`), { code: "ENOTDIR" });
      break;
    }
    missing.unshift(d);
    const parent = path.dirname(d);
    if (parent === d) break;
    d = parent;
  }
  for (const m of missing) {
    fs.mkdirSync(m);
    created.push(m);
  }
}

let counter = 0;

/**
 * Writes `outputs` all or nothing (see the module comment), leaving alone each whose file holds
 * its text (or, given `same`, text that `same` accepts). Throws a `WriteError` naming the first
 * output that could not be staged, after undoing everything.
 */
export function writeAll(outputs: Output[], same?: (current: string, next: string) => boolean): WriteResult {
  const changed = outputs.filter((o) => {
    const current = readOrUndefined(o.target);
    return current === undefined || (current !== o.text && !(same?.(current, o.text) ?? false));
  });
  const unchanged = outputs.filter((o) => !changed.includes(o)).map((o) => o.target);
  const staged: { target: string; tmp: string }[] = [];
  const created: string[] = [];
  const undo = () => {
    for (const s of staged) remove(s.tmp);
    for (const d of created.reverse()) {
      try {
        fs.rmdirSync(d);
      } catch {
        // not empty: something else is in it now
      }
    }
  };
  for (const o of changed) {
    const dir = path.dirname(o.target);
    const tmp = path.join(dir, `.${path.basename(o.target)}.${process.pid}.${counter++}.tmp`);
    try {
      makeDirectory(dir, created);
      if (fs.statSync(o.target, { throwIfNoEntry: false })?.isDirectory()) throw Object.assign(new Error("is a directory"), { code: "EISDIR" });
      fs.writeFileSync(tmp, o.text, { flag: "wx" });
      staged.push({ target: o.target, tmp });
    } catch (e) {
      remove(tmp);
      undo();
      throw new WriteError(o.target, describeFsError(e));
    }
  }
  const written: string[] = [];
  for (const s of staged) {
    try {
      fs.renameSync(s.tmp, s.target);
      written.push(s.target);
    } catch (e) {
      // a rename within one directory does not fail short of the disk failing under it (a
      // directory in the target's place was refused above); what was renamed already stays
      for (const rest of staged.slice(written.length)) remove(rest.tmp);
      const err = new WriteError(s.target, describeFsError(e));
      throw Object.assign(err, { written });
    }
  }
  return { written, unchanged };
}
