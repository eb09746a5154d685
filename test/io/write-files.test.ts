import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFilesAtomic } from '../../src/io/write-files.js';

test('all files appear together, or none (no temporaries left)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'segface-write-'));
  try {
    await writeFilesAtomic([{ path: join(dir, 'a.png'), data: new Uint8Array([1, 2]) }, { path: join(dir, 'sub', 'b.json'), data: '{}' }]);
    assert.deepEqual(readdirSync(dir, { recursive: true }).map(String).sort(), ['a.png', 'sub', join('sub', 'b.json')]);
    assert.deepEqual([...readFileSync(join(dir, 'a.png'))], [1, 2]);
    // The third target is an existing folder: renaming onto it fails after the first two
    // were renamed into place; they must be rolled back.
    mkdirSync(join(dir, 'c.png'));
    await assert.rejects(writeFilesAtomic([
      { path: join(dir, 'x.png'), data: 'x' }, { path: join(dir, 'y.png'), data: 'y' }, { path: join(dir, 'c.png'), data: 'c' },
    ]));
    assert.deepEqual(readdirSync(dir).sort(), ['a.png', 'c.png', 'sub']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
