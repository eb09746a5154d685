import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { FaceParser, loadSegmenter } from '../../src/api/index.js';
import { readNpyFile } from '../../src/io/files.js';
import { labelLut } from '../../src/model/classes.js';
import type { HubServer } from '../hub/hub-server.js';
import { ASTRONAUT, FIXTURE_CHECKPOINT, GRACE, MODEL_ID, startFixtureHub } from './helpers.js';

let hub: HubServer;
let tmp: string;
let parser: FaceParser;

before(async () => {
  hub = await startFixtureHub();
  tmp = mkdtempSync(join(tmpdir(), 'segface-api-'));
  process.env.HF_ENDPOINT = hub.endpoint;
  process.env.SEGFACE_CACHE = join(tmp, 'cache');
  parser = await FaceParser.load(MODEL_ID, { threads: 2, progress: false });
});
after(async () => {
  await parser.dispose();
  await hub.close();
  rmSync(tmp, { recursive: true, force: true });
});

test('the model path is wired right: the fixture input gives the fixture argmax', async () => {
  const dir = join(FIXTURE_CHECKPOINT, '..');
  const input = readNpyFile(join(dir, 'input.npy'));
  const want = readNpyFile(join(dir, 'argmax.npy')).data as Uint8Array;
  const seg = await loadSegmenter(FIXTURE_CHECKPOINT, { threads: 2 });
  try {
    assert.equal(seg.resolution, 512);
    assert.equal(seg.numClasses, 19);
    const { logits, height, width } = await seg.run(input.data as Float32Array, 1);
    assert.deepEqual([height, width], [512, 512]);
    const { resizeArgmax } = await import('../../src/image/postprocess.js');
    const got = resizeArgmax(logits, 0, 19, 512, 512, 512, 512);
    let same = 0;
    for (let i = 0; i < got.length; i++) if (got[i] === want[i]) same++;
    // meta.json lists a handful of float32/float64 near-ties; allow that many flips.
    assert.ok(same >= got.length - 64, `${got.length - same} pixels differ`);
  } finally {
    await seg.dispose();
  }
});

test('parse takes a path, an encoded buffer or raw pixels and returns labels at the input size', async () => {
  const fromPath = await parser.parse(GRACE);
  assert.deepEqual([fromPath.width, fromPath.height], [512, 600]);
  assert.equal(fromPath.labels.length, 512 * 600);
  assert.ok(fromPath.labels.every((v) => v < 19));
  const fromBuffer = await parser.parse(readFileSync(GRACE));
  assert.deepEqual(fromBuffer.labels, fromPath.labels);
  const { data, info } = await sharp(GRACE).raw().toBuffer({ resolveWithObject: true });
  const fromRaw = await parser.parse({ data, width: info.width, height: info.height, channels: info.channels as 3 });
  assert.deepEqual(fromRaw.labels, fromPath.labels);
  assert.equal(fromPath.summary().model, MODEL_ID);
});

test('results give masks, PNGs and a summary', async () => {
  const r = await parser.parse(ASTRONAUT);
  const hair = r.mask('hair');
  const byId = r.mask(14);
  assert.deepEqual(hair, byId);
  for (let i = 0; i < hair.length; i++) assert.equal(hair[i], r.labels[i] === 14 ? 255 : 0);
  // @ts-expect-error class names are a union: a typo is a compile-time error
  assert.throws(() => r.mask('moustache'), /unknown class "moustache"/);
  for (const png of [await r.toPNG(), await r.colorPNG(), await r.overlayPNG(), await r.maskPNG('skin')]) {
    const m = await sharp(png).metadata();
    assert.deepEqual([m.format, m.width, m.height], ['png', 512, 512]);
  }
  const s = r.summary();
  assert.equal(s.classes.reduce((a, c) => a + c.pixels, 0), 512 * 512);
  assert.equal(s.labelOrder, 'native');
});

test('parseBatch equals one-by-one parsing; label orders are remapped', async () => {
  const [a, b] = await parser.parseBatch([ASTRONAUT, GRACE]);
  const single = await parser.parse(GRACE);
  assert.deepEqual(b!.labels, single.labels);
  assert.deepEqual([a!.width, a!.height], [512, 512]);
  const bis = await FaceParser.load(FIXTURE_CHECKPOINT, { labelOrder: 'bisenet', threads: 2 });
  try {
    const r = await bis.parse(GRACE);
    assert.equal(r.table[17]!.name, 'hair');
    const lut = labelLut('celeb', 'bisenet');
    assert.deepEqual(r.labels, Uint8Array.from(single.labels, (v) => lut[v]!));
  } finally {
    await bis.dispose();
  }
});

test('an exported .onnx graph runs directly and gives the same labels', async () => {
  const graphs = readdirSync(join(tmp, 'cache')).filter((f) => f.endsWith('.onnx'));
  assert.ok(graphs.length > 0, 'the built graph was cached');
  const onnx = await FaceParser.load(join(tmp, 'cache', graphs[0]!), { threads: 2 });
  try {
    assert.equal(onnx.resolution, 512);
    assert.equal(onnx.head, 'celeb');
    const r = await onnx.parse(GRACE);
    assert.deepEqual(r.labels, (await parser.parse(GRACE)).labels);
  } finally {
    await onnx.dispose();
  }
});

test('bad input to the API is a UserError naming it; a disposed parser refuses work', async () => {
  await assert.rejects(parser.parse(Buffer.from('nope'), { name: 'upload.jpg' }), /^UserError: upload\.jpg: not an image/);
  await assert.rejects(FaceParser.load(MODEL_ID, { labelOrder: 'bogus' as never }), /unknown label order 'bogus'/);
  const p = await FaceParser.load(FIXTURE_CHECKPOINT, { threads: 1 });
  await p.dispose();
  await assert.rejects(p.parse(GRACE), /disposed/);
});
