// The engine around the ops: errors, scopes and freeing, autograd, threads, seeding, optimizers,
// loading our own checkpoint writer's output through libtorch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  AdamW, callOp, cudaDeviceCount, fromData, fromHost, getNumThreads, inferenceMode, isGradEnabled, keep,
  liveTensorCount, loadTorch, manualSeed, noGrad, enableGrad, pickleLoad, setNumThreads, SGD, tidy, TorchOps,
  TorchTensor,
} from '../../src/engine/torch/index.js';
import { readCheckpoint, writeCheckpoint } from '../../src/io/checkpoint.js';
import { readFileSync } from 'node:fs';
import type { HostTensor } from '../../src/io/host-tensor.js';
import { assertClose, gen, int64 } from './helpers.js';

const ops = new TorchOps();

test('loadTorch reports the libtorch version and CPU ops', () => {
  const torch = loadTorch();
  assert.match(torch.version, /^\d+\.\d+/);
  assert.equal(torch.ops.backend, 'torch');
  assert.equal(torch.ops.device, 'cpu');
  assert.ok(torch.cudaDeviceCount >= 0);
});

test('a libtorch error becomes a JS Error with its message, and the process carries on', () => tidy(() => {
  const a = gen([2, 3]);
  assert.throws(() => ops.matmul(a, a), (e: unknown) => {
    assert.ok(e instanceof Error);
    assert.match(e.message, /mat1 and mat2 shapes cannot be multiplied \(2x3 and 2x3\)/);
    assert.doesNotMatch(e.message, /Exception raised from|frame #/);
    return true;
  });
  assert.throws(() => ops.conv2d(gen([1, 3, 4, 4]), gen([2, 4, 3, 3]), null), /expected input\[1, 3, 4, 4\] to have 4 channels/);
  assert.throws(() => ops.add(gen([2, 3]), gen([4])), /size of tensor a \(3\) must match the size of tensor b \(4\)/);
  assert.throws(() => ops.indexSelect(gen([3]), 0, gen([1])), /index_select\(\): Expected dtype int32 or int64 for index/);
  assert.throws(() => ops.matmul(a, ops.ones([3, 2], { dtype: 'int64' })), /expected scalar type Float but found Long/);
  assert.throws(() => fromData(new Float32Array(5), [2, 3]), /5 elements of 4 bytes do not make a float32 tensor of 6 elements/);
  assert.throws(() => ops.zeros([2], { dtype: 'float8' as never }), /unknown dtype 'float8'/);
  assert.throws(() => callOp('aten::no_such_op', '', []), /unknown operator aten::no_such_op/);
  assert.throws(() => callOp('aten::relu', '', ['x']), /aten::relu: argument 'self' \(Tensor\) must be a tensor/);
  assert.throws(() => ops.reshape(a, [1.5, 4]), /must be an integer/);
  assert.deepEqual(ops.add(a, 1).shape, [2, 3], 'still working after the errors');
}));

test('dispose frees a handle; using it afterwards is a clear error', () => {
  const before = liveTensorCount();
  const t = gen([3]);
  assert.equal(liveTensorCount(), before + 1);
  t.dispose();
  t.dispose();
  assert.equal(liveTensorCount(), before);
  assert.ok(t.disposed);
  assert.throws(() => t.toArray(), /tensor was disposed/);
  assert.throws(() => ops.relu(t), /tensor was disposed/);
});

test('tidy frees everything made inside except what it returns; nests; frees on throw', () => {
  const before = liveTensorCount();
  let inner: TorchTensor[] = [];
  const out = tidy(() => {
    const a = gen([4]);
    const b = ops.mul(a, 2);
    const kept = tidy(() => {
      const c = ops.add(b, 1);
      inner = [c, ops.exp(c)];
      return { result: [ops.neg(c)], note: 'x' };
    });
    assert.equal(inner[0]!.disposed, true);
    assert.equal(kept.result[0]!.disposed, false);
    return { y: ops.add(kept.result[0]!, b), map: new Map([['b', b]]) };
  });
  assert.equal(liveTensorCount(), before + 2);
  assert.deepEqual(out.y.toArray(), gen([4]).toArray().map((v) => -(2 * v + 1) + 2 * v));
  assert.equal(out.map.get('b')!.disposed, false);
  out.y.dispose();
  out.map.get('b')!.dispose();
  assert.ok(liveTensorCount() <= before + 1); // + the gen() above, until collected
  const base = liveTensorCount();
  assert.throws(() => tidy(() => {
    gen([2]);
    throw new Error('boom');
  }), /boom/);
  assert.equal(liveTensorCount(), base);
  let kept!: TorchTensor;
  tidy(() => {
    kept = keep(gen([2]));
  });
  assert.equal(kept.disposed, false);
  kept.dispose();
  assert.throws(() => tidy(() => Promise.resolve(1)), /synchronous/);
});

test('autograd: requiresGrad, backward, grad accumulation, clearing', () => tidy(() => {
  const x = fromData(new Float32Array([1, -2, 3]), [3], undefined, { requiresGrad: true });
  assert.equal(x.requiresGrad, true);
  assert.equal(x.grad, null);
  ops.sum(ops.mul(x, x), []).backward();
  assert.deepEqual(x.grad!.toArray(), [2, -4, 6]);
  ops.sum(ops.mul(x, 3), []).backward();
  assert.deepEqual(x.grad!.toArray(), [5, -1, 9], 'gradients accumulate');
  x.grad = null;
  assert.equal(x.grad, null);
  const y = ops.mul(x, 2);
  y.backward(fromData(new Float32Array([1, 10, 100]), [3]));
  assert.deepEqual(x.grad!.toArray(), [2, 20, 200]);
  assert.throws(() => gen([3]).backward(), /does not require grad/);
  // The graph keeps what it saved: backward works after tidy freed the intermediate handles.
  const w = fromData(new Float32Array([1, 2, 3]), [3]).requiresGrad_();
  const loss = tidy(() => {
    const h = ops.exp(ops.mul(w, 0.5));
    return ops.sum(ops.mul(h, h), []);
  });
  loss.backward();
  assertClose(w.grad!.toArray(), [1, 2, 3].map(Math.exp), 1e-6, 1e-6, 'd/dw sum(exp(w/2)^2)');
}));

test('noGrad / enableGrad / inferenceMode scopes', () => tidy(() => {
  const w = gen([3]).requiresGrad_();
  assert.equal(isGradEnabled(), true);
  const y = noGrad(() => {
    assert.equal(isGradEnabled(), false);
    const inner = enableGrad(() => ops.mul(w, 2));
    assert.equal(inner.requiresGrad, true);
    return ops.mul(w, 2);
  });
  assert.equal(y.requiresGrad, false);
  assert.equal(isGradEnabled(), true, 'restored');
  assert.throws(() => noGrad(() => {
    throw new Error('inside');
  }), /inside/);
  assert.equal(isGradEnabled(), true, 'restored after a throw');
  const z = inferenceMode(() => ops.mul(w, 2));
  assert.equal(z.requiresGrad, false);
  assert.equal(ops.mul(w, 2).requiresGrad, true, 'inference mode left');
}));

test('intra-op threads: default is every core, settable', () => {
  if (!process.env.OMP_NUM_THREADS) assert.equal(getNumThreads(), availableParallelism());
  const prev = getNumThreads();
  setNumThreads(1);
  assert.equal(getNumThreads(), 1);
  setNumThreads(prev);
  assert.equal(getNumThreads(), prev);
  assert.throws(() => setNumThreads(0), /at least 1/);
});

test('manualSeed makes random ops repeatable', () => tidy(() => {
  manualSeed(7);
  const a = ops.randn([5]).toArray();
  manualSeed(7);
  assert.deepEqual(ops.randn([5]).toArray(), a);
  assert.notDeepEqual(ops.randn([5]).toArray(), a);
}));

test('devices: cuda where libtorch has it, a clear error where it does not', () => tidy(() => {
  const x = gen([1, 2, 5, 5]);
  const w = gen([3, 2, 3, 3], 1);
  if (cudaDeviceCount() > 0) {
    const gops = new TorchOps({ device: 'cuda' });
    const y = gops.conv2d(x.to('cuda'), w.to('cuda'), null, { padding: 1 });
    assert.equal(y.device, 'cuda:0');
    assert.equal(gops.zeros([2]).device, 'cuda:0');
    assertClose(y.cpu().toArray(), ops.conv2d(x, w, null, { padding: 1 }).toArray(), 1e-4, 1e-4, 'cuda conv2d');
  } else {
    assert.throws(() => x.to('cuda'), (e: unknown) => e instanceof Error && /CUDA|cuda/.test(e.message));
  }
  assert.equal(x.device, 'cpu');
}));

test('AdamW: one and two steps match the torch.optim.AdamW update computed by hand', () => tidy(() => {
  const p0 = [0.5, -1.25, 2];
  const g1 = [0.1, -0.3, 0.05];
  const g2 = [-0.2, 0.4, 0.0];
  const p = fromData(Float64Array.from(p0), [3]).requiresGrad_();
  const opt = new AdamW([p], { lr: 0.01, weightDecay: 0.1 });
  const expected = Float64Array.from(p0);
  const m = new Float64Array(3);
  const v = new Float64Array(3);
  [g1, g2].forEach((g, s) => {
    p.grad = fromData(Float64Array.from(g), [3]);
    opt.step();
    const t = s + 1;
    for (let i = 0; i < 3; i++) {
      expected[i]! *= 1 - 0.01 * 0.1;
      m[i] = 0.9 * m[i]! + 0.1 * g[i]!;
      v[i] = 0.999 * v[i]! + 0.001 * g[i]! * g[i]!;
      const denom = Math.sqrt(v[i]!) / Math.sqrt(1 - 0.999 ** t) + 1e-8;
      expected[i]! -= (0.01 / (1 - 0.9 ** t)) * (m[i]! / denom);
    }
    assertClose(p.toArray(), [...expected], 1e-12, 1e-12, `AdamW step ${t}`);
  });
  const sd = opt.stateDict();
  assert.deepEqual([...sd.state.keys()], [0]);
  const st = sd.state.get(0)!;
  assert.deepEqual((st.step as HostTensor).data, new Float32Array([2]));
  assertClose([...((st.exp_avg as HostTensor).data as Float64Array)], [...m], 1e-15, 1e-12, 'exp_avg');
  assertClose([...((st.exp_avg_sq as HostTensor).data as Float64Array)], [...v], 1e-15, 1e-12, 'exp_avg_sq');
  const g = sd.param_groups[0]!;
  assert.deepEqual(Object.keys(g), ['lr', 'betas', 'eps', 'weight_decay', 'amsgrad', 'foreach', 'maximize', 'capturable',
    'differentiable', 'fused', 'params']);
  assert.deepEqual([g.lr, g.betas, g.eps, g.weight_decay, g.params], [0.01, [0.9, 0.999], 1e-8, 0.1, [0]]);

  // A fresh optimizer loading the state takes the same next step.
  const q = fromData(Float64Array.from(p.toArray()), [3]).requiresGrad_();
  const opt2 = new AdamW([q], { lr: 0.5 });
  opt2.loadStateDict(sd);
  for (const [t, o] of [[p, opt], [q, opt2]] as const) {
    t.grad = fromData(new Float64Array([0.3, 0.3, -0.1]), [3]);
    o.step();
  }
  assert.deepEqual(q.toArray(), p.toArray());
  opt.zeroGrad();
  assert.equal(p.grad, null);
  opt.dispose();
  opt2.dispose();
}));

test('SGD with momentum and weight decay matches the torch.optim.SGD update', () => tidy(() => {
  const p = fromData(new Float64Array([1, -2]), [2]).requiresGrad_();
  const opt = new SGD([p], { lr: 0.1, momentum: 0.9, weightDecay: 0.01, dampening: 0.1 });
  let buf: number[] | null = null;
  let expected = [1, -2];
  for (const g of [[0.5, 0.25], [-1, 2]]) {
    p.grad = fromData(Float64Array.from(g), [2]);
    opt.step();
    const d = g.map((x, i) => x + 0.01 * expected[i]!);
    buf = buf === null ? d : buf.map((b, i) => 0.9 * b + 0.9 * d[i]!);
    expected = expected.map((x, i) => x - 0.1 * buf![i]!);
    assertClose(p.toArray(), expected, 1e-12, 1e-12, 'SGD');
  }
  opt.dispose();
}));

test('optimizer state survives a tidy around the training step', () => {
  const p = keep(fromData(new Float32Array([1, 2]), [2]).requiresGrad_());
  const opt = new AdamW([p]);
  tidy(() => {
    ops.sum(ops.mul(p, p), []).backward();
    opt.step();
  });
  tidy(() => {
    opt.zeroGrad();
    ops.sum(ops.mul(p, p), []).backward();
    opt.step();
  });
  const st = opt.stateDict().state.get(0)!;
  assert.deepEqual((st.step as HostTensor).data, new Float32Array([2]));
  assert.equal((st.exp_avg as HostTensor).data.length, 2, 'state tensors were not freed by the tidy scopes');
  opt.dispose();
  p.dispose();
});

test("AdamW loads the optimizer state of a PyTorch checkpoint (fixture) and round-trips its own", () => tidy(() => {
  const file = fileURLToPath(new URL('../../../../shared/fixtures/mobilenet_seed0_512/model.pt', import.meta.url));
  const ck = readCheckpoint(readFileSync(file), file) as Map<string, unknown>;
  const params = Array.from({ length: 292 }, () => ops.zeros([2]).requiresGrad_());
  const opt = new AdamW(params);
  opt.loadStateDict(ck.get('optimizer') as Map<unknown, unknown>);
  const g = opt.paramGroups[0]!;
  assert.deepEqual([g.options.lr, g.options.weightDecay, g.options.eps, [...g.options.betas], g.initialLr], [1e-6 * (1 + 2 ** -52), 1e-5, 1e-8, [0.9, 0.999], 1e-4]);
  const out = opt.stateDict().param_groups[0]!;
  assert.deepEqual(Object.keys(out).slice(-2), ['initial_lr', 'params']);
  assert.deepEqual(out.params, params.map((_, i) => i));

  // Our state dict → our checkpoint writer → our reader → a fresh optimizer: same next step.
  params.forEach((p) => (p.grad = ops.ones([2])));
  opt.step();
  const again = new AdamW(params.map((p) => p.clone().detach().requiresGrad_()));
  again.loadStateDict((readCheckpoint(writeCheckpoint({ optimizer: opt.stateDict() as never })) as Map<string, unknown>).get('optimizer') as Map<unknown, unknown>);
  const st = again.stateDict();
  assert.deepEqual((st.state.get(291)!.step as HostTensor).data, new Float32Array([1]));
  assert.equal(st.param_groups[0]!.initial_lr, 1e-4);
  opt.dispose();
  again.dispose();
}));

test('a checkpoint written by our TS writer loads through libtorch (torch::pickle_load)', () => tidy(() => {
  const sd = new Map<string, HostTensor>([
    ['conv.weight', { dtype: 'float32', shape: [2, 1, 2, 2], data: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8], (v) => v / 8) }],
    ['bn.num_batches_tracked', { dtype: 'int64', shape: [], data: new BigInt64Array([42n]) }],
    ['half', { dtype: 'float16', shape: [2], data: new Uint16Array([0x3c00, 0xc000]) }],
    ['mask', { dtype: 'bool', shape: [3], data: new Uint8Array([1, 0, 1]) }],
    ['d', { dtype: 'float64', shape: [1, 2], data: new Float64Array([Math.PI, -1e-300]) }],
  ]);
  const loaded = pickleLoad(writeCheckpoint(sd)) as Map<string, TorchTensor>;
  assert.ok(loaded instanceof Map);
  assert.deepEqual([...loaded.keys()], [...sd.keys()]);
  for (const [k, h] of sd) {
    const t = loaded.get(k)!;
    assert.ok(t instanceof TorchTensor, k);
    assert.deepEqual(t.toHost(), { dtype: h.dtype, shape: [...h.shape], data: h.data }, k);
  }
  // The optimizer's state dict in PyTorch's layout is loadable too.
  const p = fromHost(sd.get('conv.weight')!).requiresGrad_();
  const opt = new AdamW([p]);
  ops.sum(ops.mul(p, p), []).backward();
  opt.step();
  const osd = pickleLoad(writeCheckpoint({ optimizer: opt.stateDict() as never })) as Map<string, Map<string, unknown>>;
  const state = osd.get('optimizer')!.get('state') as Map<number, Map<string, TorchTensor>>;
  assert.deepEqual([...state.keys()], [0]);
  assert.deepEqual(state.get(0)!.get('exp_avg')!.shape, [2, 1, 2, 2]);
  opt.dispose();
}));

