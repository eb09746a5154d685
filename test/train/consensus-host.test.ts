import { test } from 'node:test';
import assert from 'node:assert/strict';
import { consensusLossHost } from '../../src/train/consensus-host.js';
import { consensusCaseNames, loadConsensusCase } from './consensus-fixtures.js';

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

for (const name of consensusCaseNames) {
  test(`host float64 consensus loss matches the reference: ${name}`, () => {
    const k = loadConsensusCase(name);
    const r = consensusLossHost(k.pred, k.maskCc, k.maskClass, k.shape, k.options);
    assert.ok(Math.abs(r.loss - k.loss) <= 1e-6 * Math.abs(k.loss), `loss ${r.loss} vs ${k.loss}`);
    const want = k.gradFinite ?? k.grad;
    assert.ok(r.grad.every(Number.isFinite));
    const d = maxAbsDiff(r.grad, want);
    assert.ok(d <= 1e-7, `gradient differs by ${d}`);
    k.blobs.forEach((b, i) => {
      assert.ok(Math.abs(r.labelTerm[i]! - b.label_term) <= 1e-6 + 1e-5 * Math.abs(b.label_term), `blob ${b.id} label term`);
      assert.ok(Math.abs(r.consensusTerm[i]! - b.consensus_term) <= 1e-6, `blob ${b.id} consensus term`);
    });
  });
}
