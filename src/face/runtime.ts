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

export interface GraphRuntime {
  open(bytes: Uint8Array): Promise<GraphSession>;
}
