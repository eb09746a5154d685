// `segface export`: a checkpoint → a standalone .onnx file (the graph the ONNX engine builds from
// the TypeScript model, weights embedded), float32 or float16, fixed or symbolic batch.
import { Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { exportOnnx } from '../export/export-onnx.js';
import { loadBoundModel } from '../export/load-checkpoint.js';
import { writeFileAtomic } from '../io/files.js';
import { UserError } from './errors.js';

export interface ExportCommandOptions {
  model: string;
  resolution?: number;
  out: string;
  fp16?: boolean;
  fp16Weights?: boolean;
  dynamicBatch?: boolean;
  batch?: number;
  cacheDir?: string;
  offline?: boolean;
}

const positiveInt = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UserError(`${name} must be a positive integer, got '${v}'`);
  return n;
};

export async function runExport(o: ExportCommandOptions, log: (s: string) => void = () => {}): Promise<{ path: string; bytes: number }> {
  if (!o.out.toLowerCase().endsWith('.onnx')) throw new UserError(`--out ${o.out}: the file name should end in .onnx`);
  if (o.fp16 && o.fp16Weights) throw new UserError('--fp16 already stores the weights in float16; drop --fp16-weights');
  if (o.dynamicBatch && o.batch !== undefined) throw new UserError('--batch and --dynamic-batch exclude each other');
  const m = await loadBoundModel(o.model, { resolution: o.resolution, cacheDir: o.cacheDir, offline: o.offline });
  const t0 = performance.now();
  let e;
  try {
    e = exportOnnx(m.net, m.weights, {
      resolution: m.resolution, fp16: o.fp16, fp16Weights: o.fp16Weights, dynamicBatch: o.dynamicBatch, batch: o.batch, modelId: m.modelId, head: m.head,
    });
  } catch (err) {
    throw new UserError(`${m.source}: cannot export (${(err as Error).message})`);
  }
  try { mkdirSync(dirname(o.out), { recursive: true }); } catch { /* reported by the write */ }
  writeFileAtomic(o.out, [e.bytes]);
  log(`${o.out}: ${m.modelId}, input ${e.inputName} [${e.inputShape.join(',')}] → ${e.outputName} [${e.outputShape.join(',')}], `
    + `${o.fp16 ? 'float16' : o.fp16Weights ? 'float32 with float16 weights' : 'float32'}, ${(e.bytes.byteLength / 1048576).toFixed(1)} MiB (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  return { path: o.out, bytes: e.bytes.byteLength };
}

export function register(program: Command): void {
  program
    .command('export')
    .description('write a model as a standalone ONNX file (weights embedded) for ONNX Runtime in any language')
    .requiredOption('-m, --model <id|path>', 'registry id, model_299.pt checkpoint or fixture folder')
    .requiredOption('-o, --out <file.onnx>', 'output file')
    .option('-r, --resolution <n>', 'input size R (default: the model\'s)', positiveInt('--resolution'))
    .option('--fp16', 'float16 weights and compute (input and output stay float32)')
    .option('--fp16-weights', 'float16 storage of the weights, float32 compute (about half the file, float32 accuracy)')
    .option('--dynamic-batch', 'symbolic batch dimension (default: fixed batch)')
    .option('--batch <n>', 'fixed batch size (default 1)', positiveInt('--batch'))
    .option('--cache-dir <dir>', 'checkpoint cache folder')
    .option('--offline', 'never download; use only cached checkpoints')
    .action(async (o: ExportCommandOptions) => {
      await runExport(o, (s) => process.stderr.write(`${s}\n`));
    });
}
