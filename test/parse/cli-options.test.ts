// CLI rough edges (issue 15): --version, the two meanings of --model with pointers to the right
// flag, "did you mean" for registry ids, and parse --recursive --keep-structure --no-progress.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { ASTRONAUT, FIXTURE_CHECKPOINT, segface } from './helpers.js';

let tmp: string;
const env = { SEGFACE_OFFLINE: '1' };
before(() => { tmp = mkdtempSync(join(tmpdir(), 'segface-cli-opts-')); });
after(() => rmSync(tmp, { recursive: true, force: true }));

test('--version, and --model vs --model_path explained where each is wrong', async () => {
  const v = await segface(['--version'], env);
  assert.equal(v.code, 0);
  assert.equal(v.stdout.trim(), JSON.parse(readFileSync('package.json', 'utf8')).version);

  const typo = await segface(['parse', ASTRONAUT, '--model', 'mobilnet_celeba_512', '--out', join(tmp, 'x')], env);
  assert.equal(typo.code, 1);
  assert.match(typo.stderr, /unknown model 'mobilnet_celeba_512' \(did you mean 'mobilenet_celeba_512'\?\)/);

  const none = await segface(['parse', ASTRONAUT, '--out', join(tmp, 'x')], env);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /required option '-m, --model <model>' not specified.*--model_path/s);

  const test1 = await segface(['test', '--dataset', 'celebamask_hq', '--model', 'ckpt/model_299.pt', '--model_path', 'other.pt'], env);
  assert.equal(test1.code, 1);
  assert.match(test1.stderr, /in `segface test` --model is the backbone .* and the checkpoint is --model_path/);

  const train = await segface(['train', '--model', 'model_299.pt'], env);
  assert.equal(train.code, 1);
  assert.match(train.stderr, /--model model_299\.pt: in `segface train` \(official flags\) --model is the backbone .*pass --init model_299\.pt/);
  const train2 = await segface(['train', '--model', 'mobilenett'], env);
  assert.match(train2.stderr, /unknown backbone 'mobilenett' \(did you mean 'mobilenet'\?\)/);

  const help = await segface(['parse', '--help'], env);
  assert.match(help.stdout, /--keep-structure/);
  assert.match(help.stdout, /--no-progress/);
  assert.match(help.stdout.replace(/\s+/g, ' '), /in `segface test`\/`train`, --model is the backbone and the checkpoint is --model_path/);
});

test('parse --model_path (with a note), --recursive --keep-structure --no-progress', async () => {
  const src = join(tmp, 'photos');
  mkdirSync(join(src, 'a'), { recursive: true });
  mkdirSync(join(src, 'b'), { recursive: true });
  const small = await sharp(ASTRONAUT).resize(40, 32).png().toBuffer();
  await sharp(small).toFile(join(src, 'a', 'x.png'));
  await sharp(small).toFile(join(src, 'b', 'x.png'));
  const out = join(tmp, 'out');
  const r = await segface(['parse', src, '--model_path', FIXTURE_CHECKPOINT, '--recursive', '--keep-structure', '--no-progress', '--outputs', 'labels', '--out', out, '--threads', '1'], env);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /note: in `segface parse` the checkpoint flag is --model; using --model_path/);
  assert.deepEqual(readdirSync(out, { recursive: true }).map(String).filter((f) => f.endsWith('.png')).sort(), [join('a', 'x.labels.png'), join('b', 'x.labels.png')]);
  assert.equal(r.stdout.trim().split('\n').length, 2, 'one line per image without a progress bar');
});
