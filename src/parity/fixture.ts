// Parity of the TypeScript SegFace against a fixture folder (fixtures README layout):
// builds the model `meta.json` names, loads `model.pt` or the weights recipe, runs `input.npy`
// and compares every stored stage (full arrays or `_s3` stride-3 samples).
import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { UserError } from '../errors.js';
import { readFileBytes, readNpyFile, readStateDictFile } from '../io/files.js';
import { toFloat32, type StateDict } from '../io/host-tensor.js';
import type { HeadKind } from '../model/classes.js';
import { buildSegFace } from '../model/build.js';
import { bindStateDict } from '../model/load.js';
import { recipeStateDict } from './recipe.js';
import type { SegFace, SegFaceOptions } from '../model/segface.js';

export interface FixtureMeta {
  variant?: string;
  model_arg: string;
  dataset?: string;
  resolution: number;
  num_classes: number;
  fp32_vs_fp64_logits_max_abs_diff?: number;
}

/** Forward options a fixture can supply from files (no tensors). */
export type HostOptions = Pick<SegFaceOptions, 'landmarks'>;

export interface Array4 { data: Float32Array; shape: number[] }
/** Runs `model` on `input` [B,3,R,R] and returns the logits plus every recorded intermediate. */
export type Runner = (model: SegFace, weights: StateDict, input: Array4, opts?: HostOptions) => Promise<Map<string, Array4>>;

export interface StageDiff { name: string; file: string; maxAbs: number; shape: number[] }
export interface ParityResult {
  folder: string;
  stages: StageDiff[];
  maxAbs: number;
  tol: number;
  argmaxAgree: number;
  /** Pixels whose reference top-2 margin exceeds 2·tol (those argmax is checked on). */
  argmaxPixels: number;
  pass: boolean;
}

export function readMeta(folder: string): FixtureMeta {
  const path = join(folder, 'meta.json');
  if (!existsSync(path)) throw new UserError(`${folder}: not a fixture folder (no meta.json)`);
  let m: FixtureMeta;
  try {
    m = JSON.parse(new TextDecoder().decode(readFileBytes(path))) as FixtureMeta;
  } catch (err) {
    throw new UserError(`${path}: not valid JSON (${(err as Error).message})`);
  }
  if (typeof m.model_arg !== 'string' || typeof m.resolution !== 'number') {
    throw new UserError(`${path}: needs "model_arg" and "resolution"`);
  }
  return m;
}

export function headOf(meta: FixtureMeta): HeadKind {
  const d = (meta.dataset ?? '').toLowerCase();
  if (d.includes('lapa')) return 'lapa';
  if (d.includes('helen')) return 'helen';
  if (d.includes('celeb') || meta.num_classes === 19) return 'celeb';
  throw new UserError(`fixture meta: cannot tell the head from dataset '${meta.dataset}' / ${meta.num_classes} classes`);
}

/** LaPa fixtures may carry the 5 warp landmarks ([B,5,2], pixels at R) under one of these names. */
const LANDMARK_FILES = ['lnm_seg.npy', 'landmarks.npy'];

/** The fixture's model with its weights bound strictly (and the forward options it needs). */
export function loadFixtureModel(folder: string): { meta: FixtureMeta; model: SegFace; weights: StateDict; opts: HostOptions } {
  const meta = readMeta(folder);
  const model = buildSegFace({ model: meta.model_arg, head: headOf(meta), resolution: meta.resolution });
  const pt = join(folder, 'model.pt');
  const source = existsSync(pt) ? pt : join(folder, 'weights.json');
  const raw = existsSync(pt) ? readStateDictFile(pt) : recipeStateDict(folder);
  const lm = LANDMARK_FILES.map((f) => join(folder, f)).find((p) => existsSync(p));
  const opts: HostOptions = lm ? { landmarks: toFloat32(readNpyFile(lm)) } : {};
  return { meta, model, weights: bindStateDict(model, raw, source, `SegFace --model ${meta.model_arg}`), opts };
}

