// Where the time goes in one ONNX graph, from ORT's own profiler: per op type and the slowest
// nodes, for the graph as written (--no-rewrite) or rewritten (default). --ablation instead times
// the graph as written, with the default rewrites and with each of them left out (interleaved rounds, median
// wall time), with the GFLOP each one executes: what each rewrite saves.
//   npm run bench -- profile [--model mobilenet] [--res 512] [--threads 2] [--runs 5] [--no-rewrite] [--top 15] [--ablation]
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { buildOnnxGraph, REWRITES, type RewriteOptions } from '../src/engine/onnx/index.js';
import type { StateDict } from '../src/io/host-tensor.js';
import { Rng } from '../src/model/init.js';
import type { SegFace } from '../src/model/segface.js';
import { BENCH_DIR, flag, has, median, printTable, runMain, sharedWeights } from './common.js';
import { rewrittenFlops, segfaceFlops } from './flops.js';

async function ablation(net: SegFace, sd: StateDict, model: string, res: number, threads: number, runs: number): Promise<void> {
  // conv-transpose and token-gather are off by default (conv-transpose has nothing left to match
  // once `upscaler` ran).
  const variants: [string, RewriteOptions | false][] = [['as written', false], ['default', {}],
    ...REWRITES.filter(([name]) => name !== 'conv-transpose' && name !== 'token-gather').map(([name]): [string, RewriteOptions] => [`default but ${name}`, { skip: [name] }]),
    ['default but upscaler, + conv-transpose', { skip: ['upscaler'], convTransposeAsShuffle: true }]];
  const rng = new Rng(1);
  const x = new ort.Tensor('float32', new Float32Array(3 * res * res).map(() => rng.normal()), [1, 3, res, res]);
  const official = [...segfaceFlops(net, sd, 1, res).values()].reduce((a, b) => a + b, 0);
  const sessions: ort.InferenceSession[] = [];
  for (const [, rw] of variants) {
    const g = buildOnnxGraph(net, sd, [1, 3, res, res], { rewrite: rw });
    sessions.push(await ort.InferenceSession.create(g.bytes, { intraOpNumThreads: threads, interOpNumThreads: 1, enableMemPattern: false }));
  }
  // CPU time next to wall time: on a shared machine it is the steadier measure of work done.
  const times: number[][] = variants.map(() => []);
  const cpu: number[][] = variants.map(() => []);
  for (let round = 0; round < runs + 1; round++) {
    for (let i = 0; i < sessions.length; i++) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      await sessions[i]!.run({ [sessions[i]!.inputNames[0]!]: x });
      const c = process.cpuUsage(c0);
      if (round > 0) { times[i]!.push(performance.now() - t0); cpu[i]!.push((c.user + c.system) / 1000); }
    }
  }
  for (const s of sessions) await s.release();
  const rows = variants.map(([name, rw], i) => [name, (rw === false ? official : rewrittenFlops(net, sd, 1, res, rw)) / 1e9, median(times[i]!), median(cpu[i]!)]);
  printTable(`${model} ${res}² batch 1, ${threads} threads: each rewrite's share (median of ${runs} interleaved rounds)`, ['graph', 'GFLOP', 'wall ms', 'CPU ms'], rows);
}

interface Event { cat: string; name: string; dur: number; args?: { op_name?: string } }

async function main(): Promise<void> {
  const model = flag('model', 'mobilenet');
  const res = Number(flag('res', '512'));
  const threads = Number(flag('threads', '2'));
  const runs = Number(flag('runs', '5'));
  const top = Number(flag('top', '15'));
  const { net, sd } = sharedWeights(model, res);
  if (has('ablation')) return ablation(net, sd, model, res, threads, runs);
  const g = buildOnnxGraph(net, sd, [1, 3, res, res], { rewrite: !has('no-rewrite') });
  for (const n of g.rewrites) console.log(`rewrite ${n.rewrite}: ${n.detail}`);
  const s = await ort.InferenceSession.create(g.bytes, {
    intraOpNumThreads: threads, interOpNumThreads: 1, enableProfiling: true, enableMemPattern: false,
    profileFilePrefix: join(BENCH_DIR, `profile-${model}`),
  });
  const rng = new Rng(1);
  const x = new ort.Tensor('float32', new Float32Array(3 * res * res).map(() => rng.normal()), [1, 3, res, res]);
  for (let i = 0; i < runs + 1; i++) await s.run({ [s.inputNames[0]!]: x });
  s.endProfiling(); // writes <prefix>_<date>.json (the binding does not return its name)
  await s.release();
  const prefix = `profile-${model}`;
  const file = readdirSync(BENCH_DIR).filter((f) => f.startsWith(prefix) && f.endsWith('.json')).sort().pop();
  if (!file) throw new Error(`ORT wrote no profile into ${BENCH_DIR}`);
  const events = (JSON.parse(readFileSync(join(BENCH_DIR, file), 'utf8')) as Event[]).filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time'));
  rmSync(join(BENCH_DIR, file), { force: true });
  // The first run is warm-up; ORT lists every run's nodes in order, so keep the last `runs` runs' share.
  const perNode = new Map<string, { op: string; us: number }>();
  for (const e of events) {
    const name = e.name.replace(/_kernel_time$/, '');
    const p = perNode.get(name) ?? { op: e.args?.op_name ?? '?', us: 0 };
    p.us += e.dur;
    perNode.set(name, p);
  }
  const scale = 1 / (runs + 1) / 1000; // ms per run
  const byOp = new Map<string, number>();
  const count = new Map<string, number>();
  let total = 0;
  for (const p of perNode.values()) {
    byOp.set(p.op, (byOp.get(p.op) ?? 0) + p.us);
    count.set(p.op, (count.get(p.op) ?? 0) + 1);
    total += p.us;
  }
  printTable(`${model} ${res}² batch 1, ${threads} threads, ${g.rewrites.length ? 'rewritten' : 'as written'}: kernel ms per run by op type (total ${(total * scale).toFixed(1)} ms)`,
    ['op', 'nodes', 'ms', '%'], [...byOp].sort((a, b) => b[1] - a[1]).map(([op, us]) => [op, count.get(op)!, us * scale, (100 * us) / total]));
  printTable(`slowest ${top} nodes`, ['node', 'op', 'ms'],
    [...perNode].sort((a, b) => b[1].us - a[1].us).slice(0, top).map(([n, p]) => [n, p.op, p.us * scale]));
}

runMain(import.meta.url, main);
