// `import { FaceParser, segface, pipeline } from 'segface/web'`: the library in the browser (needs
// onnxruntime-web installed next to segface; bundle with any ESM bundler).
import type { Segment } from '../api/segmentation.js';
import { FaceParser, type ModelSource, type WebParseResult, type WebParserOptions } from './face-parser.js';
import type { WebImageInput } from './inputs.js';

export { FaceParser, WebParseResult, type ModelSource, type WebParserOptions, type WebTiming } from './face-parser.js';
export type { WebImageInput, WebRawPixels } from './inputs.js';
export { Segmentation, type ClassInfo, type ClassName, type CelebClassName, type LapaClassName, type Segment } from '../api/segmentation.js';
export { CELEB_CLASSES, LAPA_CLASSES, PALETTE } from '../model/classes.js';

export interface FaceParsingPipeline {
  (input: WebImageInput): Promise<Segment[]>;
  parse(input: WebImageInput): Promise<WebParseResult>;
  readonly parser: FaceParser;
  dispose(): Promise<void>;
}

export async function pipeline(task: 'face-parsing', model: ModelSource, opts: WebParserOptions = {}): Promise<FaceParsingPipeline> {
  if (task !== 'face-parsing') throw new Error(`unknown task '${String(task)}' (segface has 'face-parsing')`);
  const parser = await FaceParser.load(model, opts);
  const run = async (input: WebImageInput) => (await parser.parse(input)).segments();
  return Object.assign(run, { parse: (input: WebImageInput) => parser.parse(input), parser, dispose: () => parser.dispose() });
}

const loaded = new Map<string, Promise<FaceParser>>();

/** The classes found in a photo; the model (a URL, or a registry id) is loaded once and reused. */
export async function segface(input: WebImageInput, opts: WebParserOptions & { model: string | URL }): Promise<Segment[]> {
  const { model, ...rest } = opts;
  const key = JSON.stringify([String(model), rest]);
  let p = loaded.get(key);
  if (!p) {
    p = FaceParser.load(model, rest);
    loaded.set(key, p);
    p.catch(() => loaded.delete(key));
  }
  return (await (await p).parse(input)).segments();
}

segface.dispose = async (): Promise<void> => {
  const all = [...loaded.values()];
  loaded.clear();
  await Promise.all(all.map(async (p) => (await p.catch(() => null))?.dispose()));
};
