import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type { HubServer } from '../hub/hub-server.js';
import { ASTRONAUT, FIXTURE_CHECKPOINT, GRACE, MODEL_ID, readGrey, segface, startFixtureHub } from './helpers.js';

let hub: HubServer;
let tmp: string;
let env: Record<string, string>;

before(async () => {
  hub = await startFixtureHub();
  tmp = mkdtempSync(join(tmpdir(), 'segface-cli-'));
  env = { HF_ENDPOINT: hub.endpoint, SEGFACE_CACHE: join(tmp, 'cache'), HF_HUB_OFFLINE: '', SEGFACE_OFFLINE: '' };
});
after(async () => {
  await hub.close();
  rmSync(tmp, { recursive: true, force: true });
});

const listAll = (d: string): string[] => readdirSync(d, { recursive: true }).map(String).sort();

// Whole-image outputs (probabilities are a whole-image output); faces: faces.test.ts.
test('segface parse downloads the registry model and writes every output at the photo size', async () => {
  const out = join(tmp, 'out');
  const r = await segface(['parse', ASTRONAUT, GRACE, '--model', MODEL_ID, '--out', out, '--batch', '2', '--outputs', 'all', '--threads', '2', '--no-detect'], env);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(existsSync(join(tmp, 'cache', MODEL_ID, 'model_299.pt')), 'checkpoint cached');
  assert.ok(hub.requests.some((q) => q.url.endsWith(`/${MODEL_ID}/model_299.pt`)));
  assert.match(r.stderr, /parsed 2 of 2 input\(s\)/);
  for (const [photo, stem] of [[ASTRONAUT, 'astronaut'], [GRACE, 'grace_hopper']] as const) {
    const meta = await sharp(photo).metadata();
    const labels = await readGrey(join(out, `${stem}.labels.png`));
    assert.equal(labels.channels, 1, 'label map is single-channel');
    assert.deepEqual([labels.width, labels.height], [meta.width, meta.height]);
    assert.ok(labels.data.every((v) => v < 19), 'every id is a class');
    for (const kind of ['color', 'overlay']) {
      const m = await sharp(join(out, `${stem}.${kind}.png`)).metadata();
      assert.deepEqual([m.width, m.height, m.channels], [meta.width, meta.height, 3], kind);
    }
    const summary = JSON.parse(readFileSync(join(out, `${stem}.json`), 'utf8'));
    // Masks and probabilities only for the classes found.
    const found = summary.classes.filter((c: { pixels: number }) => c.pixels > 0) as { id: number; name: string }[];
    const files = found.map((c) => `${String(c.id).padStart(2, '0')}_${c.name}.png`);
    assert.deepEqual(readdirSync(join(out, `${stem}.masks`)).sort(), files);
    assert.deepEqual(readdirSync(join(out, `${stem}.probs`)).sort(), files);
    const big = found.find((c) => c.id !== 0) ?? found[0]!;
    const mask = await readGrey(join(out, `${stem}.masks`, files[found.indexOf(big)]!));
    assert.deepEqual([mask.width, mask.height], [meta.width, meta.height]);
    for (let i = 0; i < mask.data.length; i++) assert.equal(mask.data[i], labels.data[i] === big.id ? 255 : 0);
    // Each pixel's own class is (to 8-bit rounding) its most probable one among the found classes.
    const probs = await Promise.all(files.map((f) => readGrey(join(out, `${stem}.probs`, f))));
    assert.ok(probs.every((p) => p.channels === 1 && p.width === meta.width && p.height === meta.height));
    for (let i = 0; i < labels.data.length; i += 7) {
      const own = probs[found.findIndex((c) => c.id === labels.data[i])]!.data[i]!;
      for (const p of probs) assert.ok(p.data[i]! <= own + 1, `pixel ${i}: class ${labels.data[i]} at ${own} below another at ${p.data[i]}`);
    }
    assert.equal(summary.version, JSON.parse(readFileSync('package.json', 'utf8')).version);
    const { PALETTE } = await import('../../src/model/classes.js');
    for (const c of summary.classes as { name: string; color: number[] }[]) assert.deepEqual(c.color, [...PALETTE[c.name]!], c.name);
    for (const v of Object.values(summary.timing) as number[]) assert.equal(Math.round(v * 10) / 10, v, `timing ${v} rounded to 0.1 ms`);
    assert.equal(summary.model, MODEL_ID);
    assert.equal(summary.resolution, 512);
    assert.deepEqual([summary.width, summary.height], [meta.width, meta.height]);
    assert.equal(summary.classes.length, 19);
    const counts = new Array(19).fill(0);
    for (const v of labels.data) counts[v]++;
    assert.deepEqual(summary.classes.map((c: { pixels: number }) => c.pixels), counts);
    assert.ok(Math.abs(summary.classes.reduce((a: number, c: { share: number }) => a + c.share, 0) - 1) < 1e-9);
    assert.deepEqual(summary.present, summary.classes.filter((c: { pixels: number }) => c.pixels > 0).map((c: { name: string }) => c.name));
    assert.ok(summary.timing.inferenceMs > 0);
  }
  assert.ok(!listAll(out).some((f) => f.includes('.tmp')), 'no temporary files left');
});