/** Stride-3 sample [:, :, 0::3, 0::3] of a 4-D array. */
export function sampleS3(a: Array4): Array4 {
  const [b, c, h, w] = a.shape as [number, number, number, number];
  const hs = Math.ceil(h / 3), ws = Math.ceil(w / 3);
  const out = new Float32Array(b * c * hs * ws);
  let o = 0;
  for (let p = 0; p < b * c; p++) {
    for (let y = 0; y < h; y += 3) for (let x = 0; x < w; x += 3) out[o++] = a.data[(p * h + y) * w + x]!;
  }
  return { data: out, shape: [b, c, hs, ws] };
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

/**
 * Argmax agreement over channel dim 1 on the pixels whose reference top-2 margin exceeds
 * `margin` → [fraction agreeing, pixels considered].
 */
export function argmaxAgreement(ours: Array4, ref: Array4, margin: number): [number, number] {
  const [b, c, h, w] = ref.shape as [number, number, number, number];
  const hw = h * w;
  let n = 0, agree = 0;
  for (let bi = 0; bi < b; bi++) {
    for (let p = 0; p < hw; p++) {
      let best = -Infinity, second = -Infinity, bestIdx = -1, oursBest = -Infinity, oursIdx = -1;
      for (let ch = 0; ch < c; ch++) {
        const i = (bi * c + ch) * hw + p;
        const v = ref.data[i]!;
        if (v > best) { second = best; best = v; bestIdx = ch; } else if (v > second) second = v;
        const u = ours.data[i]!;
        if (u > oursBest) { oursBest = u; oursIdx = ch; }
      }
      if (best - second > margin) {
        n++;
        if (oursIdx === bestIdx) agree++;
      }
    }
  }
  return [n === 0 ? 1 : agree / n, n];
}

const STAGE_ORDER = ['feat_tap0', 'feat_tap1', 'feat_tap2', 'feat_tap3', 'feat_fused', 'feat_image_pe', 'feat_tokens_out', 'feat_src_out', 'feat_upscaled', 'feat_hyper_in', 'logits'];

/** Runs the parity check of `folder` with `runner`; `log` receives one line per stage. */
export async function runParity(folder: string, runner: Runner, log: (line: string) => void = () => {}): Promise<ParityResult> {
  const { meta, model, weights, opts } = loadFixtureModel(folder);
  const inputT = readNpyFile(join(folder, 'input.npy'));
  const input = { data: toFloat32(inputT), shape: [...inputT.shape] };
  const outputs = await runner(model, weights, input, opts);

  const files = readdirSync(folder).filter((f) => f.endsWith('.npy') && (f.startsWith('feat_') || f.startsWith('logits')));
  const stageOf = (f: string): { name: string; s3: boolean } => {
    const base = basename(f, '.npy');
    return base.endsWith('_s3') ? { name: base.slice(0, -3), s3: true } : { name: base, s3: false };
  };
  files.sort((a, b) => STAGE_ORDER.indexOf(stageOf(a).name) - STAGE_ORDER.indexOf(stageOf(b).name));

  const tol = Math.max(1e-3, 3 * (meta.fp32_vs_fp64_logits_max_abs_diff ?? 0));
  const stages: StageDiff[] = [];
  let logitsDiff = Infinity;
  let agree = 0, pixels = 0;
  for (const f of files) {
    const { name, s3 } = stageOf(f);
    const mine = outputs.get(name);
    if (!mine) throw new UserError(`${join(folder, f)}: the model produced no stage '${name}'`);
    const refT = readNpyFile(join(folder, f));
    const ref = { data: toFloat32(refT), shape: [...refT.shape] };
    const cmp = s3 ? sampleS3(mine) : mine;
    const sameShape = cmp.shape.length === ref.shape.length && cmp.shape.every((n, i) => n === ref.shape[i]);
    const d = sameShape ? maxAbsDiff(cmp.data, ref.data) : Infinity;
    stages.push({ name, file: f, maxAbs: d, shape: ref.shape });
    log(`  ${f.padEnd(24)} [${ref.shape.join(',')}]${sameShape ? '' : ` (ours [${cmp.shape.join(',')}])`} max_abs=${d.toExponential(3)}`);
    if (name === 'logits') {
      logitsDiff = d;
      if (sameShape) [agree, pixels] = argmaxAgreement(cmp, ref, 2 * tol);
    }
  }
  if (!Number.isFinite(logitsDiff) && !files.some((f) => stageOf(f).name === 'logits')) {
    throw new UserError(`${folder}: no logits.npy or logits_s3.npy to compare`);
  }
  const pass = logitsDiff <= tol && agree >= 0.9999;
  return { folder, stages, maxAbs: logitsDiff, tol, argmaxAgree: agree, argmaxPixels: pixels, pass };
}

/** Details line, then the fixed-format last line (argmax agreement in percent, no sign). */
export function detailLine(r: ParityResult): string {
  const worst = r.stages.filter((s) => s.name !== 'logits').reduce((a, s) => (s.maxAbs > a.maxAbs ? s : a), { name: '-', maxAbs: 0 });
  return `  argmax checked on ${r.argmaxPixels} pixels with reference top-2 margin > ${(2 * r.tol).toExponential(3)}; ` +
    `largest intermediate diff: ${worst.name} ${worst.maxAbs.toExponential(3)}; ${r.pass ? 'PASS' : 'FAIL'}`;
}

export function summaryLine(r: ParityResult): string {
  return `parity ${r.folder}: max_abs=${r.maxAbs.toExponential(3)} tol=${r.tol.toExponential(3)} argmax_agree=${(r.argmaxAgree * 100).toFixed(4)}`;
}
