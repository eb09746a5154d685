// One training process's part in a distributed run (train.py under torchrun, spec §8): the
// process group, DDP's gradient averaging, rank 0's say on what is written, and failures turned
// into one line that names the rank that went away.
import { UserError } from '../../errors.js';
import { ProcessGroup, fromData, tidy, type DdpReducer, type TorchTensor } from '../../engine/torch/index.js';
import type { DistEnv } from './env.js';

export interface SessionOptions {
  backend: 'gloo' | 'nccl';
  /** Rendezvous and collective timeout. */
  timeoutS: number;
  /** Where small control tensors live (NCCL reduces CUDA tensors only). */
  device: string;
}

/** The libtorch message with c10d's own wording mapped onto what the user can change. */
function initError(e: unknown, env: DistEnv, timeoutS: number): UserError {
  const msg = e instanceof Error ? e.message : String(e);
  const at = `${env.masterAddr}:${env.masterPort}`;
  if (/address already in use|errno: 98/i.test(msg)) {
    return new UserError(`rank ${env.rank}: MASTER_PORT ${env.masterPort} is already in use on this machine (another run, or a stale one?): pick a free --master_port`);
  }
  // Rank 0 hosts the store and waits for WORLD_SIZE clients (libtorch 1.13 says "Socket Timeout").
  if (/waiting for clients|clients joined/i.test(msg) || (env.rank === 0 && !env.agentStore && /socket timeout/i.test(msg))) {
    const m = /(\d+)\/(\d+) clients joined/.exec(msg);
    const joined = m ? `only ${m[1]} of ${m[2]}` : `not all ${env.worldSize}`;
    return new UserError(`rank 0: ${joined} ranks reached the rendezvous at ${at} within ${timeoutS} s: is WORLD_SIZE=${env.worldSize} right (nproc_per_node × nnodes), and are the other ranks running?`);
  }
  if (/connect|refused|unreachable|resolve|Name or service/i.test(msg)) {
    return new UserError(`rank ${env.rank}: cannot reach the rendezvous at ${at} within ${timeoutS} s (is MASTER_ADDR the rank-0 machine, is it running, is the port open?): ${msg.split('\n')[0]}`);
  }
  return new UserError(`rank ${env.rank}: distributed rendezvous at ${at} failed (WORLD_SIZE=${env.worldSize}): ${msg.split('\n')[0]}`);
}

export class DistSession {
  private constructor(readonly env: DistEnv, readonly group: ProcessGroup, readonly timeoutS: number, readonly device: string) {}

  static start(env: DistEnv, opts: SessionOptions): DistSession {
    let group: ProcessGroup;
    try {
      group = ProcessGroup.init({
        backend: opts.backend, rank: env.rank, worldSize: env.worldSize, masterAddr: env.masterAddr, masterPort: env.masterPort,
        timeoutMs: Math.round(opts.timeoutS * 1000), agentStore: env.agentStore, attempt: env.attempt,
      });
    } catch (e) {
      throw e instanceof UserError ? e : initError(e, env, opts.timeoutS);
    }
    return new DistSession(env, group, opts.timeoutS, opts.device);
  }

  get rank(): number { return this.env.rank; }
  get worldSize(): number { return this.env.worldSize; }
  /** Rank 0 alone logs, validates and writes checkpoints. */
  get isMain(): boolean { return this.env.rank === 0; }

  /** Every rank starts from rank 0's parameters and buffers (DDP's constructor does this). */
  syncState(tensors: readonly TorchTensor[]): void {
    this.group.broadcast(tensors, 0);
  }

  /** DDP(find_unused_parameters=True) over the trainable parameters. */
  wrap(params: readonly TorchTensor[], bucketCapMb = 25): DdpReducer {
    return this.group.ddp(params, { bucketCapMb, findUnusedParameters: true });
  }

  /** [min, max] of a number over the ranks. */
  range(x: number): [number, number] {
    return tidy(() => {
      const t = fromData(new Float64Array([x, -x]), [2], 'float64', { device: this.device });
      this.group.allReduce([t], 'max');
      const [hi, negLo] = t.toTypedArray() as Float64Array;
      return [-negLo!, hi!];
    });
  }

  /**
   * --resume: every rank must see the same newest checkpoint (rank 0 writes it; on several
   * machines the folder has to be shared storage).
   */
  agreeOnResume(epoch: number, dir: string): void {
    const [lo, hi] = this.range(epoch);
    if (lo !== hi) {
      throw new UserError(`--resume: the ranks see different newest checkpoints in ${dir} (epochs ${lo} to ${hi}; -1 = none): on several machines the checkpoint folder must be shared storage`);
    }
  }

  /** True when any rank asks to stop (Ctrl-C reaches ranks at slightly different steps). */
  anyStop(stop: boolean): boolean {
    return this.range(stop ? 1 : 0)[1] > 0;
  }

  /**
   * A collective failed: which rank is gone? The survivors read every rank's heartbeat from the
   * store; when the store itself is unreachable, its host (rank 0, or torchrun's agent) went.
   */
  explain(e: unknown): Error {
    if (e instanceof UserError) return e;
    const msg = (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
    if (!/gloo|connection|closed|reset|timed? ?out|peer|nccl|c10d|broken pipe|rendezvous/i.test(msg)) return e instanceof Error ? e : new Error(msg);
    let who: string;
    try {
      const dead = this.group.deadPeers();
      who = dead.length > 0 ? `rank ${dead.join(', rank ')} stopped` : 'a peer rank failed';
    } catch {
      who = this.env.agentStore ? `torchrun's agent at ${this.env.masterAddr}:${this.env.masterPort} is gone` : 'rank 0 (which holds the rendezvous store) stopped';
    }
    return new UserError(`rank ${this.rank}: ${who}; stopping this rank too (${msg})`);
  }

  /** After the last epoch: wait for every rank (rank 0 may still be validating), then leave. */
  finish(): void {
    this.group.barrier();
    this.close();
  }

  close(): void {
    this.group.destroy();
  }
}
