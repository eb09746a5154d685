import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../src/errors.js';
import { downloadFile } from '../../src/hub/download.js';
import { cachedCheckpointPath, checkpointUrl } from '../../src/hub/paths.js';
import { resolveModel } from '../../src/hub/resolve.js';
import { FIXTURE_CHECKPOINT, startHub, type HubServer } from './hub-server.js';

const ID = 'mobilenet_celeba_512';
const bytes = new Uint8Array(readFileSync(FIXTURE_CHECKPOINT));
const sha = createHash('sha256').update(bytes).digest('hex');
let hub: HubServer;
let cache: string;

before(async () => { hub = await startHub({ [`${ID}/model_299.pt`]: bytes }); });
after(async () => { await hub.close(); });
beforeEach(() => {
  cache = mkdtempSync(join(tmpdir(), 'segface-hub-'));
  process.env.HF_ENDPOINT = hub.endpoint;
  delete process.env.HF_HUB_OFFLINE;
  delete process.env.SEGFACE_OFFLINE;
  hub.requests.length = 0;
  hub.cutNextAfter = undefined;
  hub.fakeSha = undefined;
});

const sameFile = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex') === sha;

test('a registry id downloads through the redirect into the cache, then comes from the cache', async () => {
  const r = await resolveModel(ID, { cacheDir: cache, progress: false });
  assert.equal(r.path, join(cache, ID, 'model_299.pt'));
  assert.equal(r.format, 'pt');
  assert.equal(r.entry?.resolution, 512);
  assert.ok(sameFile(r.path));
  assert.deepEqual(readdirSync(join(cache, ID)), ['model_299.pt']); // no .part left
  assert.ok(hub.requests[0]!.url.endsWith(`/kartiknarayan/SegFace/resolve/main/${ID}/model_299.pt`));
  const n = hub.requests.length;
  await resolveModel(ID, { cacheDir: cache, progress: false });
  assert.equal(hub.requests.length, n, 'second resolve must not touch the network');
});

test('a connection cut mid-body is resumed with a Range request', async () => {
  const cut = 5 * 1024 * 1024 + 17;
  hub.cutNextAfter = cut;
  const dest = cachedCheckpointPath(ID, cache);
  const r = await downloadFile(checkpointUrl(ID), dest, { progress: false });
  assert.equal(r.sha256, sha);
  assert.equal(r.bytes, bytes.length);
  assert.ok(sameFile(dest));
  // Bytes in flight when the socket dies are lost, so the resume point is at most `cut`.
  const ranges = hub.requests.map((q) => q.range).filter(Boolean) as string[];
  assert.equal(ranges.length, 2); // hub hop + CDN hop
  const from = Number(ranges[1]!.match(/^bytes=(\d+)-$/)![1]);
  assert.ok(from > 0 && from <= cut, ranges[1]);
  assert.equal(ranges[0], ranges[1]);
  assert.equal(r.resumedFrom, 0);
});

test('an interrupted earlier run leaves a .part that the next run resumes', async () => {
  hub.cutNextAfter = 1_000_000;
  const dest = cachedCheckpointPath(ID, cache);
  await assert.rejects(downloadFile(checkpointUrl(ID), dest, { progress: false, retries: 0 }), (e: unknown) => {
    assert.ok(e instanceof UserError);
    assert.match(e.message, /partial file .*\.part is kept/);
    return true;
  });
  assert.equal(existsSync(dest), false);
  const kept = statSync(`${dest}.part`).size;
  assert.ok(kept > 0 && kept <= 1_000_000, String(kept));
  const r = await downloadFile(checkpointUrl(ID), dest, { progress: false, retries: 0 });
  assert.equal(r.resumedFrom, kept);
  assert.equal(hub.requests.at(-1)!.range, `bytes=${kept}-`);
  assert.ok(sameFile(dest));
  assert.equal(existsSync(`${dest}.part`), false);
});

test('a .part that is already complete is finished without downloading the body again', async () => {
  const dest = cachedCheckpointPath(ID, cache);
  mkdirSync(join(cache, ID), { recursive: true });
  writeFileSync(`${dest}.part`, bytes);
  await downloadFile(checkpointUrl(ID), dest, { progress: false });
  assert.ok(sameFile(dest));
});

