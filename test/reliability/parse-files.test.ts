// `parse` and `export` never replace an input, nor (without --overwrite) an existing file that
// segface did not write or that was changed since; re-running a command replaces its own outputs; and the image fuzzer for `parse`: every mutated photo is either parsed
// or reported on one line naming it, without partial outputs or temporaries.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runExport } from '../../src/cli/export.js';
import { runParse, type ParseCommandOptions } from '../../src/cli/parse.js';
import { UserError } from '../../src/errors.js';
import { MANIFEST_NAME } from '../../src/io/output-manifest.js';
import { ASTRONAUT, FIXTURE_CHECKPOINT, GRACE } from '../parse/helpers.js';
import { imageCases } from './image-fuzz.js';
import { Tally } from './fuzz-helpers.js';

let tmp: string;
let opts: (out: string, extra?: Partial<ParseCommandOptions>) => ParseCommandOptions;
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'segface-rel-parse-'));
  opts = (out, extra = {}) => ({
    model: FIXTURE_CHECKPOINT, resolution: 256, out, batch: 4, runtime: 'onnx', device: 'cpu', threads: 1,
    labelOrder: 'native', outputs: ['labels', 'color'], maxPixels: 4_000_000, cacheDir: join(tmp, 'cache'), progress: false, ...extra,
  });
});
after(() => rmSync(tmp, { recursive: true, force: true }));

const quiet = { log: (_: string) => true, warn: (_: string) => true };

test('parse --out <the input folder> does not replace an input (the issue\'s repro), nor other files without --overwrite', async () => {
  const d = join(tmp, 'd');
  mkdirSync(d);
  copyFileSync(GRACE, join(d, 'x.color.png'));
  copyFileSync(ASTRONAUT, join(d, 'x.png'));
  const before = readFileSync(join(d, 'x.color.png'));
  const r = await runParse([d], opts(d), quiet.log, quiet.warn);
  assert.deepEqual(readFileSync(join(d, 'x.color.png')), before, "the user's x.color.png is untouched");
  assert.equal(r.written, 1, 'x.color.png itself was parsed');
  assert.equal(r.failures.length, 1);
  assert.match(r.failures[0]!, /x\.png: not written: .*x\.color\.png: is one of the inputs/);
  assert.ok(!existsSync(join(d, 'x.labels.png')), 'no partial output for x.png');
  assert.ok(existsSync(join(d, 'x.color.labels.png')));
  // --overwrite replaces other files, never an input.
  // (the same two inputs: the folder now also holds the first run's outputs)
  const again = await runParse([join(d, 'x.png'), join(d, 'x.color.png')], opts(d, { overwrite: true }), quiet.log, quiet.warn);
  assert.deepEqual(readFileSync(join(d, 'x.color.png')), before);
  assert.equal(again.written, 1);

  const out = join(tmp, 'out');
  mkdirSync(out);
  writeFileSync(join(out, 'astronaut.labels.png'), 'my notes');
  const r2 = await runParse([ASTRONAUT], opts(out), quiet.log, quiet.warn);
  assert.equal(r2.written, 0);
  assert.match(r2.failures[0]!, /astronaut\.labels\.png: already exists and was not written by segface; pass --overwrite/);
  assert.equal(readFileSync(join(out, 'astronaut.labels.png'), 'utf8'), 'my notes');
  assert.ok(!existsSync(join(out, 'astronaut.color.png')), 'all of an image\'s outputs or none');
  const r3 = await runParse([ASTRONAUT], opts(out, { overwrite: true }), quiet.log, quiet.warn);
  assert.equal(r3.written, 1);
  assert.notEqual(readFileSync(join(out, 'astronaut.labels.png'), 'utf8'), 'my notes');
  // The same command again: segface's own, unchanged outputs are replaced without --overwrite
  // (they are listed in the folder's manifest) ...
  assert.ok(existsSync(join(out, MANIFEST_NAME)));
  const r4 = await runParse([ASTRONAUT], opts(out), quiet.log, quiet.warn);
  assert.deepEqual(r4.failures, []);
  assert.equal(r4.written, 1);
  // ... but not once the user has changed one of them.
  writeFileSync(join(out, 'astronaut.color.png'), 'edited by hand');
  const r5 = await runParse([ASTRONAUT], opts(out), quiet.log, quiet.warn);
  assert.equal(r5.written, 0);
  assert.match(r5.failures[0]!, /astronaut\.color\.png: was written by segface but has been changed since; pass --overwrite/);
  assert.equal(readFileSync(join(out, 'astronaut.color.png'), 'utf8'), 'edited by hand');
});

test('export --out refuses an existing file without --overwrite (not its own earlier export) and never the checkpoint itself', async () => {
  const out = join(tmp, 'exists.onnx');
  writeFileSync(out, 'keep me');
  await assert.rejects(runExport({ model: FIXTURE_CHECKPOINT, out, resolution: 256 }), (e: unknown) =>
    e instanceof UserError && /exists\.onnx: already exists and was not written by segface; pass --overwrite/.test(e.message));
  assert.equal(readFileSync(out, 'utf8'), 'keep me');
  // Once segface has written it (here with --overwrite), exporting again needs no --overwrite.
  await runExport({ model: FIXTURE_CHECKPOINT, out, resolution: 256, overwrite: true });
  assert.notEqual(readFileSync(out, 'utf8').slice(0, 7), 'keep me');
  await runExport({ model: FIXTURE_CHECKPOINT, out, resolution: 256 });
  const ckpt = join(tmp, 'model.onnx');
  copyFileSync(FIXTURE_CHECKPOINT, ckpt);
  await assert.rejects(runExport({ model: ckpt, out: ckpt, resolution: 256, overwrite: true }), (e: unknown) =>
    e instanceof UserError && /model\.onnx: /.test(e.message));
});

test('image fuzzer for parse: 36 mutated JPEG/PNG/WebP files are parsed or reported by name, nothing partial', async () => {
  const cases = await imageCases(14_003, 12);
  const dir = join(tmp, 'fuzz-in');
  mkdirSync(dir);
  for (const c of cases) writeFileSync(join(dir, c.name), c.bytes);
  const out = join(tmp, 'fuzz-out');
  const lines: string[] = [];
  const r = await runParse([dir], opts(out), quiet.log, (s) => lines.push(s) > 0);
  assert.equal(r.total, cases.length);
  assert.equal(r.written + r.failures.length, cases.length, 'every file accounted for');
  const tally = new Tally();
  for (const c of cases) {
    const stem = c.name.replace(/\.\w+$/, '');
    const line = r.failures.find((f) => f.startsWith(`${join(dir, c.name)}: `));
    const wrote = existsSync(join(out, `${stem}.labels.png`));
    assert.ok(wrote !== (line !== undefined), `${c.name} (${c.kind}): exactly one of outputs or a failure line`);
    if (wrote) assert.ok(existsSync(join(out, `${stem}.color.png`)), `${c.name}: all outputs`);
    if (c.kind === 'valid') assert.ok(wrote, `${c.name}: a valid image is parsed`);
    if (c.kind === 'pixel bomb header') assert.match(line ?? '', /pixels|limit/, `${c.name}: refused from its header`);
    if (line) assert.doesNotMatch(line, /\n|at .*\.js:\d+/, 'one line, no stack');
    tally.add(c.kind, wrote ? 'parsed' : 'refused with its name');
  }
  assert.ok(!readdirSync(out).some((f) => f.endsWith('.tmp')), 'no temporaries left');
  tally.print('image fuzz (parse)');
});
