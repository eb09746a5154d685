// Segmenters on ONNX Runtime: graphs built from a checkpoint (static shapes, one session per batch
// size, cached on disk by the engine) and users' exported .onnx files (run as they are).
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { UserError } from '../errors.js';
import { buildOnnxCached, createSession, releaseSession, run, type OnnxSession, type SessionOptions } from '../engine/onnx/index.js';
import { onnxMetadata } from '../engine/onnx/metadata.js';
import type { StateDict } from '../io/host-tensor.js';
import { headSpec, type HeadKind } from '../model/classes.js';
import type { SegFace } from '../model/segface.js';
import type { ForwardModel } from '../engine/onnx/build.js';
import { lapaWarpGrids } from '../model/segface.js';
import { segfaceGraphInfo } from './graph-info.js';
import type { EngineOptions, ImageOptions, Segmenter } from './segmenter.js';
import { runWithLandmarks } from './warp-groups.js';
import { int8Graph, type GraphPrecision } from './int8-graph.js';

/** Graph inputs of the warp graphs: the input warp grid and the inverse (logits) grid. */
const WARP_INPUTS = ['warp_grid', 'unwarp_grid'] as const;

function sessionOptions(o: EngineOptions): SessionOptions {
  return {
    ...(o.threads ? { threads: o.threads } : {}),
    executionProviders: o.device === 'cuda' ? ['cuda', 'cpu'] : ['cpu'],
  };
}

/**
 * Whether onnxruntime-node has its CUDA provider library (it is an optional download at install
 * time). Checked up front because ORT itself prints a multi-line native error before failing.
 */
export function onnxCudaInstalled(): boolean {
  try {
    const bin = join(dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json')), 'bin');
    return readdirSync(bin).some((napi) => {
      const dir = join(bin, napi, process.platform, process.arch);
      return existsSync(dir) && readdirSync(dir).some((f) => f.includes('providers_cuda'));
    });
  } catch {
    return false;
  }
}

async function openSession(bytes: Uint8Array, o: EngineOptions, what: string): Promise<OnnxSession> {
  if (o.device === 'cuda' && !onnxCudaInstalled()) {
    throw new UserError('--device cuda: this onnxruntime-node install has no CUDA provider (reinstall it with network access and a CUDA 12 setup, see onnxruntime-node docs); use --device cpu or --runtime torch');
  }
  try {
    return await createSession(bytes, sessionOptions(o));
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0];
    if (o.device === 'cuda') {
      throw new UserError(`${what}: ONNX Runtime cannot use CUDA here (${msg}); use --device cpu or --runtime torch`);
    }
    throw new UserError(`${what}: ONNX Runtime cannot load the model (${msg})`);
  }
}

async function runOne(session: OnnxSession, input: Float32Array, shape: number[]): Promise<{ data: Float32Array; shape: number[] }> {
  const out = await run(session, { [session.inputNames[0]!]: { data: input, shape } }, [session.outputNames[0]!]);
  return Object.values(out)[0]!;
}

export interface BuiltSegmenterSpec {
  net: SegFace;
  /**
   * The bound weights, or a loader called only when a graph is not in the disk cache (once per
   * graph built, so it should keep what it read, as fromCheckpoint's `weights` does).
   */
  weights: StateDict | (() => StateDict | Promise<StateDict>);
  checkpoint: string;
  modelId: string;
  head: HeadKind;
  resolution: number;
  /** Graph cache folder (default: the engine's). */
  graphCacheDir?: string;
  /** 'int8': QDQ graphs calibrated on `calibration` (int8-graph.ts); LaPa's warp graphs stay float32. */
  precision?: GraphPrecision;
  calibration?: readonly string[];
  log?: (s: string) => void;
}

/** A SegFace built from checkpoint weights, run by ORT. */
export class BuiltOnnxSegmenter implements Segmenter {
  readonly resolution: number;
  readonly numClasses: number;
  readonly head: HeadKind;
  readonly modelId: string;
  readonly landmarkWarp: boolean;
  /** Keyed by batch size, and 'w' for the graphs with warp-grid inputs. */
  private readonly sessions = new Map<string, Promise<OnnxSession>>();

  constructor(private readonly spec: BuiltSegmenterSpec, private readonly engine: EngineOptions) {
    this.resolution = spec.resolution;
    this.numClasses = spec.net.numClasses;
    this.head = spec.head;
    this.modelId = spec.modelId;
    this.landmarkWarp = headSpec(spec.head).landmarkWarp;
  }

  /** Opens (building or loading from the graph cache) the session for batch size n. */
  async prepare(n: number): Promise<void> {
    await this.session(n, false);
  }

  private session(n: number, warp: boolean): Promise<OnnxSession> {
    const id = `${n}${warp ? 'w' : ''}`;
    let s = this.sessions.get(id);
    if (!s) {
      const r = this.resolution;
      const net = this.spec.net;
      // LaPa's warp grids [n,R,R,2] are graph inputs, so one graph serves every face.
      const model: ForwardModel = warp
        ? { forward: (ctx, x, g) => net.forward(ctx, x, { warpGrids: { input: g![WARP_INPUTS[0]]!, output: g![WARP_INPUTS[1]]! } }) }
        : net;
      const opts = warp ? { extraInputs: WARP_INPUTS.map((name) => ({ name, shape: [n, r, r, 2] })) } : {};
      const key = { checkpoint: this.spec.checkpoint, modelId: this.modelId, resolution: r, batch: n };
      const int8 = this.spec.precision === 'int8' && !warp;
      s = buildOnnxCached(model, this.spec.weights, [n, 3, r, r], key, opts, this.spec.graphCacheDir)
        .then(({ graph }) => (int8
          ? int8Graph(graph.bytes, { net, resolution: r, batch: n, calibration: this.spec.calibration ?? [], key, cacheDir: this.spec.graphCacheDir, log: this.spec.log })
          : graph.bytes))
        .then((bytes) => openSession(bytes, this.engine, this.spec.checkpoint));
      this.sessions.set(id, s);
      s.catch(() => this.sessions.delete(id));
    }
    return s;
  }

