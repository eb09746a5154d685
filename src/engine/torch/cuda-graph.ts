// A forward pass captured once as a CUDA graph and replayed: on a GPU, a SegFace forward from JS
// is ~390 dispatcher calls whose enqueueing (12–15 ms) bounds batch 1 while the GPU idles; a
// replay enqueues them all with one call. As torch.cuda.graphs requires, the input and output
// are static tensors (each call copies into the one and out of the other), the forward is warmed
// up on a side stream first (cuDNN autotuning, lazy inits), and nothing inside may read the host
// or copy from it: the constants a model makes from host data are cached during the warm-up and
// served from the cache during the capture. Where capture fails, the forward runs eagerly and
// the reason is given once.
import { native } from './native.js';
import type { ConstantSource, TorchOps } from './ops.js';
import { keep, tidy } from './scope.js';
import { fromData, type TorchTensor } from './tensor.js';

/** The addon's graph natives (cuda_graph.cc); tests pass an emulation. */
export interface GraphBackend {
  /** Whether capture can work at all; else the reason. */
  available(device: string): true | string;
  streamEnter(device: number): void;
  streamExit(): void;
  /** Runs body while capturing it; returns the graph, or throws (the capture is abandoned). */
  capture(device: number, body: () => TorchTensor): { graph: unknown; output: TorchTensor };
  replay(graph: unknown): void;
  reset(graph: unknown): void;
}

export function nativeGraphBackend(): GraphBackend {
  const n = native();
  return {
    available(device) {
      if (!device.startsWith('cuda')) return `CUDA graphs need a CUDA device (this runs on ${device})`;
      if (!n.cudaGraphsCompiled) return 'the addon was built without CUDA graphs (a libtorch without CUDA, or no CUDA headers found)';
      if (n.cudaDeviceCount() === 0) return 'no CUDA device is visible';
      return true;
    },
    streamEnter: (d) => void n.streamEnter(d),
    streamExit: () => void n.streamExit(),
    capture(device, body) {
      const graph = n.graphCaptureBegin(device);
      let output: TorchTensor;
      try {
        output = body();
      } catch (e) {
        n.graphCaptureEnd(graph, false);
        throw e;
      }
      try {
        n.graphCaptureEnd(graph, true);
      } catch (e) {
        output.dispose();
        throw e;
      }
      return { graph, output };
    },
    replay: (g) => n.graphReplay(g),
    reset: (g) => n.graphReset(g),
  };
}

/** Thrown by the constant cache when a capture would copy host data to the device. */
class HostCopyInCapture extends Error {}

type HostArray = Float32Array | BigInt64Array | Int32Array | Uint8Array;

