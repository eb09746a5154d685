// Loads one case of ../shared/fixtures/consensus (see its README) for the consensus tests.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readNpy as parseNpy } from '../../src/io/npy.js';
import type { ConsensusOptions } from '../../src/train/blob-plan.js';

const readNpy = (path: string) => parseNpy(readFileSync(path), path);

export const consensusFixtureDir = join(process.cwd(), '..', 'shared', 'fixtures', 'consensus');

export interface ConsensusCase {
  name: string;
  shape: [number, number, number, number];
  pred: Float32Array;
  maskCc: BigInt64Array;
  maskClass: BigInt64Array;
  grad: Float32Array;
  /** Only the NaN-defect case: the gradient with absent (blob, image) pairs skipped. */
  gradFinite?: Float32Array;
  options: ConsensusOptions;
  loss: number;
  blobs: { id: number; label: number; label_term: number; consensus_term: number }[];
}

export function loadConsensusCase(name: string): ConsensusCase {
  const dir = join(consensusFixtureDir, name);
  const params = JSON.parse(readFileSync(join(dir, 'params.json'), 'utf8'));
  const pred = readNpy(join(dir, 'pred.npy'));
  const finite = join(dir, 'grad_finite_expected.npy');
  return {
    name,
    shape: pred.shape as [number, number, number, number],
    pred: pred.data as Float32Array,
    maskCc: readNpy(join(dir, 'mask_cc.npy')).data as BigInt64Array,
    maskClass: readNpy(join(dir, 'mask_class.npy')).data as BigInt64Array,
    grad: readNpy(join(dir, 'grad.npy')).data as Float32Array,
    gradFinite: existsSync(finite) ? (readNpy(finite).data as Float32Array) : undefined,
    options: { alpha: params.alpha, beta: params.beta, reducePixel: params.reduce_pixel, reducePixelKl: params.reduce_pixel_kl },
    loss: params.loss,
    blobs: params.blobs,
  };
}

export const consensusCaseNames = [
  'basic_c3_16', 'same_class_multi_blob_c5_24', 'cc_differs_c6_20', 'all_all_c4_16',
  'readme_a10_b5_c11_32', 'idx_all_cc_a10_b5_c6_20', 'bug_all_absent_blob_nan_c3_12',
];
