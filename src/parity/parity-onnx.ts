// The ONNX Runtime runner for parity checks: one graph with every recorded stage as an output.
import { buildOnnxGraph, createSession, releaseSession, run } from '../engine/onnx/index.js';
import type { Array4, Runner } from './fixture.js';
import type { SegFace } from '../model/segface.js';

export function onnxRunner(threads?: number): Runner {
  return async (model, weights, input, opts = {}) => {
    const fwd = { forward: (ctx: Parameters<SegFace['forward']>[0], x: Parameters<SegFace['forward']>[1]) => model.forward(ctx, x, opts) };
    const g = buildOnnxGraph(fwd, weights, input.shape, { recordIntermediates: true });
    const session = await createSession(g.bytes, threads ? { threads } : {});
    try {
      const res = await run(session, { [g.inputName]: { data: input.data, shape: input.shape } });
      const out = new Map<string, Array4>();
      for (const [name, t] of Object.entries(res)) out.set(name === 'output' ? 'logits' : name, t);
      return out;
    } finally {
      await releaseSession(session);
    }
  };
}
