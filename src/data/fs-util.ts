// Folder listings that fail with a message naming the folder.
import { readdir } from 'node:fs/promises';
import { UserError } from '../errors.js';

/** Names in a folder; a missing folder or a file in its place is a UserError naming it. */
export async function listDir(dir: string, what = 'folder'): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`${dir}: missing ${what}`);
    if (code === 'ENOTDIR') throw new UserError(`${dir}: expected a ${what}, found a file`);
    throw new UserError(`${dir}: cannot list ${what} (${code ?? String(e)})`);
  }
}
