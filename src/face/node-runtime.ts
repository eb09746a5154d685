// GraphRuntime on onnxruntime-node, through the engine's session helpers. The face graphs run
// without ORT's spin-waiting (see SessionOptions.spinning): many short ops, where idle threads
// spinning on a busy machine cost more than waking them.
import { createSession, releaseSession, runRaw } from '../engine/onnx/session.js';
import type { Feed, Fetched, GraphRuntime, GraphSession } from './runtime.js';

export function nodeRuntime(opts: { threads?: number } = {}): GraphRuntime {
  return {
    async open(bytes: Uint8Array): Promise<GraphSession> {
      const s = await createSession(bytes, { ...(opts.threads ? { threads: opts.threads } : {}), spinning: false });
      return {
        run: async (feeds: Record<string, Feed>) => (await runRaw(s, feeds)) as Record<string, Fetched>,
        release: () => releaseSession(s),
      };
    },
  };
}
