// `--precision` for parse, serve and test: the libtorch runtime's float dtype (see
// engine/torch/precision.ts); ONNX Runtime takes a float16 graph from `segface export --fp16`.
import { Option } from 'commander';
import { PRECISIONS } from '../engine/torch/precision.js';

export function precisionOption(): Option {
  return new Option('--precision <p>', 'libtorch runtime: weights and arithmetic in fp32, fp16 or bf16 (half precision keeps logits within 1e-2 of fp32)')
    .choices([...PRECISIONS]).default('fp32');
}
