// Where the face detector's weights are read from: the package's own copy (dist/detector/, written
// by `npm run build:detector`) and, in the repository, the dev dependency's file — the same bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { BLAZEFACE_FILE, BLAZEFACE_PACKAGE, blazeFacePath, shipBlazeFace } from '../../src/face/weights.js';

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
const upstream = join(dirname(createRequire(import.meta.url).resolve(`${BLAZEFACE_PACKAGE}/package.json`)), BLAZEFACE_FILE);

test('build:detector copies the weights unmodified, with the Apache-2.0 licence and a notice', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'segface-detector-'));
  try {
    const files = await shipBlazeFace(dir);
    assert.deepEqual(readdirSync(dir).sort(), ['LICENSE', 'NOTICE', 'face_detection_back_256x256_barracuda.onnx']);
    assert.equal(sha(files[0]!), sha(upstream));
    assert.match(readFileSync(join(dir, 'LICENSE'), 'utf8'), /Apache License\s+Version 2\.0/);
    assert.match(readFileSync(join(dir, 'NOTICE'), 'utf8'), /jp\.keijiro\.mediapipe\.blazeface@\d+\.\d+\.\d+.*Apache-2\.0/s);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the weights the detector reads are the upstream file (shipped copy or node_modules)', () => {
  assert.equal(sha(blazeFacePath()), sha(upstream));
});
