// Which existing files a command may replace. An input is never replaced (a run that reads a
// photo must not overwrite it with a colour map); any other existing file only with
// --overwrite, unless this run wrote it itself. Files are compared by device and inode, so
// `./d/x.png`, `d/x.png` and a symlink or hard link to it are the same file.
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { UserError } from '../errors.js';

const identity = (path: string): string | undefined => {
  const st = statSync(path, { throwIfNoEntry: false });
  return st ? `${st.dev}:${st.ino}` : undefined;
};

export class OutputGuard {
  private readonly inputs = new Set<string>();
  private readonly written = new Set<string>();

  constructor(inputs: readonly string[], readonly overwrite = false) {
    for (const f of inputs) {
      const id = identity(f);
      if (id) this.inputs.add(id);
    }
  }

  /** Throws a UserError naming `path` when writing it would replace what it must not. */
  check(path: string): void {
    const id = identity(path);
    if (id === undefined) return;
    if (this.inputs.has(id)) throw new UserError(`${path}: is one of the inputs; it is not replaced (choose another --out)`);
    if (!this.overwrite && !this.written.has(resolve(path))) {
      throw new UserError(`${path}: already exists and was not written by this run; pass --overwrite to replace it`);
    }
  }

  /** Records that this run wrote `path` (so writing it again is fine). */
  wrote(path: string): void {
    this.written.add(resolve(path));
  }
}
