// The files segface wrote below an output folder, kept in `<folder>/.segface-outputs.json`
// (paths relative to it) with each file's size, modification time (ns) and inode right after
// the write. A file whose stat still matches is segface's own, unchanged output; an edit, a
// copy over it or a replacement changes the mtime or the inode. The manifest is replaced atomically (temp file +
// rename); an unreadable or foreign one counts as empty, which only makes segface more careful.
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { writeFileAtomic } from './files.js';

export const MANIFEST_NAME = '.segface-outputs.json';

interface Stamp { size: string; mtimeNs: string; ino: string }
type Files = Map<string, Stamp>;

const stampOf = (path: string): Stamp | undefined => {
  const st = statSync(path, { bigint: true, throwIfNoEntry: false });
  return st?.isFile() ? { size: `${st.size}`, mtimeNs: `${st.mtimeNs}`, ino: `${st.ino}` } : undefined;
};

const sameStamp = (a: Stamp, b: Stamp) => a.size === b.size && a.mtimeNs === b.mtimeNs && a.ino === b.ino;

function readManifest(dir: string): Files {
  const files: Files = new Map();
  try {
    const j = JSON.parse(readFileSync(join(dir, MANIFEST_NAME), 'utf8')) as { version?: unknown; files?: Record<string, Stamp> };
    if (j.version !== 1 || typeof j.files !== 'object' || j.files === null) return files;
    for (const [name, s] of Object.entries(j.files)) {
      if (typeof s?.size === 'string' && typeof s.mtimeNs === 'string' && typeof s.ino === 'string' && !name.split('/').includes('..')) {
        files.set(name, { size: s.size, mtimeNs: s.mtimeNs, ino: s.ino });
      }
    }
  } catch { /* missing or damaged: nothing is known to be ours */ }
  return files;
}

export class OutputManifest {
  private readonly root: string;
  private files?: Files;
  /** Records made by this process, not yet saved. */
  private readonly pending = new Map<string, Stamp>();
  private lastSave = 0;

  constructor(root: string) {
    this.root = resolve(root);
  }

  /** `path` relative to the root, '/'-separated; undefined when outside it. */
  private key(path: string): string | undefined {
    const r = relative(this.root, resolve(path));
    if (r === '' || r.startsWith('..') || isAbsolute(r)) return undefined;
    return r.split(sep).join('/');
  }

  private listed(): Files {
    return (this.files ??= readManifest(this.root));
  }

  /** Whether `path` (which exists) is listed and unchanged, listed but changed, or not listed. */
  state(path: string): 'unchanged' | 'changed' | 'unlisted' {
    const k = this.key(path);
    const listed = k === undefined ? undefined : this.listed().get(k);
    if (!listed) return 'unlisted';
    const now = stampOf(path);
    return now && sameStamp(now, listed) ? 'unchanged' : 'changed';
  }

  /** Records `path` as segface's own output, as it is on disk now (nothing outside the root). */
  record(path: string): void {
    const k = this.key(path), s = stampOf(path);
    if (k === undefined || !s) return;
    this.listed().set(k, s);
    this.pending.set(k, s);
  }

  /**
   * Writes the pending records (merged into what is on disk now, so a concurrent run's records
   * survive), at most once a second unless `force`. Failing to save is not an error of the run:
   * the outputs are written; a later run will just ask for --overwrite.
   */
  save(force = true): void {
    if (this.pending.size === 0 || (!force && Date.now() - this.lastSave < 1000)) return;
    const files = readManifest(this.root);
    for (const [k, s] of this.pending) files.set(k, s);
    const body = JSON.stringify({ version: 1, files: Object.fromEntries(files) });
    try { writeFileAtomic(join(this.root, MANIFEST_NAME), [new TextEncoder().encode(body)]); } catch { /* see above */ }
    this.pending.clear();
    this.lastSave = Date.now();
  }
}
