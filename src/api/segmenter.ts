// What the parser needs from a network: normalised images in, logits out. Implemented by the
// ONNX Runtime engine (graphs built from a checkpoint, or a user's exported .onnx) and by the
// libtorch engine.
import type { Precision } from '../engine/torch/precision.js';
import type { HeadKind } from '../model/classes.js';

/** What one image may carry besides its pixels. */
export interface ImageOptions {
  /**
   * The face's 5 landmarks (x, y pairs in pixels at the model resolution R: the eye centres,
   * the nose tip, the mouth corners, image-left first). LaPa heads tanh-warp the image by them
   * and the logits back (spec §5.4); other heads ignore them.
   */
  landmarks?: ArrayLike<number>;
}

export interface Logits {
  /** [n,C,height,width] */
  logits: Float32Array;
  height: number;
  width: number;
}

export interface Segmenter {
  /** Square input size R. */
  readonly resolution: number;
  readonly numClasses: number;
  readonly head: HeadKind;
  /** Registry id, model name or file name, for summaries. */
  readonly modelId: string;
  /** Whether run() applies ImageOptions.landmarks (a LaPa head on a path that can warp). */
  readonly landmarkWarp: boolean;
  /**
   * batch [n,3,R,R] → logits [n,C,h,w] (h, w normally R) with their spatial size.
   * `images[i]` holds the options of image i (absent: none).
   */
  run(batch: Float32Array, n: number, images?: readonly (ImageOptions | undefined)[]): Promise<Logits>;
  dispose(): Promise<void>;
}

export type Runtime = 'onnx' | 'torch';
export type Device = 'cpu' | 'cuda';

export interface EngineOptions {
  runtime?: Runtime;
  device?: Device;
  threads?: number;
  /** libtorch runtime only: weights and arithmetic in float32 (default), float16 or bfloat16. */
  precision?: Precision;
  /**
   * With fp16/bf16: module prefixes kept float32. Default: chosen at load so that the logits stay
   * within 1e-2 of float32 on calibration noise (api/torch-precision.ts).
   */
  float32Modules?: string[];
  /** libtorch on CUDA: replay each batch shape's forward as a CUDA graph (default true). */
  cudaGraphs?: boolean;
  /** One-off notes (e.g. why a CUDA graph is not used); default: `note: …` on stderr. */
  onNote?: (line: string) => void;
}
