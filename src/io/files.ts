// Node-only file wrappers around the pure (Uint8Array) readers and writers of this folder.
// Writes go to a temporary file that is renamed into place, so a failure never leaves half a file.
import { closeSync, fstatSync, openSync, readSync, renameSync, rmSync, writeSync, fsyncSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import * as zlib from 'node:zlib';
import { UserError } from '../errors.js';
import { readCheckpoint, stateDictFromCheckpoint, writeCheckpointChunks, type WriteCheckpointOptions } from './checkpoint.js';
import type { HostTensor, StateDict } from './host-tensor.js';
import { npyHeader, readNpy } from './npy.js';
import { hostBytes } from './host-tensor.js';
import type { PyValue } from './py-values.js';
import { CONCURRENT_CRC_BYTES, ConcurrentCrc } from './crc-check.js';
import { readZip, zipDirectory } from './zip.js';

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ENOENT') return 'no such file';
  if (e?.code === 'EISDIR') return 'is a directory';
  if (e?.code === 'EACCES') return 'permission denied';
  return e?.message ?? String(err);
}

function openForRead(path: string): number {
  try {
    return openSync(path, 'r');
  } catch (err) {
    throw new UserError(`${path}: cannot open (${describe(err)})`);
  }
}

/** Fills out[from, to) from the file (in chunks, so files over 2 GiB work too). */
function readRange(fd: number, out: Uint8Array, from: number, to: number, path: string): void {
  try {
    for (let off = from; off < to; ) {
      const n = readSync(fd, out, off, Math.min(to - off, 1 << 30), off);
      if (n <= 0) throw new UserError(`${path}: file shrank while reading`);
      off += n;
    }
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`${path}: cannot read (${describe(err)})`);
  }
}

const sizeOf = (fd: number, path: string): number => {
  try { return fstatSync(fd).size; } catch (err) { throw new UserError(`${path}: cannot read (${describe(err)})`); }
};

/**
 * The whole file in a fresh buffer. The buffer starts on its own ArrayBuffer, so 64-byte
 * aligned records inside stay aligned for views.
 */
export function readFileBytes(path: string): Uint8Array {
  const fd = openForRead(path);
  try {
    const out = new Uint8Array(sizeOf(fd, path));
    readRange(fd, out, 0, out.length, path);
    return out;
  } finally {
    closeSync(fd);
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

// zlib.crc32 exists from Node 20.15; about twice as fast as the portable one.
const zlibCrc = (zlib as unknown as { crc32?: (b: Uint8Array) => number }).crc32;
const nodeCrc32 = zlibCrc ? (b: Uint8Array) => zlibCrc(b) >>> 0 : undefined;

/** Read a `torch.save` checkpoint file (see readCheckpoint), CRC-checked. Messages name `path`. */
export function readCheckpointFile(path: string, opts: { verify?: boolean } = {}): PyValue {
  if (opts.verify === false) return readCheckpoint(readFileBytes(path), path, { crc32: false });
  const fd = openForRead(path);
  try {
    const out = new Uint8Array(sizeOf(fd, path));
    const checked = () => readCheckpoint(out, path, { crc32: nodeCrc32 });
    if (out.length < CONCURRENT_CRC_BYTES || !nodeCrc32) {
      readRange(fd, out, 0, out.length, path);
      return checked();
    }
    // A large file: its tail (the zip's central directory) first, so a worker can check the
    // entries' CRCs while this thread reads and parses the rest.
    const tail = Math.max(0, out.length - (1 << 20));
    readRange(fd, out, tail, out.length, path);
    let dir;
    try { dir = zipDirectory(out, path); } catch { /* odd layout: reported by the full parse */ }
    if (!dir?.every((e) => e.local >= 0 && e.local + 30 + e.usize <= out.length)) {
      readRange(fd, out, 0, tail, path);
      return checked();
    }
    const crc = new ConcurrentCrc(fd, dir, path);
    let value: PyValue;
    try {
      readRange(fd, out, 0, tail, path);
      value = readCheckpoint(out, path, { crc32: false });
    } catch (e) {
      crc.abandon();
      throw e;
    }
    crc.verdict(() => { readZip(out, path, { crc32: nodeCrc32 }); });
    return value;
  } finally {
    closeSync(fd);
  }
}

/** The model weights of a checkpoint file (see stateDictFromCheckpoint). */
export function readStateDictFile(path: string): StateDict {
  return stateDictFromCheckpoint(readCheckpointFile(path), path);
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
