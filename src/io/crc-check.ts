// The CRC-32 check of a large checkpoint, run on a worker thread while the loader reads and
// parses the same file, so its cost hides behind the read where a core is free. The loader
// blocks (Atomics.wait) for the verdict before returning, so callers stay synchronous and no
// weights are handed out unchecked.
import { Worker } from 'node:worker_threads';
import { UserError } from '../errors.js';
import { crcMismatch, type ZipDirEntry } from './zip.js';

/** Files this large get the concurrent check (a worker costs a few ms to start). */
export const CONCURRENT_CRC_BYTES = 64 << 20;

export class ConcurrentCrc {
  private readonly state = new Int32Array(new SharedArrayBuffer(12));
  private readonly worker: Worker;

  /** Starts checking `dir` (the archive's central directory) through `fd`. */
  constructor(fd: number, private readonly dir: readonly ZipDirEntry[], private readonly name: string) {
    this.worker = new Worker(new URL('./crc-worker.js', import.meta.url), {
      workerData: {
        fd, shared: this.state.buffer,
        local: Float64Array.from(dir, (e) => e.local), size: Float64Array.from(dir, (e) => e.usize), crc: Uint32Array.from(dir, (e) => e.crc32),
      },
    });
    this.worker.unref();
    this.worker.on('error', () => { /* it never reported: verdict() checks inline */ });
  }

  /**
   * Waits for the worker's result; false when it never started (its 'error' event cannot
   * arrive while this thread blocks, so a worker that fails to boot is given 10 s).
   */
  private wait(): boolean {
    const t0 = Date.now();
    for (;;) {
      const s = Atomics.load(this.state, 0);
      if (s === 2) return true;
      if (s !== 1 && Date.now() - t0 > 10_000) return false;
      Atomics.wait(this.state, 0, s, 100);
    }
  }

  /**
   * Blocks until the worker is done; throws the loader's UserError for a damaged entry.
   * `inline` checks on this thread instead when the worker could not run.
   */
  verdict(inline: () => void): void {
    if (!this.wait()) return inline();
    const bad = this.state[1]!;
    if (bad === -2) return inline();
    if (bad >= 0) {
      const e = this.dir[bad]!;
      throw new UserError(crcMismatch(this.name, e.name, e.crc32, this.state[2]! >>> 0));
    }
  }

  /** Stops the check early (the load failed anyway) and waits, so the fd may be closed. */
  abandon(): void {
    Atomics.store(this.state, 0, 3);
    this.wait();
  }
}
