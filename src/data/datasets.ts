// One entry point for the three readers: resolve the folder, list a split, fail on an empty one.
import { UserError } from '../errors.js';
import { indexCelebAMaskHQ } from './celebamask-hq.js';
import { indexHelen } from './helen.js';
import { indexLapa } from './lapa.js';
import { datasetRoot } from './root.js';
import { DATASET_NAMES, SPLITS, type DatasetIndex, type DatasetName, type Split } from './types.js';

export function parseDatasetName(s: string): DatasetName {
  if ((DATASET_NAMES as readonly string[]).includes(s)) return s as DatasetName;
  throw new UserError(`unknown dataset '${s}' (expected one of ${DATASET_NAMES.join(', ')})`);
}

export function parseSplit(s: string): Split {
  if ((SPLITS as readonly string[]).includes(s)) return s as Split;
  throw new UserError(`unknown split '${s}' (expected one of ${SPLITS.join(', ')})`);
}

/** Lists a split of a dataset under `dataPath` (or DATA_PATH). An empty split is an error. */
export async function openSplit(dataset: DatasetName, split: Split, dataPath?: string): Promise<DatasetIndex> {
  const root = datasetRoot(dataset, dataPath);
  const index = dataset === 'celebamask_hq' ? await indexCelebAMaskHQ(root, split)
    : dataset === 'lapa' ? await indexLapa(root, split)
      : await indexHelen(root, split);
  if (index.samples.length === 0) throw new UserError(`${root}: the ${split} split of ${dataset} is empty`);
  return index;
}
