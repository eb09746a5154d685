// Factory: `--model` value + head + resolution → a SegFace with state-dict prefixes fixed.
import { UserError } from '../errors.js';
import type { HeadKind } from './classes.js';
import type { Backbone } from './backbones/backbone.js';
import { BACKBONES, isModelName, MODEL_NAMES, type ModelName } from './backbones/table.js';
import { isHeadKind, HEAD_KINDS } from './classes.js';
import { checkResolution } from './resolution.js';
import { SegFace } from './segface.js';

export interface SegFaceSpec {
  model: string;
  head: HeadKind;
  resolution: number;
}

export function buildBackbone(model: ModelName): Backbone {
  return BACKBONES[model]();
}

export function buildSegFace(spec: SegFaceSpec): SegFace {
  if (!isModelName(spec.model)) {
    throw new UserError(`unknown model '${spec.model}' (expected one of: ${MODEL_NAMES.join(', ')})`);
  }
  if (!isHeadKind(spec.head)) {
    throw new UserError(`unknown head '${String(spec.head)}' (expected ${HEAD_KINDS.slice(0, -1).join(', ')} or ${HEAD_KINDS.at(-1)})`);
  }
  checkResolution(spec.resolution);
  const model = new SegFace(buildBackbone(spec.model), spec.head).setPrefix('');
  model.resolution = spec.resolution;
  return model;
}
