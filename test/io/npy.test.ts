import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { npyHeader, readNpy, writeNpy } from '../../src/io/npy.js';
import { readNpyFile, writeNpyFile } from '../../src/io/files.js';
import { hostTensor, type HostTensor } from '../../src/io/host-tensor.js';
import type { DType } from '../../src/engine/ops.js';

const FIX = '../shared/fixtures';

function sample(dtype: DType, shape: number[]): HostTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const vals = Array.from({ length: n }, (_, i) => i * 37 - 11);
  switch (dtype) {
    case 'float32':
      return hostTensor(dtype, shape, Float32Array.from(vals, (v) => v / 7));
    case 'float64':
      return hostTensor(dtype, shape, Float64Array.from(vals, (v) => v / 7));
    case 'int64':
      return hostTensor(dtype, shape, BigInt64Array.from(vals, (v) => BigInt(v) * 1234567890123n));
    case 'int32':
      return hostTensor(dtype, shape, Int32Array.from(vals));
    case 'float16':
    case 'bfloat16':
      return hostTensor(dtype, shape, Uint16Array.from(vals, (v) => (v * 101) & 0xffff));
    case 'uint8':
      return hostTensor(dtype, shape, Uint8Array.from(vals, (v) => v & 0xff));
    case 'bool':
      return hostTensor(dtype, shape, Uint8Array.from(vals, (v) => v & 1));
  }
}

const DTYPES: DType[] = ['float32', 'float64', 'float16', 'bfloat16', 'int64', 'int32', 'uint8', 'bool'];

test('npy round trip for every dtype and rank', () => {
  for (const dtype of DTYPES) {
    for (const shape of [[], [5], [2, 3], [2, 1, 3, 4], [0, 3]]) {
      const t = sample(dtype, shape);
      const bytes = writeNpy(t);
      // numpy's layout: the data starts on a 64-byte boundary after a newline-terminated header.
      const hlen = bytes[8]! | (bytes[9]! << 8);
      assert.equal((10 + hlen) % 64, 0);
      assert.equal(bytes[10 + hlen - 1], 0x0a);
      const back = readNpy(bytes, 'x.npy');
      assert.equal(back.dtype, dtype);
      assert.deepEqual(back.shape, shape);
      assert.deepEqual([...back.data], [...t.data], `${dtype} [${shape}]`);
    }
  }
});

test('npy headers use numpy dtype strings and shape tuples', () => {
  const text = (d: DType, s: number[]) => new TextDecoder().decode(npyHeader(d, s).subarray(10)).trim();
  assert.equal(text('int64', [2, 1, 16, 16]), "{'descr': '<i8', 'fortran_order': False, 'shape': (2, 1, 16, 16), }");
  assert.equal(text('uint8', [7]), "{'descr': '|u1', 'fortran_order': False, 'shape': (7,), }");
  assert.equal(text('bool', []), "{'descr': '|b1', 'fortran_order': False, 'shape': (), }");
  assert.match(text('float16', [1]), /'<f2'/);
  assert.match(text('bfloat16', [1]), /'<u2'/);
});

test('npy files: write via temp file, read back, data is a view', () => {
  const dir = mkdtempSync(join(tmpdir(), 'segface-npy-'));
  try {
    const p = join(dir, 'a.npy');
    const t = sample('int64', [3, 4]);
    writeNpyFile(p, t);
    assert.deepEqual(readdirSync(dir), ['a.npy']);
    const back = readNpyFile(p);
    assert.deepEqual([...back.data], [...t.data]);
    assert.equal(back.data.byteOffset % 8, 0);
    assert.throws(() => readNpyFile(join(dir, 'missing.npy')), /missing\.npy: cannot open \(no such file\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('npy version 2.0 headers are read', () => {
  const dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }".padEnd(115, ' ') + '\n';
  const bytes = new Uint8Array(12 + dict.length + 8);
  bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0], 0);
  new DataView(bytes.buffer).setUint32(8, dict.length, true);
  bytes.set(new TextEncoder().encode(dict), 12);
  new DataView(bytes.buffer).setFloat32(12 + dict.length, 1.5, true);
  new DataView(bytes.buffer).setFloat32(12 + dict.length + 4, -2, true);
  const t = readNpy(bytes, 'v2.npy');
  assert.deepEqual([...t.data], [1.5, -2]);
});

function withHeader(dict: string, dataBytes: number): Uint8Array {
  const h = dict.padEnd(117, ' ') + '\n';
  const out = new Uint8Array(10 + h.length + dataBytes);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, h.length & 0xff, h.length >> 8], 0);
  out.set(new TextEncoder().encode(h), 10);
  return out;
}

