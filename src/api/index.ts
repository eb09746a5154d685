// Public parsing API.
export { FaceParser, classTable, type FaceParserOptions, type FaceOptions } from './face-parser.js';
export { ParsedFace, type FaceSummary } from './face-result.js';
export type { DetectedFace } from '../face/detector.js';
export { ParseResult, type ClassInfo, type ClassShare, type Summary, type Timing } from './result.js';
export { Segmentation, type ClassName, type CelebClassName, type LapaClassName, type Segment } from './segmentation.js';
export { pipeline, segface, DEFAULT_MODEL, type FaceParsingPipeline, type SegfaceOptions } from './pipeline.js';
export type { Segmenter, Runtime, Device, EngineOptions } from './segmenter.js';
export { loadSegmenter, type LoadOptions } from './load-model.js';
export type { RgbImage, RawPixels, ImageInput } from '../image/read.js';
