import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MultiStepLR, parseMilestones } from '../../src/train/schedule.js';

test('MultiStepLR 80,200 gives 1e-4 / 1e-5 / 1e-6 per epoch like PyTorch', () => {
  const s = new MultiStepLR([1e-4], parseMilestones('80,200'), 0.1);
  const lrs: number[] = [s.lastLr[0]!];
  for (let e = 1; e < 300; e++) lrs.push(s.step()[0]!);
  const close = (a: number, b: number) => Math.abs(a - b) <= 1e-12 * b;
  for (let e = 0; e < 300; e++) {
    const want = e < 80 ? 1e-4 : e < 200 ? 1e-5 : 1e-6;
    assert.ok(close(lrs[e]!, want), `epoch ${e}: ${lrs[e]} vs ${want}`);
  }
  const st = s.stateDict();
  assert.equal(st.last_epoch, 299);
  assert.equal(st._step_count, 300);
  assert.deepEqual([...st.milestones], [[80, 1], [200, 1]]);
  assert.deepEqual(Object.keys(st), ['milestones', 'gamma', 'base_lrs', 'last_epoch', 'verbose', '_step_count', '_get_lr_called_within_step', '_last_lr']);
});

test('MultiStepLR state round-trips and repeated milestones compound', () => {
  const s = new MultiStepLR([1, 2], [2, 2, 4], 0.5);
  assert.deepEqual(s.lrAt(1), [1, 2]);
  assert.deepEqual(s.lrAt(2), [0.25, 0.5]);
  assert.deepEqual(s.lrAt(4), [0.125, 0.25]);
  s.step(); s.step(); s.step();
  const t = new MultiStepLR([1, 2], [9], 0.1);
  t.loadStateDict(s.stateDict());
  assert.equal(t.lastEpoch, 3);
  assert.deepEqual(t.lastLr, s.lastLr);
  assert.throws(() => parseMilestones('80,x'), /lr_schedule/);
});
