// GraphRuntime on onnxruntime-node, through the engine's session helpers (which also decide ORT's
// spin-waiting for every session: off unless SEGFACE_ORT_SPIN=1, see SessionOptions.spinning),
// with sharp making the detector levels (SEGFACE_ORT_LEVELS=1: ORT's level graph, as in the page).
import { createSession, releaseSession, runRaw } from '../engine/onnx/session.js';
import type { Feed, Fetched, GraphRuntime, GraphSession } from './runtime.js';
import { sharpLevels } from './sharp-levels.js';

export function nodeRuntime(opts: { threads?: number } = {}): GraphRuntime {
  return {
    ...(process.env.SEGFACE_ORT_LEVELS === '1' ? {} : { levels: sharpLevels }),
    async open(bytes: Uint8Array): Promise<GraphSession> {
      const s = await createSession(bytes, { ...(opts.threads ? { threads: opts.threads } : {}) });
      return {
        run: async (feeds: Record<string, Feed>) => (await runRaw(s, feeds)) as Record<string, Fetched>,
        release: () => releaseSession(s),
      };
    },
  };
}
