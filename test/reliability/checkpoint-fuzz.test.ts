// Checkpoint fuzzer: 300 seeded mutations of the real torch.save fixture (mobilenet_seed0_512,
// 28 MB, written by PyTorch 1.13). Raw damage (byte flips, 4 KB blocks, truncations, shifted
// bytes, zip header fields) must load bit-identical weights or be refused with a UserError that
// names the file. Edits with the zip's CRCs recomputed (pickle opcodes, integer operands such as
// shapes, strides, offsets and storage sizes, strings and globals, records) reach the unpickler
// and the tensor builder: refused, or a valid file with other numbers; never another error
// class, never more memory than the file's size, never a slow case.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as zlib from 'node:zlib';
import { UserError } from '../../src/errors.js';
import { readCheckpoint, stateDictFromCheckpoint } from '../../src/io/checkpoint.js';
import { readFileBytes } from '../../src/io/files.js';
import { hostBytes, type StateDict } from '../../src/io/host-tensor.js';
import { readZip, writeZip } from '../../src/io/zip.js';
import { buildSegFace } from '../../src/model/build.js';
import { bindStateDict } from '../../src/model/load.js';
import { OPCODES, pickleOps, rng, Tally } from './fuzz-helpers.js';

const FILE = '../shared/fixtures/mobilenet_seed0_512/model.pt';
const NAME = 'fuzzed/model_299.pt';
const crc = (b: Uint8Array) => zlib.crc32(b) >>> 0;

const orig = readFileBytes(FILE);
const net = buildSegFace({ model: 'mobilenet', head: 'celeb', resolution: 512 });
const load = (bytes: Uint8Array): StateDict =>
  bindStateDict(net, stateDictFromCheckpoint(readCheckpoint(bytes, NAME, { crc32: crc }), NAME), NAME);
const baseline = load(orig.slice());

function sameWeights(a: StateDict, b: StateDict): boolean {
  if (a.size !== b.size) return false;
  for (const [k, t] of a) {
    const u = b.get(k);
    if (!u || u.dtype !== t.dtype || u.shape.join() !== t.shape.join()) return false;
    if (Buffer.compare(Buffer.from(hostBytes(t)), Buffer.from(hostBytes(u))) !== 0) return false;
  }
  return true;
}

type Outcome = 'identical' | 'rejected' | 'loaded-different';

/** Loads one mutant; fails the test for any error that is not a UserError naming the file. */
function trial(kind: string, bytes: Uint8Array, what: string): Outcome {
  const before = process.memoryUsage().arrayBuffers;
  const t0 = performance.now();
  let out: Outcome;
  try {
    const sd = load(bytes);
    const grown = process.memoryUsage().arrayBuffers - before;
    assert.ok(grown <= 2 * orig.length, `${kind} ${what}: loading took ${grown} bytes of buffers`);
    out = sameWeights(sd, baseline) ? 'identical' : 'loaded-different';
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    assert.ok(e instanceof UserError, `${kind} ${what}: ${(e as Error)?.name}: ${(e as Error)?.message}`);
    assert.ok(e.message.startsWith(`${NAME}: `), `${kind} ${what}: message does not name the file: ${e.message}`);
    out = 'rejected';
  }
  const ms = performance.now() - t0;
  assert.ok(ms < 5000, `${kind} ${what}: took ${ms.toFixed(0)} ms`);
  return out;
}

// ---- raw damage: the bytes as they are on disk ------------------------------------------------

const entries = readZip(orig, FILE);
/** Offsets of the zip's own structures (EOCD, each central entry, each local header) and their fields. */
const headerSpots = (() => {
  const dv = new DataView(orig.buffer, orig.byteOffset);
  let eocd = orig.length - 22;
  while (eocd > 0 && dv.getUint32(eocd, true) !== 0x06054b50) eocd--;
  const spots: { at: number; fields: number[] }[] = [{ at: eocd, fields: [4, 6, 8, 10, 12, 16, 20] }];
  let p = dv.getUint32(eocd + 16, true);
  for (let i = 0; i < entries.length; i++) {
    spots.push({ at: p, fields: [0, 10, 16, 20, 24, 28, 30, 32, 42] });
    spots.push({ at: dv.getUint32(p + 42, true), fields: [0, 8, 14, 18, 22, 26, 28] });
    p += 46 + dv.getUint16(p + 28, true) + dv.getUint16(p + 30, true) + dv.getUint16(p + 32, true);
  }
  return spots;
})();

