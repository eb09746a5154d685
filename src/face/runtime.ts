// What the face pipeline needs from an ONNX runtime: open a graph from bytes, run it on plain typed
// arrays. onnxruntime-node (node-runtime.ts) and onnxruntime-web (src/browser) implement it, so
// detection, alignment and paste-back are one code path in Node and in the page.

export type FeedData = Float32Array | Uint8Array | BigInt64Array;

export interface Feed { data: FeedData; shape: readonly number[] }

export interface Fetched { data: Float32Array | Uint8Array | BigInt64Array | Int32Array; shape: number[] }

export interface GraphSession {
  run(feeds: Record<string, Feed>): Promise<Record<string, Fetched>>;
  release(): Promise<void>;
}

/** One detector level: the photo resized to lw×lh, padded by px columns and py rows. */
export interface LevelSpec { lw: number; lh: number; px: number; py: number }

/**
 * Makes detector levels (float NHWC [lh+py, lw+px, 3] in [-1, 1], 0 in the padding) where the host
 * has a faster resampler than ORT's Resize (Node: sharp); without one the detector's level graph
 * runs. One promise per level, so the detector can run the coarse level while finer ones resize.
 */
export type LevelResizer = (photo: { data: Uint8Array; width: number; height: number }, levels: readonly LevelSpec[]) => Promise<Float32Array>[];

export interface GraphRuntime {
  open(bytes: Uint8Array): Promise<GraphSession>;
  levels?: LevelResizer;
}
