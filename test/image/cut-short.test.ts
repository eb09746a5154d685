// sharp sometimes reports a cut-short file only as "Unknown error" (libvips' error buffer is shared
// by concurrent decodes); the end markers decide then, so the user still reads "truncated".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cutShort } from '../../src/image/read.js';

const asset = (n: string) => fileURLToPath(new URL(`../../../.assets/${n}`, import.meta.url));

const JPEG = readFileSync(asset('grace_hopper.jpg'));
const PNG = readFileSync(asset('astronaut.png'));

test('cut-short JPEG and PNG are told from whole ones, for buffers and paths', async () => {
  assert.equal(await cutShort(JPEG), false);
  assert.equal(await cutShort(PNG), false);
  assert.equal(await cutShort(JPEG.subarray(0, 20_000)), true);
  assert.equal(await cutShort(PNG.subarray(0, PNG.length - 8)), true);
  assert.equal(await cutShort(Buffer.from('not a picture\n')), false);
  const dir = mkdtempSync(join(tmpdir(), 'segface-cut-'));
  try {
    writeFileSync(join(dir, 'a.jpg'), JPEG.subarray(0, 20_000));
    writeFileSync(join(dir, 'b.png'), PNG);
    assert.equal(await cutShort(join(dir, 'a.jpg')), true);
    assert.equal(await cutShort(join(dir, 'b.png')), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
