// Joins the run torchrun (or the built-in launcher) started, when WORLD_SIZE says there is one.
import { UserError } from '../../errors.js';
import type { TrainConfig } from '../config.js';
import { readDistEnv } from './env.js';
import { DistSession } from './session.js';

export const DEFAULT_DIST_TIMEOUT_S = 1800;

export function startDistributed(cfg: TrainConfig, env: NodeJS.ProcessEnv = process.env): DistSession | undefined {
  const de = readDistEnv(env);
  if (!de) return undefined;
  // One GPU per process, picked by LOCAL_RANK (torch.cuda.set_device(local_rank) in train.py).
  const device = cfg.device === 'cuda' ? `cuda:${de.localRank}` : 'cpu';
  const backend = cfg.distBackend ?? (cfg.device === 'cuda' ? 'nccl' : 'gloo');
  if (backend === 'nccl' && cfg.device !== 'cuda') throw new UserError('--dist_backend nccl needs --device cuda (NCCL reduces GPU tensors only)');
  return DistSession.start(de, { backend, timeoutS: cfg.distTimeoutS ?? DEFAULT_DIST_TIMEOUT_S, device });
}
