// What torchrun (and the built-in launcher) tells each worker through the environment.
import { UserError } from '../../errors.js';

export interface DistEnv {
  rank: number;
  worldSize: number;
  localRank: number;
  masterAddr: string;
  masterPort: number;
  /** torchrun's agent hosts the TCPStore (TORCHELASTIC_USE_AGENT_STORE=True). */
  agentStore: boolean;
  /** TORCHELASTIC_RESTART_COUNT (the agent store's key prefix). */
  attempt: string;
}

function intVar(env: NodeJS.ProcessEnv, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name];
  const v = Number(raw);
  if (raw === undefined || raw.trim() === '' || !Number.isInteger(v) || v < min || v > max) {
    throw new UserError(`${name}=${raw ?? '(unset)'}: expected an integer in ${min}..${max === Number.MAX_SAFE_INTEGER ? '∞' : max} (torchrun sets RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT)`);
  }
  return v;
}

/** The worker's place in a distributed run, or undefined when WORLD_SIZE is unset (one process). */
export function readDistEnv(env: NodeJS.ProcessEnv = process.env): DistEnv | undefined {
  if (env.WORLD_SIZE === undefined) return undefined;
  const worldSize = intVar(env, 'WORLD_SIZE', 1);
  const rank = intVar(env, 'RANK', 0);
  if (rank >= worldSize) throw new UserError(`RANK=${rank} is not below WORLD_SIZE=${worldSize}`);
  const localRank = env.LOCAL_RANK === undefined ? rank : intVar(env, 'LOCAL_RANK', 0);
  const masterAddr = env.MASTER_ADDR?.trim();
  if (!masterAddr) throw new UserError('MASTER_ADDR is unset: the address of the rank-0 machine (torchrun sets it; 127.0.0.1 on one machine)');
  const masterPort = intVar(env, 'MASTER_PORT', 1, 65535);
  return {
    rank, worldSize, localRank, masterAddr, masterPort,
    agentStore: env.TORCHELASTIC_USE_AGENT_STORE === 'True',
    attempt: env.TORCHELASTIC_RESTART_COUNT ?? '0',
  };
}
