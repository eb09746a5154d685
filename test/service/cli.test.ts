// `segface serve` as a process: starts on a free port, answers, stops cleanly on SIGTERM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURE, makeImage } from './helpers.js';

test('segface serve --port 0 listens, parses an upload, exits 0 on SIGTERM', async () => {
  const cache = mkdtempSync(join(tmpdir(), 'segface-serve-cli-'));
  const child = spawn(process.execPath, ['dist/src/cli/main.js', 'serve', '--model', FIXTURE, '--port', '0', '--threads', '1', '--cache-dir', cache, '--queue', '4'], { stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    let err = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(err);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
    });
    const h = await (await fetch(`${url}/healthz`)).json() as { status: string; queue: { capacity: number } };
    assert.equal(h.status, 'ok');
    assert.equal(h.queue.capacity, 4);
    const r = await fetch(`${url}/parse?format=labels`, { method: 'POST', body: new Uint8Array(await makeImage(64, 48)), headers: { 'content-type': 'image/png' } });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('x-segface-size'), '64x48');
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(cache, { recursive: true, force: true });
  }
});

test('segface serve refuses bad options with one line', async () => {
  const child = spawn(process.execPath, ['dist/src/cli/main.js', 'serve', '--model', FIXTURE, '--port', '70000'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const [code] = await once(child, 'exit');
  assert.equal(code, 1);
  assert.match(err, /--port must be 0…65535, got '70000'/);
});
