// One-line entries: `await segface('photo.jpg')` and `pipeline('face-parsing', id)`, returning
// the classes found as `{label, id, mask, score, …}` segments (what image-segmentation pipelines
// such as transformers.js return).
import type { ImageInput } from '../image/read.js';
import { FaceParser, type FaceParserOptions } from './face-parser.js';
import { cachedSegface, facePipeline, type Pipeline } from './one-line.js';
import type { ParseResult, Segment } from './result.js';

/** The model `segface()` and `pipeline('face-parsing')` use unless told otherwise (the smallest). */
export const DEFAULT_MODEL = 'mobilenet_celeba_512';

export type FaceParsingPipeline = Pipeline<ImageInput, ParseResult, FaceParser>;

export function pipeline(task: 'face-parsing', model: string = DEFAULT_MODEL, opts: FaceParserOptions = {}): Promise<FaceParsingPipeline> {
  return facePipeline(task, () => FaceParser.load(model, opts));
}

export interface SegfaceOptions extends FaceParserOptions {
  /** Registry id, .pt or .onnx (default mobilenet_celeba_512). */
  model?: string;
}

const cache = cachedSegface((model: string, opts: FaceParserOptions) => FaceParser.load(model, opts));

/** The classes found in a photo, loading (and then reusing) the model on first use. */
export async function segface(input: ImageInput, opts: SegfaceOptions = {}): Promise<Segment[]> {
  const { model = DEFAULT_MODEL, ...rest } = opts;
  return cache.segface(input, model, rest);
}

/** Frees every model `segface()` loaded. */
segface.dispose = cache.dispose;
