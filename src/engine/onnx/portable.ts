// The parts of the ONNX engine that need neither fs nor onnxruntime-node: safe to bundle for a
// browser (build a graph there, run it with onnxruntime-web).
export { GraphBuilder, OPSET, IR_VERSION, type OnnxValue } from './graph.js';
export { OnnxOps } from './ops.js';
export { onnxCtx, type OnnxCtx, type OnnxCtxOptions } from './ctx.js';
export { buildOnnx, buildOnnxGraph, BUILDER_VERSION, type BuildOptions, type BuiltGraph, type ForwardModel } from './build.js';
