// The library entry point: load a model once, parse photos (paths, encoded buffers or raw pixels)
// into label maps at the photos' own sizes.
import { resizeArgmax } from '../image/postprocess.js';
import { preprocessInto } from '../image/preprocess.js';
import { readImage, type ImageInput, type RgbImage } from '../image/read.js';
import { classTable, headsWithOrder, LABEL_ORDERS, labelLut, labelOrdersOf, type HeadKind, type LabelOrder } from '../model/classes.js';
import { UserError } from '../errors.js';
import { loadSegmenter, type LoadOptions } from './load-model.js';
import type { FetchBytesOptions } from '../hub/fetch-bytes.js';
import { ParseResult, type ClassInfo } from './result.js';
import type { Segmenter } from './segmenter.js';
import { FaceStage, type FaceOptions } from './face-stage.js';
import type { DetectedFace } from '../face/detector.js';
import type { FaceLike } from '../face/parse-faces.js';

export type { FaceOptions } from './face-stage.js';

export interface FaceParserOptions extends LoadOptions {
  /** Numbering of the returned labels (default 'native', the model's own). */
  labelOrder?: LabelOrder;
  /** Refuse images with more pixels than this (default 100 M). */
  maxPixels?: number;
  /** Size and time limits for inputs given as http(s) URLs (default 50 MiB, 30 s). */
  download?: FetchBytesOptions;
}

export { classTable };

const now = () => performance.now();

export class FaceParser {
  readonly classes: readonly ClassInfo[];
  private readonly lut: Uint8Array;
  /** channelOf[id in labelOrder] = the network's output channel. */
  private readonly channelOf: Uint8Array;
  private segmenter: Segmenter | null;
  private readonly download?: FetchBytesOptions;
  private faceStage?: FaceStage;

  private constructor(segmenter: Segmenter, readonly labelOrder: LabelOrder, private readonly maxPixels?: number, download?: FetchBytesOptions, private readonly threads?: number) {
    this.segmenter = segmenter;
    this.classes = classTable(segmenter.head, labelOrder);
    this.lut = labelLut(segmenter.head, labelOrder);
    this.channelOf = new Uint8Array(this.lut.length);
    this.lut.forEach((id, native) => { this.channelOf[id] = native; });
    this.download = download;
  }

  /**
   * `model`: a registry id (downloaded once into the cache), a `model_299.pt` checkpoint or an
   * exported `.onnx` graph.
   */
  static async load(model: string, opts: FaceParserOptions = {}): Promise<FaceParser> {
    const order = opts.labelOrder ?? 'native';
    if (!LABEL_ORDERS.includes(order)) {
      throw new UserError(`unknown label order '${order}' (expected ${LABEL_ORDERS.slice(0, -1).join(', ')} or ${LABEL_ORDERS.at(-1)})`);
    }
    const seg = await loadSegmenter(model, opts);
    if (!labelOrdersOf(seg.head).includes(order)) {
      await seg.dispose();
      throw new UserError(`label order '${order}' exists only for ${headsWithOrder(order)} models; ${seg.modelId} is a ${seg.head} model`);
    }
    return new FaceParser(seg, order, opts.maxPixels, opts.download, opts.threads);
  }

  /** Wraps an already opened segmenter (e.g. a custom engine). */
  static fromSegmenter(seg: Segmenter, opts: { labelOrder?: LabelOrder; maxPixels?: number; download?: FetchBytesOptions; threads?: number } = {}): FaceParser {
    return new FaceParser(seg, opts.labelOrder ?? 'native', opts.maxPixels, opts.download, opts.threads);
  }

  private faces(): FaceStage {
    this.faceStage ??= new FaceStage(this.seg, this.threads);
    return this.faceStage;
  }

  private get seg(): Segmenter {
    if (!this.segmenter) throw new Error('FaceParser was disposed');
    return this.segmenter;
  }

  get resolution(): number { return this.seg.resolution; }
  get head(): HeadKind { return this.seg.head; }
  get modelId(): string { return this.seg.modelId; }

