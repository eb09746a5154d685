// The one-line entries `pipeline('face-parsing', …)` and `segface(photo)`, written once for both
// FaceParsers: Node's (api/face-parser.ts) and the browser's (web/face-parser.ts). src/web imports
// this, so it must stay runtime-neutral: nothing Node-only, here or in what it imports.
import { UserError } from '../errors.js';
import type { Segment } from './segmentation.js';

/** What both FaceParsers offer: parse one photo into a result with segments, and free the model. */
interface Parser<I, R extends { segments(): Segment[] }> {
  parse(input: I): Promise<R>;
  dispose(): Promise<void>;
}

export interface Pipeline<I, R, P> {
  /** The classes found in one photo. */
  (input: I): Promise<Segment[]>;
  /** The full result (label map, probabilities, PNGs) for one photo. */
  parse(input: I): Promise<R>;
  readonly parser: P;
  dispose(): Promise<void>;
}

export async function facePipeline<I, R extends { segments(): Segment[] }, P extends Parser<I, R>>(task: string, load: () => Promise<P>): Promise<Pipeline<I, R, P>> {
  if (task !== 'face-parsing') throw new UserError(`unknown task '${String(task)}' (segface has 'face-parsing')`);
  const parser = await load();
  const run = async (input: I) => (await parser.parse(input)).segments();
  return Object.assign(run, { parse: (input: I) => parser.parse(input), parser, dispose: () => parser.dispose() });
}

/**
 * `segface(input, model, opts)`: the classes found in a photo, loading the model on first use and
 * keeping it, by model and options, for later calls (freed by `dispose()`).
 */
export function cachedSegface<I, M, O, P extends Parser<I, { segments(): Segment[] }>>(load: (model: M, opts: O) => Promise<P>) {
  const loaded = new Map<string, Promise<P>>();
  const segface = async (input: I, model: M, opts: O): Promise<Segment[]> => {
    const key = JSON.stringify([String(model), opts]);
    let p = loaded.get(key);
    if (!p) {
      p = load(model, opts);
      loaded.set(key, p);
      p.catch(() => loaded.delete(key));
    }
    return (await (await p).parse(input)).segments();
  };
  const dispose = async (): Promise<void> => {
    const all = [...loaded.values()];
    loaded.clear();
    await Promise.all(all.map(async (p) => (await p.catch(() => null))?.dispose()));
  };
  return { segface, dispose };
}
