// What the parser needs from a network: normalised images in, logits out. Implemented by the
// ONNX Runtime engine (graphs built from a checkpoint, or a user's exported .onnx) and by the
// libtorch engine.
import type { HeadKind } from '../model/classes.js';

export interface Segmenter {
  /** Square input size R. */
  readonly resolution: number;
  readonly numClasses: number;
  readonly head: HeadKind;
  /** Registry id, model name or file name, for summaries. */
  readonly modelId: string;
  /** batch [n,3,R,R] → logits [n,C,h,w] (h, w normally R) with their spatial size. */
  run(batch: Float32Array, n: number): Promise<{ logits: Float32Array; height: number; width: number }>;
  dispose(): Promise<void>;
}

export type Runtime = 'onnx' | 'torch';
export type Device = 'cpu' | 'cuda';

export interface EngineOptions {
  runtime?: Runtime;
  device?: Device;
  threads?: number;
}
