// Every CNN fixture through the ONNX Runtime engine: logits within t = max(1e-3, 3·fp32-vs-fp64)
// and argmax agreement ≥ 99.99% on confident pixels, as `npm run parity` checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runParity, summaryLine } from '../../src/parity/fixture.js';
import { onnxRunner } from '../../src/parity/parity-onnx.js';
import { CNN_FIXTURES, fixture, requireFixtures } from './fixtures.js';

requireFixtures();
for (const [name] of CNN_FIXTURES) {
  test(`parity on onnx: ${name}`, async () => {
    const r = await runParity(fixture(name), onnxRunner(2));
    const stages = r.stages.map((s) => `${s.name}=${s.maxAbs.toExponential(2)}`).join(' ');
    assert.ok(r.pass, `${summaryLine(r)} (${stages})`);
    assert.ok(r.maxAbs <= r.tol);
    assert.ok(r.argmaxPixels > 1000, `only ${r.argmaxPixels} confident pixels checked`);
    // Every stored stage was compared, and the backbone taps are close too.
    assert.ok(r.stages.length >= 8);
    for (const s of r.stages) assert.ok(Number.isFinite(s.maxAbs), `${s.file}: shape mismatch`);
  });
}
