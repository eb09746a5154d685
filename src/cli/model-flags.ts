// `--model` means two things, as in the official scripts: the checkpoint in parse/serve/export,
// the backbone name in test/train (where the checkpoint is `--model_path`). These helpers keep
// both spellings working with a pointer to the right flag instead of a bare "unknown option".
import { Option } from 'commander';
import { findEntry, MODEL_NAMES } from '../model/registry.js';
import { didYouMean } from '../model/suggest.js';
import { UserError } from '../errors.js';

/** A value that names a checkpoint (registry id or file) rather than a backbone. */
export function looksLikeCheckpoint(v: string): boolean {
  return !!findEntry(v) || /\.(pt|pth|onnx|ckpt|bin)$/i.test(v) || /[\\/]/.test(v);
}

export const CHECKPOINT_HELP = 'registry id (e.g. mobilenet_celeba_512), a model_299.pt checkpoint or an exported .onnx (in `segface test`/`train`, --model is the backbone and the checkpoint is --model_path)';

/** The hidden `--model_path` spelling for commands whose checkpoint flag is `--model`. */
export function modelPathOption(): Option {
  return new Option('--model_path <file>', 'the spelling of `segface test`; here it is --model').hideHelp();
}

/** The checkpoint of parse/serve/export from `--model`, or `--model_path` with a note. */
export function checkpointFlag(o: { model?: string; model_path?: string }, command: string, warn = (s: string) => process.stderr.write(`${s}\n`)): string {
  if (o.model && o.model_path) throw new UserError(`give the checkpoint once: --model ${o.model} (in \`segface ${command}\`, --model_path is only another spelling of --model)`);
  if (o.model_path) {
    warn(`note: in \`segface ${command}\` the checkpoint flag is --model; using --model_path ${o.model_path} as --model`);
    return o.model_path;
  }
  if (!o.model) throw new UserError(`required option '-m, --model <model>' not specified: a ${CHECKPOINT_HELP.replace(' (in', '. (In').replace(/\)$/, '.)')}`);
  return o.model;
}

/** `segface test`: the checkpoint from --model_path, or from --model when that names a checkpoint. */
export function testCheckpoint(o: { model?: string; model_path?: string }, warn = (s: string) => process.stderr.write(`${s}\n`)): { model?: string; modelPath: string } {
  if (o.model && looksLikeCheckpoint(o.model)) {
    if (o.model_path) throw new UserError(`--model ${o.model} looks like a checkpoint, but in \`segface test\` --model is the backbone (${MODEL_NAMES.join(', ')}) and the checkpoint is --model_path (given: ${o.model_path})`);
    warn(`note: in \`segface test\` (official flags) --model is the backbone and the checkpoint is --model_path; using ${o.model} as --model_path`);
    return { modelPath: o.model };
  }
  if (!o.model_path) throw new UserError("required option '--model_path <file>' not specified: the checkpoint (.pt, .onnx or a registry id); --model is the backbone here");
  return { model: o.model, modelPath: o.model_path };
}

/** `segface train`: --model must be a backbone; a checkpoint gets a pointer to --init. */
export function trainBackbone(v: string): string {
  if ((MODEL_NAMES as readonly string[]).includes(v)) return v;
  if (looksLikeCheckpoint(v)) {
    throw new UserError(`--model ${v}: in \`segface train\` (official flags) --model is the backbone (${MODEL_NAMES.join(', ')}); to start from a checkpoint pass --init ${v}`);
  }
  throw new UserError(`--model: unknown backbone '${v}'${didYouMean(v, MODEL_NAMES)} (expected ${MODEL_NAMES.join(', ')})`);
}