test('checkpoint fuzzer: 140 raw mutations load identical weights or are refused naming the file', () => {
  const r = rng(14_001);
  const tally = new Tally();
  // One working copy, damaged in place and restored after each case (a 28 MB copy per case is slow).
  const b = orig.slice();
  const run = (kind: string, n: number, mutate: () => { bytes: Uint8Array; what: string }) => {
    for (let i = 0; i < n; i++) {
      const { bytes, what } = mutate();
      const o = trial(kind, bytes, what);
      assert.notEqual(o, 'loaded-different', `${kind} ${what}: damaged file loaded with other weights`);
      tally.add(kind, o);
      b.set(orig);
    }
  };
  run('byte flips (1-8 bytes)', 40, () => {
    const k = 1 + r.int(8);
    const at: number[] = [];
    for (let j = 0; j < k; j++) { const p = r.int(b.length); at.push(p); b[p] ^= 1 + r.int(255); }
    return { bytes: b, what: `at ${at.join(',')}` };
  });
  run('4 KB block XORed', 20, () => {
    const p = r.int(b.length - 4096);
    for (let j = 0; j < 4096; j++) b[p + j] ^= 0x5a;
    return { bytes: b, what: `at ${p}` };
  });
  run('truncation', 20, () => {
    const n = r.int(orig.length);
    return { bytes: b.subarray(0, n), what: `to ${n} bytes` };
  });
  run('zip header field', 40, () => {
    const s = r.pick(headerSpots);
    const f = s.at + r.pick(s.fields);
    const v = new DataView(b.buffer);
    const wide = r.next() < 0.5;
    const val = r.pick([0, 1, 0xffffffff, 0x7fffffff, r.int(2 ** 32), v.getUint32(f, true) + 1, v.getUint32(f, true) - 1]) >>> 0;
    if (wide && f + 4 <= b.length) v.setUint32(f, val, true); else v.setUint16(f, val & 0xffff, true);
    return { bytes: b, what: `field at ${f} := ${val}` };
  });
  run('bytes inserted or deleted', 20, () => {
    const p = r.int(orig.length), n = 1 + r.int(64);
    if (r.next() < 0.5) return { bytes: Buffer.concat([orig.subarray(0, p), orig.subarray(p + n)]), what: `-${n} at ${p}` };
    return { bytes: Buffer.concat([orig.subarray(0, p), Buffer.alloc(n, 0x41), orig.subarray(p)]), what: `+${n} at ${p}` };
  });
  tally.print('checkpoint fuzz (raw)');
  // Damage to the data records themselves can only be caught by the CRC: none may load.
  assert.equal(tally.count('4 KB block XORed', 'identical'), 0);
});

// ---- edits that keep the zip consistent (CRCs recomputed): the parser and tensor builder --------

const pklEntry = entries.find((e) => e.name.endsWith('/data.pkl'))!;
const pkl = pklEntry.data;
const ops = pickleOps(pkl);
// The records' CRCs are remembered: only the edited pickle needs a new one.
const crcs = new WeakMap<Uint8Array, number>();
const cachedCrc = (d: Uint8Array) => { let c = crcs.get(d); if (c === undefined) { c = crc(d); crcs.set(d, c); } return c; };
const rezip = (pklBytes: Uint8Array, records = entries.map((e) => ({ name: e.name, data: e.data }))) =>
  writeZip(records.map((e) => (e.name === pklEntry.name ? { name: e.name, data: pklBytes } : e)), { crc32: cachedCrc });

const EVIL_GLOBALS = ['os\nsystem\n', 'builtins\neval\n', 'torch\nLongStorage\n', 'torch\nHalfStorage\n', 'torch._utils\n_rebuild_tensor_v3\n', 'collections\nOrderedDict\n', '__builtin__\nset\n', 'torch\nShortStorage\n'];

