// Node-only file wrappers around the pure (Uint8Array) readers and writers of this folder.
// Writes go to a temporary file that is renamed into place, so a failure never leaves half a file.
import { closeSync, fstatSync, openSync, readSync, renameSync, rmSync, writeSync, fsyncSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { UserError } from '../errors.js';
import { readCheckpoint, stateDictFromCheckpoint, writeCheckpointChunks, type WriteCheckpointOptions } from './checkpoint.js';
import type { HostTensor, StateDict } from './host-tensor.js';
import { npyHeader, readNpy } from './npy.js';
import { hostBytes } from './host-tensor.js';
import type { PyValue } from './py-values.js';
import { readCentralDirectory, type CentralRecord } from './zip.js';
import { crc32Node } from './crc32-node.js';
import { Worker } from 'node:worker_threads';
import { availableParallelism, loadavg } from 'node:os';

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

const [STARTING, RUNNING, DONE] = [0, 3, 1]; // crc-worker.ts's states

// Below this size a worker's start-up (tens of ms) costs more than summing on this thread.
const WORKER_MIN_BYTES = 64 << 20;

/**
 * Start summing the file's entries on a worker thread (crc-worker.ts) while this thread reads it;
 * wait() gives the CRCs by `${data offset}:${length}`. Undefined for small or odd files, where
 * readZip sums everything itself.
 */
function startCrcWorker(path: string, minBytes: number): { wait(): Map<string, number> | undefined } | undefined {
  // The worker reads the file a second time (from the page cache): that is only cheaper than
  // summing here when a core is idle to do it, so a busy machine sums on this thread.
  if (minBytes > 0 && availableParallelism() - loadavg()[0] < 1) return undefined;
  const records = centralRecords(path, minBytes);
  if (!records || records.size < minBytes) return undefined;
  const list = records.list.filter((r) => r.method === 0 && r.csize === r.usize).map(({ local, csize }) => ({ local, csize }));
  const shared = new SharedArrayBuffer(8 + 16 * list.length);
  let worker: Worker;
  try {
    // execArgv: [] so flags of this process (e.g. --input-type for `node -e`) cannot stop the worker starting.
    worker = new Worker(new URL('./crc-worker.js', import.meta.url), { workerData: { path, records: list, shared }, execArgv: [] });
  } catch {
    return undefined;
  }
  worker.unref();
  worker.on('error', () => {}); // a failed worker leaves its state at "failed" or times out; readZip then sums
  return {
    wait() {
      const state = new Int32Array(shared, 0, 1);
      // A worker that never starts (its error event cannot reach this blocked thread) or gets stuck
      // must not hang a load: after the time limits this thread does the sums itself.
      Atomics.wait(state, 0, STARTING, 10_000);
      Atomics.wait(state, 0, RUNNING, 30_000 + records.size / 20_000);
      if (Atomics.load(state, 0) !== DONE) {
        void worker.terminate();
        return undefined;
      }
      const out = new Float64Array(shared, 8);
      const found = new Map<string, number>();
      list.forEach((r, i) => {
        if (out[2 * i]! >= 0) found.set(`${out[2 * i]}:${r.csize}`, out[2 * i + 1]!);
      });
      return found;
    },
  };
}

/** The zip central directory from the file's tail; undefined when anything is odd. */
function centralRecords(path: string, minBytes: number): { list: CentralRecord[]; size: number } | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    if (size < minBytes) return { list: [], size };
    for (let want = 1 << 17; ; want *= 8) {
      const base = Math.max(0, size - want);
      const tail = new Uint8Array(size - base);
      for (let off = 0; off < tail.length; ) {
        const n = readSync(fd, tail, off, tail.length - off, base + off);
        if (n <= 0) return undefined;
        off += n;
      }
      try {
        return { list: readCentralDirectory(tail, path, base, size), size };
      } catch (err) {
        if (!(err instanceof RangeError) || base === 0) return undefined;
      }
    }
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Read a `torch.save` checkpoint file (see readCheckpoint), CRC-checked. Messages name `path`. */
/** `crcWorkerMinBytes` (tests): the size from which the worker sums, 0 for always, even on a busy machine. */
export function readCheckpointFile(path: string, opts: { verify?: boolean; crcWorkerMinBytes?: number } = {}): PyValue {
  if (opts.verify === false) return readCheckpoint(readFileBytes(path), path, { crc32: false });
  const pending = startCrcWorker(path, opts.crcWorkerMinBytes ?? WORKER_MIN_BYTES);
  const bytes = readFileBytes(path);
  const found = pending?.wait();
  // readZip compares every entry with its central-directory CRC; entries the worker missed are summed here.
  const crc32 = found ? (d: Uint8Array) => found.get(`${d.byteOffset - bytes.byteOffset}:${d.length}`) ?? crc32Node(d) : crc32Node;
  return readCheckpoint(bytes, path, { crc32 });
}

/** The model weights of a checkpoint file (see stateDictFromCheckpoint). */
export function readStateDictFile(path: string): StateDict {
  return stateDictFromCheckpoint(readCheckpointFile(path), path);
}

/** Write a checkpoint file; the zip's root folder defaults to the file name without extension, like torch. */
export function writeCheckpointFile(path: string, obj: PyValue, opts: WriteCheckpointOptions = {}): void {
  const root = opts.root ?? (basename(path, extname(path)).replace(/[^A-Za-z0-9_.-]/g, '_') || 'archive');
  writeFileAtomic(path, writeCheckpointChunks(obj, { crc32: crc32Node, ...opts, root }));
}

export function readNpyFile(path: string): HostTensor {
  return readNpy(readFileBytes(path), path);
}

export function writeNpyFile(path: string, t: HostTensor): void {
  writeFileAtomic(path, [npyHeader(t.dtype, t.shape), hostBytes(t)]);
}
