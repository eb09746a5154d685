// The parse API in the browser: ONNX Runtime Web (WebGPU where the browser has it, WASM
// otherwise) running either an exported .onnx or a graph built here from a model_299.pt with the
// pure-TypeScript checkpoint reader and graph builder. Pre/post-processing is the Node code.
import type { InferenceSession } from 'onnxruntime-web/wasm';
import onnxProto from 'onnx-proto';
import { buildOnnxGraph } from '../engine/onnx/build.js';
import { segfaceGraphInfo } from '../api/graph-info.js';
import { resizeArgmax } from '../image/postprocess.js';
import type { SoftLogits } from '../image/probabilities.js';
import { preprocessInto } from '../image/preprocess.js';
import type { RgbImage } from '../image/read.js';
import { readCheckpoint, stateDictFromCheckpoint } from '../io/checkpoint.js';
import { classTable, type ClassInfo, type HeadKind } from '../model/classes.js';
import { fromCheckpoint } from '../model/from-checkpoint.js';
import { FaceDetector } from '../face/detector.js';
import { LandmarkNet } from '../face/landmarks68.js';
import { FacePaster } from '../face/paste.js';
import { parseFaces, type CanvasModel } from '../face/parse-faces.js';
import { webRuntime } from './web-runtime.js';
import { ortWasm, ortWebGpu, wasmSessionOptions, type Ort } from './ort-web.js';

export { configureOrt } from './ort-web.js';

export type Provider = 'webgpu' | 'wasm';

export type WebClass = ClassInfo;

export interface WebFace { box: [number, number, number, number]; score: number; landmarks: [number, number][]; angle: number }

export interface WebParse {
  labels: Uint8Array;
  width: number;
  height: number;
  inferenceMs: number;
  /** The network's output [1,C,h,w] (native class order), for probabilities (whole-image parses). */
  logits?: SoftLogits;
  /** With detection: the faces, and 1 + the index of the face owning each pixel (0: none). */
  faces?: WebFace[];
  owner?: Uint8Array;
}

async function hasWebGpu(): Promise<boolean> {
  const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (!gpu) return false;
  try { return (await gpu.requestAdapter()) !== null; } catch { return false; }
}

export function classesOf(head: HeadKind): WebClass[] {
  return classTable(head, 'native');
}

interface GraphInfo { resolution: number; numClasses: number; head: HeadKind; modelId: string }

/** Input size, class count and head of an exported graph (our metadata where present). */
function graphInfo(bytes: Uint8Array, name: string): GraphInfo {
  let m: onnxProto.onnx.ModelProto;
  try { m = onnxProto.onnx.ModelProto.decode(bytes); } catch { throw new Error(`${name}: not an ONNX file`); }
  const dims = (v: onnxProto.onnx.IValueInfoProto | undefined) => (v?.type?.tensorType?.shape?.dim ?? []).map((d) => Number(d.dimValue ?? 0));
  const meta = new Map((m.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? '']));
  const g = segfaceGraphInfo(name, dims(m.graph?.input?.[0]), dims(m.graph?.output?.[0]), meta);
  return { resolution: g.resolution, numClasses: g.numClasses, head: g.head, modelId: g.modelId ?? name };
}

export class WebParser {
  readonly classes: WebClass[];
  private detector?: Promise<FaceDetector>;
  private landmarks?: Promise<LandmarkNet>;
  private paster?: FacePaster;

  private constructor(private readonly ort: Ort, private readonly session: InferenceSession, readonly info: GraphInfo, readonly provider: Provider) {
    this.classes = classesOf(info.head);
  }

  /** 'webgpu', or 'wasm, N threads' (the threads ONNX Runtime Web was started with). */
  get backend(): string { return this.provider === 'wasm' ? `wasm, ${this.ort.env.wasm.numThreads ?? 1} thread${this.ort.env.wasm.numThreads === 1 ? '' : 's'}` : this.provider; }
  get resolution(): number { return this.info.resolution; }
  get modelId(): string { return this.info.modelId; }

  /** An exported SegFace graph (e.g. from `segface export` or the server's /model.onnx). */
  static async fromOnnx(bytes: Uint8Array, name = 'model.onnx', prefer: Provider | 'auto' = 'auto', known?: Partial<GraphInfo>): Promise<WebParser> {
    const info = { ...graphInfo(bytes, name), ...known };
    if (prefer !== 'wasm' && await hasWebGpu()) {
      try {
        const gpu = await ortWebGpu();
        const s = await gpu.InferenceSession.create(bytes, { executionProviders: ['webgpu'], graphOptimizationLevel: 'all' });
        return new WebParser(gpu as unknown as Ort, s, info, 'webgpu');
      } catch (e) {
        console.warn(`WebGPU unavailable for this model (${(e as Error).message}); using WASM`);
      }
    }
    const s = await ortWasm.InferenceSession.create(bytes, wasmSessionOptions());
    return new WebParser(ortWasm, s, info, 'wasm');
  }