  run(batch: Float32Array, n: number, images?: readonly (ImageOptions | undefined)[]) {
    return runWithLandmarks(this.head, this.resolution, batch, n, images, (x, m, landmarks) => this.pass(x, m, landmarks));
  }

  private async pass(batch: Float32Array, n: number, landmarks: Float32Array | undefined) {
    const r = this.resolution;
    const warp = landmarks !== undefined;
    // Graphs have a static batch size: a short batch (a folder's last) is zero-padded to a size
    // that already has a session rather than building another graph.
    const sizes = [...this.sessions.keys()].filter((k) => k.endsWith('w') === warp).map((k) => Number.parseInt(k, 10));
    const m = sizes.filter((k) => k > n).sort((a, b) => a - b)[0] ?? n;
    const pad = (data: Float32Array, per: number) => {
      if (m === n) return data;
      const out = new Float32Array(m * per);
      out.set(data.subarray(0, n * per));
      return out;
    };
    const feeds: Record<string, { data: Float32Array; shape: number[] }> = {};
    const session = await this.session(m, warp);
    feeds[session.inputNames[0]!] = { data: pad(batch, 3 * r * r), shape: [m, 3, r, r] };
    if (landmarks) {
      const grids = lapaWarpGrids(landmarks, n, r); // padded images get zero grids: their logits are dropped
      feeds[WARP_INPUTS[0]] = { data: pad(grids.input, r * r * 2), shape: [m, r, r, 2] };
      feeds[WARP_INPUTS[1]] = { data: pad(grids.output, r * r * 2), shape: [m, r, r, 2] };
    }
    const out = Object.values(await run(session, feeds, [session.outputNames[0]!]))[0]!;
    const [, c, h, w] = out.shape as [number, number, number, number];
    return { logits: m > n ? out.data.subarray(0, n * c * h * w) : out.data, height: h, width: w };
  }

  async dispose(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map(async (s) => releaseSession(await s).catch(() => undefined)));
  }
}

/** An exported graph with input [N,3,R,R] (N fixed or symbolic) and logits [N,C,h,w] first. */
export class FileOnnxSegmenter implements Segmenter {
  readonly modelId: string;
  /** An exported graph has no warp-grid inputs: landmarks are not applied. */
  readonly landmarkWarp = false;
  private constructor(
    private session: OnnxSession | null, readonly resolution: number, readonly numClasses: number,
    readonly head: HeadKind, private readonly fixedBatch: number | null, path: string,
  ) {
    this.modelId = basename(path);
  }

  static async open(path: string, engine: EngineOptions, resolutionHint?: number): Promise<FileOnnxSegmenter> {
    let bytes: Buffer;
    try { bytes = await readFile(path); } catch (e) { throw new UserError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? e})`); }
    const data = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const session = await openSession(data, engine, path);
    try {
      const g = segfaceGraphInfo(path, session.inputShapes[0] ?? [], session.outputShapes[0] ?? [], onnxMetadata(data), resolutionHint);
      return new FileOnnxSegmenter(session, g.resolution, g.numClasses, g.head, g.batch, path);
    } catch (e) {
      await releaseSession(session);
      throw new UserError((e as Error).message);
    }
  }

  async run(batch: Float32Array, n: number) {
    if (!this.session) throw new Error('segmenter disposed');
    const r = this.resolution, per = 3 * r * r;
    const step = this.fixedBatch ?? n;
    const parts: Float32Array[] = [];
    let h = 0, w = 0;
    for (let i = 0; i < n; i += step) {
      // A graph with a fixed batch gets zero-padded chunks of exactly that size.
      // A whole, exactly sized batch (one aligned face's crop) goes in as it is.
      const whole = i === 0 && batch.length === step * per && batch.byteOffset === 0 && batch.length === batch.buffer.byteLength / 4;
      const chunk = whole ? batch : new Float32Array(step * per);
      if (!whole) chunk.set(batch.subarray(i * per, Math.min(n, i + step) * per));
      const out = await runOne(this.session, chunk, [step, 3, r, r]);
      [, , h, w] = out.shape as [number, number, number, number];
      parts.push(out.data.subarray(0, Math.min(step, n - i) * this.numClasses * h * w));
    }
    const logits = parts.length === 1 ? parts[0]! : new Float32Array(parts.reduce((a, p) => a + p.length, 0));
    if (parts.length > 1) { let o = 0; for (const p of parts) { logits.set(p, o); o += p.length; } }
    return { logits, height: h, width: w };
  }

  async dispose(): Promise<void> {
    const s = this.session;
    this.session = null;
    if (s) await releaseSession(s);
  }
}

/** --cache-dir D means the same as SEGFACE_CACHE=D: checkpoints in D/<id>/, built graphs in D. */
export const graphCacheFor = (cacheDir?: string) => cacheDir;
