// Which existing files a command may replace. An input is never replaced (a run that reads a
// photo must not overwrite it with a colour map). Any other existing file only with
// --overwrite, unless segface wrote it itself and nobody changed it since: the output folder
// keeps a small manifest (OutputManifest) of the files segface wrote below it, so re-running
// the same command replaces its own earlier outputs but not a user's file of the same name.
// Inputs are compared by device and inode, so `./d/x.png`, `d/x.png` and a symlink or hard
// link to it are the same file.
import { statSync } from 'node:fs';
import { UserError } from '../errors.js';
import { OutputManifest } from './output-manifest.js';

const identity = (path: string): string | undefined => {
  const st = statSync(path, { throwIfNoEntry: false });
  return st ? `${st.dev}:${st.ino}` : undefined;
};

export class OutputGuard {
  private readonly inputs = new Set<string>();
  private readonly manifest: OutputManifest;

  /** `root`: the output folder, where the manifest of segface's own files is kept. */
  constructor(inputs: readonly string[], readonly overwrite: boolean, root: string) {
    this.manifest = new OutputManifest(root);
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
    if (this.overwrite) return;
    const state = this.manifest.state(path);
    if (state === 'unchanged') return;
    if (state === 'changed') throw new UserError(`${path}: was written by segface but has been changed since; pass --overwrite to replace it`);
    throw new UserError(`${path}: already exists and was not written by segface; pass --overwrite to replace it`);
  }

  /** Records that `path` was just written (so this and later runs may replace it). */
  wrote(path: string): void {
    this.manifest.record(path);
  }

  /** Saves the records of the files written (at most once a second unless `force`). */
  save(force = true): void {
    this.manifest.save(force);
  }
}
