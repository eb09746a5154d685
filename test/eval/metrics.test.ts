import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfusionAccumulator, argmaxLogits, computeMetrics } from '../../src/eval/metrics.js';
import { officialLines, pyRepr } from '../../src/eval/report.js';

const close = (a: number, b: number, msg?: string) => assert.ok(Math.abs(a - b) < 1e-12, `${msg ?? ''} ${a} vs ${b}`);

test('metrics on two hand-made 2×2 maps match the hand computation', () => {
  const acc = new ConfusionAccumulator(3);
  acc.add([0, 1, 1, 2], [0, 1, 2, 2]);
  acc.add([0, 0, 1, 2], [1, 0, 1, 2]);
  // hist rows = gt: [2,1,0], [0,2,1], [0,0,2]
  assert.deepEqual([...acc.hist], [2, 1, 0, 0, 2, 1, 0, 0, 2]);
  const m = computeMetrics(acc.hist, ['background', 'a', 'b']);
  close(m.pixelAccuracy, 75);
  close(m.meanAccuracy, (7 / 9) * 100);
  close(m.iou[0]!, (2 / 3) * 100);
  close(m.iou[1]!, 50);
  close(m.iou[2]!, (2 / 3) * 100);
  close(m.meanIoU, (11 / 18) * 100); // background included
  assert.deepEqual(m.f1.map(([n]) => n), ['background', 'a', 'b']);
  close(m.f1[0]![1], 0.8);
  close(m.f1[1]![1], 4 / 6);
  close(m.f1[2]![1], 0.8);
  close(m.meanF1, (4 / 6 + 0.8) / 2); // background excluded
  assert.deepEqual([...acc.gtImages], [2, 2, 2]);
});

test('label 255 is ignored and absent classes follow the official max(1, ·) / 0÷0 rules', () => {
  const acc = new ConfusionAccumulator(3);
  acc.add([255, 1, 1, 0], [2, 1, 0, 0]);
  const m = computeMetrics(acc.hist, ['bg', 'x', 'y']);
  // three counted pixels: (1→1), (1→0), (0→0)
  close(m.pixelAccuracy, (2 / 3) * 100);
  close(m.iou[2]!, 0); // tp 0 / max(1, 0)
  close(m.meanAccuracy, ((1 + 0.5 + 0) / 3) * 100);
  assert.ok(Number.isNaN(m.f1[2]![1])); // 0 / 0 as numpy gives
  assert.ok(Number.isNaN(m.meanF1));
  assert.deepEqual([...acc.gtImages], [1, 1, 0]);
});

test('Helen merged groups pool ground truth and prediction over their members', () => {
  const names = ['bg', 'face', 'lb', 'rb', 'le', 're', 'nose', 'ulip', 'imouth', 'llip', 'hair'];
  const id = (n: string) => names.indexOf(n);
  const acc = new ConfusionAccumulator(11);
  acc.add([id('le'), id('re'), id('lb'), id('nose')], [id('re'), id('le'), id('lb'), id('bg')]);
  const m = computeMetrics(acc.hist, names, true);
  const f1 = new Map(m.f1);
  assert.equal(f1.get('le'), 0);
  assert.equal(f1.get('eyes'), 1); // the swapped eyes still overlap as a group
  assert.equal(f1.get('brows'), 1);
  assert.ok(Number.isNaN(f1.get('mouth')!));
  close(f1.get('overall')!, 6 / 7);
  assert.deepEqual(m.f1.slice(11).map(([n]) => n), ['eyes', 'brows', 'mouth', 'overall']);
  // merged groups are not part of Mean_F1 (which is NaN here because several classes are absent)
  const perClass = m.f1.slice(1, 11).map(([, v]) => v);
  assert.ok(perClass.some(Number.isNaN) && Number.isNaN(m.meanF1));
});

test('out-of-range labels name the image', () => {
  const acc = new ConfusionAccumulator(3);
  assert.throws(() => acc.add([0, 5], [0, 0], 'img_7'), /img_7: label 5/);
});

test('argmax takes the first maximum over the class axis', () => {
  // b=1, C=3, 2 pixels
  const logits = new Float32Array([0, 5, 1, 5, 1, 0]);
  assert.deepEqual([...argmaxLogits(logits, 1, 3, 2)], [1, 0]);
});

test('numbers print as Python prints them', () => {
  assert.equal(pyRepr(100), '100.0');
  assert.equal(pyRepr(1e-5), '1e-05');
  assert.equal(pyRepr(0.0001), '0.0001');
  assert.equal(pyRepr(0.1 + 0.2), '0.30000000000000004');
  assert.equal(pyRepr(1.2345e16), '1.2345e+16');
  assert.equal(pyRepr(9999999999999998), '9999999999999998.0');
  assert.equal(pyRepr(95.12345678901234), '95.12345678901234');
  const acc = new ConfusionAccumulator(2);
  acc.add([0, 1], [0, 1]);
  const lines = officialLines(computeMetrics(acc.hist, ['background', 'skin']));
  assert.deepEqual(lines, [
    'Pixel accuracy: 100.000000', 'Mean accuracy: 100.000000', 'background : 100.0', 'skin : 100.0',
    'Pixel accuracy : 100.0', 'Mean accuracy : 100.0', 'Mean IU : 100.0', '-'.repeat(45),
    'Mean_F1: 1.000000 \n', 'background : 1.0', 'skin : 1.0', 'Mean_F1 : 1.0', 'Validation Done',
  ]);
});
