// CRC-32 of a stored zip's entries read straight from the file in small chunks: run by a worker
// thread (crc-worker.ts) while the main thread reads and unpickles the same file, so checking a
// large checkpoint costs a second core instead of a second pass on the first. It only produces
// candidate CRCs keyed by data offset: readZip still checks every entry against its central
// record and sums any entry this did not cover, so an odd file costs time, never correctness.
import { readSync } from 'node:fs';
import type { Crc32Step } from './crc32-node.js';
import type { CentralRecord } from './zip.js';

/** For each record (same order): [data offset, crc] of its stored bytes, or undefined. */
export function entryCrcs(fd: number, fileSize: number, records: readonly Pick<CentralRecord, 'local' | 'csize'>[], crc: Crc32Step, chunk = 1 << 20): ([number, number] | undefined)[] {
  const buf = new Uint8Array(chunk);
  const header = new Uint8Array(30);
  return records.map(({ local, csize }) => {
    if (local + 30 > fileSize || readSync(fd, header, 0, 30, local) !== 30) return undefined;
    const start = local + 30 + (header[26]! | (header[27]! << 8)) + (header[28]! | (header[29]! << 8));
    if (start + csize > fileSize) return undefined;
    let c = 0;
    for (let off = 0; off < csize; ) {
      const n = readSync(fd, buf, 0, Math.min(chunk, csize - off), start + off);
      if (n <= 0) return undefined;
      c = crc(buf.subarray(0, n), c);
      off += n;
    }
    return [start, c >>> 0];
  });
}
