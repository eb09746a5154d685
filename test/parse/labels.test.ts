import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BISENET_ORDER, CELEB_CLASSES, CELEBAMASK_ORDER, LABEL_ORDERS, LAPA_CLASSES, classNames, labelLut, orderedClassNames, paletteFor, PALETTE, remapLabels,
} from '../../src/model/classes.js';
import { classRows, formatClassTable } from '../../src/cli/classes.js';
import { classTable } from '../../src/api/face-parser.js';

test('every label order is a permutation of the same 19 classes', () => {
  for (const o of LABEL_ORDERS) {
    const names = orderedClassNames('celeb', o);
    assert.equal(names.length, 19);
    assert.deepEqual([...names].sort(), [...CELEB_CLASSES].sort());
    assert.equal(names[0], 'background');
  }
});

test('the orders are the published ones', () => {
  // CelebAMask-HQ g_mask.py label_list (label = index + 1).
  assert.deepEqual(CELEBAMASK_ORDER.slice(1), ['skin', 'nose', 'eye_g', 'l_eye', 'r_eye', 'l_brow', 'r_brow', 'l_ear', 'r_ear', 'mouth', 'u_lip', 'l_lip', 'hair', 'hat', 'ear_r', 'neck_l', 'neck', 'cloth']);
  // face-parsing.PyTorch atts.
  assert.deepEqual(BISENET_ORDER.slice(1), ['skin', 'l_brow', 'r_brow', 'l_eye', 'r_eye', 'eye_g', 'l_ear', 'r_ear', 'ear_r', 'nose', 'mouth', 'u_lip', 'l_lip', 'neck', 'neck_l', 'cloth', 'hair', 'hat']);
  // Spec §5.2: native channel 11 is the inner mouth, 12 the lower lip, 15 eyeglasses.
  assert.equal(CELEB_CLASSES[11], 'mouth');
  assert.equal(CELEB_CLASSES[12], 'l_lip');
  assert.equal(CELEB_CLASSES[15], 'eye_g');
});

test('label maps convert between all three orders and back without loss', () => {
  const labels = new Uint8Array(19 * 3);
  for (let i = 0; i < labels.length; i++) labels[i] = (i * 7) % 19;
  for (const a of LABEL_ORDERS) for (const b of LABEL_ORDERS) {
    const there = remapLabels(labels, 'celeb', a, b);
    // The same pixel keeps its class name.
    for (let i = 0; i < labels.length; i++) assert.equal(orderedClassNames('celeb', b)[there[i]!], orderedClassNames('celeb', a)[labels[i]!]);
    assert.deepEqual(remapLabels(there, 'celeb', b, a), labels, `${a} -> ${b} -> ${a}`);
    // Going through the third order gives the same as going directly.
    for (const c of LABEL_ORDERS) assert.deepEqual(remapLabels(remapLabels(labels, 'celeb', a, c), 'celeb', c, b), there);
  }
  // The LUT the parser uses agrees with remapLabels from native.
  for (const o of LABEL_ORDERS) {
    const lut = labelLut('celeb', o);
    assert.deepEqual(Uint8Array.from(labels, (v) => lut[v]!), remapLabels(labels, 'celeb', 'native', o));
  }
  // Concrete spot checks: native 14 (hair) is 13 in CelebAMask-HQ, 17 in BiSeNet.
  assert.equal(labelLut('celeb', 'celebamask')[14], 13);
  assert.equal(labelLut('celeb', 'bisenet')[14], 17);
  assert.equal(labelLut('celeb', 'bisenet')[1], 14); // neck
});

test('LaPa/Helen have only their native order', () => {
  assert.deepEqual(classNames('lapa'), LAPA_CLASSES);
  assert.deepEqual(classNames('helen'), LAPA_CLASSES);
  assert.throws(() => orderedClassNames('lapa', 'bisenet'), /only for CelebAMask-HQ/);
  assert.deepEqual(labelLut('helen', 'native'), Uint8Array.from({ length: 11 }, (_, i) => i));
});

test('every class has a distinct palette colour, background black', () => {
  const p = paletteFor(CELEB_CLASSES);
  const seen = new Set<string>();
  for (let i = 0; i < 19; i++) seen.add(`${p[i * 3]},${p[i * 3 + 1]},${p[i * 3 + 2]}`);
  assert.equal(seen.size, 19);
  assert.deepEqual(PALETTE.background, [0, 0, 0]);
  for (const n of LAPA_CLASSES) assert.ok(PALETTE[n], n);
});

test('the class table lists ids in each order and colours', () => {
  const rows = classRows('celeb');
  assert.equal(rows.length, 19);
  const hair = rows.find((r) => r.name === 'hair')!;
  assert.deepEqual(hair.ids, { native: 14, celebamask: 13, bisenet: 17 });
  const text = formatClassTable('celeb');
  assert.match(text.split('\n')[0]!, /^class\s+native\s+celebamask\s+bisenet\s+colour$/);
  assert.match(text, /\nhair\s+14\s+13\s+17\s+#0000cc \(0,0,204\)/);
  assert.deepEqual(Object.keys(classRows('lapa')[0]!.ids), ['native']);
  const t = classTable('celeb', 'bisenet');
  assert.deepEqual(t.map((c) => c.name), [...BISENET_ORDER]);
  assert.deepEqual(t.map((c) => c.id), [...Array(19).keys()]);
});