function sameData(a: HostArray, b: HostArray): boolean {
  if (a.constructor !== b.constructor || a.length !== b.length) return false;
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/**
 * Constants by content: filled while warming up, read-only while capturing (a miss there means the
 * forward makes data-dependent constants, which a graph cannot replay).
 */
class ConstantCache {
  readonly #entries = new Map<string, { data: HostArray; tensor: TorchTensor }[]>();
  strict = false;

  readonly source: ConstantSource = (data, shape, dtype, make) => {
    const key = `${dtype}[${shape.join(',')}]${data.constructor.name}:${data.length}`;
    const list = this.#entries.get(key) ?? [];
    const hit = list.find((e) => sameData(e.data, data));
    // The model's scopes free what they create; a cached constant must outlive them, so the
    // forward gets its own handle on the same storage.
    if (hit) return hit.tensor.detach();
    if (this.strict) throw new HostCopyInCapture(`a constant ${dtype}[${shape.join(', ')}] was made from host data during the capture`);
    const tensor = keep(make());
    list.push({ data: data.slice() as HostArray, tensor });
    this.#entries.set(key, list);
    return tensor.detach();
  };

  dispose(): void {
    for (const list of this.#entries.values()) for (const e of list) e.tensor.dispose();
    this.#entries.clear();
  }
}

interface Captured {
  graph: unknown;
  input: TorchTensor;
  output: TorchTensor;
  constants: ConstantCache;
}

export interface GraphedForwardOptions {
  /** Eager runs on the side stream before capture (default 3; cuDNN autotuning happens here). */
  warmup?: number;
  backend?: GraphBackend;
  /** Told once per key why it runs eagerly. */
  onNote?: (line: string) => void;
}

/**
 * forward(x) → y for a fixed input shape per key, e.g. `${batch}x${res}:${precision}`. run()
 * returns the static output of that key's graph: read it before the next run() with that key.
 */
export class GraphedForward {
  readonly #graphs = new Map<string, Captured | { eager: string }>();
  readonly #backend: GraphBackend;
  readonly #warmup: number;
  readonly #deviceIndex: number;

  constructor(private readonly ops: TorchOps, private readonly forward: (x: TorchTensor) => TorchTensor, private readonly o: GraphedForwardOptions = {}) {
    this.#backend = o.backend ?? nativeGraphBackend();
    this.#warmup = Math.max(1, o.warmup ?? 3);
    this.#deviceIndex = Number(/^cuda:(\d+)$/.exec(ops.device)?.[1] ?? 0);
  }

  /** Why `key` runs eagerly, or null when it replays a graph (undefined before its first run). */
  mode(key: string): string | null | undefined {
    const g = this.#graphs.get(key);
    return g === undefined ? undefined : 'eager' in g ? g.eager : null;
  }

  /**
   * The input as host float32 data of `shape` → the output's values and shape, copied to the
   * host (for a graph: copy in, replay, copy out).
   */
  run(key: string, data: Float32Array, shape: readonly number[]): { data: Float32Array; shape: number[] } {
    let g = this.#graphs.get(key);
    if (!g) {
      g = this.#capture(data, shape);
      this.#graphs.set(key, g);
      if ('eager' in g) this.o.onNote?.(`CUDA graph for ${key} not used, running eagerly: ${g.eager}`);
    } else if ('graph' in g) {
      const c = g;
      tidy(() => { c.input.copy_(fromData(data, shape, 'float32')); });
    }
    if ('eager' in g) {
      return tidy(() => {
        const y = this.forward(fromData(data, shape, 'float32', { device: this.ops.device }));
        return { data: y.toFloat32Array(), shape: [...y.shape] };
      });
    }
    // Right after capture this is the first real run: capturing records the work, runs none of it.
    this.#backend.replay(g.graph);
    return { data: g.output.toFloat32Array(), shape: [...g.output.shape] };
  }

  #capture(data: Float32Array, shape: readonly number[]): Captured | { eager: string } {
    const ok = this.#backend.available(this.ops.device);
    if (ok !== true) return { eager: ok };
    const input = keep(fromData(data, shape, 'float32', { device: this.ops.device }));
    const constants = new ConstantCache();
    const before = this.ops.constantSource;
    this.ops.constantSource = constants.source;
    try {
      this.#backend.streamEnter(this.#deviceIndex);
      try {
        for (let i = 0; i < this.#warmup; i++) tidy(() => { this.forward(input); });
      } finally {
        this.#backend.streamExit();
      }
      constants.strict = true;
      const { graph, output } = this.#backend.capture(this.#deviceIndex, () => keep(tidy(() => this.forward(input))));
      return { graph, input, output, constants };
    } catch (e) {
      input.dispose();
      constants.dispose();
      return { eager: e instanceof Error ? e.message.split('\n')[0]! : String(e) };
    } finally {
      this.ops.constantSource = before;
    }
  }

  /** Frees every graph, its memory pool and its static tensors. */
  dispose(): void {
    for (const g of this.#graphs.values()) {
      if ('eager' in g) continue;
      g.output.dispose();
      this.#backend.reset(g.graph);
      g.input.dispose();
      g.constants.dispose();
    }
    this.#graphs.clear();
  }
}
