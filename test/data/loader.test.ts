import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openSplit } from '../../src/data/datasets.js';
import { DataLoader } from '../../src/data/loader.js';
import { writeSynthCelebA } from '../../src/data/synth/write.js';
import { UserError } from '../../src/errors.js';
import { tempDir } from './helpers.js';

test('loader: drop_last batches, seeded shuffles, worker threads give the same bytes as inline loading', async () => {
  const base = tempDir();
  const root = join(base, 'd');
  try {
    await writeSynthCelebA({ out: root, n: 12, resolution: 64, seed: 2, valFrac: 0, testFrac: 0.01 });
    const idx = await openSplit('celebamask_hq', 'train', root); // 10: n ≥ 3 keeps one val and one test image
    const n = idx.samples.length;
    const inline = new DataLoader(idx, { resolution: 32, batchSize: 4, numWorkers: 0 });
    const threaded = new DataLoader(idx, { resolution: 32, batchSize: 4, numWorkers: 2, prefetch: 3 });
    try {
      assert.equal(inline.length, Math.floor(n / 4));
      const a = [], b = [];
      for await (const x of inline.epoch(0)) a.push(x);
      for await (const x of threaded.epoch(0)) b.push(x);
      assert.equal(a.length, Math.floor(n / 4));
      assert.deepEqual(a.map((x) => x.names), b.map((x) => x.names));
      assert.deepEqual(a.flatMap((x) => x.names), idx.samples.slice(0, a.length * 4).map((s) => s.name));
      for (let i = 0; i < a.length; i++) {
        assert.deepEqual(a[i]!.images, b[i]!.images);
        assert.deepEqual(a[i]!.labels, b[i]!.labels);
        assert.equal(a[i]!.images.length, 4 * 3 * 32 * 32);
      }
    } finally {
      await inline.close();
      await threaded.close();
    }
    const shuf = new DataLoader(idx, { resolution: 32, batchSize: 2, shuffle: true, seed: 9, dropLast: false });
    try {
      const e0 = shuf.order(0), e0b = shuf.order(0), e1 = shuf.order(1);
      assert.deepEqual(e0, e0b);
      assert.notDeepEqual(e0, e1);
      assert.deepEqual([...e0].sort((x, y) => x - y), Array.from({ length: n }, (_, i) => i));
      assert.equal(shuf.length, Math.ceil(n / 2));
    } finally {
      await shuf.close();
    }
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('loader: a broken file in a worker surfaces as the UserError naming it', async () => {
  const base = tempDir();
  const root = join(base, 'd');
  try {
    await writeSynthCelebA({ out: root, n: 6, resolution: 32, seed: 4 });
    const idx = await openSplit('celebamask_hq', 'train', root);
    writeFileSync(idx.samples[2]!.image, Buffer.from('truncated'));
    const dl = new DataLoader(idx, { resolution: 32, batchSize: 2, numWorkers: 1 });
    try {
      await assert.rejects(async () => { for await (const _ of dl.epoch(0)) { /* consume */ } },
        (e: Error) => e instanceof UserError && e.message.includes(idx.samples[2]!.image));
    } finally {
      await dl.close();
    }
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
