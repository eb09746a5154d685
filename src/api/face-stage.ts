// The in-the-wild half of FaceParser: detector and paste-back graphs opened on first use, so
// whole-image parsing costs nothing extra.
import type { RgbImage } from '../image/read.js';
import type { LabelOrder } from '../model/classes.js';
import { DEFAULT_MIN_FACE, DEFAULT_THRESHOLD, FaceDetector, type DetectedFace } from '../face/detector.js';
import { nodeRuntime } from '../face/node-runtime.js';
import { parseFaces, selectFaces, type FaceLike, type FaceSelection } from '../face/parse-faces.js';
import { FacePaster } from '../face/paste.js';
import type { GraphRuntime } from '../face/runtime.js';
import { blazeFaceBytes } from '../face/weights.js';
import { LandmarkNet } from '../face/landmarks68.js';
import { landmarks68Bytes } from '../face/landmarks68-weights.js';
import { parsedFaces } from './face-result.js';
import { ParseResult, type ClassInfo } from './result.js';
import type { Segmenter } from './segmenter.js';

/** The CLI's face flags as library options. */
export interface FaceOptions {
  /** Find the faces and parse each one aligned (CLI default; the library default is the whole image). */
  detect?: boolean;
  /** Which faces: 'all' (default), 'largest' or the N best. */
  faces?: FaceSelection;
  /** Smallest face height in pixels to look for (default 32). */
  minFace?: number;
  /** Minimum detector score (default 0.5). */
  detectThreshold?: number;
  /** Keep each face's aligned crop and canvas labels (`face.crop`). */
  crops?: boolean;
}

const now = () => performance.now();

export class FaceStage {
  private detector?: Promise<FaceDetector>;
  private landmarks?: Promise<LandmarkNet>;
  private paster?: FacePaster;
  private readonly runtime: GraphRuntime;

  constructor(private readonly seg: Segmenter, threads?: number) {
    this.runtime = nodeRuntime({ threads });
  }

  async detect(img: RgbImage, o: FaceOptions = {}): Promise<DetectedFace[]> {
    this.detector ??= blazeFaceBytes().then((b) => FaceDetector.open(this.runtime, b));
    this.detector.catch(() => { this.detector = undefined; });
    this.landmarks ??= landmarks68Bytes().then((b) => LandmarkNet.open(this.runtime, b));
    this.landmarks.catch(() => { this.landmarks = undefined; });
    const found = await (await this.detector).detect(img, { minFace: o.minFace ?? DEFAULT_MIN_FACE, threshold: o.detectThreshold ?? DEFAULT_THRESHOLD });
    // The five points from the 68-point net: true mouth corners, steadier eyes and nose.
    return (await this.landmarks).refine(img, selectFaces(found, o.faces ?? 'all'));
  }

  async detectAndParse(img: RgbImage, decodeMs: number, o: FaceOptions, lut: Uint8Array, order: LabelOrder, classes: readonly ClassInfo[]): Promise<ParseResult> {
    const t0 = now();
    const faces = await this.detect(img, o);
    return this.parse(img, faces, { decodeMs, detectMs: now() - t0 }, lut, order, classes, o.crops);
  }

  async parse(img: RgbImage, faces: readonly (FaceLike & { angle?: number })[], times: { decodeMs: number; detectMs: number }, lut: Uint8Array, order: LabelOrder, classes: readonly ClassInfo[], crops?: boolean): Promise<ParseResult> {
    this.paster ??= new FacePaster(this.runtime, this.seg.resolution);
    const r = await parseFaces(img, faces, this.seg, this.paster, { crops });
    const t0 = now();
    const labels = r.labels;
    if (order !== 'native') {
      for (let k = 0; k < labels.length; k++) labels[k] = lut[labels[k]!]!;
      for (const c of r.crops ?? []) for (let k = 0; k < c.labels.length; k++) c.labels[k] = lut[c.labels[k]!]!;
    }
    const parsed = parsedFaces(faces, r.owner, labels, classes, r.crops, { width: img.width, regions: r.regions });
    // Post-processing is what the user waits for after the network: paste-back, the label
    // remap and the per-face class counts.
    const timing = { decodeMs: times.decodeMs, detectMs: times.detectMs, preprocessMs: r.timing.alignMs, inferenceMs: r.timing.inferenceMs, postprocessMs: r.timing.pasteMs + now() - t0 };
    return new ParseResult(labels, img.width, img.height, classes, order, img, this.seg.modelId, this.seg.resolution, timing, undefined, parsed);
  }

  async dispose(): Promise<void> {
    const d = this.detector, l = this.landmarks;
    this.detector = undefined;
    this.landmarks = undefined;
    await Promise.all([d?.then((x) => x.dispose()).catch(() => undefined), l?.then((x) => x.dispose()).catch(() => undefined), this.paster?.dispose()]);
    this.paster = undefined;
  }
}
