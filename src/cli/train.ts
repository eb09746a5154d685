// `segface train`: the official train.py flags (names, meanings, defaults) plus --device,
// --resume, --loss/--consensus_*, --init and a few run-size caps. The trainer (and libtorch)
// is imported only when the command runs, so the rest of the CLI works without libtorch.
import { Option, type Command } from 'commander';
import { UserError } from '../errors.js';
import { numberOption } from './numbers.js';
import { trainBackbone } from './model-flags.js';
import { parseMilestones } from '../train/schedule.js';
import { HEAD_OF_BACKBONE, type TrainConfig, type TrainDataset } from '../train/config.js';

interface RawOpts {
  ckpt_path: string; expt_name: string; dataset: TrainDataset; backbone: TrainConfig['backbone']; model: string;
  lr: number; lr_schedule: string; input_resolution: number; train_bs: number; val_bs: number; test_bs: number;
  num_workers: number; epochs: number; data_path?: string; log_path?: string; device: 'cpu' | 'cuda'; resume?: boolean;
  loss: TrainConfig['loss']; consensus_alpha: number; consensus_beta: number; consensus_reduce_pixel: 'idx' | 'all';
  consensus_reduce_pixel_kl: 'idx' | 'all'; consensus_blobs: 'class' | 'components'; val_interval: number;
  init?: string; seed: number; max_iters: number; max_val_images: number; threads: number; progress?: boolean;
  weight_decay: number; dist_backend?: 'gloo' | 'nccl'; dist_timeout?: number;
  nproc_per_node?: number; nnodes?: number; node_rank?: number; master_addr?: string; master_port?: number;
}

export function toConfig(o: RawOpts): TrainConfig {
  let milestones: number[];
  try {
    milestones = parseMilestones(o.lr_schedule);
  } catch (e) {
    throw new UserError((e as Error).message);
  }
  return {
    ckptPath: o.ckpt_path, exptName: o.expt_name, dataset: o.dataset, backbone: o.backbone, model: o.model,
    lr: o.lr, milestones, gamma: 0.1, weightDecay: o.weight_decay, resolution: o.input_resolution,
    trainBs: o.train_bs, valBs: o.val_bs, testBs: o.test_bs, numWorkers: o.num_workers, epochs: o.epochs,
    dataPath: o.data_path, logPath: o.log_path ?? process.env.LOG_PATH ?? '.', device: o.device,
    resume: !!o.resume, loss: o.loss,
    consensus: { alpha: o.consensus_alpha, beta: o.consensus_beta, reducePixel: o.consensus_reduce_pixel, reducePixelKl: o.consensus_reduce_pixel_kl },
    consensusBlobs: o.consensus_blobs, valInterval: o.val_interval, init: o.init, seed: o.seed,
    maxIters: o.max_iters, maxValImages: o.max_val_images, threads: o.threads,
    progress: o.progress ?? !!process.stderr.isTTY,
    distBackend: o.dist_backend, distTimeoutS: o.dist_timeout,
  };
}

async function launchWorkers(raw: RawOpts): Promise<number> {
  if (process.env.WORLD_SIZE !== undefined) {
    throw new UserError('--nproc_per_node / --nnodes start the built-in launcher; under torchrun give them to torchrun instead');
  }
  const nnodes = raw.nnodes ?? 1;
  const nodeRank = raw.node_rank ?? 0;
  const masterPort = raw.master_port ?? 29500;
  if (nodeRank >= nnodes) throw new UserError(`--node_rank ${nodeRank} is not below --nnodes ${nnodes}`);
  if (masterPort > 65535) throw new UserError(`--master_port ${masterPort} is not a TCP port`);
  const { launch, workerArgv } = await import('../train/distributed/launch.js');
  return launch({
    nprocPerNode: raw.nproc_per_node ?? 1, nnodes, nodeRank, masterAddr: raw.master_addr ?? '127.0.0.1', masterPort,
    workerArgs: workerArgv(process.argv.slice(1)),
  });
}

