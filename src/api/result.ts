// One parsed photo: the label map at the photo's own size (plus the logits, for probabilities)
// and helpers to turn it into files.
import { colorize, labelsPng, overlay, rgbPng } from '../image/encode.js';
import type { SoftLogits } from '../image/probabilities.js';
import type { RgbImage } from '../image/read.js';
import type { ClassInfo, ClassName, LabelOrder } from '../model/classes.js';
import { VERSION } from '../version.js';
import { Segmentation } from './segmentation.js';
import type { FaceSummary, ParsedFace } from './face-result.js';

export type { ClassInfo, ClassName };
export type { CelebClassName, LapaClassName, Segment } from './segmentation.js';

export interface Timing {
  decodeMs: number;
  preprocessMs: number;
  /** This image's share of its batch's inference time. */
  inferenceMs: number;
  postprocessMs: number;
  /** Face detection, when faces were detected. */
  detectMs?: number;
}

export interface ClassShare { id: number; name: ClassName; pixels: number; share: number; color: readonly [number, number, number] }

export interface Summary {
  input: string;
  width: number;
  height: number;
  model: string;
  resolution: number;
  labelOrder: LabelOrder;
  /** Names of the classes with at least one pixel, by id. */
  present: ClassName[];
  /** Every class of the model (found or not), with its pixel count, share and colour. */
  classes: ClassShare[];
  /** Milliseconds, rounded to 0.1. */
  timing: Timing;
  /** The segface version that wrote it. */
  version: string;
  /** One entry per parsed face, highest score first (only when faces were detected or given). */
  faces?: FaceSummary[];
}

const round1 = (x: number) => Math.round(x * 10) / 10;

export class ParseResult extends Segmentation {
  constructor(
    labels: Uint8Array,
    width: number,
    height: number,
    /** The model's whole class table in `labelOrder` (`classes` is what was found). */
    table: readonly ClassInfo[],
    labelOrder: LabelOrder,
    /** The decoded photo (RGB, [height, width, 3]), for overlays. */
    readonly image: RgbImage,
    readonly modelId: string,
    readonly resolution: number,
    readonly timing: Timing,
    soft?: { logits: SoftLogits; channelOf: ArrayLike<number> },
    /** The faces parsed (detection on), highest score first; undefined for whole-image parsing. */
    readonly faces?: readonly ParsedFace[],
  ) {
    super(labels, width, height, table, labelOrder, soft);
  }

  private palette(): Uint8Array {
    const p = new Uint8Array(256 * 3);
    for (const c of this.table) p.set(c.color, c.id * 3);
    return p;
  }

  /** The label map as an 8-bit greyscale PNG (pixel value = class id). */
  toPNG(): Promise<Buffer> { return labelsPng(this.labels, this.width, this.height); }

  /** Every pixel in its class colour. */
  colorPNG(): Promise<Buffer> { return rgbPng(colorize(this.labels, this.palette()), this.width, this.height); }

  /** The photo with the classes tinted in (background left as is). */
  overlayPNG(alpha = 0.5): Promise<Buffer> {
    const bg = this.table.find((c) => c.name === 'background')?.id ?? 0;
    return rgbPng(overlay(this.image.data, this.labels, this.palette(), alpha, bg), this.width, this.height);
  }

  /** One class's binary mask as a PNG. */
  maskPNG(cls: ClassName | number): Promise<Buffer> { return labelsPng(this.mask(cls), this.width, this.height); }

  /** One class's probability as an 8-bit greyscale PNG (255 = certain). */
  probabilityPNG(cls: ClassName | number): Promise<Buffer> {
    return labelsPng(this.probabilityBytes([this.classOf(cls).id])[0]!, this.width, this.height);
  }

  summary(): Summary {
    const counts = this.counts();
    const total = this.width * this.height;
    const classes = this.table.map((c) => ({ id: c.id, name: c.name, pixels: counts[c.id]!, share: counts[c.id]! / total, color: c.color }));
    const t = this.timing;
    return {
      input: this.image.name, width: this.width, height: this.height, model: this.modelId, resolution: this.resolution,
      labelOrder: this.labelOrder, present: classes.filter((c) => c.pixels > 0).map((c) => c.name), classes,
      timing: {
        decodeMs: round1(t.decodeMs), preprocessMs: round1(t.preprocessMs), inferenceMs: round1(t.inferenceMs), postprocessMs: round1(t.postprocessMs),
        ...(t.detectMs !== undefined ? { detectMs: round1(t.detectMs) } : {}),
      },
      version: VERSION,
      ...(this.faces ? { faces: this.faces.map((f) => f.summary()) } : {}),
    };
  }
}
