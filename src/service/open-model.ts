// `--model` for the server → a FaceParser plus the graph bytes the page can run in the browser.
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { FaceParser } from '../api/face-parser.js';
import { BuiltOnnxSegmenter, graphCacheFor } from '../api/onnx-segmenter.js';
import type { Device, Runtime } from '../api/segmenter.js';
import { openTorchSegmenter } from '../api/torch-segmenter.js';
import type { Precision } from '../engine/torch/precision.js';
import { UserError } from '../errors.js';
import { exportOnnx } from '../export/export-onnx.js';
import { loadBoundModel } from '../export/load-checkpoint.js';

export interface OpenOptions {
  resolution?: number;
  threads?: number;
  device?: Device;
  /** onnx (default) or torch (libtorch addon: --precision, CUDA graphs). */
  runtime?: Runtime;
  precision?: Precision;
  cacheDir?: string;
  offline?: boolean;
}

export interface ServedModel {
  parser: FaceParser;
  /** The batch-1 float32 graph for in-browser runs (built on first request). */
  browserModel: () => Promise<Uint8Array>;
}

export async function openServedModel(spec: string, o: OpenOptions = {}): Promise<ServedModel> {
  const engine = { threads: o.threads, device: o.device, runtime: o.runtime, precision: o.precision };
  if (o.runtime !== 'torch' && (o.precision ?? 'fp32') !== 'fp32') {
    throw new UserError(`--precision ${o.precision} is for --runtime torch; for ONNX Runtime export a float16 graph (segface export --fp16) and pass the .onnx`);
  }
  if (o.runtime === 'torch' && extname(spec).toLowerCase() === '.onnx') throw new UserError(`${spec}: an .onnx file runs with --runtime onnx only`);
  if (extname(spec).toLowerCase() === '.onnx') {
    const parser = await FaceParser.load(spec, { ...engine, resolution: o.resolution });
    return { parser, browserModel: async () => new Uint8Array(await readFile(spec)) };
  }
  const m = await loadBoundModel(spec, { resolution: o.resolution, cacheDir: o.cacheDir, offline: o.offline });
  const seg = o.runtime === 'torch'
    ? await openTorchSegmenter({ net: m.net, weights: m.weights, head: m.head, modelId: m.modelId, resolution: m.resolution }, engine)
    : new BuiltOnnxSegmenter({
      net: m.net, weights: m.weights, checkpoint: m.source, modelId: m.modelId, head: m.head, resolution: m.resolution,
      graphCacheDir: graphCacheFor(o.cacheDir),
    }, engine);
  const parser = FaceParser.fromSegmenter(seg);
  return {
    parser,
    browserModel: async () => exportOnnx(m.net, m.weights, { resolution: m.resolution, modelId: m.modelId, head: m.head }).bytes,
  };
}

/** Builds the graph and session before the first request (a first parse can take seconds). */
export async function warmUp(parser: FaceParser): Promise<void> {
  await parser.parseImages([{ data: new Uint8Array(32 * 32 * 3), width: 32, height: 32, name: 'warm-up' }]);
}
