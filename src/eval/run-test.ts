// `segface test` minus the command-line parsing: the official test.py flow (log the arguments,
// load the split, load the model, run the evaluation, log the official lines) plus a long-tail
// table, a JSON result file and optional saved predictions.
import { join, resolve } from 'node:path';
import { UserError } from '../errors.js';
import type { Precision } from '../engine/torch/precision.js';
import { writeFileAtomic } from '../io/write-files.js';
import { openSplit } from '../data/datasets.js';
import { DataLoader } from '../data/loader.js';
import { envVar } from '../data/root.js';
import { HEAD_KINDS, HEADS } from '../model/classes.js';
import type { DatasetName, Split } from '../data/types.js';
import { evaluate, type Predictor } from './evaluate.js';
import { longTailRows, longTailTable, officialLines } from './report.js';

/** Head each official --backbone value builds, and the dataset it belongs to. */
export const BACKBONES: Record<string, DatasetName> = Object.fromEntries(HEAD_KINDS.map((h) => [HEADS[h].backbone, HEADS[h].dataset as DatasetName]));

export interface TestOptions {
  dataset: DatasetName;
  backbone: string;
  /** Backbone name as the official flag gives it; optional here (the checkpoint decides). */
  model?: string;
  inputResolution: number;
  testBs: number;
  modelPath: string;
  ckptPath: string;
  exptName: string;
  dataPath?: string;
  runtime: 'onnx' | 'torch';
  device?: 'cpu' | 'cuda';
  /** libtorch runtime: fp32 (default), fp16 or bf16. */
  precision?: Precision;
  split: Split;
  numWorkers: number;
  seed: number;
  savePreds?: string;
  limit?: number;
}

/** A model ready to evaluate: its class count and a predictor. */
export interface LoadedModel {
  numClasses: number;
  predict: Predictor;
  describe?: string;
  /** False when the model cannot apply LaPa's landmark warp (an exported .onnx graph). */
  landmarkWarp?: boolean;
  dispose(): Promise<void>;
}

export type ModelLoader = (o: TestOptions) => Promise<LoadedModel>;

export interface TestIo {
  /** One official log line (stdout and test.log). */
  log(line: string): void;
  /** Progress (stderr); done/total in batches. */
  progress?(done: number, total: number): void;
  warn?(line: string): void;
}

/** The folder test.log goes to: <LOG_PATH>/<ckpt_path>/<expt_name> (LOG_PATH defaults to ./logs). */
export function logDir(o: Pick<TestOptions, 'ckptPath' | 'exptName'>): string {
  return resolve(envVar('LOG_PATH') ?? 'logs', o.ckptPath, o.exptName);
}

export interface TestOutcome {
  lines: string[];
  logFile: string;
  jsonFile: string;
  meanF1: number;
}

export async function runTest(o: TestOptions, loadModel: ModelLoader, io: TestIo): Promise<TestOutcome> {
  const expected = BACKBONES[o.backbone];
  if (!expected) throw new UserError(`unknown --backbone '${o.backbone}' (expected ${Object.keys(BACKBONES).join(', ')})`);
  if (expected !== o.dataset) throw new UserError(`--backbone ${o.backbone} is the ${expected} head, but --dataset is ${o.dataset}`);
  const dir = logDir(o);
  const lines: string[] = [];
  const log = (l: string) => { lines.push(l); io.log(l); };

  // The arguments, in test.py's argparse order, then this port's own flags.
  log('---'.repeat(15));
  const args: Array<[string, unknown]> = [
    ['ckpt_path', join(envVar('LOG_PATH') ?? 'logs', o.ckptPath)], ['expt_name', o.exptName], ['dataset', o.dataset],
    ['backbone', o.backbone], ['model', o.model ?? '(from the checkpoint)'], ['input_resolution', o.inputResolution], ['test_bs', o.testBs],
    ['seed', o.seed], ['num_workers', o.numWorkers], ['model_path', o.modelPath],
    ['data_path', o.dataPath ?? envVar('DATA_PATH') ?? ''], ['runtime', o.runtime], ['device', o.device ?? 'cpu'], ...(o.precision && o.precision !== 'fp32' ? [['precision', o.precision] as [string, unknown]] : []), ['split', o.split],
  ];
  for (const [k, v] of args) log(`${k}: ${v}`);
  log('--'.repeat(15));

  const index = await openSplit(o.dataset, o.split, o.dataPath);
  const loader = new DataLoader(index, {
    resolution: o.inputResolution, batchSize: o.testBs, shuffle: false, dropLast: true,
    numWorkers: o.numWorkers, seed: o.seed, limit: o.limit,
  });
  try {
    if (loader.length === 0) {
      throw new UserError(`${index.root}: the ${o.split} split has ${index.samples.length} samples, fewer than one batch of --test_bs ${o.testBs} (the official loaders drop incomplete batches)`);
    }
    const dropped = Math.min(index.samples.length, o.limit ?? Infinity) - loader.samplesPerEpoch;
    if (dropped > 0) io.warn?.(`note: drop_last leaves out the last ${dropped} samples (as the official loader does); use --test_bs 1 to evaluate all`);
    log('Data Loaded');

    const model = await loadModel(o);
    try {
      if (model.numClasses !== index.classNames.length) {
        throw new UserError(`${o.modelPath}: the model predicts ${model.numClasses} classes, ${o.dataset} has ${index.classNames.length}`);
      }
      if (o.model && /\.pth?$/.test(o.modelPath) && model.describe && !model.describe.startsWith(`${o.model}_`)) {
        io.warn?.(`note: --model ${o.model}, but ${o.modelPath} holds ${model.describe.split(' ')[0]}`);
      }
      if (o.dataset === 'lapa' && model.landmarkWarp === false) {
        io.warn?.(`note: ${o.modelPath} cannot apply the LaPa landmark warp (an exported graph has no warp-grid inputs); LaPa scores are lower than the official ones`);
      }
      log('Model Loaded');
      const res = await evaluate(loader, model.predict, {
        classNames: index.classNames, merged: o.dataset === 'helen', savePreds: o.savePreds,
        onBatch: io.progress,
      });
      for (const l of officialLines(res.metrics)) log(l);
      const rows = longTailRows(res.acc, res.metrics);
      log('');
      for (const l of longTailTable(rows)) log(l);

      const m = res.metrics;
      const json = {
        dataset: o.dataset, split: o.split, backbone: o.backbone, model: o.model ?? model.describe ?? null, model_path: o.modelPath,
        input_resolution: o.inputResolution, samples: res.samples, runtime: o.runtime,
        pixel_accuracy: m.pixelAccuracy, mean_accuracy: m.meanAccuracy,
        iou: Object.fromEntries(m.classNames.map((n, k) => [n, m.iou[k]])), mean_iou: m.meanIoU,
        f1: Object.fromEntries(m.f1), mean_f1: m.meanF1,
        long_tail: rows.map((r) => ({ class: r.name, f1: r.f1, pixel_share: r.pixelShare, image_share: r.imageShare })),
        confusion_matrix: m.classNames.map((_, g) => Array.from(m.hist.subarray(g * m.classNames.length, (g + 1) * m.classNames.length))),
      };
      const logFile = join(dir, 'test.log'), jsonFile = join(dir, 'test.json');
      await writeFileAtomic(logFile, `${lines.join('\n')}\n`);
      // NaN is not JSON: absent classes (0/0 F1) are written as null.
      await writeFileAtomic(jsonFile, `${JSON.stringify(json, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`);
      return { lines, logFile, jsonFile, meanF1: m.meanF1 };
    } finally {
      await model.dispose();
    }
  } finally {
    await loader.close();
  }
}
