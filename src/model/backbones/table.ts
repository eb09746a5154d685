// Every backbone the official `--model` flag accepts: name → constructor. MODEL_NAMES, the
// factory and model detection all derive from this table; a new backbone is one row here
// (plus its module file).
import type { Backbone } from './backbone.js';
import { ConvNeXt } from './convnext.js';
import { EfficientNetV2M } from './efficientnet.js';
import { MobileNetV3Large } from './mobilenet.js';
import { ResNet } from './resnet.js';
import { SwinBackbone } from './swin.js';

export const BACKBONES = {
  swin_base: () => new SwinBackbone('swin_base'),
  swinv2_base: () => new SwinBackbone('swinv2_base'),
  swinv2_small: () => new SwinBackbone('swinv2_small'),
  swinv2_tiny: () => new SwinBackbone('swinv2_tiny'),
  convnext_base: () => new ConvNeXt('convnext_base'),
  convnext_small: () => new ConvNeXt('convnext_small'),
  // The official code builds ConvNeXt-Small for "convnext_tiny" (spec §12.2); so do we.
  convnext_tiny: () => new ConvNeXt('convnext_small'),
  mobilenet: () => new MobileNetV3Large(),
  efficientnet: () => new EfficientNetV2M(),
  resnet: () => new ResNet('resnet101'),
} as const satisfies Record<string, () => Backbone>;

export type ModelName = keyof typeof BACKBONES;

/** Every value the official `--model` flag accepts, in the table's order. */
export const MODEL_NAMES = Object.keys(BACKBONES) as readonly ModelName[];

export function isModelName(s: string): s is ModelName {
  return Object.hasOwn(BACKBONES, s);
}