test('odd sizes and EXIF rotation: outputs match the displayed photo; label orders agree', async () => {
  const dir = join(tmp, 'odd');
  mkdirSync(dir, { recursive: true });
  // 333×217 stored, orientation 6 → displayed 217×333.
  await sharp(GRACE).resize(333, 217, { fit: 'fill' }).jpeg().withMetadata({ orientation: 6 }).toFile(join(dir, 'rotated.jpg'));
  const native = join(tmp, 'odd-native'), celeb = join(tmp, 'odd-celebamask'), bisenet = join(tmp, 'odd-bisenet');
  for (const [out, order] of [[native, 'native'], [celeb, 'celebamask'], [bisenet, 'bisenet']] as const) {
    const r = await segface(['parse', dir, '--model', MODEL_ID, '--out', out, '--label-order', order, '--outputs', 'labels', '--threads', '2'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /rotated\.jpg -> .*rotated\.\* \(217x333,/);
  }
  const n = await readGrey(join(native, 'rotated.labels.png'));
  assert.deepEqual([n.width, n.height], [217, 333]);
  const c = await readGrey(join(celeb, 'rotated.labels.png'));
  const b = await readGrey(join(bisenet, 'rotated.labels.png'));
  const { labelLut } = await import('../../src/model/classes.js');
  const toC = labelLut('celeb', 'celebamask'), toB = labelLut('celeb', 'bisenet');
  for (let i = 0; i < n.data.length; i++) {
    assert.equal(c.data[i], toC[n.data[i]!]);
    assert.equal(b.data[i], toB[n.data[i]!]);
  }
});

test('a folder run with bad files: one line per bad file, good files written, failure count, exit 1, no partial outputs', async () => {
  const dir = join(tmp, 'mixed');
  mkdirSync(dir, { recursive: true });
  copyFileSync(ASTRONAUT, join(dir, 'good.png'));
  writeFileSync(join(dir, 'empty.jpg'), '');
  writeFileSync(join(dir, 'notes.png'), 'not a picture\n');
  writeFileSync(join(dir, 'truncated.jpg'), readFileSync(GRACE).subarray(0, 20000));
  await sharp({ create: { width: 800, height: 700, channels: 3, background: '#888' } }).png().toFile(join(dir, 'huge.png'));
  const out = join(tmp, 'mixed-out');
  const missing = join(tmp, 'missing.jpg');
  const r = await segface(['parse', dir, missing, '--model', MODEL_ID, '--out', out, '--max-pixels', '400000', '--batch', '2', '--outputs', 'labels,json', '--threads', '2'], env);
  assert.equal(r.code, 1);
  const lines = r.stderr.trim().split('\n');
  const expect: [string, RegExp][] = [
    [join(dir, 'empty.jpg'), /empty file \(0 bytes\)/],
    [join(dir, 'notes.png'), /not an image/],
    [join(dir, 'truncated.jpg'), /truncated or corrupt image/],
    [join(dir, 'huge.png'), /800×700 = 560000 pixels, over the limit of 400000/],
    [missing, /no such file/],
  ];
  for (const [file, re] of expect) {
    const hits = lines.filter((l) => l.startsWith(`${file}: `));
    assert.equal(hits.length, 1, `${file}\n${r.stderr}`);
    assert.match(hits[0]!, re);
  }
  assert.match(lines.at(-1)!, /parsed 1 of 6 input\(s\) into .*, 5 failed$/);
  assert.deepEqual(listAll(out), ['.segface-outputs.json', 'good.json', 'good.labels.png']);
});

test('an unwritable output folder fails before any work, naming the folder', async () => {
  const blocker = join(tmp, 'a-file');
  writeFileSync(blocker, 'x');
  const out = join(blocker, 'out');
  const r = await segface(['parse', ASTRONAUT, '--model', MODEL_ID, '--out', out], env);
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim(), `segface: ${out}: cannot write output folder (a path component is a file, not a folder)`);
});

test('unknown model ids and checkpoints of another model are refused clearly', async () => {
  const out = join(tmp, 'never');
  let r = await segface(['parse', ASTRONAUT, '--model', 'mobilenet_celeba_1024', '--out', out], env);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^segface: unknown model 'mobilenet_celeba_1024' \(did you mean 'mobilenet_celeba_512'\?\): expected a registry id \(convnext_celeba_512, /);
  // A Swin-B id whose cached file is really the MobileNet checkpoint.
  mkdirSync(join(tmp, 'cache', 'swinb_celeba_224'), { recursive: true });
  const wrong = join(tmp, 'cache', 'swinb_celeba_224', 'model_299.pt');
  copyFileSync(FIXTURE_CHECKPOINT, wrong);
  r = await segface(['parse', ASTRONAUT, '--model', 'swinb_celeba_224', '--out', out, '--offline'], env);
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim(), `segface: ${wrong}: checkpoint is a mobilenet model with the celeb head, not swinb_celeba_224 (swin_base backbone, celeb head); delete it to download again, or pass it as --model ${wrong}`);
  // A file that is no SegFace model at all: strict loading lists what differs.
  mkdirSync(join(tmp, 'cache', 'swinb_celeba_256'), { recursive: true });
  const { writeCheckpointFile } = await import('../../src/io/files.js');
  const { hostTensor } = await import('../../src/io/host-tensor.js');
  const alien = join(tmp, 'cache', 'swinb_celeba_256', 'model_299.pt');
  writeCheckpointFile(alien, new Map([['state_dict_backbone', new Map([['fc.weight', hostTensor('float32', [2, 2], new Float32Array(4))]])]]));
  r = await segface(['parse', ASTRONAUT, '--model', 'swinb_celeba_256', '--out', out, '--offline'], env);
  assert.equal(r.code, 1);
  assert.ok(r.stderr.startsWith(`segface: ${alien}: checkpoint does not fit swinb_celeba_256 (swin_base backbone, celeb head) (1 entries, model expects 474)`), r.stderr);
  // Not a checkpoint at all.
  const junk = join(tmp, 'junk.pt');
  writeFileSync(junk, 'hello');
  r = await segface(['parse', ASTRONAUT, '--model', junk, '--out', out], env);
  assert.equal(r.code, 1);
  assert.ok(r.stderr.startsWith(`segface: ${junk}: `), r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.equal(existsSync(join(out, 'astronaut.labels.png')), false);
});

test('offline with an empty cache tells what to download', async () => {
  const r = await segface(['parse', ASTRONAUT, '--model', 'resnet_celeba_512', '--out', join(tmp, 'x'), '--offline'], env);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`Download ${hub.endpoint}/kartiknarayan/SegFace/resolve/main/resnet_celeba_512/model_299.pt by hand and save it as ${join(tmp, 'cache', 'resnet_celeba_512', 'model_299.pt')}, or pass --model path/to/model_299.pt`));
});

test('segface classes prints the table', async () => {
  const r = await segface(['classes', '--model', 'swinb_lapa_512'], env);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^LaPa head \(11 classes, native order only\)\nclass\s+native\s+colour\nbackground\s+0\s+#000000/);
  const j = await segface(['classes', '--json'], env);
  const doc = JSON.parse(j.stdout);
  assert.equal(doc.head, 'celeb');
  assert.deepEqual(doc.classes.find((c: { name: string }) => c.name === 'neck').ids, { native: 1, celebamask: 17, bisenet: 14 });
});
