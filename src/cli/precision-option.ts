// `--precision` for parse, serve and test: the libtorch runtime's float dtype (see
// engine/torch/precision.ts); ONNX Runtime takes a float16 graph from `segface export --fp16`.
import { Option } from 'commander';
import { PRECISIONS } from '../engine/torch/precision.js';

/** `extra`: more choices the command handles itself (parse: 'int8', the ONNX graph quantized). */
export function precisionOption(extra: readonly string[] = []): Option {
  const int8 = extra.includes('int8') ? '; int8: ONNX Runtime with the graph quantized to int8 (QDQ, calibrated on --calibration; prints its agreement with float32)' : '';
  return new Option('--precision <p>', `libtorch runtime: weights and arithmetic in fp32, fp16 or bf16 (half precision keeps logits within 1e-2 of fp32)${int8}`)
    .choices([...PRECISIONS, ...extra]).default('fp32');
}
