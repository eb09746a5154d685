// The CRC-32 check of a large checkpoint runs on a worker thread (io/crc-worker.ts) while the main
// thread reads the file. It must cover every entry of a torch-written file and never change what
// a load decides: damaged files give the same UserError as readCheckpoint on the same bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCheckpoint } from '../../src/io/checkpoint.js';
import { crc32Step } from '../../src/io/crc32-node.js';
import { entryCrcs } from '../../src/io/entry-crcs.js';
import { readCheckpointFile, readFileBytes } from '../../src/io/files.js';
import { readCentralDirectory, readZip } from '../../src/io/zip.js';
import { rng } from '../reliability/fuzz-helpers.js';

const FILE = '../shared/fixtures/mobilenet_seed0_512/model.pt';
const orig = readFileBytes(FILE);

test('entry CRCs read in chunks cover every entry of a torch file (data descriptors, 64-byte padding)', () => {
  const fd = openSync(FILE, 'r');
  try {
    const got = entryCrcs(fd, orig.length, readCentralDirectory(orig, FILE), crc32Step, 65_537);
    const entries = readZip(orig, FILE);
    assert.ok(entries.length > 100);
    entries.forEach((e, i) => assert.deepEqual(got[i], [e.dataOffset, e.crc32], e.name));
  } finally {
    closeSync(fd);
  }
});

function outcome(f: () => unknown): string {
  try {
    f();
    return 'loaded';
  } catch (e) {
    return `${(e as Error).constructor.name}: ${(e as Error).message}`;
  }
}

test('damaged files: the worker-checked load decides exactly as readCheckpoint on the same bytes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'segface-crc-'));
  const path = join(dir, 'model.pt');
  try {
    const { int } = rng(20261201);
    const eocd = orig.length - 22;
    const kinds: [string, (b: Uint8Array) => Uint8Array][] = [
      ['flip in the data', (b) => ((b[int(b.length - 200_000)]! ^= 1 << int(8)), b)],
      ['flip in the tail', (b) => ((b[b.length - 1 - int(60_000)]! ^= 0xff), b)],
      ['flip in the EOCD', (b) => ((b[eocd + 8 + int(12)]! ^= 0x10), b)],
      ['truncated', (b) => b.subarray(0, int(b.length))],
    ];
    let rejected = 0;
    for (let i = 0; i < 20; i++) {
      const [kind, mutate] = kinds[i % kinds.length]!;
      writeFileSync(path, mutate(orig.slice()));
      const viaWorker = outcome(() => readCheckpointFile(path, { crcWorkerMinBytes: 0 }));
      const viaBytes = outcome(() => readCheckpoint(readFileBytes(path), path));
      assert.equal(viaWorker, viaBytes, `${kind} (#${i})`);
      if (viaWorker !== 'loaded') rejected++;
    }
    assert.ok(rejected >= 10, `only ${rejected} of 20 mutants rejected`);
    writeFileSync(path, orig);
    assert.equal(outcome(() => readCheckpointFile(path, { crcWorkerMinBytes: 0 })), 'loaded');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