test('concurrent downloads of one file share a single transfer; a stale lock is taken over', async () => {
  const dest = cachedCheckpointPath(ID, cache);
  mkdirSync(join(cache, ID), { recursive: true });
  writeFileSync(`${dest}.lock`, '999999999'); // a process that no longer exists
  const [a, b] = await Promise.all([0, 1].map(() => downloadFile(checkpointUrl(ID), dest, { progress: false })));
  assert.equal(a, b);
  assert.ok(sameFile(dest));
  assert.equal(hub.requests.filter((q) => q.url.startsWith('/cdn/')).length, 1);
  assert.deepEqual(readdirSync(join(cache, ID)), ['model_299.pt']);
});

test('a hash mismatch deletes the download and says so', async () => {
  hub.fakeSha = 'ab'.repeat(32);
  const dest = cachedCheckpointPath(ID, cache);
  await assert.rejects(resolveModel(ID, { cacheDir: cache, progress: false }), (e: unknown) => {
    assert.ok(e instanceof UserError);
    assert.match(e.message, /sha256 .* does not match the expected abab/);
    return true;
  });
  assert.equal(existsSync(dest), false);
  assert.equal(existsSync(`${dest}.part`), false);
});

test('offline mode with an empty cache names the URL, the place to put the file and --model', async () => {
  for (const setup of [() => ({ offline: true }), () => { process.env.HF_HUB_OFFLINE = '1'; return {}; }, () => { process.env.SEGFACE_OFFLINE = '1'; return {}; }]) {
    const o = setup();
    await assert.rejects(resolveModel(ID, { cacheDir: cache, progress: false, ...o }), (e: unknown) => {
      assert.ok(e instanceof UserError);
      assert.ok(e.message.includes(`${hub.endpoint}/kartiknarayan/SegFace/resolve/main/${ID}/model_299.pt`), e.message);
      assert.ok(e.message.includes(join(cache, ID, 'model_299.pt')), e.message);
      assert.match(e.message, /--model path\/to\/model_299\.pt/);
      return true;
    });
    delete process.env.HF_HUB_OFFLINE;
    delete process.env.SEGFACE_OFFLINE;
  }
  assert.equal(hub.requests.length, 0);
});

test('offline mode uses a cached file', async () => {
  mkdirSync(join(cache, ID), { recursive: true });
  writeFileSync(join(cache, ID, 'model_299.pt'), bytes);
  const r = await resolveModel(ID, { cacheDir: cache, offline: true });
  assert.ok(sameFile(r.path));
});

test('a 404 on the hub gives a clear message and leaves nothing behind', async () => {
  await assert.rejects(resolveModel('swinb_helen_512', { cacheDir: cache, progress: false }), (e: unknown) => {
    assert.ok(e instanceof UserError);
    assert.match(e.message, /swinb_helen_512\/model_299\.pt: not found on the hub \(HTTP 404\)/);
    assert.match(e.message, /--model path\/to\/model_299\.pt/);
    return true;
  });
  assert.equal(existsSync(join(cache, 'swinb_helen_512', 'model_299.pt.part')), false);
});

test('an unreachable hub says what to download and where to put it', async () => {
  const closed = await startHub({});
  await closed.close();
  process.env.HF_ENDPOINT = closed.endpoint;
  await assert.rejects(resolveModel(ID, { cacheDir: cache, progress: false }), (e: unknown) => {
    assert.ok(e instanceof UserError);
    assert.ok(e.message.startsWith(`cannot download ${closed.endpoint}/kartiknarayan/SegFace/resolve/main/${ID}/model_299.pt (ECONNREFUSED`), e.message);
    assert.ok(e.message.includes(`save it as ${join(cache, ID, 'model_299.pt')}`));
    return true;
  });
});

test('unknown ids and missing paths are rejected by name', async () => {
  await assert.rejects(resolveModel('mobilenet_celeba_999', { cacheDir: cache }), /unknown model 'mobilenet_celeba_999' \(did you mean 'mobilenet_celeba_512'\?\): expected a registry id \(.*mobilenet_celeba_512/);
  await assert.rejects(resolveModel('nope/model_299.pt', { cacheDir: cache }), /nope\/model_299\.pt: no such file/);
  const r = await resolveModel(FIXTURE_CHECKPOINT);
  assert.equal(r.format, 'pt');
  assert.equal(r.path, FIXTURE_CHECKPOINT);
});

test('cleanup', () => { rmSync(cache, { recursive: true, force: true }); assert.ok(true); });
