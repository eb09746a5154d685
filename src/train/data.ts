// Which split files a training run reads. The synthetic set (`segface data synth`) is written in
// the CelebAMask-HQ layout and read by the same reader; Helen has no val split, and the
// official "val" loader reads its test split (spec §7.4).
import { openSplit } from '../data/datasets.js';
import type { DatasetIndex, DatasetName, Split } from '../data/types.js';
import type { TrainDataset } from './config.js';

export function readerDataset(d: TrainDataset): DatasetName {
  return d === 'synthetic' ? 'celebamask_hq' : d;
}

export function openTrainSplit(dataset: TrainDataset, split: Split, dataPath?: string): Promise<DatasetIndex> {
  const name = readerDataset(dataset);
  return openSplit(name, name === 'helen' && split === 'val' ? 'test' : split, dataPath);
}
