// `import { FaceParser, segface, pipeline } from 'segface/web'`: the library in the browser (needs
// onnxruntime-web installed next to segface; bundle with any ESM bundler).
import { cachedSegface, facePipeline, type Pipeline } from '../api/one-line.js';
import type { Segment } from '../api/segmentation.js';
import { FaceParser, type ModelSource, type WebParseResult, type WebParserOptions } from './face-parser.js';
import type { WebImageInput } from './inputs.js';

export { FaceParser, WebParseResult, type ModelSource, type WebParserOptions, type WebTiming } from './face-parser.js';
export type { WebImageInput, WebRawPixels } from './inputs.js';
export { Segmentation, type ClassInfo, type ClassName, type CelebClassName, type LapaClassName, type Segment } from '../api/segmentation.js';
export { CELEB_CLASSES, LAPA_CLASSES, PALETTE } from '../model/classes.js';

export type FaceParsingPipeline = Pipeline<WebImageInput, WebParseResult, FaceParser>;

export function pipeline(task: 'face-parsing', model: ModelSource, opts: WebParserOptions = {}): Promise<FaceParsingPipeline> {
  return facePipeline(task, () => FaceParser.load(model, opts));
}

const cache = cachedSegface((model: string | URL, opts: WebParserOptions) => FaceParser.load(model, opts));

/** The classes found in a photo; the model (a URL, or a registry id) is loaded once and reused. */
export async function segface(input: WebImageInput, opts: WebParserOptions & { model: string | URL }): Promise<Segment[]> {
  const { model, ...rest } = opts;
  return cache.segface(input, model, rest);
}

segface.dispose = cache.dispose;
