// Training checkpoints in the official layout (spec §6.3): a torch zip holding
// {epoch, iteration, state_dict_backbone, optimizer, scheduler}, written through the pure-TS
// writer to a temp file that is renamed into place, so a crash never leaves a broken file.
import { readdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { UserError } from '../errors.js';
import { stateDictFromCheckpoint, writeCheckpointChunks } from '../io/checkpoint.js';
import { readCheckpointFileAsync, writeFileAtomic } from '../io/files.js';
import type { StateDict } from '../io/host-tensor.js';
import { Counter, OrderedDict, PyFloat, type PyValue } from '../io/py-values.js';
import type { MultiStepLRState } from './schedule.js';

export interface TrainCheckpoint {
  epoch: number;
  iteration: number;
  stateDict: StateDict;
  /** torch.optim AdamW.state_dict() as py-values (Map with 'state' and 'param_groups'). */
  optimizer: PyValue;
  scheduler: MultiStepLRState;
}

export function checkpointName(epoch: number): string {
  return `model_${epoch}.pt`;
}

export interface WriteTrainCheckpointOptions {
  /**
   * Plain dicts instead of OrderedDict / Counter. libtorch's C++ unpickler (torch::pickle_load,
   * 1.13) turns `collections.OrderedDict` into None and rejects `collections.Counter`, so it cannot
   * read the official structure (nor PyTorch's own torch.save of a state dict); Python's torch.load
   * reads both variants, and load_state_dict / MultiStepLR.load_state_dict accept plain dicts.
   */
  portable?: boolean;
}

function schedulerValue(s: MultiStepLRState, portable: boolean): PyValue {
  const milestones = portable ? new Map<number, number>() : new Counter<number>();
  for (const [k, v] of s.milestones) milestones.set(k, v);
  return new Map<string, PyValue>([
    ['milestones', milestones],
    ['gamma', new PyFloat(s.gamma)],
    ['base_lrs', s.base_lrs.map((x) => new PyFloat(x))],
    ['last_epoch', s.last_epoch],
    ['verbose', s.verbose],
    ['_step_count', s._step_count],
    ['_get_lr_called_within_step', s._get_lr_called_within_step],
    ['_last_lr', s._last_lr.map((x) => new PyFloat(x))],
  ]);
}

/** Writes `path` atomically (temp file in the same folder, fsync, rename). */
export function writeTrainCheckpoint(path: string, ck: TrainCheckpoint, o: WriteTrainCheckpointOptions = {}): void {
  const sd = o.portable ? new Map<string, PyValue>() : new OrderedDict<string, PyValue>();
  for (const [k, v] of ck.stateDict) sd.set(k, v);
  const obj = new Map<string, PyValue>([
    ['epoch', ck.epoch],
    ['iteration', ck.iteration],
    ['state_dict_backbone', sd],
    ['optimizer', ck.optimizer],
    ['scheduler', schedulerValue(ck.scheduler, !!o.portable)],
  ]);
  // torch names the zip's root folder after the file (model_12/data.pkl).
  const chunks = writeCheckpointChunks(obj, { root: basename(path).replace(/\.pt$/, '') });
  writeFileAtomic(path, chunks);
}

export interface LoadedTrainCheckpoint {
  epoch: number;
  iteration: number;
  stateDict: StateDict;
  optimizer: PyValue | undefined;
  scheduler: Map<string, PyValue> | undefined;
}

export async function readTrainCheckpoint(path: string): Promise<LoadedTrainCheckpoint> {
  let obj: PyValue;
  try {
    obj = await readCheckpointFileAsync(path);
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`${path}: cannot read checkpoint (${(e as Error).message})`);
  }
  if (!(obj instanceof Map)) throw new UserError(`${path}: not a training checkpoint (expected a dict)`);
  const num = (k: string): number => {
    const v = obj.get(k);
    if (typeof v === 'number' || typeof v === 'bigint') return Number(v);
    throw new UserError(`${path}: training checkpoint has no '${k}'`);
  };
  const sched = obj.get('scheduler');
  return {
    epoch: num('epoch'),
    iteration: num('iteration'),
    stateDict: stateDictFromCheckpoint(obj, path),
    optimizer: obj.get('optimizer'),
    scheduler: sched instanceof Map ? (sched as Map<string, PyValue>) : undefined,
  };
}

/** Removes temp files a killed run left behind (io/files.ts names them `.<file>.<pid>.<ms>.tmp`). */
export function removeStaleTemps(dir: string): void {
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) if (/^\..+\.pt\.\d+\.\d+\.tmp$/.test(n)) rmSync(join(dir, n), { force: true });
}
