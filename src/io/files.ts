// Node-only file wrappers around the pure (Uint8Array) readers and writers of this folder.
// Writes go to a temporary file that is renamed into place, so a failure never leaves half a file.
import { closeSync, fstatSync, openSync, readSync, renameSync, rmSync, writeSync, fsyncSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, extname, join } from 'node:path';
import * as zlib from 'node:zlib';
import { UserError } from '../errors.js';
import { crc32 } from './zip.js';
import { readCheckpoint, stateDictFromCheckpoint, writeCheckpointChunks, type WriteCheckpointOptions } from './checkpoint.js';
import type { HostTensor, StateDict } from './host-tensor.js';
import { npyHeader, readNpy } from './npy.js';
import { hostBytes } from './host-tensor.js';
import { ZipCrcAhead, type Crc32Update } from './zip-crc-ahead.js';
import type { PyValue } from './py-values.js';

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ENOENT') return 'no such file';
  if (e?.code === 'EISDIR') return 'is a directory';
  if (e?.code === 'EACCES') return 'permission denied';
  return e?.message ?? String(err);
}

/**
 * The whole file in a fresh buffer (read in chunks, so files over 2 GiB work too). The buffer
 * starts on its own ArrayBuffer, so 64-byte aligned records inside stay aligned for views.
 */
export function readFileBytes(path: string): Uint8Array {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new UserError(`${path}: cannot open (${describe(err)})`);
  }
  try {
    const size = fstatSync(fd).size;
    const out = new Uint8Array(size);
    let off = 0;
    while (off < size) {
      const n = readSync(fd, out, off, Math.min(size - off, 1 << 30), off);
      if (n <= 0) throw new UserError(`${path}: file shrank while reading`);
      off += n;
    }
    return out;
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`${path}: cannot read (${describe(err)})`);
  } finally {
    closeSync(fd);
  }
}

/**
 * readFileBytes on libuv's thread pool, one chunk in flight while `progress(bytes, end)` works on
 * bytes[0, end) on this thread (the checkpoint reader sums CRCs there, for free on a second core).
 */
export async function readFileBytesAsync(path: string, progress?: (bytes: Uint8Array, end: number) => void): Promise<Uint8Array> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    throw new UserError(`${path}: cannot open (${describe(err)})`);
  }
  try {
    const size = (await fh.stat()).size;
    const out = new Uint8Array(size);
    const chunk = 32 << 20; // larger chunks read no faster; the last one is summed after the read
    const readAt = (off: number) => fh.read(out, off, Math.min(size - off, chunk), off);
    let off = 0;
    let pending = size > 0 ? readAt(0) : undefined;
    while (pending) {
      const { bytesRead } = await pending;
      if (bytesRead <= 0) throw new UserError(`${path}: file shrank while reading`);
      off += bytesRead;
      pending = off < size ? readAt(off) : undefined;
      progress?.(out, off);
    }
    return out;
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`${path}: cannot read (${describe(err)})`);
  } finally {
    await fh.close();
  }
}

/** Write `chunks` to `path` via a temporary file in the same folder and a rename. */
export function writeFileAtomic(path: string, chunks: readonly Uint8Array[]): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'w');
    for (const c of chunks) {
      let off = 0;
      while (off < c.length) off += writeSync(fd, c, off, Math.min(c.length - off, 1 << 30));
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    throw new UserError(`${path}: cannot write (${describe(err)})`);
  }
}

// The CRC-32 that checks every checkpoint entry: @node-rs/crc32 (SIMD) is about three times
// zlib.crc32 (Node >= 20.15), a third of the check's cost on a load (docs/reliability.md);
// the portable one in zip.ts is the last resort.
const zlibCrc = (zlib as unknown as { crc32?: Crc32Update }).crc32;
const nodeCrc32Update: Crc32Update = (() => {
  try {
    const { crc32 } = createRequire(import.meta.url)('@node-rs/crc32') as { crc32: Crc32Update };
    return (b: Uint8Array, c: number) => crc32(b, c) >>> 0;
  } catch { /* no prebuilt binary for this platform */ }
  return zlibCrc ? (b: Uint8Array, c: number) => zlibCrc(b, c) >>> 0 : crc32;
})();
const nodeCrc32 = (b: Uint8Array) => nodeCrc32Update(b, 0);

/** Read a `torch.save` checkpoint file (see readCheckpoint), CRC-checked. Messages name `path`. */
export function readCheckpointFile(path: string, opts: { verify?: boolean } = {}): PyValue {
  return readCheckpoint(readFileBytes(path), path, { crc32: opts.verify === false ? false : nodeCrc32 });
}

/**
 * readCheckpointFile that reads on libuv's pool and sums each entry's CRC as its bytes arrive, so
 * the check overlaps the read (docs/reliability.md, CRC cost). What every load of a user's file takes.
 */
export async function readCheckpointFileAsync(path: string, opts: { verify?: boolean } = {}): Promise<PyValue> {
  const sum = opts.verify === false ? undefined : nodeCrc32Update;
  let ahead: ZipCrcAhead | undefined;
  const bytes = await readFileBytesAsync(path, sum && ((b, end) => (ahead ??= new ZipCrcAhead(b, sum)).advance(end)));
  const check = sum ? (d: Uint8Array) => ahead?.lookup(d) ?? sum(d, 0) : false;
  return readCheckpoint(bytes, path, { crc32: check });
}

/** The model weights of a checkpoint file (see stateDictFromCheckpoint). */
export function readStateDictFile(path: string): StateDict {
  return stateDictFromCheckpoint(readCheckpointFile(path), path);
}

/** readStateDictFile through readCheckpointFileAsync. */
export async function readStateDictFileAsync(path: string): Promise<StateDict> {
  return stateDictFromCheckpoint(await readCheckpointFileAsync(path), path);
}

/** Write a checkpoint file; the zip's root folder defaults to the file name without extension, like torch. */
export function writeCheckpointFile(path: string, obj: PyValue, opts: WriteCheckpointOptions = {}): void {
  const root = opts.root ?? (basename(path, extname(path)).replace(/[^A-Za-z0-9_.-]/g, '_') || 'archive');
  writeFileAtomic(path, writeCheckpointChunks(obj, { crc32: nodeCrc32, ...opts, root }));
}

export function readNpyFile(path: string): HostTensor {
  return readNpy(readFileBytes(path), path);
}

export function writeNpyFile(path: string, t: HostTensor): void {
  writeFileAtomic(path, [npyHeader(t.dtype, t.shape), hostBytes(t)]);
}
