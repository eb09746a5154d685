// In-the-wild parsing end to end with the fixture MobileNet checkpoint (random-looking labels, so
// the checks are about geometry): faces in the JSON, each face's labels inside its own region,
// no-face photos, crops, --no-detect equal to whole-image parsing, and the server's parameters.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { FaceParser } from '../../src/api/index.js';
import { alignmentFor, type Landmarks5 } from '../../src/face/align.js';
import { pasteRegion } from '../../src/face/geometry.js';
import { createApp } from '../../src/service/app.js';
import { blazeFacePath } from '../../src/face/weights.js';
import { landmarks68Bytes } from '../../src/face/landmarks68-weights.js';
import type { HubServer } from '../hub/hub-server.js';
import { ASTRONAUT, GRACE, MODEL_ID, readGrey, segface, startFixtureHub } from './helpers.js';
import { collage } from '../face/collage.js';

let hub: HubServer;
let tmp: string;
let env: Record<string, string>;
let parser: FaceParser;
let group: string;
let blank: string;

before(async () => {
  hub = await startFixtureHub();
  tmp = mkdtempSync(join(tmpdir(), 'segface-faces-'));
  env = { HF_ENDPOINT: hub.endpoint, SEGFACE_CACHE: join(tmp, 'cache'), HF_HUB_OFFLINE: '', SEGFACE_OFFLINE: '' };
  process.env.HF_ENDPOINT = hub.endpoint;
  process.env.SEGFACE_CACHE = join(tmp, 'cache');
  const { img } = await collage(1400, 800, [
    { file: ASTRONAUT, scale: 0.8, deg: 0, left: 20, top: 40 },
    { file: GRACE, scale: 0.9, deg: 30, left: 560, top: 20 },
    { file: ASTRONAUT, scale: 0.4, deg: 0, left: 1150, top: 560 },
  ]);
  group = join(tmp, 'group.png');
  await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } }).png().toFile(group);
  blank = join(tmp, 'blank.png');
  await sharp({ create: { width: 320, height: 240, channels: 3, background: '#6a8' } }).png().toFile(blank);
  parser = await FaceParser.load(MODEL_ID, { threads: 2, progress: false });
});
after(async () => {
  await parser.dispose();
  await hub.close();
  rmSync(tmp, { recursive: true, force: true });
});

test('segface parse: faces in the JSON, crops, a clear line for a photo without faces', async () => {
  const out = join(tmp, 'out');
  const r = await segface(['parse', group, blank, '--model', MODEL_ID, '--out', out, '--outputs', 'labels,json,crops', '--threads', '2'], env);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`${blank.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: no face found \\(background-only map`));
  assert.match(r.stderr, /parsed 2 of 2 input\(s\)/);
  const s = JSON.parse(readFileSync(join(out, 'group.json'), 'utf8'));
  assert.equal(s.faces.length, 3);
  for (const [i, f] of s.faces.entries()) {
    assert.deepEqual(Object.keys(f).slice(0, 3), ['box', 'score', 'landmarks']);
    assert.equal(f.box.length, 4);
    assert.equal(f.landmarks.length, 5);
    for (const p of f.landmarks) assert.equal(p.length, 2);
    if (i > 0) assert.ok(f.score <= s.faces[i - 1].score, 'highest score first');
    assert.ok(f.classes.length > 0 && Math.abs(f.classes.reduce((a: number, c: { share: number }) => a + c.share, 0) - 1) < 1e-9);
    for (const kind of ['crop', 'labels', 'color']) {
      const m = await sharp(join(out, 'group.faces', `${String(i).padStart(2, '0')}.${kind}.png`)).metadata();
      assert.deepEqual([m.width, m.height], [512, 512], kind);
    }
  }
  const tilted = s.faces.find((f: { angle: number }) => Math.abs(f.angle - 30) < 12);
  assert.ok(tilted, `the 30° face: ${JSON.stringify(s.faces.map((f: { angle: number }) => f.angle))}`);
  const none = JSON.parse(readFileSync(join(out, 'blank.json'), 'utf8'));
  assert.deepEqual(none.faces, []);
  const labels = await readGrey(join(out, 'blank.labels.png'));
  assert.ok(labels.data.every((v) => v === 0), 'background only');
  assert.ok(!existsSync(join(out, 'blank.faces')));
});

