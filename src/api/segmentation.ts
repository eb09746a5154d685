// A label map and the logits it came from, without any image codec (shared by the Node result
// and the browser's): masks, the classes found, per-class probabilities and scores, segments.
import { binaryMask, histogram } from '../image/label-pixels.js';
import { meanOwnProbability, resizeSoftmax, type SoftLogits } from '../image/probabilities.js';
import type { ClassInfo, ClassName, ClassNameOf, LabelOrder } from '../model/classes.js';
import { didYouMean } from '../model/suggest.js';

export type { ClassInfo, ClassName };
/** Class names of CelebAMask-HQ models (19) and of LaPa/Helen models (11). */
export type CelebClassName = ClassNameOf<'celeb'>;
export type LapaClassName = ClassNameOf<'lapa'>;

/** A class found in the photo, as image-segmentation pipelines return it. */
export interface Segment {
  label: ClassName;
  /** Id in the result's label order. */
  id: number;
  /** 255 where the pixel is this class, else 0; [height, width]. */
  mask: Uint8Array;
  /** Mean probability of the class over its pixels, 0…1 (absent when no logits were kept). */
  score?: number;
  pixels: number;
  /** Fraction of the photo. */
  share: number;
  color: readonly [number, number, number];
}

export class Segmentation {
  private countsCache?: number[];
  private scoresCache?: Float64Array;

  constructor(
    /** Class id per pixel, [height, width], in `labelOrder`. */
    readonly labels: Uint8Array,
    readonly width: number,
    readonly height: number,
    /** The model's whole class table in `labelOrder`. */
    readonly table: readonly ClassInfo[],
    readonly labelOrder: LabelOrder,
    /** The logits (native order) and, per id in `labelOrder`, its channel in them. */
    protected readonly soft?: { logits: SoftLogits; channelOf: ArrayLike<number> },
  ) {}

  /** The classes found in the photo (at least one pixel), by id. */
  get classes(): ClassInfo[] {
    const counts = this.counts();
    return this.table.filter((c) => counts[c.id]! > 0);
  }

  /** The class for a name or id; throws for unknown ones. */
  classOf(cls: ClassName | number): ClassInfo {
    const c = typeof cls === 'number' ? this.table[cls] : this.table.find((k) => k.name === cls);
    if (!c) {
      const names = this.table.map((k) => k.name);
      throw new Error(`unknown class ${JSON.stringify(cls)}${typeof cls === 'string' ? didYouMean(cls, names) : ''} (classes: ${names.join(', ')})`);
    }
    return c;
  }

  /** 255 where the pixel belongs to the class, else 0; [height, width]. */
  mask(cls: ClassName | number): Uint8Array {
    return binaryMask(this.labels, this.classOf(cls).id);
  }

  /** Pixel count per class id. */
  counts(): number[] {
    this.countsCache ??= histogram(this.labels, this.table.length);
    return this.countsCache;
  }

  private logits(): { logits: SoftLogits; channelOf: ArrayLike<number> } {
    if (!this.soft) throw new Error('this result holds no logits (built from a label map only)');
    return this.soft;
  }

  /**
   * The class's probability per pixel at the photo's size, [height, width], 0…1: softmax over the
   * bilinearly resized logits the labels came from (no second network pass).
   */
  probabilities(cls: ClassName | number): Float32Array {
    const s = this.logits();
    return resizeSoftmax(s.logits, this.height, this.width, [s.channelOf[this.classOf(cls).id]!], 'f32')[0]!;
  }

  /** Several classes' probabilities as 8-bit planes (round(255·p)), in one pass over the logits. */
  probabilityBytes(ids: readonly number[]): Uint8Array[] {
    const s = this.logits();
    return resizeSoftmax(s.logits, this.height, this.width, ids.map((id) => s.channelOf[this.classOf(id).id]!), 'u8');
  }

  /** Mean probability of the class over the pixels labelled with it (0 if none). */
  score(cls: ClassName | number): number | undefined {
    if (!this.soft) return undefined;
    this.scoresCache ??= meanOwnProbability(this.soft.logits, this.labels, this.height, this.width, this.soft.channelOf, this.table.length);
    return this.scoresCache[this.classOf(cls).id];
  }

  /** One entry per class found: `{label, id, mask, score, pixels, share, color}`. */
  segments(): Segment[] {
    const counts = this.counts(), total = this.width * this.height;
    return this.classes.map((c) => ({
      label: c.name, id: c.id, mask: this.mask(c.id), score: this.score(c.id),
      pixels: counts[c.id]!, share: counts[c.id]! / total, color: c.color,
    }));
  }
}
