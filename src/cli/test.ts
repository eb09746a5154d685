// `segface test`: the official test.py (same flags, same printed and logged lines, the `gts` crash
// fixed), plus a long-tail table, test.json and optional saved predictions.
import type { Command } from 'commander';
import { Option } from 'commander';
import cliProgress from 'cli-progress';
import { parseDatasetName, parseSplit } from '../data/datasets.js';
import { BACKBONES, runTest, type ModelLoader, type TestOptions } from '../eval/run-test.js';
import { intAtLeast } from './numbers.js';
import { testCheckpoint } from './model-flags.js';
import { UserError } from '../errors.js';
import type { Precision } from '../engine/torch/precision.js';
import { precisionOption } from './precision-option.js';


interface RawOptions {
  dataset: string; backbone?: string; model?: string; input_resolution: number; test_bs: number;
  model_path: string; ckpt_path: string; expt_name?: string; data_path?: string; runtime: 'onnx' | 'torch'; device: 'cpu' | 'cuda'; precision: Precision;
  split: string; num_workers: number; seed: number; save_preds?: string; limit?: number; progress?: boolean;
}

const DEFAULT_BACKBONE: Record<string, string> = Object.fromEntries(Object.entries(BACKBONES).map(([b, d]) => [d, b]));

export function register(program: Command, loadModel?: ModelLoader): void {
  program
    .command('test')
    .description('evaluate a checkpoint on a dataset split exactly as the official test.py does (F1, IoU, accuracy), plus a long-tail table')
    .requiredOption('--dataset <name>', 'celebamask_hq | lapa | helen')
    .option('--backbone <name>', 'segface_celeb | segface_lapa | segface_helen (default: the dataset\'s head)')
    .option('--model <name>', 'backbone of the checkpoint, e.g. swin_base, mobilenet (default: recognised from the checkpoint); official flag: the checkpoint itself is --model_path (in parse/serve/export it is --model)')
    .option('--input_resolution <R>', 'input size R (images and labels are resized to R×R)', intAtLeast('--input_resolution', 32), 512)
    .option('--test_bs <n>', 'batch size (incomplete last batches are dropped, as officially)', intAtLeast('--test_bs', 1), 32)
    .option('--model_path <file>', 'checkpoint (.pt, e.g. model_299.pt), exported .onnx, or a registry id (required)')
    .option('--ckpt_path <dir>', 'log folder under LOG_PATH', 'ckpts')
    .option('--expt_name <name>', 'experiment name (log folder under ckpt_path; default <dataset>_<R>)')
    .option('--data_path <dir>', 'datasets folder (default: DATA_PATH from the environment or ./.env)')
    .addOption(new Option('--runtime <name>', 'inference engine').choices(['onnx', 'torch']).default('onnx'))
    .addOption(new Option('--device <name>', 'where the model runs').choices(['cpu', 'cuda']).default('cpu'))
    .addOption(precisionOption())
    .option('--split <name>', 'test | val (Helen has no val: it uses test, like the official loader)', 'test')
    .option('--num_workers <n>', 'loader worker threads (0 = decode on the main thread)', intAtLeast('--num_workers', 0), 4)
    .option('--seed <n>', 'seed (recorded; evaluation is not random)', intAtLeast('--seed', 0), 32)
    .option('--save_preds <dir>', 'also write each prediction as <dir>/<sample>.png (class ids at R×R)')
    .option('--limit <n>', 'evaluate only the first n samples of the split', intAtLeast('--limit', 1))
    .option('--no-progress', 'no progress bar even on a terminal')
    .action(async (raw: RawOptions) => {
      const dataset = parseDatasetName(raw.dataset);
      const ck = testCheckpoint(raw);
      const o: TestOptions = {
        dataset, backbone: raw.backbone ?? DEFAULT_BACKBONE[dataset]!, model: ck.model,
        inputResolution: raw.input_resolution, testBs: raw.test_bs, modelPath: ck.modelPath,
        ckptPath: raw.ckpt_path, exptName: raw.expt_name ?? `${dataset}_${raw.input_resolution}`,
        dataPath: raw.data_path, runtime: raw.runtime, device: raw.device, precision: raw.precision, split: parseSplit(raw.split),
        numWorkers: raw.num_workers, seed: raw.seed, savePreds: raw.save_preds, limit: raw.limit,
      };
      const tty = raw.progress !== false && !!process.stderr.isTTY;
      const bar = tty ? new cliProgress.SingleBar({ format: 'testing [{bar}] {value}/{total} batches {eta_formatted}', hideCursor: true, stream: process.stderr }, cliProgress.Presets.shades_classic) : undefined;
      let started = false, lastPct = -1;
      const load = loadModel ?? (await import('../eval/segmenter-model.js')).loadTestModel;
      try {
        const res = await runTest(o, load, {
          log: (l) => process.stdout.write(`${l}\n`),
          warn: (l) => process.stderr.write(`${l}\n`),
          progress: (done, total) => {
            if (bar) {
              if (!started) { bar.start(total, 0); started = true; }
              bar.update(done);
              if (done === total) bar.stop();
            } else if (raw.progress !== false) {
              // Quiet lines off a terminal: about every 10%.
              const pct = Math.floor((done / total) * 10);
              if (pct !== lastPct || done === total) { lastPct = pct; process.stderr.write(`testing: ${done}/${total} batches\n`); }
            }
          },
        });
        process.stderr.write(`wrote ${res.logFile} and ${res.jsonFile}\n`);
      } finally {
        if (bar && started) bar.stop();
      }
    });
}
