// Soft output and the one-line entries (issue 15): probabilities from the same logits as the
// labels, per-class scores, `segments()` = the classes found, `segface()` and `pipeline()`.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { pipeline, segface, type Segment } from '../../src/api/index.js';
import { ASTRONAUT, FIXTURE_CHECKPOINT } from './helpers.js';

const opts = { threads: 1 } as const;
after(() => segface.dispose());

test('probabilities, scores and segments come from the logits the labels came from', async () => {
  const photo = await sharp(ASTRONAUT).resize(120, 90).png().toBuffer();
  const parse = await pipeline('face-parsing', FIXTURE_CHECKPOINT, { ...opts, labelOrder: 'celebamask' });
  try {
    const r = await parse.parse(photo);
    assert.deepEqual(r.classes.map((c) => c.id), r.table.filter((c) => r.counts()[c.id]! > 0).map((c) => c.id), 'classes = the ones found');
    assert.equal(r.table.length, 19);
    const probs = r.table.map((c) => r.probabilities(c.id));
    assert.ok(probs.every((p) => p instanceof Float32Array && p.length === 120 * 90));
    let ties = 0;
    for (let i = 0; i < r.labels.length; i++) {
      let sum = 0, best = 0;
      for (let c = 0; c < 19; c++) { sum += probs[c]![i]!; if (probs[c]![i]! > probs[best]![i]!) best = c; }
      assert.ok(Math.abs(sum - 1) < 1e-5, `pixel ${i}: probabilities sum to ${sum}`);
      if (best !== r.labels[i]) { ties++; assert.ok(probs[best]![i]! - probs[r.labels[i]!]![i]! < 1e-6, `pixel ${i}`); }
    }
    assert.ok(ties < 5, `${ties} near-ties`);
    // The 8-bit planes are the rounded probabilities.
    const [bytes] = r.probabilityBytes([r.classes[0]!.id]);
    const f = r.probabilities(r.classes[0]!.id);
    for (let i = 0; i < f.length; i++) assert.equal(bytes![i], Math.round(f[i]! * 255));

    const segs: Segment[] = r.segments();
    assert.deepEqual(segs.map((s) => s.label), r.classes.map((c) => c.name));
    for (const s of segs) {
      assert.deepEqual(s.mask, r.mask(s.id));
      assert.equal(s.pixels, s.mask.filter((v) => v === 255).length);
      let own = 0;
      for (let i = 0; i < r.labels.length; i++) if (r.labels[i] === s.id) own += probs[s.id]![i]!;
      assert.ok(Math.abs(s.score! - own / s.pixels) < 1e-5, `${s.label} score ${s.score} = mean probability over its pixels`);
      assert.ok(s.score! > 1 / 19 && s.score! <= 1);
    }
    assert.throws(() => r.mask('hiar' as 'hair'), /unknown class "hiar" \(did you mean 'hair'\?\)/);

    // The callable gives the segments; segface() loads a model once and reuses it.
    const small = await sharp(ASTRONAUT).resize(64, 64).png().toBuffer();
    const c = await parse(small);
    const a = await segface(small, { model: FIXTURE_CHECKPOINT, ...opts });
    const b = await segface(small, { model: FIXTURE_CHECKPOINT, ...opts });
    assert.ok(a.length > 0);
    assert.deepEqual(b.map((s) => s.mask), a.map((s) => s.mask));
    assert.equal(a.reduce((n, s) => n + s.pixels, 0), 64 * 64);
    // Same pixels per class name (the pipeline numbers in celebamask order, segface() natively).
    const byName = (segs: Segment[]) => Object.fromEntries(segs.map((s) => [s.label, s.pixels]));
    assert.deepEqual(byName(c), byName(a));
  } finally {
    await parse.dispose();
  }
  await assert.rejects(pipeline('depth' as 'face-parsing'), /unknown task 'depth'/);
});
