// The released SegFace checkpoints (Hugging Face `kartiknarayan/SegFace`, README@9416628):
// id → `--model` value, head, resolution and the file inside the hub repository.
import type { HeadKind } from './classes.js';
import type { ModelName } from './backbones/table.js';

export { MODEL_NAMES, isModelName, type ModelName } from './backbones/table.js';

export interface RegistryEntry {
  readonly id: string;
  readonly model: ModelName;
  readonly head: HeadKind;
  readonly resolution: number;
  /** Path of the checkpoint inside the hub repository. */
  readonly hubPath: string;
}

const entry = (id: string, model: ModelName, head: HeadKind, resolution: number): RegistryEntry =>
  ({ id, model, head, resolution, hubPath: `${id}/model_299.pt` });

// convnext_celeba_512: the README does not name the variant; we map it to convnext_base (the
// "base" size the Swin/Swin-V2 rows use, and the largest ConvNeXt the code offers). A
// ConvNeXt-Small checkpoint would fail strict loading with linear_c width 96 vs 128 — use
// `--model convnext_small` for it.
export const REGISTRY: readonly RegistryEntry[] = [
  entry('convnext_celeba_512', 'convnext_base', 'celeb', 512),
  entry('efficientnet_celeba_512', 'efficientnet', 'celeb', 512),
  entry('mobilenet_celeba_512', 'mobilenet', 'celeb', 512),
  entry('resnet_celeba_512', 'resnet', 'celeb', 512),
  entry('swinb_celeba_224', 'swin_base', 'celeb', 224),
  entry('swinb_celeba_256', 'swin_base', 'celeb', 256),
  entry('swinb_celeba_448', 'swin_base', 'celeb', 448),
  entry('swinb_celeba_512', 'swin_base', 'celeb', 512),
  entry('swinb_lapa_224', 'swin_base', 'lapa', 224),
  entry('swinb_lapa_256', 'swin_base', 'lapa', 256),
  entry('swinb_lapa_448', 'swin_base', 'lapa', 448),
  entry('swinb_lapa_512', 'swin_base', 'lapa', 512),
  entry('swinv2b_celeba_512', 'swinv2_base', 'celeb', 512),
  entry('swinb_helen_512', 'swin_base', 'helen', 512),
];

export function findEntry(id: string): RegistryEntry | undefined {
  return REGISTRY.find((e) => e.id === id);
}
