// Checkpoint → the SegFace it holds with its weights bound strictly: the one path every caller
// (parse API, export, evaluation, browser) takes from a state dict to a model.
import type { StateDict } from '../io/host-tensor.js';
import { UserError } from '../errors.js';
import { buildSegFace } from './build.js';
import type { HeadKind } from './classes.js';
import { detectModel } from './detect.js';
import { bindStateDict } from './load.js';
import type { ModelName, RegistryEntry } from './registry.js';
import type { SegFace } from './segface.js';

export interface CheckpointSource {
  /** Names the checkpoint in messages (a path, or a file name in the browser). */
  source: string;
  /** Reads the raw state dict; with `entry` it is called only when the weights are asked for. */
  read: () => StateDict | Promise<StateDict>;
  /** The registry entry the file was resolved from, when `--model` was a registry id. */
  entry?: RegistryEntry;
  /** Input size; default the entry's, else 512. */
  resolution?: number;
}

export interface CheckpointModel {
  net: SegFace;
  model: ModelName;
  head: HeadKind;
  resolution: number;
  /** The registry id, else `<model>_<head>_<resolution>` (what exported graphs record). */
  modelId: string;
  /** For summaries: the registry id, else the model id with the file's name. */
  describe: string;
  source: string;
  /** The bound weights (read and bound on first call when a registry entry named the model). */
  weights(): Promise<StateDict>;
}

const baseName = (p: string) => p.slice(Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\')) + 1);

/**
 * A registry entry names the model, so the file is read only when the weights are needed (a
 * cached built graph then skips reading a large checkpoint); otherwise the file is read now and
 * matched against every SegFace variant.
 */
export async function fromCheckpoint(c: CheckpointSource): Promise<CheckpointModel> {
  const { entry, source } = c;
  if (entry) {
    const resolution = c.resolution ?? entry.resolution;
    const net = buildSegFace({ model: entry.model, head: entry.head, resolution });
    const what = `${entry.id} (${entry.model} backbone, ${entry.head} head)`;
    const bind = async () => {
      const sd = await c.read();
      try {
        return bindStateDict(net, sd, source, what);
      } catch (e) {
        // Say what the file holds instead when it is another SegFace model.
        const other = detectModel(sd, resolution);
        if (!other.exact) throw e;
        throw new UserError(`${source}: checkpoint is a ${other.model} model with the ${other.head} head, not ${what}; delete it to download again, or pass it as --model ${source}`);
      }
    };
    // One read however many callers ask at once; a failed read is tried again on the next call.
    let bound: Promise<StateDict> | undefined;
    const weights = () => {
      if (!bound) {
        bound = bind();
        bound.catch(() => { bound = undefined; });
      }
      return bound;
    };
    return { net, model: entry.model, head: entry.head, resolution, modelId: entry.id, describe: entry.id, source, weights };
  }
  const sd = await c.read();
  const resolution = c.resolution ?? 512;
  const found = detectModel(sd, resolution);
  // Not an exact fit: strict binding against the closest candidate explains what differs.
  const bound = bindStateDict(found.net, sd, source, found.exact ? source : `any SegFace model (closest: ${found.model} backbone, ${found.head} head)`);
  const modelId = `${found.model}_${found.head}_${resolution}`;
  return {
    net: found.net, model: found.model, head: found.head, resolution, modelId,
    describe: `${modelId} (${baseName(source)})`, source, weights: async () => bound,
  };
}
