// One parsed photo: the label map at the photo's own size plus helpers to turn it into files.
import { binaryMask, colorize, histogram, labelsPng, overlay, rgbPng } from '../image/encode.js';
import type { RgbImage } from '../image/read.js';
import type { LabelOrder } from '../model/classes.js';
import type { FaceSummary, ParsedFace } from './face-result.js';

export interface ClassInfo {
  /** Id in the result's label order. */
  id: number;
  name: string;
  color: readonly [number, number, number];
}

export interface Timing {
  decodeMs: number;
  preprocessMs: number;
  /** This image's share of its batch's inference time. */
  inferenceMs: number;
  postprocessMs: number;
  /** Face detection, when faces were detected. */
  detectMs?: number;
}

export interface ClassShare { id: number; name: string; pixels: number; share: number }

export interface Summary {
  input: string;
  width: number;
  height: number;
  model: string;
  resolution: number;
  labelOrder: LabelOrder;
  /** Names of the classes with at least one pixel, by id. */
  present: string[];
  classes: ClassShare[];
  timing: Timing;
  /** One entry per parsed face, highest score first (only when faces were detected or given). */
  faces?: FaceSummary[];
}

export class ParseResult {
  constructor(
    /** Class id per pixel, [height, width], in `labelOrder`. */
    readonly labels: Uint8Array,
    readonly width: number,
    readonly height: number,
    readonly classes: readonly ClassInfo[],
    readonly labelOrder: LabelOrder,
    /** The decoded photo (RGB, [height, width, 3]), for overlays. */
    readonly image: RgbImage,
    readonly modelId: string,
    readonly resolution: number,
    readonly timing: Timing,
    /** The faces parsed (detection on), highest score first; undefined for whole-image parsing. */
    readonly faces?: readonly ParsedFace[],
  ) {}

  /** The class for a name or id; throws for unknown ones. */
  classOf(cls: string | number): ClassInfo {
    const c = typeof cls === 'number' ? this.classes[cls] : this.classes.find((k) => k.name === cls);
    if (!c) throw new Error(`unknown class ${JSON.stringify(cls)} (classes: ${this.classes.map((k) => k.name).join(', ')})`);
    return c;
  }

  /** 255 where the pixel belongs to the class, else 0; [height, width]. */
  mask(cls: string | number): Uint8Array {
    return binaryMask(this.labels, this.classOf(cls).id);
  }

  private palette(): Uint8Array {
    const p = new Uint8Array(256 * 3);
    for (const c of this.classes) p.set(c.color, c.id * 3);
    return p;
  }

  /** The label map as an 8-bit greyscale PNG (pixel value = class id). */
  toPNG(): Promise<Buffer> { return labelsPng(this.labels, this.width, this.height); }

  /** Every pixel in its class colour. */
  colorPNG(): Promise<Buffer> { return rgbPng(colorize(this.labels, this.palette()), this.width, this.height); }

  /** The photo with the classes tinted in (background left as is). */
  overlayPNG(alpha = 0.5): Promise<Buffer> {
    const bg = this.classes.find((c) => c.name === 'background')?.id ?? 0;
    return rgbPng(overlay(this.image.data, this.labels, this.palette(), alpha, bg), this.width, this.height);
  }

  /** One class's binary mask as a PNG. */
  maskPNG(cls: string | number): Promise<Buffer> { return labelsPng(this.mask(cls), this.width, this.height); }

  /** Pixel count per class id. */
  counts(): number[] { return histogram(this.labels, this.classes.length); }

  summary(): Summary {
    const counts = this.counts();
    const total = this.width * this.height;
    const classes = this.classes.map((c) => ({ id: c.id, name: c.name, pixels: counts[c.id]!, share: counts[c.id]! / total }));
    return {
      input: this.image.name, width: this.width, height: this.height, model: this.modelId, resolution: this.resolution,
      labelOrder: this.labelOrder, present: classes.filter((c) => c.pixels > 0).map((c) => c.name), classes, timing: this.timing,
      ...(this.faces ? { faces: this.faces.map((f) => f.summary()) } : {}),
    };
  }
}
