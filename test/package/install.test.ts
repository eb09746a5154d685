// The package as a user gets it: `npm pack` → `npm install ./segface-x.tgz` in an empty folder
// (ONNX Runtime's GPU download skipped, tarballs from the npm cache where present), then the
// installed CLI parses a photo, `segface serve` answers the page and its prebuilt script, the
// library imports and parses, and `segface/web` resolves. The face detector's weights come inside
// the package (their npm package lists Unity-only dependencies the registry lacks: E404 for a user
// who got it as a dependency). The slowest test of the suite (~1 min).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BLAZEFACE_PACKAGE, shipBlazeFace } from '../../src/face/weights.js';
import { FACE_API_PACKAGE, shipLandmarks68 } from '../../src/face/landmarks68-weights.js';
import { buildWebBundle, prebuiltBundle } from '../../src/service/web-bundle.js';
import { ASTRONAUT, FIXTURE_CHECKPOINT, REPO_ROOT } from '../parse/helpers.js';

let tmp: string;
let app: string;
let tgz: string;
let detectorBytes: number;
let landmarkBytes: number;
let env: NodeJS.ProcessEnv;
let server: ChildProcess | undefined;

const npm = (args: string[], cwd: string) => spawnSync('npm', args, { cwd, env, encoding: 'utf8', timeout: 240_000 });

before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'segface-pkg-'));
  app = join(tmp, 'app');
  mkdirSync(app);
  env = { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip', SEGFACE_CACHE: join(tmp, 'cache'), SEGFACE_OFFLINE: '1', npm_config_update_notifier: 'false' };
});
after(async () => {
  if (server && server.exitCode === null) { server.kill('SIGTERM'); await new Promise((ok) => server!.once('exit', ok)); }
  rmSync(tmp, { recursive: true, force: true });
});

