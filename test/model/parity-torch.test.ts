// Every CNN fixture through the libtorch engine (eager, CPU, float32): same bounds as
// `npm run parity -- <folder> --runtime torch`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runParity, summaryLine } from '../../src/parity/fixture.js';
import { torchRunner } from '../../src/parity/parity-torch.js';
import { CNN_FIXTURES, fixture, requireFixtures } from './fixtures.js';

requireFixtures();
for (const [name] of CNN_FIXTURES) {
  test(`parity on torch: ${name}`, async () => {
    const r = await runParity(fixture(name), torchRunner(2));
    const stages = r.stages.map((s) => `${s.name}=${s.maxAbs.toExponential(2)}`).join(' ');
    assert.ok(r.pass, `${summaryLine(r)} (${stages})`);
    assert.ok(r.argmaxPixels > 1000, `only ${r.argmaxPixels} confident pixels checked`);
    for (const s of r.stages) assert.ok(Number.isFinite(s.maxAbs), `${s.file}: shape mismatch`);
  });
}
