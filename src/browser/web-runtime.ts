// The face pipeline's GraphRuntime on onnxruntime-web (WASM: the small detection, crop and
// paste-back graphs use dynamic shapes that the WASM kernels run as they are), on the plain
// WASM build (ort-web.ts).
import { ortWasm as ort, wasmSessionOptions } from './ort-web.js';
import type { Fetched, Feed, GraphRuntime, GraphSession } from '../face/runtime.js';

const typeOf = (d: Feed['data']): 'float32' | 'uint8' | 'int64' => (d instanceof Float32Array ? 'float32' : d instanceof Uint8Array ? 'uint8' : 'int64');

export const webRuntime: GraphRuntime = {
  async open(bytes: Uint8Array): Promise<GraphSession> {
    const s = await ort.InferenceSession.create(bytes, wasmSessionOptions());
    return {
      async run(feeds: Record<string, Feed>) {
        const t: Record<string, InstanceType<typeof ort.Tensor>> = {};
        for (const [k, f] of Object.entries(feeds)) t[k] = new ort.Tensor(typeOf(f.data), f.data, [...f.shape]);
        const res = await s.run(t);
        const out: Record<string, Fetched> = {};
        for (const [k, v] of Object.entries(res)) out[k] = { data: (await v.getData()) as Fetched['data'], shape: v.dims.map(Number) };
        return out;
      },
      release: () => s.release(),
    };
  },
};
