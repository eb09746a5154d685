// GraphRuntime on onnxruntime-node, through the engine's session helpers (which also decide ORT's
// spin-waiting for every session: off unless SEGFACE_ORT_SPIN=1, see SessionOptions.spinning).
// `threads` is also the number of lanes: single-thread runs that may go side by side.
import { availableParallelism } from 'node:os';
import { createSession, releaseSession, runRaw } from '../engine/onnx/session.js';
import type { Feed, Fetched, GraphRuntime, GraphSession } from './runtime.js';

export function nodeRuntime(opts: { threads?: number } = {}): GraphRuntime {
  return {
    lanes: opts.threads ?? availableParallelism(),
    async open(bytes: Uint8Array, o: { threads?: number } = {}): Promise<GraphSession> {
      const threads = o.threads ?? opts.threads;
      const s = await createSession(bytes, { ...(threads ? { threads } : {}) });
      return {
        run: async (feeds: Record<string, Feed>) => (await runRaw(s, feeds)) as Record<string, Fetched>,
        release: () => releaseSession(s),
      };
    },
  };
}
