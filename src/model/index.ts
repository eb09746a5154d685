// The model's public surface for the CLI, service, training and browser code.
export { SegFace, lapaWarpGrids, EMBED_DIM, type SegFaceOptions } from './segface.js';
export { buildSegFace, buildBackbone, type SegFaceSpec } from './build.js';
export { REGISTRY, MODEL_NAMES, findEntry, isModelName, type RegistryEntry, type ModelName } from './registry.js';
export { bindStateDict, randomStateDict } from './load.js';
export { detectModel, type Detected } from './detect.js';
export { fromCheckpoint, type CheckpointModel, type CheckpointSource } from './from-checkpoint.js';
export { Backbone } from './backbones/backbone.js';
export { tanhWarpGrid, inverseTanhWarpGrid, faceAlignMatrix } from './head/tanh-warp.js';
