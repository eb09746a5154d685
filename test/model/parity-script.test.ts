// The `npm run parity` script: exact last line, exit status 0 on a passing fixture and non-zero
// when the stored logits disagree beyond the tolerance.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNpyFile, writeNpyFile } from '../../src/io/files.js';
import { fixture, requireFixtures } from './fixtures.js';

requireFixtures();
const SCRIPT = join(process.cwd(), 'dist', 'scripts', 'parity.js');
const LAST = /^parity (.+): max_abs=(\S+) tol=(\S+) argmax_agree=(\S+)$/;

const runScript = (folder: string) => {
  const r = spawnSync(process.execPath, [SCRIPT, folder, '--threads', '2'], { encoding: 'utf8' });
  const lines = r.stdout.trim().split('\n');
  return { status: r.status, lines, last: lines[lines.length - 1]!, stderr: r.stderr };
};

test('passing fixture: exit 0, one line per stored stage, fixed last line', () => {
  const folder = fixture('mobilenet_hash_256');
  const r = runScript(folder);
  assert.equal(r.status, 0, r.stderr);
  const m = LAST.exec(r.last);
  assert.ok(m, r.last);
  assert.equal(m[1], folder);
  assert.ok(Number(m[2]) < 1e-4 && Number(m[3]) === 1e-3 && Number(m[4]) === 100);
  for (const f of ['feat_tap0.npy', 'feat_fused_s3.npy', 'feat_tokens_out.npy', 'feat_hyper_in.npy', 'feat_upscaled_s3.npy', 'logits.npy']) {
    assert.ok(r.lines.some((l) => l.includes(f)), `no line for ${f}`);
  }
});

test('perturbed reference logits: exit 1 and the diff in the last line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parity-'));
  try {
    cpSync(fixture('mobilenet_hash_256'), dir, { recursive: true });
    const ref = readNpyFile(join(dir, 'logits.npy'));
    const data = Float32Array.from(ref.data as Float32Array);
    data[12345] = data[12345]! + 0.01;
    rmSync(join(dir, 'logits.npy'));
    writeNpyFile(join(dir, 'logits.npy'), { ...ref, data });
    const r = runScript(dir);
    assert.equal(r.status, 1);
    const m = LAST.exec(r.last);
    assert.ok(m && Number(m[2]) > 9e-3 && Number(m[2]) < 1.1e-2, r.last);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
