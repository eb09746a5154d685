// `segface export`: a checkpoint → a standalone .onnx file (the graph the ONNX engine builds from
// the TypeScript model, weights embedded), float32 or float16, fixed or symbolic batch.
import { Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { choosePrecision } from '../export/calibrate.js';
import { exportInt8 } from '../export/int8-export.js';
import { exportOnnx } from '../export/export-onnx.js';
import { preprocessBatch } from '../image/preprocess.js';
import { readImage } from '../image/read.js';
import { loadBoundModel } from '../export/load-checkpoint.js';
import { writeFileAtomic } from '../io/files.js';
import { OutputGuard } from '../io/output-guard.js';
import { UserError } from '../errors.js';
import { positiveInt, positiveNumber } from './numbers.js';
import { checkpointFlag, CHECKPOINT_HELP, modelPathOption } from './model-flags.js';

export interface ExportCommandOptions {
  model: string;
  resolution?: number;
  out: string;
  fp16?: boolean;
  fp16Weights?: boolean;
  dynamicBatch?: boolean;
  batch?: number;
  /** fp16: max |Δlogits| against float32 on the calibration input (default 5e-3). */
  fp16Tolerance?: number;
  /** fp16: photo to calibrate on (default: seeded noise; the first one is used); int8: the photos (required). */
  calibration?: string[];
  /** int8 QDQ (Conv/Gemm), modules kept float32 until the calibration photos agree on --int8-agreement of the pixels. */
  int8?: boolean;
  int8Agreement?: number;
  cacheDir?: string;
  offline?: boolean;
  /** Replace an existing --out file (never the model file itself). */
  overwrite?: boolean;
}

/** fp16 exports aim at half the 1e-2 logits budget on the calibration input, so that other inputs stay within it. */
export const DEFAULT_FP16_TOLERANCE = 5e-3;

async function calibrationInput(file: string, r: number): Promise<Float32Array> {
  let img;
  try {
    img = await readImage(file);
  } catch (err) {
    throw new UserError(`--calibration: ${(err as Error).message}`);
  }
  return preprocessBatch([img], r);
}

export async function runExport(o: ExportCommandOptions, log: (s: string) => void = () => {}): Promise<{ path: string; bytes: number }> {
  if (!o.out.toLowerCase().endsWith('.onnx')) throw new UserError(`--out ${o.out}: the file name should end in .onnx`);
  if (o.fp16 && o.fp16Weights) throw new UserError('--fp16 already stores the weights in float16; drop --fp16-weights');
  if (o.dynamicBatch && o.batch !== undefined) throw new UserError('--batch and --dynamic-batch exclude each other');
  if (o.int8 && (o.fp16 || o.fp16Weights)) throw new UserError('--int8 quantizes the float32 graph; drop --fp16/--fp16-weights');
  if (o.int8 && !o.calibration?.length) throw new UserError('--int8 needs --calibration <photos...> (a few face photos, e.g. .assets/astronaut.png .assets/grace_hopper.jpg)');
  if (o.int8 && o.dynamicBatch) throw new UserError('--int8 graphs have a fixed batch; drop --dynamic-batch');
  const m = await loadBoundModel(o.model, { resolution: o.resolution, cacheDir: o.cacheDir, offline: o.offline });
  // Checked before the (slow) export, and again just before the rename.
  const guard = new OutputGuard([m.source], !!o.overwrite, dirname(o.out));
  guard.check(o.out);
  const t0 = performance.now();
  let e;
  let mixed = '';
  try {
    let float32Modules: string[] = [];
    if (o.fp16 || o.fp16Weights) {
      const input = o.calibration?.length ? await calibrationInput(o.calibration[0]!, m.resolution) : undefined;
      const c = await choosePrecision(m.net, m.weights, {
        resolution: m.resolution, fp16Compute: !!o.fp16, tolerance: o.fp16Tolerance ?? DEFAULT_FP16_TOLERANCE, input, log,
      });
      float32Modules = c.float32Modules;
      if (float32Modules.length) mixed = ` for ${(100 * c.float16Share).toFixed(0)}% of the weights (${float32Modules.length} modules stay float32, listed in the metadata)`;
      log(`float16 check: max |Δlogits| ${c.error.toExponential(2)} against float32 on ${o.calibration?.[0] ?? 'seeded noise'}, ${c.trials} graph(s) tried`);
    }
    e = exportOnnx(m.net, m.weights, {
      resolution: m.resolution, fp16: o.fp16, fp16Weights: o.fp16Weights, float32Modules, dynamicBatch: o.dynamicBatch, batch: o.batch, modelId: m.modelId, head: m.head,
    });
    if (o.int8) {
      const q = await exportInt8(m.net, e.bytes, m.resolution, o.batch ?? 1, o.calibration!, o.int8Agreement, log);
      e = { ...e, bytes: q.bytes };
      mixed = q.summary;
    }
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`${m.source}: cannot export (${(err as Error).message})`);
  }
  try { mkdirSync(dirname(o.out), { recursive: true }); } catch { /* reported by the write */ }
  guard.check(o.out);
  writeFileAtomic(o.out, [e.bytes]);
  guard.wrote(o.out);
  guard.save();
  log(`${o.out}: ${m.modelId}, input ${e.inputName} [${e.inputShape.join(',')}] → ${e.outputName} [${e.outputShape.join(',')}], `
    + `${o.int8 ? 'int8' : o.fp16 ? 'float16' : o.fp16Weights ? 'float32 with float16 weights' : 'float32'}${mixed}, ${(e.bytes.byteLength / 1048576).toFixed(1)} MiB (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  return { path: o.out, bytes: e.bytes.byteLength };
}

export function register(program: Command): void {
  program
    .command('export')
    .description('write a model as a standalone ONNX file (weights embedded) for ONNX Runtime in any language')
    .option('-m, --model <id|path>', CHECKPOINT_HELP)
    .addOption(modelPathOption())
    .requiredOption('-o, --out <file.onnx>', 'output file')
    .option('-r, --resolution <n>', 'input size R (default: the model\'s)', positiveInt('--resolution'))
    .option('--fp16', 'float16 weights and compute (input and output stay float32); sensitive modules stay float32, see --fp16-tolerance')
    .option('--fp16-weights', 'float16 storage of the weights, float32 compute (about half the file)')
    .option('--fp16-tolerance <x>', 'with --fp16/--fp16-weights: max |Δlogits| against float32 on the calibration input; modules stay float32 until it holds (default 5e-3)', positiveNumber('--fp16-tolerance'))
    .option('--calibration <images...>', 'with --fp16/--fp16-weights: photo for that check (default: seeded noise); with --int8: the photos that set the activation ranges and the agreement check')
    .option('--int8', 'int8 QDQ graph (Conv/Gemm weights int8 per channel, activations uint8), modules kept float32 until --int8-agreement holds; prints the agreement with float32')
    .option('--int8-agreement <x>', 'with --int8: share of calibration pixels whose class must match float32 (default 0.995)', positiveNumber('--int8-agreement'))
    .option('--dynamic-batch', 'symbolic batch dimension (default: fixed batch)')
    .option('--batch <n>', 'fixed batch size (default 1)', positiveInt('--batch'))
    .option('--cache-dir <dir>', 'checkpoint cache folder')
    .option('--offline', 'never download; use only cached checkpoints')
    .option('--overwrite', 'replace an existing --out file')
    .action(async (o: Omit<ExportCommandOptions, 'model'> & { model?: string; model_path?: string }) => {
      await runExport({ ...o, model: checkpointFlag(o, 'export') }, (s) => process.stderr.write(`${s}\n`));
    });
}