test('npm pack ships the built code, the page bundle and the detector weights, nothing else', async () => {
  if (!existsSync(prebuiltBundle())) await buildWebBundle({ outFile: prebuiltBundle() });
  const [model] = await shipBlazeFace(); // what prepack's build:detector does (a 0.6 MB copy)
  detectorBytes = statSync(model!).size;
  const [net] = await shipLandmarks68(); // and its 68-point landmark net, converted to ONNX
  landmarkBytes = statSync(net!).size;
  // --ignore-scripts: the suite has just compiled dist/ (prepack would run tsc again).
  const r = npm(['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], REPO_ROOT);
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /Unknown (project|user) config/);
  const [info] = JSON.parse(r.stdout) as { filename: string; size: number; unpackedSize: number; files: { path: string }[] }[];
  tgz = join(tmp, info!.filename);
  const paths = info!.files.map((f) => f.path);
  for (const p of ['package.json', 'README.md', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/cli/main.js', 'dist/web/app.js', 'dist/src/web/index.js', 'dist/src/web/index.d.ts', 'native/binding.gyp',
    'dist/detector/face_detection_back_256x256_barracuda.onnx', 'dist/detector/LICENSE', 'dist/detector/NOTICE',
    'dist/detector/face_landmark_68.onnx', 'dist/detector/LICENSE.face-api', 'dist/detector/NOTICE.face-api']) {
    assert.ok(paths.includes(p), `${p} is in the package`);
  }
  const stray = paths.filter((p) => !/^(package\.json|README\.md|dist\/src\/.*\.(js|d\.ts)|dist\/web\/app\.js|dist\/detector\/(face_detection_back_256x256_barracuda\.onnx|face_landmark_68\.onnx|(LICENSE|NOTICE)(\.face-api)?)|native\/(binding\.gyp|detect\.js|src\/.*))$/.test(p));
  assert.deepEqual(stray, [], 'only the whitelist');
  console.log(`package: ${(info!.size / 1024).toFixed(0)} KiB packed, ${(info!.unpackedSize / 1048576).toFixed(1)} MiB unpacked, ${paths.length} files`);
  assert.ok(info!.size < 2 * 1048576, `tarball ${info!.size} bytes`);
});

test('npm install of the tarball: CLI, serve page, library and web entry work', { timeout: 300_000 }, async () => {
  assert.ok(tgz, 'packed by the previous test');
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'segface-user', private: true, type: 'module' }));
  const t0 = performance.now();
  const inst = npm(['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=warn', tgz], app);
  assert.equal(inst.status, 0, inst.stderr);
  console.log(`npm install: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  assert.doesNotMatch(inst.stderr, /EBADENGINE|Unknown (project|user) config/, 'no engine or config warnings');
  const nm = join(app, 'node_modules');
  for (const dev of ['onnxruntime-web', 'node-addon-api', 'esbuild', 'typescript', 'playwright-core', BLAZEFACE_PACKAGE, FACE_API_PACKAGE, 'com.unity.barracuda']) {
    assert.ok(!existsSync(join(nm, dev)), `${dev} is not installed for a Node user`);
  }
  const bin = join(nm, '.bin', 'segface');

  const v = spawnSync(bin, ['--version'], { env, encoding: 'utf8' });
  assert.equal(v.stdout.trim(), JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).version);

  const out = join(app, 'out');
  const parse = spawnSync(bin, ['parse', ASTRONAUT, '--model', FIXTURE_CHECKPOINT, '--out', out, '--outputs', 'labels,json', '--threads', '1'], { cwd: app, env, encoding: 'utf8' });
  assert.equal(parse.status, 0, parse.stderr);
  assert.ok(existsSync(join(out, 'astronaut.labels.png')));
  const parsed = JSON.parse(readFileSync(join(out, 'astronaut.json'), 'utf8')) as { width: number; faces?: { box: number[]; score: number }[] };
  assert.equal(parsed.width, 512);
  // Detection is on by default: the shipped weights found the astronaut's face.
  assert.equal(parsed.faces?.length, 1, JSON.stringify(parsed.faces));
  assert.ok(parsed.faces![0]!.score > 0.5);

  // Training engine: not built in an installed package, and the message says how.
  const torch = spawnSync(bin, ['parse', ASTRONAUT, '--model', FIXTURE_CHECKPOINT, '--out', out, '--runtime', 'torch'], { cwd: app, env, encoding: 'utf8' });
  assert.notEqual(torch.status, 0);
  assert.match(torch.stderr, /libtorch training engine is not built.*npm install node-addon-api.*npm run build:native/s);

  // The library, through the package's exports.
  const lib = spawnSync(process.execPath, ['--input-type=module', '-e', `
    import { segface, FaceParser, VERSION } from 'segface';
    const segs = await segface(${JSON.stringify(ASTRONAUT)}, { model: ${JSON.stringify(FIXTURE_CHECKPOINT)}, threads: 1 });
    console.log(JSON.stringify({ version: VERSION, parser: typeof FaceParser.load, labels: segs.map((s) => s.label), pixels: segs.reduce((n, s) => n + s.pixels, 0), web: import.meta.resolve('segface/web') }));
    await segface.dispose();`], { cwd: app, env, encoding: 'utf8' });
  assert.equal(lib.status, 0, lib.stderr);
  const res = JSON.parse(lib.stdout) as { version: string; parser: string; labels: string[]; pixels: number; web: string };
  assert.equal(res.parser, 'function');
  assert.equal(res.pixels, 512 * 512);
  assert.ok(res.labels.length > 0);
  assert.match(res.web, /node_modules\/segface\/dist\/src\/web\/index\.js$/);

  // The server: page and its prebuilt script answer 200 (no esbuild in the install).
  server = spawn(bin, ['serve', '--model', FIXTURE_CHECKPOINT, '--port', '0', '--threads', '1'], { cwd: app, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const address = await new Promise<string>((ok, bad) => {
    server!.stderr!.on('data', (d) => { log += d; const m = log.match(/listening on (http:\/\/\S+)/); if (m) ok(m[1]!); });
    server!.once('exit', (code) => bad(new Error(`serve exited with ${code}: ${log}`)));
  });
  const page = await fetch(`${address}/`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<script type="module" src="\/app\.js">/);
  const script = await fetch(`${address}/app.js`);
  assert.equal(script.status, 200);
  assert.equal((await script.text()).length, readFileSync(prebuiltBundle(), 'utf8').length);
  const detector = await fetch(`${address}/blazeface.onnx`); // the page's in-browser detection
  assert.equal(detector.status, 200);
  assert.equal((await detector.arrayBuffer()).byteLength, detectorBytes);
  const net = await fetch(`${address}/face_landmark_68.onnx`); // and its landmark net
  assert.equal(net.status, 200);
  assert.equal((await net.arrayBuffer()).byteLength, landmarkBytes);
  const ort = await fetch(`${address}/ort/ort-wasm-simd-threaded.wasm`);
  assert.equal(ort.status, 404);
  assert.match(((await ort.json()) as { error: string }).error, /npm install onnxruntime-web/);
  // Written just after the listening line, perhaps in a later chunk: read once the requests are done.
  assert.match(log, /note: onnxruntime-web is not installed/);
  server.kill('SIGTERM');
  await new Promise((ok) => server!.once('exit', ok));
});
