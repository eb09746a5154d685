import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../src/errors.js';
import { readCheckpointFile, readCheckpointFileAsync, readFileBytesAsync } from '../../src/io/files.js';
import { crc32, readZip, writeZip, type ZipEntry } from '../../src/io/zip.js';
import { ZipCrcAhead } from '../../src/io/zip-crc-ahead.js';
import { stateDictFromCheckpoint } from '../../src/io/checkpoint.js';

const FIXTURE = '../shared/fixtures/mobilenet_seed0_512/model.pt';

function archive(forceZip64: boolean): Uint8Array {
  let s = 7;
  const rnd = (n: number) => Uint8Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 24));
  return writeZip([
    { name: 'a/data.pkl', data: rnd(300) },
    { name: 'a/data/0', data: rnd(100_000) },
    { name: 'a/data/1', data: new Uint8Array(0) },
    { name: 'a/data/2', data: rnd(7777) },
  ], { forceZip64 });
}

test('CRCs summed while the archive arrives in pieces equal readZip\'s, for every entry', () => {
  for (const z64 of [false, true]) {
    const zip = archive(z64);
    for (const step of [1, 29, 4096, zip.length]) {
      const ahead = new ZipCrcAhead(zip, crc32);
      for (let end = step; ; end += step) {
        ahead.advance(Math.min(end, zip.length));
        if (end >= zip.length) break;
      }
      for (const e of readZip(zip, 'z.zip')) assert.equal(ahead.lookup(e.data), e.crc32, `${e.name}, zip64 ${z64}, step ${step}`);
    }
  }
});

test('only the exact summed range is answered; an unusual entry stops the walk', () => {
  const zip = archive(false);
  const ahead = new ZipCrcAhead(zip, crc32);
  ahead.advance(zip.length);
  const e = readZip(zip, 'z.zip')[1]!;
  assert.equal(ahead.lookup(e.data.subarray(1)), undefined, 'another start');
  assert.equal(ahead.lookup(e.data.subarray(0, 10)), undefined, 'another length');
  assert.equal(ahead.lookup(new Uint8Array(e.data)), undefined, 'another buffer');
  // A data-descriptor flag on the second entry: the first is still summed, nothing after it.
  const odd = zip.slice();
  const [first, second] = readZip(odd, 'z.zip') as [ZipEntry, ZipEntry];
  odd[first.dataOffset + first.data.length + 6]! |= 8; // the second local header follows the first entry's data
  const ahead2 = new ZipCrcAhead(odd, crc32);
  ahead2.advance(odd.length);
  assert.equal(ahead2.lookup(first.data), first.crc32);
  assert.equal(ahead2.lookup(odd.subarray(second.dataOffset, second.dataOffset + second.data.length)), undefined);
});

test('readCheckpointFileAsync loads what readCheckpointFile loads, and rejects a damaged file by name', async () => {
  const a = stateDictFromCheckpoint(readCheckpointFile(FIXTURE), FIXTURE);
  const b = stateDictFromCheckpoint(await readCheckpointFileAsync(FIXTURE), FIXTURE);
  assert.ok(a.size > 100);
  assert.deepEqual([...b.keys()], [...a.keys()]);
  for (const [k, t] of a) assert.deepEqual(b.get(k)!.data, t.data, k);
  const dir = mkdtempSync(join(tmpdir(), 'segface-crc-'));
  try {
    const bytes = readFileSync(FIXTURE);
    for (let i = 0; i < 4096; i++) bytes[(bytes.length >> 1) + i] ^= 0x5a;
    const bad = join(dir, 'bad.pt');
    writeFileSync(bad, bytes);
    await assert.rejects(readCheckpointFileAsync(bad), (e: unknown) => e instanceof UserError && /bad\.pt: corrupt checkpoint .*CRC-32/.test(e.message));
    await assert.rejects(readFileBytesAsync(join(dir, 'nope.pt')), /nope\.pt: cannot open \(no such file\)/);
    const empty = join(dir, 'empty.pt');
    writeFileSync(empty, new Uint8Array(0));
    assert.equal((await readFileBytesAsync(empty)).length, 0);
    await assert.rejects(readCheckpointFileAsync(empty), /empty\.pt: not a zip archive/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
