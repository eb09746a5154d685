// All-or-nothing writing of one image's outputs: every file goes to a temporary name in its own
// folder first, and only when all are written are they renamed into place. On any failure the
// temporaries and the already renamed files are removed, so no partial result is left.
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface OutFile { path: string; data: Uint8Array | string }

/** Temporaries being written right now, so an interrupted process can remove them. */
const live = new Set<string>();

/** Removes every temporary file still being written (for SIGINT/SIGTERM handlers). */
export function removeLiveTemps(): void {
  for (const t of live) rmSync(t, { force: true });
  live.clear();
}

export function tempNameFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/** Writes one file atomically (temp + rename). */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  await writeFilesAtomic([{ path, data }]);
}

export async function writeFilesAtomic(files: readonly OutFile[]): Promise<void> {
  const temps: string[] = [];
  const done: string[] = [];
  try {
    for (const f of files) {
      await mkdir(dirname(f.path), { recursive: true });
      const t = tempNameFor(f.path);
      temps.push(t);
      live.add(t);
      await writeFile(t, f.data);
    }
    for (let i = 0; i < files.length; i++) {
      await rename(temps[i], files[i].path);
      done.push(files[i].path);
    }
  } catch (e) {
    await Promise.all([...temps, ...done].map((p) => rm(p, { force: true }).catch(() => undefined)));
    throw e;
  } finally {
    for (const t of temps) live.delete(t);
  }
}
