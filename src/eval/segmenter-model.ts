// Wires `segface test` to the project's engines: --model_path (a .pt checkpoint, an .onnx graph
// or a registry id) becomes a Segmenter (src/api) on ONNX Runtime or libtorch.
import { loadSegmenter } from '../api/load-model.js';
import type { LoadedModel, TestOptions } from './run-test.js';

export async function loadTestModel(o: TestOptions): Promise<LoadedModel> {
  const seg = await loadSegmenter(o.modelPath, { runtime: o.runtime, device: o.device, precision: o.precision, resolution: o.inputResolution });
  return {
    numClasses: seg.numClasses,
    describe: seg.modelId,
    // The Segmenter interface takes images only, so LaPa's landmark warp is not applied here;
    // `segface test --dataset lapa --runtime torch` uses torch-warp-model.ts instead.
    predict: (batch) => seg.run(batch.images, batch.size),
    dispose: () => seg.dispose(),
  };
}
