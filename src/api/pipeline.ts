// One-line entries: `await segface('photo.jpg')` and `pipeline('face-parsing', id)`, returning
// the classes found as `{label, id, mask, score, …}` segments (what image-segmentation pipelines
// such as transformers.js return).
import { UserError } from '../errors.js';
import type { ImageInput } from '../image/read.js';
import { FaceParser, type FaceParserOptions } from './face-parser.js';
import type { ParseResult, Segment } from './result.js';

/** The model `segface()` and `pipeline('face-parsing')` use unless told otherwise (the smallest). */
export const DEFAULT_MODEL = 'mobilenet_celeba_512';

export interface FaceParsingPipeline {
  /** The classes found in one photo. */
  (input: ImageInput): Promise<Segment[]>;
  /** The full result (label map, probabilities, PNGs) for one photo. */
  parse(input: ImageInput): Promise<ParseResult>;
  readonly parser: FaceParser;
  dispose(): Promise<void>;
}

export async function pipeline(task: 'face-parsing', model: string = DEFAULT_MODEL, opts: FaceParserOptions = {}): Promise<FaceParsingPipeline> {
  if (task !== 'face-parsing') throw new UserError(`unknown task '${String(task)}' (segface has 'face-parsing')`);
  const parser = await FaceParser.load(model, opts);
  const run = async (input: ImageInput) => (await parser.parse(input)).segments();
  return Object.assign(run, { parse: (input: ImageInput) => parser.parse(input), parser, dispose: () => parser.dispose() });
}

export interface SegfaceOptions extends FaceParserOptions {
  /** Registry id, .pt or .onnx (default mobilenet_celeba_512). */
  model?: string;
}

/** Loaded parsers by model and options, kept for later calls (freed by `segface.dispose()`). */
const loaded = new Map<string, Promise<FaceParser>>();

/** The classes found in a photo, loading (and then reusing) the model on first use. */
export async function segface(input: ImageInput, opts: SegfaceOptions = {}): Promise<Segment[]> {
  const { model = DEFAULT_MODEL, ...rest } = opts;
  const key = JSON.stringify([model, rest]);
  let p = loaded.get(key);
  if (!p) {
    p = FaceParser.load(model, rest);
    loaded.set(key, p);
    p.catch(() => loaded.delete(key));
  }
  return (await (await p).parse(input)).segments();
}

/** Frees every model `segface()` loaded. */
segface.dispose = async (): Promise<void> => {
  const all = [...loaded.values()];
  loaded.clear();
  await Promise.all(all.map(async (p) => (await p.catch(() => null))?.dispose()));
};
