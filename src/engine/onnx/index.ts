// The ONNX engine: build a graph from a model written against Ops, serialise it, run it in ORT.
export { GraphBuilder, OPSET, IR_VERSION, type OnnxValue } from './graph.js';
export { OnnxOps } from './ops.js';
export { onnxCtx, type OnnxCtx, type OnnxCtxOptions } from './ctx.js';
export { buildOnnx, buildOnnxGraph, BUILDER_VERSION, type BuildOptions, type BuiltGraph, type ForwardModel } from './build.js';
export {
  createSession, run, runRaw, releaseSession,
  type InputTensor, type OnnxSession, type OutputTensor, type RawOutputTensor, type SessionOptions,
} from './session.js';
export { buildOnnxCached, cachedGraph, defaultCacheDir, graphCacheId, type GraphCacheKey } from './cache.js';
export { REWRITES, rewriteForInference, type RewriteNote, type RewriteOptions } from './rewrite/index.js';
export { GraphView } from './rewrite/view.js';