test('checkpoint fuzzer: 160 CRC-consistent edits are refused naming the file or load as a valid file', () => {
  assert.ok(ops.length > 1000 && ops[ops.length - 1]!.code === 0x2e, 'the walker read the whole pickle');
  const r = rng(14_002);
  const tally = new Tally();
  const run = (kind: string, n: number, mutate: () => { bytes: Uint8Array; what: string }) => {
    for (let i = 0; i < n; i++) {
      const { bytes, what } = mutate();
      tally.add(kind, trial(kind, bytes, what));
    }
  };
  run('opcode replaced', 40, () => {
    const b = pkl.slice();
    const op = r.pick(ops);
    b[op.pos] = r.pick(OPCODES);
    return { bytes: rezip(b), what: `op at ${op.pos} ${op.code} -> ${b[op.pos]}` };
  });
  const ints = ops.filter((o) => o.code === 0x4b || o.code === 0x4d || o.code === 0x4a);
  run('integer operand (shape, stride, offset, size, key)', 50, () => {
    const b = pkl.slice();
    const op = r.pick(ints);
    const v = new DataView(b.buffer, b.byteOffset);
    const edge = r.pick([0, 1, -1, 2, 7, 0x7fffffff, -0x80000000, 600_000_000, 100_000, r.int(2 ** 31)]);
    if (op.code === 0x4b) v.setUint8(op.argStart, edge & 0xff);
    else if (op.code === 0x4d) v.setUint16(op.argStart, edge & 0xffff, true);
    else v.setInt32(op.argStart, edge | 0, true);
    return { bytes: rezip(b), what: `int at ${op.pos} := ${edge}` };
  });
  const strs = ops.filter((o) => o.code === 0x58 || o.code === 0x8c || o.code === 0x63);
  run('string or global edited', 30, () => {
    const op = r.pick(strs);
    if (op.code === 0x63 && r.next() < 0.6) {
      const g = Buffer.from(r.pick(EVIL_GLOBALS), 'latin1');
      return { bytes: rezip(Buffer.concat([pkl.subarray(0, op.argStart), g, pkl.subarray(op.argStart + op.argLen)])), what: `global at ${op.pos} := ${g.toString('latin1').replace('\n', '.')}` };
    }
    const b = pkl.slice();
    const head = op.code === 0x58 ? 4 : op.code === 0x8c ? 1 : 0;
    const body = op.argLen - head;
    if (body <= 0) return { bytes: rezip(b), what: `empty string at ${op.pos}` };
    const p = op.argStart + head + r.int(body);
    b[p] = r.pick([0x00, 0x0a, 0x2e, 0x2f, 0x39, 0x61, 0xff, 0x80]);
    return { bytes: rezip(b), what: `char at ${p} := ${b[p]}` };
  });
  run('pickle cut or spliced', 20, () => {
    if (r.next() < 0.5) { const n = r.int(pkl.length); return { bytes: rezip(pkl.slice(0, n)), what: `cut to ${n}` }; }
    const a = r.int(pkl.length), n = 1 + r.int(200), at = r.int(pkl.length);
    return { bytes: rezip(Buffer.concat([pkl.subarray(0, at), pkl.subarray(a, a + n), pkl.subarray(at)])), what: `copied ${n} from ${a} to ${at}` };
  });
  run('storage record dropped, cut or swapped', 20, () => {
    const recs = entries.map((e) => ({ name: e.name, data: e.data }));
    const data = recs.filter((e) => e.name.includes('/data/'));
    const x = r.pick(data), y = r.pick(data);
    const how = r.int(3);
    if (how === 0) return { bytes: rezip(pkl, recs.filter((e) => e !== x)), what: `dropped ${x.name}` };
    if (how === 1) { x.data = x.data.subarray(0, r.int(x.data.length)); return { bytes: rezip(pkl, recs), what: `cut ${x.name}` }; }
    [x.data, y.data] = [y.data, x.data];
    return { bytes: rezip(pkl, recs), what: `swapped ${x.name} ${y.name}` };
  });
  tally.print('checkpoint fuzz (CRC-consistent)');
});