  /** A `model_299.pt`: read in the page, matched to its SegFace, built into a graph here. */
  static async fromCheckpoint(bytes: Uint8Array, name = 'model_299.pt', resolution = 512, prefer: Provider | 'auto' = 'auto'): Promise<WebParser> {
    const c = await fromCheckpoint({ source: name, read: () => stateDictFromCheckpoint(readCheckpoint(bytes, name), name), resolution });
    const g = buildOnnxGraph(c.net, await c.weights(), [1, 3, resolution, resolution]);
    return WebParser.fromOnnx(g.bytes, name, prefer, { modelId: c.describe, head: c.head });
  }

  /** The model as the face pipeline sees it: aligned crops [n,3,R,R] → logits. */
  private canvasModel(): CanvasModel {
    return {
      resolution: this.resolution, numClasses: this.classes.length, head: this.info.head,
      run: async (batch: Float32Array, n: number) => {
        const r = this.resolution;
        const res = await this.session.run({ [this.session.inputNames[0]!]: new this.ort.Tensor('float32', batch, [n, 3, r, r]) });
        const out = res[this.session.outputNames[0]!]!;
        const logits = (await out.getData()) as Float32Array;
        const [, , h, w] = out.dims.map(Number) as [number, number, number, number];
        return { logits, height: h, width: w };
      },
    };
  }

  /**
   * One photo → class ids at its own size. With `detectorBytes` (BlazeFace-256), every face is
   * found, aligned as the model was trained and pasted back, as `segface parse` does; with
   * `landmarkBytes` (face_landmark_68.onnx) too, its five points come from the 68-point net.
   */
  async parse(img: RgbImage, opts: { detectorBytes?: () => Promise<Uint8Array>; landmarkBytes?: () => Promise<Uint8Array>; minFace?: number; threshold?: number } = {}): Promise<WebParse> {
    if (opts.detectorBytes) {
      const load = opts.detectorBytes, loadLandmarks = opts.landmarkBytes;
      this.detector ??= load().then((b) => FaceDetector.open(webRuntime, b));
      this.detector.catch(() => { this.detector = undefined; });
      if (loadLandmarks) {
        this.landmarks ??= loadLandmarks().then((b) => LandmarkNet.open(webRuntime, b));
        this.landmarks.catch(() => { this.landmarks = undefined; });
      }
      const t0 = performance.now();
      const found = await (await this.detector).detect(img, { minFace: opts.minFace, threshold: opts.threshold });
      const faces = this.landmarks ? await (await this.landmarks).refine(img, found) : found;
      this.paster ??= new FacePaster(webRuntime, this.resolution);
      const r = await parseFaces(img, faces, this.canvasModel(), this.paster);
      return { labels: r.labels, owner: r.owner, faces, width: img.width, height: img.height, inferenceMs: performance.now() - t0 };
    }
    const r = this.resolution;
    const input = new Float32Array(3 * r * r);
    preprocessInto(img, r, input, 0); // [1,3,R,R]
    const t0 = performance.now();
    const feeds = { [this.session.inputNames[0]!]: new this.ort.Tensor('float32', input, [1, 3, r, r]) };
    const res = await this.session.run(feeds);
    const out = res[this.session.outputNames[0]!]!;
    // A copy: the tensor's memory (WASM heap or GPU download) is released below.
    const logits = ((out.location === 'cpu' ? out.data : await out.getData()) as Float32Array).slice(); // [1,C,h,w]
    const inferenceMs = performance.now() - t0;
    const [, c, h, w] = out.dims.map(Number) as [number, number, number, number];
    const labels = resizeArgmax(logits, 0, c, h, w, img.height, img.width);
    out.dispose();
    return { labels, width: img.width, height: img.height, inferenceMs, logits: { data: logits, offset: 0, numClasses: c, height: h, width: w } };
  }

  async dispose(): Promise<void> {
    const d = this.detector, l = this.landmarks;
    this.detector = undefined;
    this.landmarks = undefined;
    await Promise.all([this.session.release(), d?.then((x) => x.dispose()).catch(() => undefined), l?.then((x) => x.dispose()).catch(() => undefined), this.paster?.dispose()]);
  }
}
