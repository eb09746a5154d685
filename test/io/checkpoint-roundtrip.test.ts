import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { readCheckpoint, stateDictFromCheckpoint, writeCheckpoint } from '../../src/io/checkpoint.js';
import { readCheckpointFile, readFileBytes, writeCheckpointFile } from '../../src/io/files.js';
import { hostTensor, isHostTensor, type HostTensor } from '../../src/io/host-tensor.js';
import { pickle } from '../../src/io/pickle-writer.js';
import { Counter, OrderedDict, PyFloat, PyGlobal, PyPersistent, PyReduce, isTuple, tuple, type PyValue } from '../../src/io/py-values.js';
import { crc32, readZip, writeZip } from '../../src/io/zip.js';

function tensors(): Map<string, HostTensor> {
  return new Map<string, HostTensor>([
    ['f32', hostTensor('float32', [2, 3], Float32Array.from([1, -2.5, 3e-8, 4, 5, Infinity]))],
    ['f16', hostTensor('float16', [4], Uint16Array.from([0x3c00, 0xc000, 0x7bff, 0x0001]))],
    ['bf16', hostTensor('bfloat16', [2, 2], Uint16Array.from([0x3f80, 0xbf80, 0x4049, 0x0000]))],
    ['i64', hostTensor('int64', [3], BigInt64Array.from([0n, -1n, 9007199254740993n]))],
    ['nbt', hostTensor('int64', [], BigInt64Array.from([226500n]))],
    ['u8', hostTensor('uint8', [5], Uint8Array.from([0, 1, 127, 128, 255]))],
    ['bool', hostTensor('bool', [3], Uint8Array.from([1, 0, 1]))],
    ['f64', hostTensor('float64', [1, 2], Float64Array.from([Math.PI, -0.1]))],
    ['i32', hostTensor('int32', [2], Int32Array.from([-2147483648, 7]))],
    ['empty', hostTensor('float32', [0, 3], new Float32Array(0))],
  ]);
}

function assertTensorEqual(a: unknown, b: HostTensor, what: string): void {
  assert.ok(isHostTensor(a), what);
  assert.equal(a.dtype, b.dtype, what);
  assert.deepEqual(a.shape, b.shape, what);
  assert.deepEqual([...a.data], [...b.data], what);
}

test('checkpoint round trip: every dtype, nested containers, Counter, OrderedDict, big ints', () => {
  const sd = new OrderedDict<string, PyValue>(tensors());
  const obj = new Map<string, PyValue>([
    ['epoch', 299],
    ['iteration', 226500],
    ['state_dict_backbone', sd],
    [
      'scheduler',
      new Map<string, PyValue>([
        ['milestones', new Counter([
          [80, 1],
          [200, 1],
        ])],
        ['gamma', 0.1],
        ['verbose', false],
      ]),
    ],
    ['nested', new Map<PyValue, PyValue>([
      ['list', [1, 2.5, 'x', null, true, -7, -(2 ** 40), 2 ** 53 + 2]],
      ['tuple', tuple(1, 'a', tuple())],
      ['big', 2n ** 70n],
      ['negbig', -(2n ** 63n)],
      ['float_one', new PyFloat(1)],
      [3, 'int key'],
      ['unicode', 'ä→😀'],
    ])],
  ]);
  const bytes = writeCheckpoint(obj);
  const back = readCheckpoint(bytes, 'rt.pt') as Map<string, PyValue>;
  assert.deepEqual([...back.keys()], [...obj.keys()]);
  assert.equal(back.get('epoch'), 299);
  const sdBack = back.get('state_dict_backbone');
  assert.ok(sdBack instanceof OrderedDict);
  assert.deepEqual([...sdBack.keys()], [...sd.keys()]);
  for (const [k, t] of tensors()) assertTensorEqual(sdBack.get(k), t, k);
  const sched = back.get('scheduler') as Map<string, PyValue>;
  assert.ok(sched.get('milestones') instanceof Counter);
  assert.deepEqual([...(sched.get('milestones') as Counter)], [
    [80, 1],
    [200, 1],
  ]);
  assert.equal(sched.get('gamma'), 0.1);
  const nested = back.get('nested') as Map<PyValue, PyValue>;
  assert.deepEqual(nested.get('list'), [1, 2.5, 'x', null, true, -7, -(2 ** 40), 2 ** 53 + 2]);
  const tup = nested.get('tuple');
  assert.ok(isTuple(tup));
  assert.equal(tup[1], 'a');
  assert.ok(isTuple(tup[2]));
  assert.equal(nested.get('big'), 2n ** 70n);
  assert.equal(nested.get('negbig'), -(2n ** 63n));
  assert.equal(nested.get('float_one'), 1);
  assert.equal(nested.get(3), 'int key');
  assert.equal(nested.get('unicode'), 'ä→😀');

  // torch's layout: one root folder, data.pkl first, version last, storage data 64-byte aligned.
  const names = readZip(bytes).map((e) => e.name);
  assert.equal(names[0], 'archive/data.pkl');
  assert.equal(names.at(-1), 'archive/version');
  assert.ok(names.includes('archive/byteorder'));
  for (const e of readZip(bytes)) if (e.name.includes('/data/')) assert.equal(e.dataOffset % 64, 0);
  // Read tensors are views onto the checkpoint's bytes.
  assert.equal((sdBack.get('f32') as HostTensor).data.buffer, bytes.buffer);

  // The same bytes at an odd address cannot be viewed as float32/int64: they are copied, values unchanged.
  const odd = new Uint8Array(bytes.length + 1).subarray(1);
  odd.set(bytes);
  const sdOdd = (readCheckpoint(odd, 'odd.pt') as Map<string, PyValue>).get('state_dict_backbone') as OrderedDict<string, PyValue>;
  for (const [k, t] of tensors()) assertTensorEqual(sdOdd.get(k), t, `odd ${k}`);
});

