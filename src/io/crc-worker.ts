// Worker thread: the CRCs of a checkpoint's entries (entry-crcs.ts), written into the shared
// buffer the main thread waits on: [state, then (data offset, crc) per record as float64].
// state: 0 starting, 3 running, 1 done, 2 failed. The main thread never needs a message from here.
import { closeSync, fstatSync, openSync } from 'node:fs';
import { workerData } from 'node:worker_threads';
import { crc32Step } from './crc32-node.js';
import { entryCrcs } from './entry-crcs.js';

const { path, records, shared } = workerData as { path: string; records: { local: number; csize: number }[]; shared: SharedArrayBuffer };
const state = new Int32Array(shared, 0, 1);
const out = new Float64Array(shared, 8);
Atomics.store(state, 0, 3);
Atomics.notify(state, 0);
let status = 2;
try {
  const fd = openSync(path, 'r');
  try {
    entryCrcs(fd, fstatSync(fd).size, records, crc32Step).forEach((r, i) => {
      out[2 * i] = r ? r[0] : -1;
      out[2 * i + 1] = r ? r[1] : 0;
    });
    status = 1;
  } finally {
    closeSync(fd);
  }
} finally {
  Atomics.store(state, 0, status);
  Atomics.notify(state, 0);
}
