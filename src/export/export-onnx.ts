// Standalone ONNX files of a SegFace: the graph the ONNX engine builds from the TypeScript model
// (weights embedded as initializers), optionally float16 and/or with a symbolic batch dimension,
// plus metadata (classes, normalisation) so that ONNX Runtime in any language can use it.
import onnxProto from 'onnx-proto';
import { buildOnnxGraph } from '../engine/onnx/build.js';
import type { Float32Modules } from '../engine/precision-plan.js';
import type { StateDict } from '../io/host-tensor.js';
import { classNames, type HeadKind } from '../model/classes.js';
import type { SegFace } from '../model/segface.js';
import { IMAGENET_MEAN, IMAGENET_STD } from '../image/preprocess.js';

const { onnx } = onnxProto;

export interface ExportOptions {
  resolution: number;
  /** float16 weights and compute; the file's input and output stay float32. */
  fp16?: boolean;
  /** float16 storage of the large weights only, float32 compute (smaller file, float32 accuracy). */
  fp16Weights?: boolean;
  /**
   * With fp16/fp16Weights: module prefixes ('backbone.4.', 'face_decoder.') that stay float32 (see
   * engine/precision-plan.ts; choosePrecision() picks them). Default: none, everything in float16.
   */
  float32Modules?: Float32Modules;
  /** A symbolic batch dimension named 'batch'; otherwise the batch is `batch` (default 1). */
  dynamicBatch?: boolean;
  batch?: number;
  /** The builder's exact rewrites (float32 graphs; default on, see engine/onnx/rewrite). */
  rewrite?: boolean;
  /** Recorded in the file's metadata. */
  modelId?: string;
  head?: HeadKind;
}

export interface ExportedModel {
  bytes: Uint8Array;
  inputName: string;
  outputName: string;
  /** [N,3,R,R] with N a number or 'batch'. */
  inputShape: (number | string)[];
  outputShape: (number | string)[];
  metadata: Record<string, string>;
}

export const EXPORT_INPUT = 'input';

function withMetadata(bytes: Uint8Array, meta: Record<string, string>): Uint8Array {
  const m = onnx.ModelProto.decode(bytes);
  m.metadataProps = Object.entries(meta).map(([key, value]) => ({ key, value }));
  m.docString = 'SegFace face parsing (AAAI 2025), exported by segface. Input: RGB resized to R×R (bicubic), '
    + '/255, ImageNet mean/std, NCHW float32. Output: class logits [N,C,R,R]; argmax over C gives the labels.';
  return onnx.ModelProto.encode(m).finish();
}

/** Serialises `net` with `weights` bound (see ExportOptions). Pure: no fs, no ORT. */
export function exportOnnx(net: SegFace, weights: StateDict, opts: ExportOptions): ExportedModel {
  const r = opts.resolution;
  const dtype = opts.fp16 ? 'float16' : 'float32';
  const weightDType = opts.fp16 || opts.fp16Weights ? 'float16' : 'float32';
  if (!opts.dynamicBatch && opts.batch !== undefined && (!Number.isInteger(opts.batch) || opts.batch < 1)) {
    throw new Error(`batch ${opts.batch} is not a positive integer`);
  }
  const keep = opts.float32Modules ?? [];
  // The engine's builder makes the batch symbolic itself (it traces the model twice).
  const g = buildOnnxGraph(net, weights, [opts.batch ?? 1, 3, r, r], {
    dtype, weightDType, float32Modules: keep, inputName: EXPORT_INPUT, dynamicBatch: opts.dynamicBatch ?? false, rewrite: opts.rewrite,
  });
  const dim = (d: number): number | string => (d === -1 ? 'batch' : d);
  const bytes = g.bytes;
  const outputName = g.outputs[0]!.name;
  const outShape = g.outputs[0]!.shape.map(dim);
  const batch = dim(g.inputShape[0]!);
  const head = opts.head ?? net.head;
  const metadata: Record<string, string> = {
    'segface.model': opts.modelId ?? '',
    'segface.head': head,
    'segface.resolution': String(r),
    'segface.classes': JSON.stringify(classNames(head)),
    'segface.dtype': dtype,
    'segface.weight_dtype': weightDType,
    'segface.float32_modules': JSON.stringify(weightDType === 'float16' ? keep : []),
    'segface.mean': JSON.stringify(IMAGENET_MEAN),
    'segface.std': JSON.stringify(IMAGENET_STD),
  };
  return {
    bytes: withMetadata(bytes, metadata),
    inputName: EXPORT_INPUT,
    outputName,
    inputShape: [batch, 3, r, r],
    outputShape: [batch, ...outShape.slice(1)],
    metadata,
  };
}
