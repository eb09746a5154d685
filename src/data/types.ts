// What the dataset readers hand around. Specs are plain data (file paths and numbers) so they can
// be posted to loader worker threads; samples are what a worker sends back.

export type DatasetName = 'celebamask_hq' | 'lapa' | 'helen';
export const DATASET_NAMES: readonly DatasetName[] = ['celebamask_hq', 'lapa', 'helen'];

export type Split = 'train' | 'val' | 'test';
export const SPLITS: readonly Split[] = ['train', 'val', 'test'];

/** The `dataset` id the official samples carry (celeb 0, LaPa 1 — the only one the warp uses —, Helen 2). */
export const DATASET_IDS: Record<DatasetName, number> = { celebamask_hq: 0, lapa: 1, helen: 2 };

/** One CelebAMask-HQ sample: the photo and the part masks that exist, as [label value, path]. */
export interface CelebSpec {
  kind: 'celebamask_hq';
  name: string;
  image: string;
  masks: Array<[number, string]>;
}

/** One LaPa sample: 106 landmarks as 212 numbers (x, y) in the original image's pixels. */
export interface LapaSpec {
  kind: 'lapa';
  name: string;
  image: string;
  label: string;
  landmarks: number[];
}

/** One Helen sample: 68 landmarks as 136 numbers, exactly as landmarks.txt lists them (not yet ×0.5). */
export interface HelenSpec {
  kind: 'helen';
  name: string;
  image: string;
  label: string;
  landmarks: number[];
}

export type SampleSpec = CelebSpec | LapaSpec | HelenSpec;

/** A resolved split: every sample's files, in the order the official reader lists them. */
export interface DatasetIndex {
  dataset: DatasetName;
  split: Split;
  /** The dataset's own folder (e.g. <DATA_PATH>/CelebAMask-HQ). */
  root: string;
  samples: SampleSpec[];
  classNames: readonly string[];
}

/** One preprocessed sample at resolution R. */
export interface Sample {
  name: string;
  /** [3,R,R] float32, ImageNet-normalised. */
  image: Float32Array;
  /** [R,R] class ids. */
  label: Uint8Array;
  /** [5,2] warp landmarks (x, y) at resolution R (zeros for CelebAMask-HQ). */
  lnm: Float32Array;
  dataset: number;
}

/** A batch as the model consumes it. */
export interface Batch {
  size: number;
  resolution: number;
  /** [B,3,R,R] */
  images: Float32Array;
  /** [B,R,R] */
  labels: Uint8Array;
  /** [B,5,2] */
  lnm: Float32Array;
  /** [B] */
  dataset: Int32Array;
  names: string[];
}

/** Per-sample augmentation: a seed for LaPa's random affine (null = none, the test path). */
export interface LoadOptions {
  resolution: number;
  augmentSeed?: number | null;
}
