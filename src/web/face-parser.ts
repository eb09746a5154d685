// `segface/web`: the Node FaceParser API in the browser, over ONNX Runtime Web (WebGPU where the
// browser has it, WASM otherwise). Models: an exported .onnx or a model_299.pt (built into a graph
// in the page by the same TypeScript code), as bytes, a Blob, a URL, or a registry id (fetched
// from the Hugging Face hub).
import { configureOrt, WebParser, type Provider } from '../browser/web-parser.js';
import { Segmentation, type ClassInfo, type ClassName } from '../api/segmentation.js';
import { DEFAULT_MAX_PIXELS } from '../image/limits.js';
import type { RgbImage } from '../image/read.js';
import { findEntry } from '../model/registry.js';
import { toRgb, type WebImageInput } from './inputs.js';

export type ModelSource = string | URL | Uint8Array | ArrayBuffer | Blob;

export interface WebParserOptions {
  /** 'auto' (default): WebGPU when an adapter is there, else WASM. */
  provider?: Provider | 'auto';
  /**
   * Where ONNX Runtime Web fetches its ort-wasm-* files (default: its own default). WASM runs the
   * plain threaded SIMD build (ort-wasm-simd-threaded.wasm), with up to 4 threads when the page is
   * cross-origin isolated (served with COOP `same-origin` and COEP `require-corp`), else 1.
   */
  wasmPaths?: string;
  /** Input size for a .pt checkpoint that is not a registry id (default 512). */
  resolution?: number;
  /** Refuse images with more pixels than this (default 100 M, as in Node). */
  maxPixels?: number;
  /** Hugging Face endpoint for registry ids (default https://huggingface.co). */
  hubEndpoint?: string;
}

export interface WebTiming { decodeMs: number; inferenceMs: number; postprocessMs: number }

/** One parsed photo in the browser: the Node result's codec-free half plus the photo. */
export class WebParseResult extends Segmentation {
  constructor(
    labels: Uint8Array, width: number, height: number, table: readonly ClassInfo[], soft: Segmentation['soft'],
    readonly image: RgbImage, readonly modelId: string, readonly resolution: number, readonly timing: WebTiming,
  ) {
    super(labels, width, height, table, 'native', soft);
  }
}

const identity = (n: number) => Uint8Array.from({ length: n }, (_, i) => i);
const isZip = (b: Uint8Array) => b[0] === 0x50 && b[1] === 0x4b; // a PyTorch checkpoint

async function modelBytes(src: ModelSource, hub: string): Promise<{ bytes: Uint8Array; name: string; resolution?: number }> {
  if (src instanceof Uint8Array) return { bytes: src, name: 'model' };
  if (src instanceof ArrayBuffer) return { bytes: new Uint8Array(src), name: 'model' };
  if (typeof Blob !== 'undefined' && src instanceof Blob) return { bytes: new Uint8Array(await src.arrayBuffer()), name: (src as File).name || 'model' };
  const entry = typeof src === 'string' ? findEntry(src) : undefined;
  const url = entry ? `${hub.replace(/\/+$/, '')}/kartiknarayan/SegFace/resolve/main/${entry.id}/model_299.pt` : String(src);
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  const name = entry?.id ?? (decodeURIComponent(new URL(url, globalThis.location?.href).pathname.split('/').pop() || 'model'));
  return { bytes: new Uint8Array(await res.arrayBuffer()), name, resolution: entry?.resolution };
}

export class FaceParser {
  private constructor(private parser: WebParser | null, private readonly maxPixels: number) {}

  static async load(model: ModelSource, opts: WebParserOptions = {}): Promise<FaceParser> {
    configureOrt(opts.wasmPaths);
    const { bytes, name, resolution } = await modelBytes(model, opts.hubEndpoint ?? 'https://huggingface.co');
    const prefer = opts.provider ?? 'auto';
    const p = isZip(bytes) ? await WebParser.fromCheckpoint(bytes, name, opts.resolution ?? resolution ?? 512, prefer) : await WebParser.fromOnnx(bytes, name, prefer);
    return new FaceParser(p, opts.maxPixels ?? DEFAULT_MAX_PIXELS);
  }

  private get p(): WebParser {
    if (!this.parser) throw new Error('FaceParser was disposed');
    return this.parser;
  }

  get classes(): readonly ClassInfo[] { return this.p.classes as ClassInfo[]; }
  get resolution(): number { return this.p.resolution; }
  get modelId(): string { return this.p.modelId; }
  /** 'webgpu' or 'wasm': where the network runs. */
  get provider(): Provider { return this.p.provider; }

  decode(input: WebImageInput, name?: string): Promise<RgbImage> { return toRgb(input, name, this.maxPixels); }

  async parse(input: WebImageInput, opts: { name?: string } = {}): Promise<WebParseResult> {
    const t0 = performance.now();
    const img = await this.decode(input, opts.name);
    const t1 = performance.now();
    const r = await this.p.parse(img);
    const postprocessMs = performance.now() - t1 - r.inferenceMs;
    return new WebParseResult(r.labels, r.width, r.height, this.classes, { logits: r.logits!, channelOf: identity(this.classes.length) },
      img, this.modelId, this.resolution, { decodeMs: t1 - t0, inferenceMs: r.inferenceMs, postprocessMs });
  }

  async dispose(): Promise<void> {
    const p = this.parser;
    this.parser = null;
    await p?.dispose();
  }
}

export type { ClassName };
