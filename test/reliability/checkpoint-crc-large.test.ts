// Large checkpoints have their CRC-32s checked on a worker thread while the file is read
// (src/io/crc-check.ts): a damaged entry must still fail the synchronous load with the same
// UserError as the inline check, and an intact file must load identically.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, openSync, readSync, rmSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCheckpointFile, writeCheckpointFile } from '../../src/io/files.js';
import { CONCURRENT_CRC_BYTES } from '../../src/io/crc-check.js';
import { hostTensor, type StateDict } from '../../src/io/host-tensor.js';
import { OrderedDict } from '../../src/io/py-values.js';
import { UserError } from '../../src/errors.js';

test('a checkpoint over the concurrent-CRC size: intact loads bit-identically, one flipped byte in any tensor is refused by name', () => {
  const dir = mkdtempSync(join(tmpdir(), 'segface-crc-large-'));
  try {
    const sd: StateDict = new OrderedDict();
    const per = 1 << 20; // floats per tensor (4 MiB)
    const n = Math.ceil(CONCURRENT_CRC_BYTES / (4 * per)) + 2;
    for (let t = 0; t < n; t++) sd.set(`layer${t}.weight`, hostTensor('float32', [per], Float32Array.from({ length: per }, (_, i) => (i * 7 + t) % 97)));
    const file = join(dir, 'big.pt');
    writeCheckpointFile(file, sd);
    const back = readCheckpointFile(file) as StateDict;
    for (const [k, v] of sd) assert.deepEqual((back.get(k) as typeof v).data, v.data, k);

    // Flip one byte in the first, a middle and the last tensor (in turn): each load is refused.
    const fd = openSync(file, 'r+');
    try {
      for (const t of [0, n >> 1, n - 1]) {
        const at = 4096 + t * 4 * per + 123_457; // inside tensor t's data (records are laid out in order)
        const b = Buffer.alloc(1);
        readSync(fd, b, 0, 1, at);
        writeSync(fd, Buffer.from([b[0]! ^ 0x5a]), 0, 1, at);
        assert.throws(() => readCheckpointFile(file), (e: unknown) =>
          e instanceof UserError && e.message.startsWith(`${file}: corrupt checkpoint (entry '`) && /fails its CRC-32 check/.test(e.message));
        writeSync(fd, b, 0, 1, at);
      }
    } finally {
      closeSync(fd);
    }
    assert.ok(readCheckpointFile(file) instanceof Map, 'restored file loads again');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
