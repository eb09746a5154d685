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
  /** `threads`: intra-op threads for this graph where the runtime has a per-session setting. */
  open(bytes: Uint8Array, opts?: { threads?: number }): Promise<GraphSession>;
  /**
   * How many runs of single-thread sessions may go at once (Node: the thread count; absent: 1,
   * one run after the other). The small face graphs use their threads badly (a single-thread
   * GridSample or BlazeFace run is about as fast as a 2-thread one), so independent pieces of
   * work run side by side instead (lanes.ts).
   */
  readonly lanes?: number;
}