  /** Decodes one input (UserError naming it when it is not a usable image). */
  decode(input: ImageInput, name?: string): Promise<RgbImage> {
    return readImage(input, { maxPixels: this.maxPixels, name, download: this.download });
  }

  /**
   * One photo. By default the whole image is the face (pre-cropped faces, as the official code
   * runs); `detect: true` finds every face, aligns each as the model was trained and pastes the
   * labels back at full resolution (`result.faces`).
   */
  async parse(input: ImageInput, opts: { name?: string } & FaceOptions = {}): Promise<ParseResult> {
    const t0 = now();
    const img = await this.decode(input, opts.name);
    const [r] = await this.parseImages([img], [now() - t0], opts);
    return r!;
  }

  /** The faces in a photo (highest score first), without parsing them. */
  async detect(input: ImageInput, opts: Pick<FaceOptions, 'faces' | 'minFace' | 'detectThreshold'> & { name?: string } = {}): Promise<DetectedFace[]> {
    const img = await this.decode(input, opts.name);
    return this.faces().detect(img, opts);
  }

  /** Parses the faces at the given landmarks (five points each, as FaceParser.detect reports). */
  async parseFaces(input: ImageInput, faces: readonly FaceLike[], opts: { name?: string; crops?: boolean } = {}): Promise<ParseResult> {
    const t0 = now();
    const img = await this.decode(input, opts.name);
    return this.faces().parse(img, faces, { decodeMs: now() - t0, detectMs: 0 }, this.lut, this.labelOrder, this.classes, opts.crops);
  }

  /** Several inputs in one forward pass; rejects on the first input that cannot be decoded. */
  async parseBatch(inputs: readonly ImageInput[]): Promise<ParseResult[]> {
    const times: number[] = [];
    const imgs: RgbImage[] = [];
    for (const input of inputs) {
      const t0 = now();
      imgs.push(await this.decode(input));
      times.push(now() - t0);
    }
    return this.parseImages(imgs, times);
  }

  /** Runs decoded images through the network as one batch. */
  async parseImages(imgs: readonly RgbImage[], decodeMs: readonly number[] = [], opts: FaceOptions = {}): Promise<ParseResult[]> {
    if (imgs.length === 0) return [];
    if (opts.detect) {
      const out: ParseResult[] = [];
      for (let i = 0; i < imgs.length; i++) out.push(await this.faces().detectAndParse(imgs[i]!, decodeMs[i] ?? 0, opts, this.lut, this.labelOrder, this.classes));
      return out;
    }
    const seg = this.seg;
    const r = seg.resolution, n = imgs.length, per = 3 * r * r;
    const t0 = now();
    const batch = new Float32Array(n * per); // [n,3,R,R]
    imgs.forEach((img, i) => preprocessInto(img, r, batch, i * per));
    const t1 = now();
    const { logits, height, width } = await seg.run(batch, n); // [n,C,h,w]
    const t2 = now();
    const C = seg.numClasses, plane = C * height * width;
    return imgs.map((img, i) => {
      const t3 = now();
      const labels = resizeArgmax(logits, i * plane, C, height, width, img.height, img.width);
      if (this.labelOrder !== 'native') for (let k = 0; k < labels.length; k++) labels[k] = this.lut[labels[k]!]!;
      const timing = { decodeMs: decodeMs[i] ?? 0, preprocessMs: (t1 - t0) / n, inferenceMs: (t2 - t1) / n, postprocessMs: now() - t3 };
      const soft = { logits: { data: logits, offset: i * plane, numClasses: C, height, width }, channelOf: this.channelOf };
      return new ParseResult(labels, img.width, img.height, this.classes, this.labelOrder, img, seg.modelId, r, timing, soft);
    });
  }

  /** Frees the runtime's native memory; the parser cannot be used afterwards. */
  async dispose(): Promise<void> {
    const s = this.segmenter;
    this.segmenter = null;
    await this.faceStage?.dispose();
    this.faceStage = undefined;
    await s?.dispose();
  }
}
