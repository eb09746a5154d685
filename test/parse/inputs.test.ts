import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expandInputs, globToRegExp } from '../../src/image/inputs.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'segface-inputs-'));
  for (const f of ['a.jpg', 'b.PNG', 'c.txt', 'sub/d.jpg', 'sub/deep/e.webp', 'sub/f.tif']) {
    mkdirSync(join(dir, f, '..'), { recursive: true });
    writeFileSync(join(dir, f), 'x');
  }
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('glob patterns', () => {
  assert.ok(globToRegExp('*.jpg').test('a.jpg'));
  assert.ok(!globToRegExp('*.jpg').test('sub/a.jpg'));
  assert.ok(globToRegExp('**/*.jpg').test('a.jpg'));
  assert.ok(globToRegExp('**/*.jpg').test('x/y/a.jpg'));
  assert.ok(globToRegExp('img_??.{png,jpg}').test('img_01.png'));
  assert.ok(!globToRegExp('img_??.{png,jpg}').test('img_001.png'));
  assert.ok(globToRegExp('[ab].jpg').test('b.jpg'));
  assert.ok(!globToRegExp('[!ab].jpg').test('b.jpg'));
});

test('folders give the images inside, globs expand, duplicates and non-images are dropped', async () => {
  const r = await expandInputs([dir, join(dir, 'sub', '*'), join(dir, '**', '*.jpg'), join(dir, 'a.jpg')]);
  assert.deepEqual(r.files, [join(dir, 'a.jpg'), join(dir, 'b.PNG'), join(dir, 'sub', 'd.jpg'), join(dir, 'sub', 'f.tif')]);
  assert.deepEqual(r.problems, []);
  const deep = await expandInputs([join(dir, 'sub', '**', '*')]);
  assert.deepEqual(deep.files, [join(dir, 'sub', 'd.jpg'), join(dir, 'sub', 'deep', 'e.webp'), join(dir, 'sub', 'f.tif')]);
});

test('arguments that name nothing are reported; missing plain files are kept for the reader', async () => {
  const r = await expandInputs([join(dir, '*.gif'), join(dir, 'sub', 'deep', 'nothing.jpg')]);
  assert.deepEqual(r.files, [join(dir, 'sub', 'deep', 'nothing.jpg')]);
  assert.deepEqual(r.problems, [{ input: join(dir, '*.gif'), problem: 'no image files match' }]);
  const empty = mkdtempSync(join(tmpdir(), 'segface-empty-'));
  assert.deepEqual((await expandInputs([empty])).problems, [{ input: empty, problem: 'folder holds no image files' }]);
  rmSync(empty, { recursive: true });
});

test('--recursive walks sub-folders; rel keeps each file\'s path below its folder', async () => {
  const flat = await expandInputs([dir]);
  assert.deepEqual(flat.rel, ['a.jpg', 'b.PNG']);
  const deep = await expandInputs([dir], { recursive: true });
  assert.deepEqual(deep.rel, ['a.jpg', 'b.PNG', join('sub', 'd.jpg'), join('sub', 'deep', 'e.webp'), join('sub', 'f.tif')]);
  assert.equal(deep.files.length, deep.rel.length);
  const empty = await expandInputs([join(dir, 'sub', 'deep', '..', '..', 'sub', 'deep')]);
  assert.deepEqual(empty.rel, ['e.webp']);
});
