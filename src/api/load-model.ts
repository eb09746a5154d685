// `--model` (registry id, .pt checkpoint or .onnx graph) → a ready Segmenter.
import { UserError } from '../errors.js';
import { resolveModel, type ResolveOptions } from '../hub/resolve.js';
import { readStateDictFileAsync } from '../io/files.js';
import { fromCheckpoint } from '../model/from-checkpoint.js';
import { checkResolution } from '../model/resolution.js';
import { BuiltOnnxSegmenter, FileOnnxSegmenter, graphCacheFor, onnxCudaInstalled } from './onnx-segmenter.js';
import type { EngineOptions, Segmenter } from './segmenter.js';
import { openTorchSegmenter } from './torch-segmenter.js';
import { checkPrecision } from '../engine/torch/precision.js';

export interface LoadOptions extends EngineOptions, ResolveOptions {
  /** Input size for checkpoints that are not registry ids (default 512). */
  resolution?: number;
  /** Expected images per forward pass: its graph is prepared at load (default 1). */
  batch?: number;
  /**
   * ONNX graphs built from a checkpoint quantized to int8 (QDQ), calibrated on these photos;
   * `log` gets the calibration's progress lines. (`precision` is the libtorch runtime's.)
   */
  int8?: { calibration: readonly string[]; log?: (s: string) => void };
}

export async function loadSegmenter(model: string, opts: LoadOptions = {}): Promise<Segmenter> {
  const runtime = opts.runtime ?? 'onnx';
  if (runtime !== 'onnx' && runtime !== 'torch') throw new UserError(`unknown runtime '${runtime}' (expected onnx or torch)`);
  if (opts.device && opts.device !== 'cpu' && opts.device !== 'cuda') throw new UserError(`unknown device '${opts.device}' (expected cpu or cuda)`);
  if (opts.resolution !== undefined) checkResolution(opts.resolution);
  if (runtime === 'onnx' && opts.device === 'cuda' && !onnxCudaInstalled()) {
    throw new UserError('--device cuda: this onnxruntime-node install has no CUDA provider (reinstall it with network access and a CUDA 12 setup, see onnxruntime-node docs); use --device cpu or --runtime torch');
  }
  const precision = opts.precision ?? 'fp32';
  if (precision !== 'fp32') {
    if (runtime !== 'torch') throw new UserError(`--precision ${precision} is for --runtime torch; for ONNX Runtime export a float16 graph (segface export --fp16) and pass the .onnx`);
    checkPrecision(precision, opts.device ?? 'cpu'); // before any download or checkpoint read
  }
  if (opts.int8 && (runtime !== 'onnx' || opts.device === 'cuda')) throw new UserError('--precision int8 runs on ONNX Runtime on the CPU; use --runtime onnx --device cpu');
  if (opts.int8 && !opts.int8.calibration.length) throw new UserError('--precision int8 needs calibration photos (--calibration)');
  const resolved = await resolveModel(model, opts);
  if (resolved.format === 'onnx') {
    if (runtime === 'torch') throw new UserError(`${resolved.path}: an .onnx file runs with --runtime onnx only`);
    if (opts.int8) throw new UserError(`${resolved.path}: an .onnx file runs as it is; make an int8 one with segface export --int8`);
    return FileOnnxSegmenter.open(resolved.path, opts, opts.resolution);
  }
  const path = resolved.path;
  const c = await fromCheckpoint({ source: path, read: () => readStateDictFileAsync(path), entry: resolved.entry, resolution: opts.resolution });
  const b = { net: c.net, head: c.head, modelId: c.describe, resolution: c.resolution };
  if (runtime === 'torch') return openTorchSegmenter({ ...b, weights: await c.weights() }, opts);
  const seg = new BuiltOnnxSegmenter({
    ...b, weights: c.weights, checkpoint: path, graphCacheDir: graphCacheFor(opts.cacheDir),
    ...(opts.int8 ? { precision: 'int8' as const, calibration: opts.int8.calibration, log: opts.int8.log } : {}),
  }, opts);
  // Build (or fetch from the cache) the first graph now, so a bad checkpoint fails at load.
  try {
    await seg.prepare(opts.batch ?? 1);
  } catch (e) {
    await seg.dispose();
    throw e;
  }
  return seg;
}
