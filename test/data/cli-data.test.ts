import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './helpers.js';

const cli = (args: string[], cwd?: string) => spawnSync(process.execPath, [join(process.cwd(), 'dist/src/cli/main.js'), ...args], { encoding: 'utf8', cwd });

test('segface data synth, then data check with DATA_PATH from ./.env', () => {
  const base = tempDir();
  try {
    const synth = cli(['data', 'synth', '--out', join(base, 'CelebAMask-HQ'), '--n', '5', '--resolution', '48', '--seed', '2']);
    assert.equal(synth.status, 0, synth.stderr);
    assert.match(synth.stdout, /wrote 5 faces \(48×48\).*train 3, val 1, test 1/);
    writeFileSync(join(base, '.env'), `DATA_PATH=${base}\n`);
    const check = cli(['data', 'check', '--dataset', 'celebamask_hq', '--resolution', '48', '--num_workers', '0'], base);
    assert.equal(check.status, 0, check.stderr);
    assert.match(check.stdout, /celebamask_hq: 5 samples decoded/);
    assert.match(check.stdout, /neck_l\s+\d+\.\d{3}\s+\d+\.\d/);
    const bad = cli(['data', 'synth', '--out', join(base, 'CelebAMask-HQ'), '--n', '0']);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /--n must be an integer ≥ 1/);
    assert.doesNotMatch(bad.stderr, /\n\s+at /); // no stack trace
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
