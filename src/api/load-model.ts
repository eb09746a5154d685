// `--model` (registry id, .pt checkpoint or .onnx graph) → a ready Segmenter.
import { basename } from 'node:path';
import { UserError } from '../cli/errors.js';
import { resolveModel, type ResolveOptions } from '../hub/resolve.js';
import { readStateDictFile } from '../io/files.js';
import type { StateDict } from '../io/host-tensor.js';
import { buildSegFace } from '../model/build.js';
import type { HeadKind } from '../model/classes.js';
import { bindStateDict } from '../model/load.js';
import type { SegFace } from '../model/segface.js';
import type { RegistryEntry } from '../model/registry.js';
import { detectModel } from './detect.js';
import { BuiltOnnxSegmenter, FileOnnxSegmenter, graphCacheFor, onnxCudaInstalled } from './onnx-segmenter.js';
import type { EngineOptions, Segmenter } from './segmenter.js';
import { openTorchSegmenter } from './torch-segmenter.js';
import { checkPrecision } from '../engine/torch/precision.js';

export interface LoadOptions extends EngineOptions, ResolveOptions {
  /** Input size for checkpoints that are not registry ids (default 512). */
  resolution?: number;
  /** Expected images per forward pass: its graph is prepared at load (default 1). */
  batch?: number;
}

interface Bound {
  net: SegFace;
  /** Reads and strictly binds the checkpoint (UserError when it does not fit). */
  weights: () => StateDict;
  head: HeadKind;
  modelId: string;
  resolution: number;
}

/**
 * The model a .pt holds: a registry entry names it (the file is read only when its weights are
 * needed, so a cached ONNX graph skips reading a large checkpoint); otherwise the file is read
 * now and matched against every SegFace variant.
 */
function checkpointModel(model: string, path: string, opts: LoadOptions, entry: RegistryEntry | undefined): Bound {
  if (entry) {
    const resolution = opts.resolution ?? entry.resolution;
    const net = buildSegFace({ model: entry.model, head: entry.head, resolution });
    const what = `${entry.id} (${entry.model} backbone, ${entry.head} head)`;
    const weights = () => {
      const sd = readStateDictFile(path);
      try {
        return bindStateDict(net, sd, path, what);
      } catch (e) {
        // Say what the file holds instead when it is another SegFace model.
        const other = detectModel(sd, resolution);
        if (!other.exact) throw e;
        throw new UserError(`${path}: checkpoint is a ${other.model} model with the ${other.head} head, not ${what}; delete it to download again, or pass it as --model ${path}`);
      }
    };
    return { net, weights, head: entry.head, modelId: entry.id, resolution };
  }
  const sd = readStateDictFile(path);
  const resolution = opts.resolution ?? 512;
  const found = detectModel(sd, resolution);
  // Not an exact fit: strict binding against the closest candidate explains what differs.
  const bound = bindStateDict(found.net, sd, path, found.exact ? model : `any SegFace model (closest: ${found.model} backbone, ${found.head} head)`);
  return { net: found.net, weights: () => bound, head: found.head, modelId: `${found.model}_${found.head}_${resolution} (${basename(path)})`, resolution };
}

export async function loadSegmenter(model: string, opts: LoadOptions = {}): Promise<Segmenter> {
  const runtime = opts.runtime ?? 'onnx';
  if (runtime !== 'onnx' && runtime !== 'torch') throw new UserError(`unknown runtime '${runtime}' (expected onnx or torch)`);
  if (opts.device && opts.device !== 'cpu' && opts.device !== 'cuda') throw new UserError(`unknown device '${opts.device}' (expected cpu or cuda)`);
  if (opts.resolution !== undefined && (!Number.isInteger(opts.resolution) || opts.resolution <= 0 || opts.resolution % 32 !== 0)) {
    throw new UserError(`resolution ${opts.resolution} is not a positive multiple of 32`);
  }
  if (runtime === 'onnx' && opts.device === 'cuda' && !onnxCudaInstalled()) {
    throw new UserError('--device cuda: this onnxruntime-node install has no CUDA provider (reinstall it with network access and a CUDA 12 setup, see onnxruntime-node docs); use --device cpu or --runtime torch');
  }
  const precision = opts.precision ?? 'fp32';
  if (precision !== 'fp32') {
    if (runtime !== 'torch') throw new UserError(`--precision ${precision} is for --runtime torch; for ONNX Runtime export a float16 graph (segface export --fp16) and pass the .onnx`);
    checkPrecision(precision, opts.device ?? 'cpu'); // before any download or checkpoint read
  }
  const resolved = await resolveModel(model, opts);
  if (resolved.format === 'onnx') {
    if (runtime === 'torch') throw new UserError(`${resolved.path}: an .onnx file runs with --runtime onnx only`);
    return FileOnnxSegmenter.open(resolved.path, opts, opts.resolution);
  }
  const b = checkpointModel(model, resolved.path, opts, resolved.entry);
  if (runtime === 'torch') return openTorchSegmenter({ ...b, weights: b.weights() }, opts);
  const seg = new BuiltOnnxSegmenter({ ...b, checkpoint: resolved.path, graphCacheDir: graphCacheFor(opts.cacheDir) }, opts);
  // Build (or fetch from the cache) the first graph now, so a bad checkpoint fails at load.
  try {
    await seg.prepare(opts.batch ?? 1);
  } catch (e) {
    await seg.dispose();
    throw e;
  }
  return seg;
}
