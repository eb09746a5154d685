// int8 for a SegFace graph, by measurement (as calibrate.ts does for float16): activation ranges
// from float32 runs on a few calibration photos; then, if the all-int8 graph agrees with float32
// on fewer than `minAgreement` of the pixels, each group of modules is tried alone in int8 and
// the groups that cost least agreement per weight go int8 first, as many as the target allows
// (bisection). The rest keep their float32 weights and arithmetic.
import { createSession, releaseSession, run } from '../engine/onnx/session.js';
import { inFloat32Modules } from '../engine/precision-plan.js';
import type { SegFace } from '../model/segface.js';
import { agreement, meanAgreement, type Agreement } from './agreement.js';
import { precisionGroups } from '../model/precision-groups.js';
import { calibrationTensors, decodeModel, quantizableNodes, quantizeModel, withOutputs, type Range } from './qdq.js';

export interface Int8Options {
  resolution: number;
  /** Preprocessed photos, [batch,3,R,R] each (the float graph's input shape). */
  calibration: readonly Float32Array[];
  /** Argmax agreement with float32 the search keeps (default 0.995). */
  minAgreement?: number;
  threads?: number;
  log?: (line: string) => void;
}

export interface Int8Result {
  bytes: Uint8Array;
  /** Module prefixes kept float32. */
  float32Modules: string[];
  /** Quantized nodes of all quantizable ones. */
  quantized: number;
  quantizable: number;
  /** Agreement with float32 on the calibration photos. */
  agreement: Agreement;
  trials: number;
}

export const DEFAULT_INT8_AGREEMENT = 0.995;

async function runAll(bytes: Uint8Array, inputs: readonly Float32Array[], r: number, threads?: number, outputs?: readonly string[]): Promise<Record<string, Float32Array>[]> {
  const s = await createSession(bytes, { threads });
  try {
    const res: Record<string, Float32Array>[] = [];
    for (const x of inputs) {
      const o = await run(s, { [s.inputNames[0]!]: { data: x, shape: [x.length / (3 * r * r), 3, r, r] } }, outputs ?? [s.outputNames[0]!]);
      res.push(Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v.data])));
    }
    return res;
  } finally {
    await releaseSession(s);
  }
}

/** min/max of every tensor int8 needs, over the calibration photos. */
export async function calibrationRanges(floatBytes: Uint8Array, inputs: readonly Float32Array[], r: number, threads?: number): Promise<Map<string, Range>> {
  const names = calibrationTensors(quantizableNodes(decodeModel(floatBytes)));
  const ranges = new Map<string, Range>();
  // In chunks, so that the activations of one run stay a few hundred MB.
  for (let i = 0; i < names.length; i += 48) {
    const chunk = names.slice(i, i + 48);
    for (const out of await runAll(withOutputs(floatBytes, chunk), inputs, r, threads, chunk)) {
      for (const name of chunk) {
        const d = out[name]!;
        let lo = Infinity, hi = -Infinity;
        for (let k = 0; k < d.length; k++) { const v = d[k]!; if (v < lo) lo = v; if (v > hi) hi = v; }
        const p = ranges.get(name);
        ranges.set(name, { min: Math.min(lo, p?.min ?? Infinity), max: Math.max(hi, p?.max ?? -Infinity) });
      }
    }
  }
  return ranges;
}

/** The state-dict prefix a (possibly rewritten) weight belongs to. */
export function weightModule(name: string): string {
  const n = name.startsWith('qdq.') ? name : name.replace(/^rewrite\./, '');
  return n.startsWith('fusion.') ? 'linear_fuse.' : n;
}

export async function quantizeInt8(net: SegFace, floatBytes: Uint8Array, o: Int8Options): Promise<Int8Result> {
  const r = o.resolution;
  const target = o.minAgreement ?? DEFAULT_INT8_AGREEMENT;
  const classes = net.numClasses;
  const ref = (await runAll(floatBytes, o.calibration, r, o.threads)).map((x) => Object.values(x)[0]!);
  const ranges = await calibrationRanges(floatBytes, o.calibration, r, o.threads);
  const all = quantizableNodes(decodeModel(floatBytes));
  let trials = 0;
  const tryKeep = async (keep: readonly string[]): Promise<{ bytes: Uint8Array; a: Agreement }> => {
    trials++;
    const bytes = quantizeModel(floatBytes, ranges, (w) => inFloat32Modules(weightModule(w), keep));
    const outs = await runAll(bytes, o.calibration, r, o.threads);
    const a = meanAgreement(outs.map((x, i) => agreement(Object.values(x)[0]!, ref[i]!, classes, r * r)));
    return { bytes, a };
  };
  const line = (a: Agreement) => `argmax agreement ${(100 * a.argmax).toFixed(2)} %, mean |Δsoftmax| ${a.softmaxMeanAbs.toExponential(2)}`;
  const groups = precisionGroups(net);
  const count = (keep: readonly string[]) => all.filter((t) => !inFloat32Modules(weightModule(t.weight), keep)).length;
  const done = (bytes: Uint8Array, keep: string[], a: Agreement): Int8Result =>
    ({ bytes, float32Modules: keep, quantized: count(keep), quantizable: all.length, agreement: a, trials });

  const full = await tryKeep([]);
  o.log?.(`all int8 (${all.length} Conv/Gemm nodes): ${line(full.a)} (target ${(100 * target).toFixed(1)} %)`);
  if (full.a.argmax >= target) return done(full.bytes, [], full.a);

  const cost = new Map<(typeof groups)[number], number>();
  for (const g of groups) {
    const alone = await tryKeep(groups.filter((h) => h !== g).flatMap((h) => h.prefixes));
    cost.set(g, (1 - alone.a.argmax) / Math.max(g.size, 1));
    o.log?.(`  ${g.prefixes[0]}${g.prefixes.length > 1 ? ` … ${g.prefixes.at(-1)}` : ''} alone in int8: ${line(alone.a)}`);
  }
  const order = [...groups].sort((a, b) => cost.get(a)! - cost.get(b)!);
  const keep = (k: number) => order.slice(k).flatMap((g) => g.prefixes);
  let lo = 0, hi = order.length;
  let best: { bytes: Uint8Array; a: Agreement } | null = null;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    const t = await tryKeep(keep(mid));
    o.log?.(`  ${mid} of ${order.length} groups in int8: ${line(t.a)}`);
    if (t.a.argmax >= target) [lo, best] = [mid, t];
    else hi = mid;
  }
  best ??= await tryKeep(keep(lo));
  return done(best.bytes, keep(lo), best.a);
}
