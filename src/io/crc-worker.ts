// Worker side of the concurrent CRC-32 check (see crc-check.ts): reads each zip entry's data
// through the loader's own file descriptor (positional reads into one reused buffer, so the
// page cache serves it without a second copy of the file in memory) and compares it with the
// central directory's CRC. Results go to shared memory: [state (0 starting, 1 running, 2 done,
// 3 abandoned by the loader), bad entry index (-1 none, -2 could not read), crc got].
import { readSync } from 'node:fs';
import { workerData } from 'node:worker_threads';
import * as zlib from 'node:zlib';

interface Job { fd: number; local: Float64Array; size: Float64Array; crc: Uint32Array; shared: SharedArrayBuffer }
const { fd, local, size, crc, shared } = workerData as Job;
const out = new Int32Array(shared);
const crc32 = (zlib as unknown as { crc32: (b: Uint8Array, v?: number) => number }).crc32;
const CHUNK = 4 << 20;
const buf = new Uint8Array(CHUNK);
const head = new Uint8Array(30);

const read = (b: Uint8Array, n: number, pos: number): number => {
  let got = 0;
  while (got < n) {
    const k = readSync(fd, b, got, n - got, pos + got);
    if (k <= 0) break;
    got += k;
  }
  return got;
};

Atomics.compareExchange(out, 0, 0, 1); // started (unless the loader already gave up)
let bad = -1, badCrc = 0;
try {
  for (let i = 0; i < local.length && bad < 0; i++) {
    if (Atomics.load(out, 0) === 3) break; // the loader gave up
    // Sizes and offsets were checked by the loader's own parse; a short read is a mismatch.
    if (read(head, 30, local[i]!) !== 30) { bad = i; break; }
    let pos = local[i]! + 30 + (head[26]! | (head[27]! << 8)) + (head[28]! | (head[29]! << 8));
    let left = size[i]!, c = 0;
    while (left > 0) {
      const n = read(buf, Math.min(left, CHUNK), pos);
      if (n === 0) break;
      c = crc32(buf.subarray(0, n), c);
      pos += n; left -= n;
    }
    c >>>= 0;
    if (left > 0 || c !== crc[i]) { bad = i; badCrc = c; }
  }
} catch {
  bad = bad < 0 ? -2 : bad; // an unreadable file: the loader reports it
}
out[1] = bad;
out[2] = badCrc | 0;
Atomics.store(out, 0, 2);
Atomics.notify(out, 0);
