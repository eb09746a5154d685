// Everything a training run needs, as parsed from `segface train` (the official flag names and
// defaults of train.py / config.py at SegFace@9416628, plus this port's additions).
import type { ConsensusOptions } from './blob-plan.js';
import type { LossKind } from './losses.js';
import { HEAD_KINDS, HEADS, type HeadKind } from '../model/classes.js';

export type TrainDataset = 'celebamask_hq' | 'lapa' | 'helen' | 'synthetic';

export interface TrainConfig {
  ckptPath: string;
  exptName: string;
  dataset: TrainDataset;
  /** segface_celeb | segface_lapa | segface_helen: which head (19 or 11 classes). */
  backbone: OfficialBackbone;
  /** --model: the backbone network (mobilenet, swin_base, ...). */
  model: string;
  lr: number;
  milestones: number[];
  gamma: number;
  weightDecay: number;
  resolution: number;
  trainBs: number;
  valBs: number;
  testBs: number;
  numWorkers: number;
  epochs: number;
  dataPath?: string;
  /** Root for <LOG_PATH>/<ckpt_path>/<expt_name> (env LOG_PATH, else the working folder). */
  logPath: string;
  device: 'cpu' | 'cuda';
  resume: boolean;
  loss: LossKind;
  consensus: ConsensusOptions;
  consensusBlobs: 'class' | 'components';
  valInterval: number;
  init?: string;
  seed: number;
  /** Optimizer steps per epoch cap (0 = whole split); for smoke runs and tests. */
  maxIters: number;
  /** Validation images cap (0 = whole split). */
  maxValImages: number;
  /** Intra-op threads for libtorch (0 = library default). */
  threads: number;
  /** Show the progress bar (default: when stderr is a TTY). */
  progress: boolean;
  /** Under torchrun (WORLD_SIZE set): the c10d backend (default gloo on CPU, nccl on CUDA). */
  distBackend?: 'gloo' | 'nccl';
  /** Under torchrun: rendezvous and collective timeout in seconds (default 1800, PyTorch's). */
  distTimeoutS?: number;
}

/** The official --backbone values (segface_celeb, …) → the head each builds. */
export const HEAD_OF_BACKBONE = Object.fromEntries(HEAD_KINDS.map((h) => [HEADS[h].backbone, h])) as Readonly<Record<OfficialBackbone, HeadKind>>;
export type OfficialBackbone = (typeof HEADS)[HeadKind]['backbone'];
