// `segface test --dataset lapa --runtime torch`: the LaPa head needs each batch's five landmarks
// for its tanh warp (spec §5.4), which the image-only Segmenter interface cannot pass, so this
// runs SegFace eagerly on libtorch with `{ landmarks: batch.lnm }`, as training does.
import { UserError } from '../errors.js';
import type { Ctx } from '../engine/ops.js';
import { native } from '../engine/torch/native.js';
import { TorchOps } from '../engine/torch/ops.js';
import { inferenceMode, tidy } from '../engine/torch/scope.js';
import { fromData, fromHost, type TorchTensor } from '../engine/torch/tensor.js';
import { readStateDictFile } from '../io/files.js';
import { buildSegFace } from '../model/build.js';
import { detectModel } from '../model/detect.js';
import { bindStateDict } from '../model/load.js';
import type { LoadedModel, TestOptions } from './run-test.js';

export async function loadLapaTorchModel(o: TestOptions): Promise<LoadedModel> {
  if (!o.modelPath.endsWith('.pt') && !o.modelPath.endsWith('.pth')) {
    throw new UserError(`${o.modelPath}: the LaPa warp path reads a .pt checkpoint (got another kind of file)`);
  }
  const device = o.device ?? 'cpu';
  if (device === 'cuda' && native().cudaDeviceCount() === 0) {
    throw new UserError('--device cuda: this libtorch has no CUDA device available; use --device cpu');
  }
  const r = o.inputResolution;
  const file = readStateDictFile(o.modelPath);
  // --model names the backbone as officially; without it, the checkpoint's keys decide.
  const model = o.model ?? detectModel(file, r).model;
  const net = buildSegFace({ model, head: 'lapa', resolution: r });
  const sd = bindStateDict(net, file, o.modelPath, `SegFace (${model} backbone, LaPa head)`);
  const ops = new TorchOps({ device });
  let weights: Map<string, TorchTensor> | null = new Map([...sd].map(([k, v]) => [k, fromHost(v, { device })]));
  return {
    numClasses: net.numClasses,
    describe: `${model}_lapa_${r} (libtorch, tanh warp)`,
    predict: async (batch) => {
      const w = weights;
      if (!w) throw new Error('model disposed');
      const ctx: Ctx<TorchTensor> = {
        ops, training: false,
        get: (key) => { const t = w.get(key); if (!t) throw new Error(`no weight ${key}`); return t; },
      };
      const warp = batch.dataset.every((d) => d === 1);
      const out = inferenceMode(() => tidy(() => {
        const x = fromData(batch.images, [batch.size, 3, r, r], 'float32', { device });
        const y = net.forward(ctx, x, warp ? { landmarks: batch.lnm } : {});
        return { data: y.toFloat32Array(), shape: [...y.shape] };
      }));
      return { logits: out.data, height: out.shape[2]!, width: out.shape[3]! };
    },
    dispose: async () => {
      for (const t of weights?.values() ?? []) t.dispose();
      weights = null;
    },
  };
}