test('checkpoint files: temp file + rename, root folder named after the file, state dict extraction', () => {
  const dir = mkdtempSync(join(tmpdir(), 'segface-ckpt-'));
  try {
    const p = join(dir, 'model_299.pt');
    const sd = new OrderedDict<string, PyValue>([...tensors()].map(([k, v]) => [`module.${k}`, v] as [string, PyValue]));
    writeCheckpointFile(p, new Map<string, PyValue>([['state_dict_backbone', sd], ['epoch', 1]]));
    assert.deepEqual(readdirSync(dir), ['model_299.pt']);
    // torch's reader (miniz) checks every record's CRC, so the Node fast path must agree.
    const entries = readZip(readFileBytes(p));
    assert.equal(entries[0]!.name, 'model_299/data.pkl');
    for (const e of entries) assert.equal(e.crc32, crc32(e.data), e.name);
    const ck = readCheckpointFile(p);
    const st = stateDictFromCheckpoint(ck, p);
    assert.deepEqual([...st.keys()], [...tensors().keys()]);
    assertTensorEqual(st.get('nbt'), tensors().get('nbt')!, 'nbt');
    // A bare state dict works too.
    assert.equal(stateDictFromCheckpoint(readCheckpoint(writeCheckpoint(sd))).size, tensors().size);
    assert.throws(() => stateDictFromCheckpoint(readCheckpoint(writeCheckpoint(new Map([['a', 1]]))), 'x.pt'), /x\.pt: state dict entry 'a' is not a tensor/);
    assert.throws(() => readCheckpointFile(join(dir, 'nope.pt')), /nope\.pt: cannot open \(no such file\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A checkpoint built by hand: `value` may hold PyReduce/PyPersistent nodes; `records` are extra data/<key> entries. */
function handmade(value: PyValue, records: Record<string, Uint8Array>, pkl?: Uint8Array): Uint8Array {
  return writeZip([
    { name: 'model/data.pkl', data: pkl ?? pickle(value) },
    ...Object.entries(records).map(([k, d]) => ({ name: `model/data/${k}`, data: d })),
    { name: 'model/version', data: new TextEncoder().encode('3\n') },
  ]);
}

const rebuildV2 = new PyGlobal('torch._utils', '_rebuild_tensor_v2');
const floatStorage = (key: string, n: number) => new PyPersistent(tuple('storage', new PyGlobal('torch', 'FloatStorage'), key, 'cpu', n));
const tensorRef = (key: string, n: number, offset: number, size: number[], stride: number[]) =>
  new PyReduce(rebuildV2, tuple(floatStorage(key, n), offset, tuple(...size), tuple(...stride), false, new OrderedDict()));
const f32bytes = (xs: number[]) => new Uint8Array(Float32Array.from(xs).buffer);

test('non-contiguous strides, storage offsets and shared storages are resolved like torch', () => {
  const storage = f32bytes([0, 1, 2, 3, 4, 5]);
  const obj = new Map<string, PyValue>([
    ['transposed', tensorRef('0', 6, 0, [3, 2], [1, 3])], // [[0,1,2],[3,4,5]].T
    ['strided', tensorRef('0', 6, 1, [2], [2])], // storage[1::2][:2]
    ['row', tensorRef('0', 6, 3, [1, 3], [3, 1])], // second row: a view at an offset
    ['expanded', tensorRef('0', 6, 2, [2, 2], [0, 1])], // broadcast row
  ]);
  const back = readCheckpoint(handmade(obj, { '0': storage }), 'h.pt') as Map<string, HostTensor>;
  assert.deepEqual([...back.get('transposed')!.data], [0, 3, 1, 4, 2, 5]);
  assert.deepEqual(back.get('transposed')!.shape, [3, 2]);
  assert.deepEqual([...back.get('strided')!.data], [1, 3]);
  assert.deepEqual([...back.get('row')!.data], [3, 4, 5]);
  assert.deepEqual([...back.get('expanded')!.data], [2, 3, 2, 3]);
});

test('corrupt checkpoints: each gives a clear message naming the file', () => {
  const good = writeCheckpoint(new Map<string, PyValue>([['w', hostTensor('float32', [4], Float32Array.from([1, 2, 3, 4]))]]));
  assert.throws(() => readCheckpoint(new TextEncoder().encode('definitely not a checkpoint'), 'model.pt'), /^UserError: model\.pt: not a zip archive/);
  assert.throws(() => readCheckpoint(good.subarray(0, Math.floor(good.length / 2)), 'model.pt'), /^UserError: model\.pt: truncated zip archive/);
  assert.throws(() => readCheckpoint(good.subarray(0, good.length - 30), 'model.pt'), /model\.pt: truncated zip archive/);
  assert.throws(
    () => readCheckpoint(writeZip([{ name: 'model/other.pkl', data: pickle(1) }]), 'model.pt'),
    /^UserError: model\.pt: missing data\.pkl/,
  );
  // The tensor reaches past its storage.
  assert.throws(
    () => readCheckpoint(handmade(new Map([['w', tensorRef('0', 4, 0, [5], [1])]]), { '0': f32bytes([1, 2, 3, 4]) }), 'model.pt'),
    /^UserError: model\.pt: storage '0' is shorter than its tensor \(holds 4 float32 elements, tensor \[5\] at offset 0 needs 5\)/,
  );
  // The storage record holds fewer bytes than the storage declares.
  assert.throws(
    () => readCheckpoint(handmade(new Map([['w', tensorRef('7', 4, 0, [4], [1])]]), { '7': f32bytes([1, 2]) }), 'model.pt'),
    /^UserError: model\.pt: storage '7' is shorter than its tensor \(record model\/data\/7 holds 8 bytes/,
  );
  assert.throws(
    () => readCheckpoint(handmade(new Map([['w', tensorRef('3', 4, 0, [4], [1])]]), {}), 'model.pt'),
    /model\.pt: storage '3' is missing/,
  );
});

const enc = (s: string) => Array.from(new TextEncoder().encode(s));
const pkl = (...parts: (number | string)[]) => Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? enc(p) : [p])));

test('unsafe or unknown pickles are refused with the opcode or global named', () => {
  const load = (p: Uint8Array) => readCheckpoint(handmade(null, {}, p), 'model.pt');
  assert.throws(() => load(pkl(0x80, 2, 0xff, '.')), /^UserError: model\.pt: unknown pickle opcode 0xff at offset 2 in data\.pkl$/);
  assert.throws(() => load(pkl(0x80, 2, 'I42\n.')), /unknown pickle opcode 0x49 \(INT\) at offset 2 in data\.pkl/);
  // os.system('ls') via GLOBAL + REDUCE
  const osSystem = pkl(0x80, 2, 'cos\nsystem\n', 'X', 2, 0, 0, 0, 'ls', 0x85, 'R.');
  assert.throws(() => load(osSystem), /^UserError: model\.pt: forbidden global 'os\.system' in data\.pkl$/);
  assert.throws(() => load(pkl(0x80, 2, 'cposix\nsystem\n', 'X', 2, 0, 0, 0, 'ls', 0x85, 'R.')), /forbidden global 'posix\.system' in data\.pkl/);
  const evalCall = pkl(0x80, 2, 'cbuiltins\neval\n', 'X', 1, 0, 0, 0, '1', 0x85, 'R.');
  assert.throws(() => load(evalCall), /^UserError: model\.pt: forbidden global 'builtins\.eval' in data\.pkl$/);
  assert.throws(() => load(pkl(0x80, 2, 'c__builtin__\neval\n', 'X', 1, 0, 0, 0, '1', 0x85, 'R.')), /forbidden global 'builtins\.eval'/);
  // Protocol-4 STACK_GLOBAL route to the same function.
  assert.throws(() => load(pkl(0x80, 4, 0x8c, 8, 'builtins', 0x8c, 4, 'eval', 0x93, '.')), /forbidden global 'builtins\.eval'/);
  // An allowed storage class is still not callable.
  assert.throws(() => load(pkl(0x80, 2, 'ctorch\nFloatStorage\n', ')R.')), /model\.pt: cannot call 'torch\.FloatStorage' in data\.pkl/);
  assert.throws(() => load(pkl(0x80, 2, ']')), /model\.pt: truncated pickle/);
  assert.throws(() => load(pkl(0x80, 2, 'X', 9, 0, 0, 0, 'ab')), /model\.pt: truncated pickle/);
});

test('tensor bounds are proven before any allocation: negative and zero strides, negative sizes, huge shapes', () => {
  const longStorage = (key: string, n: number) => new PyPersistent(tuple('storage', new PyGlobal('torch', 'LongStorage'), key, 'cpu', n));
  const longRef = (size: number[], stride: number[]) =>
    new PyReduce(rebuildV2, tuple(longStorage('0', 4), 0, tuple(...size), tuple(...stride), false, new OrderedDict()));
  const i64 = new Uint8Array(BigInt64Array.from([1n, 2n, 3n, 4n]).buffer);
  const one = (t: PyValue, rec: Uint8Array) => () => readCheckpoint(handmade(new Map([['w', t]]), { '0': rec }), 'evil.pt');
  // A negative stride (torch has none) used to read outside the storage: undefined → BigInt TypeError, NaN floats.
  assert.throws(one(longRef([2], [-1]), i64), /^UserError: evil\.pt: malformed tensor \[2\] with strides \[-1\] .*negative offset, size or stride/);
  assert.throws(one(tensorRef('0', 4, 3, [4], [-1]), f32bytes([1, 2, 3, 4])), /^UserError: evil\.pt: malformed tensor \[4\] with strides \[-1\]/);
  assert.throws(one(tensorRef('0', 4, 0, [-2, 2], [2, 1]), f32bytes([1, 2, 3, 4])), /^UserError: evil\.pt: .*negative offset, size or stride/);
  assert.throws(one(tensorRef('0', 4, -1, [2], [1]), f32bytes([1, 2, 3, 4])), /^UserError: evil\.pt: .*negative/);
  // Stride 0 over 6e8 elements from a tiny file: refused at once, not after seconds and gigabytes.
  const t0 = performance.now();
  assert.throws(one(tensorRef('0', 1, 0, [600_000_000], [0]), f32bytes([1])), /^UserError: evil\.pt: tensor \[600000000\] with strides \[0\] .* would take 2400000000 bytes, more than the \d+-byte file holds/);
  assert.throws(one(tensorRef('0', 1, 0, [100_000, 100_000], [0, 0]), f32bytes([1])), /^UserError: evil\.pt: tensor \[100000, 100000\]/);
  assert.throws(one(tensorRef('0', 4, 0, [100_000, 100_000], [1, 1]), f32bytes([1, 2, 3, 4])), /^UserError: evil\.pt: storage '0' is shorter than its tensor/);
  assert.throws(one(tensorRef('0', 4, 0, [2 ** 40, 2 ** 40], [0, 0]), f32bytes([1, 2, 3, 4])), /^UserError: evil\.pt: .*would take Infinity bytes/);
  assert.ok(performance.now() - t0 < 500, 'refused before allocating');
  // A small legitimate expand still loads.
  const back = readCheckpoint(handmade(new Map([['w', tensorRef('0', 1, 0, [3, 2], [0, 0])]]), { '0': f32bytes([7]) }), 'ok.pt') as Map<string, HostTensor>;
  assert.deepEqual([...back.get('w')!.data], [7, 7, 7, 7, 7, 7]);
});

test('zip CRC-32 is checked on read: one flipped bit in a record or in data.pkl is refused, naming the entry', () => {
  const good = writeCheckpoint(new Map<string, PyValue>([['w', hostTensor('float32', [1024], new Float32Array(1024).fill(0.5))]]), { root: 'model' });
  const e = readZip(good).find((x) => x.name === 'model/data/0')!;
  const bad = good.slice();
  bad[e.dataOffset + 2000] ^= 0x10;
  assert.throws(() => readCheckpoint(bad, 'm.pt'), /^UserError: m\.pt: corrupt checkpoint \(entry 'model\/data\/0' fails its CRC-32 check: recorded 0x[0-9a-f]{8}, data has 0x[0-9a-f]{8}\)/);
  const p = readZip(good).find((x) => x.name === 'model/data.pkl')!;
  const bad2 = good.slice();
  bad2[p.dataOffset + 5] ^= 1;
  assert.throws(() => readCheckpoint(bad2, 'm.pt'), /entry 'model\/data\.pkl' fails its CRC-32 check/);
  // Opting out (a caller that verified the bytes otherwise) reads the damaged value.
  const w = (readCheckpoint(bad, 'm.pt', { crc32: false }) as Map<string, HostTensor>).get('w')!;
  assert.notEqual(w.data[500], 0.5);
});
