// Wires `segface test` to the project's engines: --model_path (a .pt checkpoint, an .onnx graph
// or a registry id) becomes a Segmenter (src/api) on ONNX Runtime or libtorch.
import { loadSegmenter } from '../api/load-model.js';
import type { ImageOptions } from '../api/segmenter.js';
import { DATASET_IDS, type Batch } from '../data/types.js';
import type { LoadedModel, TestOptions } from './run-test.js';

/** Each sample's landmarks, for the LaPa head's warp, which applies to LaPa samples only. */
export function batchImageOptions(batch: Batch): (ImageOptions | undefined)[] {
  return Array.from(batch.dataset, (d, i) => (d === DATASET_IDS.lapa ? { landmarks: batch.lnm.subarray(i * 10, i * 10 + 10) } : undefined));
}

export async function loadTestModel(o: TestOptions): Promise<LoadedModel> {
  const seg = await loadSegmenter(o.modelPath, { runtime: o.runtime, device: o.device, precision: o.precision, resolution: o.inputResolution });
  return {
    numClasses: seg.numClasses,
    describe: seg.modelId,
    landmarkWarp: seg.landmarkWarp,
    predict: (batch) => seg.run(batch.images, batch.size, batchImageOptions(batch)),
    dispose: () => seg.dispose(),
  };
}