export function register(program: Command): void {
  program
    .command('train')
    .description('Train SegFace (official recipe: 0.5·CE + 0.5·Dice, AdamW, MultiStepLR); needs libtorch')
    .option('--ckpt_path <dir>', 'checkpoint folder under LOG_PATH', 'ckpts')
    .option('--expt_name <name>', 'experiment name (sub-folder of --ckpt_path)', 'segface')
    .addOption(new Option('--dataset <name>', 'training set').choices(['celebamask_hq', 'lapa', 'helen', 'synthetic']).default('celebamask_hq'))
    .addOption(new Option('--backbone <head>', 'SegFace head (class set)').choices(Object.keys(HEAD_OF_BACKBONE)).default('segface_celeb'))
    .option('--model <backbone>', 'backbone network: swin_base, swinv2_base/small/tiny, convnext_base/small/tiny, mobilenet, efficientnet, resnet (official flag; a checkpoint to start from is --init)', trainBackbone, 'swin_base')
    .option('--lr <x>', 'AdamW learning rate', numberOption('lr', { min: 0 }), 1e-4)
    .option('--weight_decay <x>', 'AdamW weight decay', numberOption('weight_decay', { min: 0 }), 1e-5)
    .option('--lr_schedule <epochs>', 'MultiStepLR milestones (gamma 0.1), comma-separated', '80,200')
    .option('--input_resolution <px>', 'square input size', numberOption('input_resolution', { int: true, min: 32 }), 512)
    .option('--train_bs <n>', 'training batch size', numberOption('train_bs', { int: true, min: 1 }), 4)
    .option('--val_bs <n>', 'validation batch size', numberOption('val_bs', { int: true, min: 1 }), 1)
    .option('--test_bs <n>', 'test batch size (accepted for parity with the official flags)', numberOption('test_bs', { int: true, min: 1 }), 1)
    .option('--num_workers <n>', 'data-loading worker threads', numberOption('num_workers', { int: true, min: 0 }), 4)
    .option('--epochs <n>', 'number of epochs', numberOption('epochs', { int: true, min: 1 }), 300)
    .option('--data_path <dir>', 'dataset root (default: DATA_PATH from the environment or .env)')
    .option('--log_path <dir>', 'root of the checkpoint folders (default: LOG_PATH or the working folder)')
    .addOption(new Option('--device <d>', 'cpu or cuda').choices(['cpu', 'cuda']).default('cpu'))
    .option('--resume', 'continue from the newest checkpoint in the experiment folder')
    .addOption(new Option('--loss <kind>', 'training loss').choices(['ce_dice', 'consensus', 'ce_dice+consensus']).default('ce_dice'))
    .option('--consensus_alpha <x>', 'consensus loss: weight of the blob-mean cross-entropy', numberOption('consensus_alpha', { min: 0 }), 10)
    .option('--consensus_beta <x>', 'consensus loss: weight of the KL-to-consensus term', numberOption('consensus_beta', { min: 0 }), 5)
    .addOption(new Option('--consensus_reduce_pixel <r>', "blob mean over the blob ('idx') or the image ('all')").choices(['idx', 'all']).default('idx'))
    .addOption(new Option('--consensus_reduce_pixel_kl <r>', "KL normalised by blob pixels ('idx') or all pixels ('all')").choices(['idx', 'all']).default('idx'))
    .addOption(new Option('--consensus_blobs <b>', 'blobs: one per class per image, or 4-connected components').choices(['class', 'components']).default('class'))
    .option('--val_interval <n>', 'validate every n epochs (and after the last)', numberOption('val_interval', { int: true, min: 1 }), 20)
    .option('--init <id|path.pt>', 'start from a released checkpoint (registry id) or a .pt file')
    .option('--seed <n>', 'random seed', numberOption('seed', { int: true, min: 0 }), 32)
    .option('--max_iters <n>', 'cap on optimizer steps per epoch (0 = whole split)', numberOption('max_iters', { int: true, min: 0 }), 0)
    .option('--max_val_images <n>', 'cap on validation images (0 = whole split)', numberOption('max_val_images', { int: true, min: 0 }), 0)
    .option('--threads <n>', 'libtorch intra-op threads (0 = all cores)', numberOption('threads', { int: true, min: 0 }), 0)
    .option('--progress', 'show the progress bar (default: when stderr is a terminal)')
    .option('--no-progress', 'no progress bar')
    .addOption(new Option('--dist_backend <b>', 'under torchrun: c10d backend (default gloo on CPU, nccl with --device cuda)').choices(['gloo', 'nccl']))
    .option('--dist_timeout <s>', 'under torchrun: rendezvous and collective timeout in seconds', numberOption('dist_timeout', { min: 1 }), 1800)
    .option('--nproc_per_node <n>', 'built-in launcher: start n training processes here (as torchrun --nproc_per_node)', numberOption('nproc_per_node', { int: true, min: 1 }))
    .option('--nnodes <n>', 'built-in launcher: machines in the run', numberOption('nnodes', { int: true, min: 1 }))
    .option('--node_rank <k>', 'built-in launcher: this machine\'s index (0 hosts the rendezvous)', numberOption('node_rank', { int: true, min: 0 }), 0)
    .option('--master_addr <host>', 'built-in launcher: address of node 0', '127.0.0.1')
    .option('--master_port <port>', 'built-in launcher: rendezvous port on node 0', numberOption('master_port', { int: true, min: 1 }), 29500)
    .action(async (raw: RawOpts) => {
      if (raw.nproc_per_node !== undefined || raw.nnodes !== undefined) {
        process.exitCode = await launchWorkers(raw);
        return;
      }
      const { runTraining } = await import('../train/trainer.js');
      const r = await runTraining(toConfig(raw));
      if (r.interrupted) process.exitCode = 130;
    });
}
