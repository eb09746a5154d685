// torch.distributed on the addon (native/src/dist.cc): one process group per process, over
// libtorch's own c10d (TCPStore or FileStore rendezvous, Gloo on CPU, NCCL on CUDA builds that
// have it) and DDP's C++ Reducer for gradient averaging.
import { UserError } from '../../errors.js';
import { addonPath, native, type Handle } from './native.js';
import type { TorchTensor } from './tensor.js';

export interface DistInitOptions {
  backend: 'gloo' | 'nccl';
  rank: number;
  worldSize: number;
  masterAddr: string;
  masterPort: number;
  /** Rendezvous, collectives and store reads give up after this long. */
  timeoutMs: number;
  /** A FileStore at this path instead of the TCPStore (every rank on one machine). */
  file?: string;
  /** torchrun's agent serves MASTER_PORT already (TORCHELASTIC_USE_AGENT_STORE). */
  agentStore?: boolean;
  /** TORCHELASTIC_RESTART_COUNT: the agent store's key prefix. */
  attempt?: string;
}

export type ReduceOp = 'sum' | 'max' | 'min' | 'product';

/** The addon's `dist` object. */
export interface NativeDist {
  init(opts: DistInitOptions): void;
  allReduce(ts: Handle[], op: ReduceOp): void;
  broadcast(ts: Handle[], root: number): void;
  barrier(): void;
  storeSet(key: string, value: string): void;
  storeGet(key: string): string;
  storeAdd(key: string, n: number): number;
  deadPeers(waitMs: number): number[];
  ddpCreate(params: Handle[], bucketCapBytes: number, findUnused: boolean): number;
  ddpBeforeForward(): boolean;
  ddpAfterForward(outputs: Handle[]): void;
  destroy(): void;
  hasNccl(): boolean;
}

const handles = (ts: readonly TorchTensor[]): Handle[] => ts.map((t) => t.handle);
/** The addon's dist object; ProcessGroup.init checked that it exists. */
const d = (): NativeDist => native().dist!;

/** The process group of this process (torch.distributed's default group). */
export class ProcessGroup {
  private closed = false;

  private constructor(readonly rank: number, readonly worldSize: number, readonly backend: string) {}

  static init(opts: DistInitOptions): ProcessGroup {
    const n = native();
    if (!n.dist) throw new UserError(`the libtorch addon at ${addonPath()} was built before distributed training existed: rebuild it (npm run build:native)`);
    n.dist.init(opts);
    return new ProcessGroup(opts.rank, opts.worldSize, opts.backend);
  }

  /** In place, every tensor (dist.all_reduce). */
  allReduce(ts: readonly TorchTensor[], op: ReduceOp = 'sum'): void {
    d().allReduce(handles(ts), op);
  }

  /** In place from `root`, coalesced (DDP's _sync_module_states). */
  broadcast(ts: readonly TorchTensor[], root = 0): void {
    d().broadcast(handles(ts), root);
  }

  barrier(): void {
    d().barrier();
  }

  storeSet(key: string, value: string): void {
    d().storeSet(key, value);
  }

  storeGet(key: string): string {
    return d().storeGet(key);
  }

  /** Ranks whose heartbeat stood still for waitMs; throws when the store is unreachable. */
  deadPeers(waitMs = 3000): number[] {
    return d().deadPeers(waitMs);
  }

  /**
   * DistributedDataParallel's reducer over `params` (equal on every rank already): after each
   * backward that follows afterForward(), their gradients are the mean over ranks.
   */
  ddp(params: readonly TorchTensor[], opts: { bucketCapMb?: number; findUnusedParameters?: boolean } = {}): DdpReducer {
    const buckets = d().ddpCreate(handles(params), Math.round((opts.bucketCapMb ?? 25) * 2 ** 20), opts.findUnusedParameters ?? true);
    return new DdpReducer(buckets);
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    d().destroy();
  }
}

export class DdpReducer {
  constructor(readonly buckets: number) {}

  /** Before the forward pass of a training step (DDP.forward's prologue). */
  beforeForward(): void {
    d().ddpBeforeForward();
  }

  /** After it, with the outputs the loss is computed from. */
  afterForward(outputs: readonly TorchTensor[]): void {
    d().ddpAfterForward(handles(outputs));
  }
}

export function ncclAvailable(): boolean {
  return native().dist?.hasNccl() ?? false;
}
