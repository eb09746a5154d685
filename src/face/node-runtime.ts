// GraphRuntime on onnxruntime-node, through the engine's session helpers (which also decide ORT's
// spin-waiting for every session: off unless SEGFACE_ORT_SPIN=1, see SessionOptions.spinning).
import { createSession, releaseSession, runRaw } from '../engine/onnx/session.js';
import type { Feed, Fetched, GraphRuntime, GraphSession } from './runtime.js';

export function nodeRuntime(opts: { threads?: number } = {}): GraphRuntime {
  return {
    async open(bytes: Uint8Array): Promise<GraphSession> {
      const s = await createSession(bytes, { ...(opts.threads ? { threads: opts.threads } : {}) });
      return {
        run: async (feeds: Record<string, Feed>) => (await runRaw(s, feeds)) as Record<string, Fetched>,
        release: () => releaseSession(s),
      };
    },
  };
}