test('npy: bad files give clear messages naming the file', () => {
  assert.throws(() => readNpy(new TextEncoder().encode('hello world'), 'a.npy'), /^UserError: a\.npy: not a \.npy file/);
  assert.throws(
    () => readNpy(withHeader("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", 24), 'f.npy'),
    /f\.npy: Fortran-order arrays are not supported/,
  );
  assert.throws(() => readNpy(withHeader("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", 8), 'b.npy'), /b\.npy: big-endian dtype '>f4'/);
  assert.throws(() => readNpy(withHeader("{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", 16), 'c.npy'), /c\.npy: unsupported dtype '<c8'/);
  assert.throws(() => readNpy(withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 20), 't.npy'), /t\.npy: truncated \.npy data/);
});

function npyFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? npyFiles(p) : n.endsWith('.npy') ? [p] : [];
  });
}

test('every fixture .npy file reads, with the shape and dtype its folder records', () => {
  const files = npyFiles(FIX);
  assert.ok(files.length > 50);
  let checked = 0;
  for (const f of files) {
    const t = readNpyFile(f);
    assert.equal(t.data.length, t.shape.reduce((a, b) => a * b, 1));
    const metaPath = join(f, '..', 'meta.json');
    if (!existsSync(metaPath)) continue;
    const meta = JSON.parse(readFileSync(metaPath, 'utf8'));
    const rec = (meta.files as { file: string; shape: number[]; dtype: string; stats: { mean: number } | null }[]).find(
      (x) => join(f, '..', x.file) === f,
    );
    if (!rec) continue;
    assert.deepEqual(t.shape, rec.shape, f);
    assert.equal(t.dtype, rec.dtype, f);
    if (rec.stats && t.dtype === 'float32') {
      let s = 0;
      for (const x of t.data as Float32Array) s += x;
      assert.ok(Math.abs(s / t.data.length - rec.stats.mean) <= 1e-6 * Math.max(1, Math.abs(rec.stats.mean)) + 1e-9, f);
    }
    checked++;
  }
  assert.ok(checked >= 40, `checked ${checked}`);
});

test('fixture argmax.npy (uint8) matches the histogram in meta.json', () => {
  const meta = JSON.parse(readFileSync(`${FIX}/mobilenet_seed0_512/meta.json`, 'utf8'));
  const t = readNpyFile(`${FIX}/mobilenet_seed0_512/argmax.npy`);
  assert.equal(t.dtype, 'uint8');
  assert.deepEqual(t.shape, [1, 512, 512]);
  const hist = new Array<number>(19).fill(0);
  for (const c of t.data as Uint8Array) hist[c]!++;
  assert.deepEqual(hist, meta.argmax_histogram);
});

test('consensus mask_cc.npy (int64) has the blob pixel counts recorded in params.json', () => {
  const dir = `${FIX}/consensus/cc_differs_c6_20`;
  const params = JSON.parse(readFileSync(`${dir}/params.json`, 'utf8'));
  const t = readNpyFile(`${dir}/mask_cc.npy`);
  const { B, H, W } = params.shape;
  assert.equal(t.dtype, 'int64');
  assert.deepEqual(t.shape, [B, 1, H, W]);
  const data = t.data as BigInt64Array;
  for (const blob of params.blobs as { id: number; pixels_per_sample: number[] }[]) {
    for (let b = 0; b < B; b++) {
      let n = 0;
      for (let i = b * H * W; i < (b + 1) * H * W; i++) if (data[i] === BigInt(blob.id)) n++;
      assert.equal(n, blob.pixels_per_sample[b], `blob ${blob.id} image ${b}`);
    }
  }
});
