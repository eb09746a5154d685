// Factory: `--model` value + head + resolution → a SegFace with state-dict prefixes fixed.
import { UserError } from '../errors.js';
import type { HeadKind } from './classes.js';
import type { Backbone } from './backbones/backbone.js';
import { ConvNeXt } from './backbones/convnext.js';
import { EfficientNetV2M } from './backbones/efficientnet.js';
import { MobileNetV3Large } from './backbones/mobilenet.js';
import { ResNet } from './backbones/resnet.js';
import { buildSwin } from './backbones/swin.js';
import { isModelName, MODEL_NAMES, type ModelName } from './registry.js';
import { SegFace } from './segface.js';

export interface SegFaceSpec {
  model: string;
  head: HeadKind;
  resolution: number;
}

export function buildBackbone(model: ModelName): Backbone {
  switch (model) {
    case 'mobilenet': return new MobileNetV3Large();
    case 'efficientnet': return new EfficientNetV2M();
    case 'resnet': return new ResNet('resnet101');
    case 'convnext_base': return new ConvNeXt('convnext_base');
    case 'convnext_small': return new ConvNeXt('convnext_small');
    // The official code builds ConvNeXt-Small for "convnext_tiny" (spec §12.2); so do we.
    case 'convnext_tiny': return new ConvNeXt('convnext_small');
    case 'swin_base': case 'swinv2_base': case 'swinv2_small': case 'swinv2_tiny':
      return buildSwin(model);
  }
}

export function buildSegFace(spec: SegFaceSpec): SegFace {
  if (!isModelName(spec.model)) {
    throw new UserError(`unknown model '${spec.model}' (expected one of: ${MODEL_NAMES.join(', ')})`);
  }
  if (!['celeb', 'lapa', 'helen'].includes(spec.head)) {
    throw new UserError(`unknown head '${String(spec.head)}' (expected celeb, lapa or helen)`);
  }
  if (!Number.isInteger(spec.resolution) || spec.resolution <= 0 || spec.resolution % 32 !== 0) {
    throw new UserError(`resolution ${spec.resolution} is not a positive multiple of 32`);
  }
  const model = new SegFace(buildBackbone(spec.model), spec.head).setPrefix('');
  model.resolution = spec.resolution;
  return model;
}
