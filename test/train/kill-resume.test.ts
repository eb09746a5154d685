import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readTrainCheckpoint } from '../../src/train/checkpoint.js';
import { tempDir, tinySynthSet } from './train-helpers.js';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

function trainArgs(data: string, logs: string, extra: string[] = []): string[] {
  return [cli, 'train', '--dataset', 'synthetic', '--data_path', data, '--log_path', logs, '--expt_name', 'k',
    '--model', 'mobilenet', '--input_resolution', '64', '--train_bs', '2', '--epochs', '3', '--num_workers', '0',
    '--val_interval', '100', '--max_val_images', '1', '--threads', '1', '--no-progress', ...extra];
}

function start(args: string[]): { child: ChildProcess; stderr: () => string; done: Promise<{ code: number | null; signal: string | null; stderr: string }> } {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => { stderr += d; });
  child.stdout!.resume();
  const done = new Promise<{ code: number | null; signal: string | null; stderr: string }>((res) => {
    child.on('exit', (code, signal) => res({ code, signal, stderr }));
  });
  return { child, done, stderr: () => stderr };
}

async function waitFor(cond: () => boolean, what: string, run: ReturnType<typeof start>, ms = 300_000): Promise<void> {
  const t0 = Date.now();
  let exited = false;
  void run.done.then(() => { exited = true; });
  while (!cond()) {
    if (exited) throw new Error(`training exited before ${what}: ${(await run.done).stderr}`);
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}: ${run.stderr()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('a run killed with SIGKILL mid-epoch and resumed ends with all epochs, losing only the one in progress', async () => {
  const data = await tinySynthSet();
  const logs = tempDir('segface-kill-');
  const dir = join(logs, 'ckpts', 'k');
  const run = start(trainArgs(data, logs));
  await waitFor(() => existsSync(join(dir, 'model_0.pt')), 'the first checkpoint', run);
  run.child.kill('SIGKILL');
  const killed = await run.done;
  assert.equal(killed.signal, 'SIGKILL');
  assert.ok(!existsSync(join(dir, 'model_1.pt')), 'killed during epoch 1');

  const resumed = start(trainArgs(data, logs, ['--resume']));
  const r = await resumed.done;
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /resumed from .*model_0\.pt: epoch 0 done, 4 iterations/);
  const names = readdirSync(dir);
  assert.deepEqual(names.filter((n) => n.endsWith('.pt')).sort(), ['model_0.pt', 'model_1.pt', 'model_2.pt']);
  assert.ok(!names.some((n) => n.endsWith('.tmp') || n.includes('.tmp-')), 'no temp files left behind');
  const epochs = readFileSync(join(dir, 'train_log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).epoch);
  assert.deepEqual(epochs, [0, 1, 2]);
  const last = await readTrainCheckpoint(join(dir, 'model_2.pt'));
  assert.equal(last.epoch, 2);
  assert.equal(last.iteration, 12); // 3 epochs × 4 steps: nothing counted twice
});

test('Ctrl-C (SIGINT) saves the weights and exits cleanly', async () => {
  const data = await tinySynthSet();
  const logs = tempDir('segface-int-');
  const dir = join(logs, 'ckpts', 'k');
  const run = start(trainArgs(data, logs));
  await waitFor(() => existsSync(join(dir, 'model_0.pt')), 'the first checkpoint', run);
  run.child.kill('SIGINT');
  const r = await run.done;
  assert.equal(r.code, 130, r.stderr);
  assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, 'no stack trace');
  assert.match(r.stderr, /interrupted in epoch 1/);
  const saved = await readTrainCheckpoint(join(dir, 'interrupted_epoch1.pt'));
  assert.equal(saved.epoch, 1);
  assert.ok(saved.iteration >= 4 && saved.iteration <= 8);
});
