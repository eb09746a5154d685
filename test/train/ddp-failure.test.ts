// Distributed failures end in bounded time with a message that says what to fix: a rank that
// dies (then --resume continues), a port in use, a wrong world size, an unreachable master.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { tempDir, tinySynthSet } from './train-helpers.js';
import { cli, ddpArgs, freePort, run } from './ddp-helpers.js';

/** The launcher's worker with this RANK (its children, found through /proc). */
function workerPid(launcher: number, rank: number): number | undefined {
  let kids: string[];
  try {
    kids = readFileSync(`/proc/${launcher}/task/${launcher}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  } catch {
    return undefined;
  }
  for (const k of kids) {
    try {
      if (readFileSync(`/proc/${k}/environ`, 'utf8').split('\0').includes(`RANK=${rank}`)) return Number(k);
    } catch { /* exited */ }
  }
  return undefined;
}

test('killing rank 1 makes rank 0 exit in bounded time naming rank 1; --resume continues', async () => {
  const data = await tinySynthSet();
  const logs = tempDir('segface-ddp-kill-');
  const dir = join(logs, 'ckpts', 'kill');
  const port = await freePort();
  let launcher = 0;
  const t0 = Date.now();
  const first = run(process.execPath, [cli, ...ddpArgs(data, logs, 'kill', 3, ['--nproc_per_node', '2', '--master_port', String(port)])], {}, (pid) => { launcher = pid; });
  let killedAt = 0;
  void (async () => {
    while (!existsSync(join(dir, 'model_0.pt'))) {
      if (Date.now() - t0 > 120_000) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    const pid = workerPid(launcher, 1);
    if (pid) {
      killedAt = Date.now();
      process.kill(pid, 'SIGKILL');
    }
  })();
  const r = await first;
  assert.ok(killedAt > 0, `rank 1 was never killed: ${r.out}`);
  assert.notEqual(r.code, 0);
  assert.match(r.out, /rank 1 was killed by SIGKILL/);
  assert.match(r.out, /\[rank 0\] segface: rank 0: rank 1 stopped/, r.out);
  assert.ok(Date.now() - killedAt < 30_000, `rank 0 took ${Date.now() - killedAt} ms to stop`);
  assert.ok(!existsSync(join(dir, 'model_2.pt')));

  const port2 = await freePort();
  const again = await run(process.execPath, [cli, ...ddpArgs(data, logs, 'kill', 3, ['--nproc_per_node', '2', '--master_port', String(port2), '--resume'])]);
  assert.equal(again.code, 0, again.out);
  assert.match(again.out, /resumed from .*model_\d\.pt/);
  assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.pt')).sort(), ['model_0.pt', 'model_1.pt', 'model_2.pt']);
});

test('rendezvous errors: port in use, wrong world size, unreachable master, bad RANK', async () => {
  const data = await tinySynthSet();
  const logs = tempDir('segface-ddp-err-');
  const args = (name: string) => [cli, ...ddpArgs(data, logs, name, 1, ['--dist_timeout', '3'])];
  const env = (rank: number, world: number, port: number) => ({ RANK: String(rank), WORLD_SIZE: String(world), LOCAL_RANK: '0', MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port) });

  const busy = createServer();
  await new Promise<void>((res) => busy.listen(0, '127.0.0.1', res));
  const busyPort = (busy.address() as { port: number }).port;
  const closedPort = await freePort();
  try {
    const [inUse, alone, lost, bad] = await Promise.all([
      run(process.execPath, args('busy'), env(0, 1, busyPort)),
      run(process.execPath, args('alone'), env(0, 2, await freePort())),
      run(process.execPath, args('lost'), env(1, 2, closedPort)),
      run(process.execPath, args('bad'), env(2, 2, closedPort)),
    ]);
    assert.equal(inUse.code, 1, inUse.out);
    assert.match(inUse.out, new RegExp(`MASTER_PORT ${busyPort} is already in use`));
    assert.equal(alone.code, 1, alone.out);
    assert.match(alone.out, /only 1 of 2 ranks reached the rendezvous .* is WORLD_SIZE=2 right/);
    assert.equal(lost.code, 1, lost.out);
    assert.match(lost.out, new RegExp(`rank 1: cannot reach the rendezvous at 127\\.0\\.0\\.1:${closedPort}`));
    assert.equal(bad.code, 1, bad.out);
    assert.match(bad.out, /RANK=2 is not below WORLD_SIZE=2/);
    for (const r of [inUse, alone, lost, bad]) assert.doesNotMatch(r.out, /\n\s+at /, 'no stack trace');
  } finally {
    busy.close();
  }
});