test('each face\'s labels lie inside its own region; outside every face the map is background', async () => {
  const r = await parser.parse(group, { detect: true });
  assert.equal(r.faces!.length, 3);
  const regions = r.faces!.map((f) => pasteRegion(alignmentFor('celeb', f.landmarks as unknown as Landmarks5, 512), r.width, r.height));
  const inAny = (x: number, y: number) => regions.some((g) => x >= g.x0 && x < g.x1 && y >= g.y0 && y < g.y1);
  r.faces!.forEach((f, i) => {
    const m = f.mask, g = regions[i]!;
    let n = 0;
    for (let y = 0; y < r.height; y++) {
      for (let x = 0; x < r.width; x++) {
        if (!m[y * r.width + x]) continue;
        n++;
        assert.ok(x >= g.x0 && x < g.x1 && y >= g.y0 && y < g.y1, `face ${i} labels (${x},${y}) outside its region`);
      }
    }
    assert.ok(n > 1000, `face ${i} owns ${n} labelled pixels`);
    assert.equal(f.summary().classes.reduce((a, c) => a + c.pixels, 0), n);
  });
  for (let y = 0; y < r.height; y += 2) for (let x = 0; x < r.width; x += 2) if (!inAny(x, y)) assert.equal(r.labels[y * r.width + x], 0);
  // The small face (~40 px) is one of them.
  assert.ok(r.faces!.some((f) => f.box[3] < 60));
  const largest = await parser.parse(group, { detect: true, faces: 'largest' });
  assert.equal(largest.faces!.length, 1);
  assert.ok(largest.faces![0]!.box[2] >= Math.max(...r.faces!.map((f) => f.box[2])) - 1e-6);
  const found = await parser.detect(group, { minFace: 60 });
  assert.equal(found.length, 2, 'the small face is below --min-face 60');
});

test('--no-detect writes exactly what whole-image parsing gives, with no faces in the JSON', async () => {
  const out = join(tmp, 'whole');
  const r = await segface(['parse', GRACE, '--no-detect', '--model', MODEL_ID, '--out', out, '--outputs', 'labels,json', '--threads', '2'], env);
  assert.equal(r.code, 0, r.stderr);
  const whole = await parser.parse(GRACE); // the library default: the photo is the face crop
  assert.ok(readFileSync(join(out, 'grace_hopper.labels.png')).equals(await whole.toPNG()));
  assert.equal(JSON.parse(readFileSync(join(out, 'grace_hopper.json'), 'utf8')).faces, undefined);
  const bad = await segface(['parse', GRACE, '--no-detect', '--outputs', 'crops', '--model', MODEL_ID, '--out', out], env);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /--outputs crops needs face detection/);
  const badFaces = await segface(['parse', GRACE, '--faces', 'some', '--model', MODEL_ID, '--out', out], env);
  assert.match(badFaces.stderr, /--faces must be all, largest or a positive integer, got 'some'/);
});

test('server: faces in the JSON answer, query parameters for the options', async () => {
  const app = await createApp({ parser });
  try {
    const post = (q: string, file = group) => app.inject({ method: 'POST', url: `/parse?format=json${q}`, headers: { 'content-type': 'image/png' }, payload: readFileSync(file) });
    const one = JSON.parse((await post('&faces=1&min_face=60&detect_threshold=0.6')).body);
    assert.equal(one.faces.length, 1);
    assert.deepEqual(Object.keys(one.faces[0]).slice(0, 3), ['box', 'score', 'landmarks']);
    assert.ok(one.faces[0].score >= 0.6);
    assert.deepEqual(JSON.parse((await post('', blank)).body).faces, [], 'detection is on by default');
    assert.equal(JSON.parse((await post('&detect=0', blank)).body).faces, undefined);
    // Image answers carry the faces in a header (the page draws them).
    const png = await app.inject({ method: 'POST', url: '/parse?format=labels', headers: { 'content-type': 'image/png' }, payload: readFileSync(blank) });
    assert.equal(png.statusCode, 200);
    assert.deepEqual(JSON.parse(String(png.headers['x-segface-faces'])), []);
    const withPage = await createApp({ parser, web: { html: '', script: async () => '', ortDir: tmp } });
    try {
      const served = await withPage.inject({ method: 'GET', url: '/blazeface.onnx' });
      assert.equal(served.statusCode, 200);
      assert.equal(served.rawPayload.length, readFileSync(blazeFacePath()).length, 'the detector weights for in-browser detection');
      const net = await withPage.inject({ method: 'GET', url: '/face_landmark_68.onnx' });
      assert.equal(net.statusCode, 200);
      assert.ok(net.rawPayload.equals(Buffer.from(await landmarks68Bytes())), 'the 68-point landmark net for in-browser detection');
    } finally {
      await withPage.close();
    }
    const bad = await post('&faces=-2');
    assert.equal(bad.statusCode, 400);
    assert.match(JSON.parse(bad.body).error, /faces must be/);
  } finally {
    await app.close();
  }
});
