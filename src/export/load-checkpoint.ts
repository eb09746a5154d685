// `--model` for export and serve → the TypeScript SegFace with its weights bound strictly:
// a registry id or a `.pt` (as the parse API binds them) or a fixture folder (meta.json plus
// model.pt or a weights.json recipe), which lets tests and demos run without real checkpoints.
import { existsSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { UserError } from '../errors.js';
import { resolveModel, type ResolveOptions } from '../hub/resolve.js';
import { readStateDictFileAsync } from '../io/files.js';
import type { StateDict } from '../io/host-tensor.js';
import type { HeadKind } from '../model/classes.js';
import { fromCheckpoint } from '../model/from-checkpoint.js';
import { checkResolution } from '../model/resolution.js';
import { loadFixtureModel } from '../parity/fixture.js';
import type { SegFace } from '../model/segface.js';

export interface BoundModel {
  net: SegFace;
  weights: StateDict;
  head: HeadKind;
  modelId: string;
  resolution: number;
  /** The file the weights came from (checkpoint, or a fixture's weights.json). */
  source: string;
}

export interface BindOptions extends ResolveOptions {
  /** Input size; default: the registry entry's, the fixture's, else 512. */
  resolution?: number;
}

export function isFixtureFolder(spec: string): boolean {
  try { return statSync(spec).isDirectory() && existsSync(join(spec, 'meta.json')); } catch { return false; }
}

export async function loadBoundModel(spec: string, opts: BindOptions = {}): Promise<BoundModel> {
  if (opts.resolution !== undefined) checkResolution(opts.resolution);
  if (isFixtureFolder(spec)) {
    const f = loadFixtureModel(spec);
    const resolution = opts.resolution ?? f.meta.resolution;
    const source = existsSync(join(spec, 'model.pt')) ? join(spec, 'model.pt') : join(spec, 'weights.json');
    return { net: f.model, weights: f.weights, head: f.model.head, modelId: f.meta.variant ?? basename(spec), resolution, source };
  }
  const resolved = await resolveModel(spec, opts);
  if (resolved.format === 'onnx') throw new UserError(`${resolved.path}: already an ONNX graph; pass a registry id or a .pt checkpoint`);
  const path = resolved.path;
  const c = await fromCheckpoint({ source: path, read: () => readStateDictFileAsync(path), entry: resolved.entry, resolution: opts.resolution });
  return { net: c.net, weights: await c.weights(), head: c.head, modelId: c.modelId, resolution: c.resolution, source: path };
}
