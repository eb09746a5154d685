// The label names each official dataset class and evaluation use (inference.py@9416628:56-68):
// they are what `segface test` prints, so they follow the official spelling, not ours.
import { CELEB_CLASSES } from '../model/classes.js';
import type { DatasetName } from './types.js';

export const OFFICIAL_LABELS: Record<DatasetName, readonly string[]> = {
  celebamask_hq: CELEB_CLASSES,
  lapa: ['background', 'face_lr_rr', 'lb', 'rb', 'le', 're', 'nose', 'ul', 'im', 'll', 'hair'],
  helen: ['bg', 'face', 'lb', 'rb', 'le', 're', 'nose', 'ulip', 'imouth', 'llip', 'hair'],
};

/**
 * CelebAMask-HQ part-mask suffixes in merge order: label = index + 1, and a later suffix
 * overwrites an earlier one where masks overlap (celebamask_hq.py@9416628:109-122).
 */
export const CELEB_MASK_SUFFIXES = [
  'neck', 'skin', 'cloth', 'l_ear', 'r_ear', 'l_brow', 'r_brow', 'l_eye', 'r_eye', 'nose', 'mouth',
  'l_lip', 'u_lip', 'hair', 'eye_g', 'hat', 'ear_r', 'neck_l',
] as const;

/** The folder under DATA_PATH each dataset lives in (README.md@9416628:78-105). */
export const DATASET_DIRS: Record<DatasetName, string> = {
  celebamask_hq: 'CelebAMask-HQ',
  lapa: 'LaPa',
  helen: 'helen',
};
