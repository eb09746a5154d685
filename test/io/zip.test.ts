import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32, readZip, writeZip } from '../../src/io/zip.js';

const enc = new TextEncoder();

test('crc32 matches the standard check value', () => {
  assert.equal(crc32(enc.encode('123456789')), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
  // Chunked computation continues the same checksum.
  const data = Uint8Array.from({ length: 1000 }, (_, i) => (i * 31) & 0xff);
  assert.equal(crc32(data.subarray(500), crc32(data.subarray(0, 500))), crc32(data));
});

test('zip round trip: stored entries, 64-byte aligned data, views not copies', () => {
  const entries = [
    { name: 'a/data.pkl', data: enc.encode('pickle bytes') },
    { name: 'a/data/0', data: Uint8Array.from({ length: 1001 }, (_, i) => i & 0xff) },
    { name: 'a/version', data: enc.encode('3\n') },
  ];
  const zip = writeZip(entries);
  const back = readZip(zip, 'z.zip');
  assert.deepEqual(back.map((e) => e.name), entries.map((e) => e.name));
  for (let i = 0; i < entries.length; i++) {
    assert.deepEqual([...back[i]!.data], [...entries[i]!.data]);
    assert.equal(back[i]!.dataOffset % 64, 0);
    assert.equal(back[i]!.crc32, crc32(entries[i]!.data));
    assert.equal(back[i]!.data.buffer, zip.buffer);
  }
});

test('zip64 records (as torch writes past 4 GiB) are read', () => {
  const entries = [
    { name: 'r/data.pkl', data: enc.encode('x'.repeat(70)) },
    { name: 'r/data/0', data: Uint8Array.from([1, 2, 3]) },
  ];
  const zip = writeZip(entries, { forceZip64: true });
  // The classic end record is saturated, so the reader must follow the ZIP64 locator.
  const eocd = zip.length - 22;
  assert.equal(new DataView(zip.buffer).getUint32(eocd + 16, true), 0xffffffff);
  const back = readZip(zip, 'z64.zip');
  assert.deepEqual(back.map((e) => [e.name, [...e.data]]), entries.map((e) => [e.name, [...e.data]]));
  for (const e of back) assert.equal(e.dataOffset % 64, 0);
});

test('zip: bad archives are named in the error', () => {
  assert.throws(() => readZip(enc.encode('hello'), 'h.pt'), /^UserError: h\.pt: not a zip archive/);
  const zip = writeZip([{ name: 'a', data: new Uint8Array(100) }]);
  assert.throws(() => readZip(zip.subarray(0, 120), 'cut.pt'), /^UserError: cut\.pt: truncated zip archive/);
  // Compressed entries (method 8) are refused, not misread.
  const z = writeZip([{ name: 'a', data: new Uint8Array(4) }]);
  const cd = z.length - 22 - (46 + 1);
  new DataView(z.buffer).setUint16(cd + 10, 8, true);
  assert.throws(() => readZip(z, 'c.pt'), /c\.pt: zip entry 'a' is compressed \(method 8\)/);
});