test('without the addon, loading explains how to build it (and importing needs no libtorch)', () => {
  const index = fileURLToPath(new URL('../../src/engine/torch/index.js', import.meta.url));
  const script = `const m = await import(${JSON.stringify(index)}); console.log('imported');
    try { m.loadTorch(); } catch (e) { console.log(e.name + ': ' + e.message); }`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, SEGFACE_TORCH_ADDON: '/nonexistent/segface_torch.node' },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^imported\nUserError: the libtorch training engine is not built/);
  assert.match(r.stdout, /apt-get install libtorch-dev && npm run build:native/);
  assert.match(r.stdout, /LIBTORCH=python npm run build:native/);
});

test('the garbage collector frees tensors nobody disposed (safety net)', () => {
  const index = fileURLToPath(new URL('../../src/engine/torch/index.js', import.meta.url));
  const script = `const m = await import(${JSON.stringify(index)});
    const ops = new m.TorchOps();
    const base = m.liveTensorCount();
    let held = [];
    for (let i = 0; i < 100; i++) held.push(ops.zeros([1000]));
    const made = m.liveTensorCount() - base;
    held = null;
    for (let i = 0; i < 200 && m.liveTensorCount() > base; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 20)); }
    console.log(made, m.liveTensorCount() - base);`;
  const r = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), '100 0');
});

test('int64 arguments accept bigints and integer-valued numbers', () => tidy(() => {
  assert.deepEqual(ops.indexSelect(gen([5]), 0, int64([4, 0])).toArray(), [gen([5]).toArray()[4], gen([5]).toArray()[0]]);
  assert.deepEqual(callOp('aten::arange', '', [3n]) instanceof TorchTensor, true);
}));
