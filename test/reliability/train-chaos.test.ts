// Training under kill -9: once while a checkpoint is being written, once mid-epoch (a seeded
// delay), each followed by --resume. No corrupt checkpoint is ever used, at most the epoch in
// progress is lost, and the losses equal an uninterrupted run's. Then the newest checkpoint is
// damaged on disk: --resume warns and falls back to the one before. And a plain `train` into the
// used folder is refused without touching it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readTrainCheckpoint } from '../../src/train/checkpoint.js';
import { runTraining } from '../../src/train/trainer.js';
import { tempDir, tinyConfig, tinySynthSet } from '../train/train-helpers.js';
import { rng } from './fuzz-helpers.js';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const EPOCHS = 3;

const args = (data: string, logs: string, extra: string[] = []) => [cli, 'train', '--dataset', 'synthetic', '--data_path', data,
  '--log_path', logs, '--ckpt_path', 'ckpts', '--expt_name', 'tiny', '--model', 'mobilenet', '--input_resolution', '64', '--train_bs', '2',
  '--epochs', String(EPOCHS), '--max_iters', '2', '--num_workers', '0', '--val_interval', '100', '--max_val_images', '1', '--threads', '1',
  '--lr', '0.001', '--no-progress', ...extra];

interface Run { child: ChildProcess; done: Promise<{ code: number | null; signal: string | null; stderr: string }> }
function start(a: string[]): Run {
  const child = spawn(process.execPath, a, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => { stderr += d; });
  return { child, done: new Promise((res) => child.on('exit', (code, signal) => res({ code, signal, stderr }))) };
}

async function until(cond: () => boolean, run: Run, what: string): Promise<void> {
  let exited = false;
  void run.done.then(() => { exited = true; });
  const t0 = Date.now();
  while (!cond()) {
    if (exited) throw new Error(`training ended before ${what}: ${(await run.done).stderr}`);
    if (Date.now() - t0 > 120_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const epochLosses = (dir: string) => readFileSync(join(dir, 'train_log.jsonl'), 'utf8').trim().split('\n')
  .map((l) => JSON.parse(l) as { epoch: number; loss: number; iteration: number });

/** Every model_N.pt in `dir` verifies (CRCs, structure) and holds epoch N. */
async function assertCheckpointsSound(dir: string): Promise<number[]> {
  const epochs = readdirSync(dir).flatMap((n) => { const m = /^model_(\d+)\.pt$/.exec(n); return m ? [Number(m[1])] : []; }).sort();
  for (const e of epochs) assert.equal((await readTrainCheckpoint(join(dir, `model_${e}.pt`))).epoch, e);
  return epochs;
}

test('kill -9 mid-checkpoint-write and mid-epoch, then --resume: same losses as an uninterrupted run; a damaged newest checkpoint falls back; a used folder is refused', async () => {
  const data = await tinySynthSet();
  const r = rng(14_005);
  // The uninterrupted reference.
  const ref = await runTraining(tinyConfig(data, tempDir('segface-chaos-ref-'), { epochs: EPOCHS, maxIters: 2, exptName: 'tiny' }));
  const refLoss = ref.records.map((x) => x.loss);
  assert.equal(refLoss.length, EPOCHS);

  const logs = tempDir('segface-chaos-');
  const dir = join(logs, 'ckpts', 'tiny');
  const tempOf = (n: string) => () => existsSync(dir) && readdirSync(dir).some((f) => f.startsWith(`.${n}.`) && f.endsWith('.tmp'));

  // 1. Killed while model_1.pt is being written (its temp file exists, the rename has not happened).
  const a = start(args(data, logs));
  await until(tempOf('model_1.pt'), a, 'the write of model_1.pt');
  a.child.kill('SIGKILL');
  assert.equal((await a.done).signal, 'SIGKILL');
  const after1 = await assertCheckpointsSound(dir);
  assert.ok(after1.includes(0) && !after1.includes(2), `checkpoints after the first kill: ${after1}`);

  // 2. Resumed, then killed mid-epoch at a seeded moment after the next checkpoint.
  const b = start(args(data, logs, ['--resume']));
  const delay = r.int(300);
  await until(() => existsSync(join(dir, 'model_1.pt')), b, 'model_1.pt');
  await new Promise((res) => setTimeout(res, delay));
  b.child.kill('SIGKILL');
  const killedB = await b.done;
  await assertCheckpointsSound(dir);
  void killedB;

  // 3. Resumed to the end.
  const c = await start(args(data, logs, ['--resume'])).done;
  assert.equal(c.code, 0, c.stderr);
  assert.deepEqual(await assertCheckpointsSound(dir), [0, 1, 2]);
  const log = epochLosses(dir);
  assert.deepEqual(log.map((x) => x.epoch), [0, 1, 2], 'each epoch logged once');
  assert.deepEqual(log.map((x) => x.loss), refLoss, 'losses equal the uninterrupted run');
  assert.equal(log[2]!.iteration, EPOCHS * 2);
  assert.ok(!readdirSync(dir).some((f) => f.endsWith('.tmp')), 'the killed write\'s temp file was removed');

  // 4. The newest checkpoint damaged on disk (4 KB XORed in the middle): a warning, then epoch 2 again from model_1.
  const p2 = join(dir, 'model_2.pt');
  const bytes = readFileSync(p2);
  const mid = bytes.length >> 1;
  for (let i = 0; i < 4096; i++) bytes[mid + i] ^= 0x5a;
  writeFileSync(p2, bytes);
  const d = await start(args(data, logs, ['--resume'])).done;
  assert.equal(d.code, 0, d.stderr);
  assert.match(d.stderr, /warning: --resume: .*model_2\.pt: corrupt checkpoint \(entry '.*' fails its CRC-32 check.*\(skipped\); resuming from .*model_1\.pt instead/);
  assert.match(d.stderr, /resumed from .*model_1\.pt: epoch 1 done, 4 iterations/);
  assert.deepEqual(epochLosses(dir).map((x) => x.loss), refLoss, 'the re-run epoch has the same loss; no record twice');
  assert.equal((await readTrainCheckpoint(p2)).epoch, 2, 'model_2.pt rewritten whole');

  // 5. A plain `train` into the used folder is refused and changes nothing.
  const logSize = statSync(join(dir, 'train.log')).size;
  const m0 = readFileSync(join(dir, 'model_0.pt'));
  const e = await start(args(data, logs)).done;
  assert.equal(e.code, 1);
  assert.match(e.stderr, /ckpts\/tiny: this experiment folder already holds a run \(model_0\.pt, .*\); pass --resume to continue it/);
  assert.doesNotMatch(e.stderr, /at .*\.js:\d+/);
  assert.equal(statSync(join(dir, 'train.log')).size, logSize, 'log untouched');
  assert.ok(readFileSync(join(dir, 'model_0.pt')).equals(m0), 'model_0.pt untouched');
  console.log(`train chaos: killed during the write of model_1.pt, then ${delay} ms after model_1.pt; 1 damaged checkpoint skipped; 1 reuse refused`);
});
