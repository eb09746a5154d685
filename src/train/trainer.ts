// The training loop of the official train.py (spec §8) on libtorch: AdamW, MultiStepLR stepped
// per epoch, validation every --val_interval epochs with the official metrics, and one
// checkpoint per epoch in the official layout. Resumable: a checkpoint is written only after
// its epoch completed (temp file + rename), so a run killed at any moment loses at most the
// epoch in progress, and --resume picks up from the newest file with optimizer and scheduler.
import { appendFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import cliProgress from 'cli-progress';
import { UserError } from '../errors.js';
import { DataLoader } from '../data/loader.js';
import { DATASET_IDS, type Batch, type DatasetIndex } from '../data/types.js';
import { argmaxLogits, computeMetrics, ConfusionAccumulator, type SegMetrics } from '../eval/metrics.js';
import { AdamW, loadTorch, torchDevice, manualSeed, noGrad, setNumThreads, tidy, fromData, type TorchOps } from '../engine/torch/index.js';
import { readStateDictFileAsync } from '../io/files.js';
import type { StateDict } from '../io/host-tensor.js';
import { Counter, PyFloat, type PyValue } from '../io/py-values.js';
import { resolveModel } from '../hub/resolve.js';
import { buildSegFace } from '../model/build.js';
import { headSpec } from '../model/classes.js';
import { bindStateDict, randomStateDict } from '../model/load.js';
import type { SegFace } from '../model/segface.js';
import { checkpointName, removeStaleTemps, writeTrainCheckpoint } from './checkpoint.js';
import { refuseExistingRun, resumePoint, trimEpochLog, type ResumePoint } from './resume.js';
import { HEAD_OF_BACKBONE, type TrainConfig } from './config.js';
import { openTrainSplit } from './data.js';
import { mergeInitWeights } from './init-weights.js';
import { trainingLoss } from './losses.js';
import { MultiStepLR } from './schedule.js';
import { TorchModelState } from './torch-model.js';
import { startDistributed } from './distributed/start.js';

export interface EpochRecord {
  epoch: number;
  iteration: number;
  lr: number;
  loss: number;
  parts: Record<string, number>;
  images: number;
  time_s: number;
  images_per_s: number;
  val?: { Mean_F1: number; mean_iou: number; pixel_accuracy: number; f1: Record<string, number> };
}

export interface TrainResult {
  dir: string;
  epochsDone: number;
  iteration: number;
  records: EpochRecord[];
  interrupted: boolean;
}

function optimizerValue(sd: ReturnType<AdamW['stateDict']>): PyValue {
  // lr / eps / weight decay must stay Python floats even when integral.
  const floats = new Set(['lr', 'eps', 'weight_decay', 'initial_lr']);
  const groups = sd.param_groups.map((g) => {
    const m = new Map<string, PyValue>();
    for (const [k, v] of Object.entries(g)) m.set(k, floats.has(k) && typeof v === 'number' ? new PyFloat(v) : (v as PyValue));
    return m;
  });
  const state = new Map<number, PyValue>();
  for (const [i, s] of sd.state) state.set(i, new Map(Object.entries(s)) as Map<string, PyValue>);
  return new Map<string, PyValue>([['state', state], ['param_groups', groups]]);
}

function toPlain(v: PyValue | undefined): unknown {
  if (v instanceof Counter) return v;
  if (v instanceof Map) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of v) o[String(k)] = toPlain(x);
    return o;
  }
  if (Array.isArray(v)) return v.map((x) => toPlain(x as PyValue));
  if (v instanceof PyFloat) return v.value;
  return v;
}

async function initialWeights(model: SegFace, cfg: TrainConfig, log: (s: string) => void) {
  const fresh = randomStateDict(model, cfg.seed);
  if (!cfg.init) return fresh;
  const r = await resolveModel(cfg.init, { progress: cfg.progress });
  if (r.format !== 'pt') throw new UserError(`${r.path}: --init needs a PyTorch .pt checkpoint`);
  const src = await readStateDictFileAsync(r.path);
  const m = mergeInitWeights(fresh, src);
  if (m.kept === 0) throw new UserError(`${r.path}: no tensor of this checkpoint fits --model ${cfg.model} (${src.size} entries)`);
  log(`init from ${r.path}: kept ${m.kept} tensors, re-initialised ${m.reinitialised.length}`);
  return bindStateDict(model, m.stateDict, r.path);
}

function validate(state: TorchModelState, model: SegFace, ops: TorchOps, loader: DataLoader, index: DatasetIndex, maxImages: number): Promise<SegMetrics> {
  return (async () => {
    const C = model.numClasses;
    const acc = new ConfusionAccumulator(C);
    const ctx = state.ctx(false);
    for await (const b of loader.epoch(0)) {
      const pred = noGrad(() => tidy(() => {
        const logits = forward(model, state, ctx, b);
        return logits.toFloat32Array();
      }));
      const r = b.resolution;
      acc.addBatch(b.labels, argmaxLogits(pred, b.size, C, r * r), b.size, b.names);
      if (maxImages > 0 && acc.images >= maxImages) break;
    }
    return computeMetrics(acc.hist, index.classNames, index.dataset === 'helen');
  })();
}

function forward(model: SegFace, state: TorchModelState, ctx: ReturnType<TorchModelState['ctx']>, b: Batch) {
  const r = b.resolution;
  const x = state.input(fromData(b.images, [b.size, 3, r, r], 'float32', { device: state.ops.device }));
  // The tanh warp applies to LaPa samples only (dataset id 1).
  const lapa = headSpec(model.head).landmarkWarp && b.dataset.every((d) => d === DATASET_IDS.lapa);
  return model.forward(ctx, x, lapa ? { landmarks: b.lnm } : {});
}

export async function runTraining(cfg: TrainConfig): Promise<TrainResult> {
  // Under torchrun: this process's rank; rank 0 alone writes logs and checkpoints and validates.
  const dist = startDistributed(cfg);
  try {
    return await trainProcess(cfg, dist);
  } catch (e) {
    throw dist ? dist.explain(e) : e;
  } finally {
    dist?.close();
  }
}

type Dist = ReturnType<typeof startDistributed>;
type Log = (s: string) => void;

/** Phase 1: the run folder (rank 0 creates it) and the logger writing train.log. */
function openRunDir(cfg: TrainConfig, main: boolean): { dir: string; jsonFile: string; log: Log } {
  const dir = resolve(cfg.logPath, cfg.ckptPath, cfg.exptName);
  if (main) {
    mkdirSync(dir, { recursive: true });
    removeStaleTemps(dir);
    // Rank 0 alone: the others would see its fresh train.log.
    if (!cfg.resume) refuseExistingRun(dir);
  }
  const logFile = join(dir, 'train.log');
  const log = (s: string) => {
    if (!main) return;
    appendFileSync(logFile, `${new Date().toISOString()} ${s}\n`);
    if (!cfg.progress) process.stderr.write(`${s}\n`);
  };
  return { dir, jsonFile: join(dir, 'train_log.jsonl'), log };
}

/** Phase 2: the train and val splits, checked against the head's classes. */
async function openData(cfg: TrainConfig, model: SegFace, log: Log): Promise<[DatasetIndex, DatasetIndex]> {
  const [trainIdx, valIdx] = await Promise.all([
    openTrainSplit(cfg.dataset, 'train', cfg.dataPath), openTrainSplit(cfg.dataset, 'val', cfg.dataPath),
  ]);
  if (trainIdx.classNames.length !== model.numClasses) {
    throw new UserError(`--backbone ${cfg.backbone} has ${model.numClasses} classes but ${cfg.dataset} has ${trainIdx.classNames.length}; pick the matching head`);
  }
  log(`data: ${trainIdx.samples.length} train / ${valIdx.samples.length} val images in ${trainIdx.root}`);
  return [trainIdx, valIdx];
}

interface Start { weights: StateDict; resumed?: ResumePoint }

/** Phase 3: the weights — the newest checkpoint (--resume), else --init, else the declared initialisers. */
async function startingWeights(cfg: TrainConfig, model: SegFace, run: { dir: string; jsonFile: string; log: Log }, main: boolean, dist: Dist): Promise<Start> {
  const { dir, jsonFile, log } = run;
  const point = cfg.resume ? await resumePoint(dir, (w, p) => bindStateDict(model, w, p), (s) => { log(s); if (cfg.progress && main) process.stderr.write(`${s}\n`); }) : undefined;
  dist?.agreeOnResume(point?.ck.epoch ?? -1, dir);
  if (cfg.resume && !point) log(`--resume: no checkpoint in ${dir}, starting from scratch`);
  if (point && main) trimEpochLog(jsonFile, point.ck.epoch);
  return point ? { weights: point.weights, resumed: point } : { weights: await initialWeights(model, cfg, log) };
}

/** Phase 4: optimizer and schedule, restored from the checkpoint when resuming → where to start. */
function restoreOptimizer(point: ResumePoint | undefined, opt: AdamW, sched: MultiStepLR, log: Log): { startEpoch: number; iteration: number } {
  let startEpoch = 0, iteration = 0;
  const resumed = point?.ck;
  if (point && resumed) {
    if (resumed.optimizer instanceof Map) {
      try {
        opt.loadStateDict(resumed.optimizer);
      } catch (e) {
        throw new UserError(`${point.path}: optimizer state does not fit this model (${(e as Error).message})`);
      }
    }
    if (resumed.scheduler) sched.loadStateDict(toPlain(resumed.scheduler) as Parameters<MultiStepLR['loadStateDict']>[0]);
    else sched.lastEpoch = resumed.epoch + 1;
    startEpoch = resumed.epoch + 1;
    iteration = resumed.iteration;
    log(`resumed from ${point.path}: epoch ${resumed.epoch} done, ${iteration} iterations`);
  }
  opt.paramGroups[0]!.options.lr = sched.lastLr[0]!;
  return { startEpoch, iteration };
}

interface EpochSums { steps: number; images: number; lossSum: number; sums: Record<string, number> }

/** Phase 5: one epoch of steps (until stepsPerEpoch or a stop request). */
async function trainEpoch(
  t: { cfg: TrainConfig; model: SegFace; state: TorchModelState; ops: TorchOps; opt: AdamW; ddp: ReturnType<NonNullable<Dist>['wrap']> | undefined; dist: Dist },
  loader: DataLoader, epoch: number, stepsPerEpoch: number, counter: { iteration: number }, bar: cliProgress.SingleBar | undefined, stopped: () => boolean, setStop: (v: boolean) => void,
): Promise<EpochSums> {
  const { cfg, model, state, ops, opt, ddp, dist } = t;
  const lossCfg = { kind: cfg.loss, consensus: cfg.consensus, blobs: cfg.consensusBlobs };
  const t0 = performance.now();
  const sums: Record<string, number> = {};
  let lossSum = 0, steps = 0, images = 0;
  const ctx = state.ctx(true);
  for await (const b of loader.epoch(epoch)) {
    const out = tidy(() => {
      ddp?.beforeForward();
      const logits = forward(model, state, ctx, b);
      ddp?.afterForward([logits]);
      const r = b.resolution;
      const labels = fromData(BigInt64Array.from(b.labels, (v) => BigInt(v)), [b.size, r, r], 'int64', { device: ops.device });
      const l = trainingLoss(ops, logits, labels, b.labels, lossCfg);
      opt.zeroGrad();
      l.loss.backward();
      const parts: Record<string, number> = {};
      for (const [k, v] of Object.entries(l.parts)) parts[k] = v.item();
      return { loss: l.loss.item(), parts };
    });
    if (!Number.isFinite(out.loss)) throw new Error(`loss is ${out.loss} at epoch ${epoch}, iteration ${counter.iteration}`);
    opt.step();
    counter.iteration++;
    steps++;
    images += b.size;
    lossSum += out.loss;
    for (const [k, v] of Object.entries(out.parts)) sums[k] = (sums[k] ?? 0) + v;
    bar?.update(steps, { loss: (lossSum / steps).toFixed(4), ips: (images / ((performance.now() - t0) / 1000)).toFixed(1) });
    if (dist) setStop(dist.anyStop(stopped()));
    if (stopped() || steps >= stepsPerEpoch) break;
  }
  return { steps, images, lossSum, sums };
}

function progressBar(cfg: TrainConfig, main: boolean, epoch: number): cliProgress.SingleBar | undefined {
  if (!cfg.progress || !main) return undefined;
  return new cliProgress.SingleBar({
    format: `epoch ${epoch + 1}/${cfg.epochs} |{bar}| {value}/{total} loss {loss} {ips} img/s`, hideCursor: true, clearOnComplete: false,
  }, cliProgress.Presets.shades_classic);
}

async function trainProcess(cfg: TrainConfig, dist: Dist): Promise<TrainResult> {
  const main = !dist || dist.isMain;
  // One GPU per rank under torchrun (cuda:LOCAL_RANK, as train.py's torch.cuda.set_device).
  const device = torchDevice(cfg.device);
  const engine = loadTorch({ device: device === 'cuda' && dist ? dist.device : device });
  if (cfg.threads > 0) setNumThreads(cfg.threads);
  manualSeed(cfg.seed);
  const ops = engine.ops;

  const run = openRunDir(cfg, main);
  const { dir, jsonFile, log } = run;
  log(`segface train ${JSON.stringify(cfg)}`);

  const head = HEAD_OF_BACKBONE[cfg.backbone];
  const model = buildSegFace({ model: cfg.model, head, resolution: cfg.resolution });
  const [trainIdx, valIdx] = await openData(cfg, model, log);

  const start = await startingWeights(cfg, model, run, main, dist);
  // Channels-last helps oneDNN on the CPU; on CUDA it is left to a measurement we could not make.
  const state = new TorchModelState(model, start.weights, ops, ops.device === 'cpu');
  // DDP's constructor: rank 0's parameters and buffers everywhere, then the gradient reducer.
  dist?.syncState([...state.tensors.values()]);
  const ddp = dist?.wrap(state.params);
  const opt = new AdamW(state.params, { lr: cfg.lr, weightDecay: cfg.weightDecay });
  const sched = new MultiStepLR([cfg.lr], cfg.milestones, cfg.gamma);
  opt.paramGroups[0]!.initialLr = cfg.lr;
  const { startEpoch, iteration: startIteration } = restoreOptimizer(start.resumed, opt, sched, log);
  const counter = { iteration: startIteration };

  const trainLoader = new DataLoader(trainIdx, {
    resolution: cfg.resolution, batchSize: cfg.trainBs, shuffle: true, seed: cfg.seed, numWorkers: cfg.numWorkers, augment: true,
    shard: dist ? { rank: dist.rank, worldSize: dist.worldSize } : undefined,
  });
  const valLoader = new DataLoader(valIdx, {
    resolution: cfg.resolution, batchSize: cfg.valBs, numWorkers: cfg.numWorkers,
    limit: cfg.maxValImages > 0 ? cfg.maxValImages : undefined,
  });
  if (trainLoader.length === 0) throw new UserError(`${trainIdx.root}: fewer training images than --train_bs ${cfg.trainBs}`);

  // Ctrl-C: finish the step in progress, save, exit. A second Ctrl-C exits at once.
  let stop = false;
  const onSigint = () => {
    if (stop) process.exit(130);
    stop = true;
  };
  process.on('SIGINT', onSigint);

  const records: EpochRecord[] = [];
  const stepsPerEpoch = cfg.maxIters > 0 ? Math.min(cfg.maxIters, trainLoader.length) : trainLoader.length;
  const saveCheckpoint = (path: string, epoch: number) => writeTrainCheckpoint(path, {
    epoch, iteration: counter.iteration, stateDict: state.stateDict(), optimizer: optimizerValue(opt.stateDict()), scheduler: sched.stateDict(),
  });
  const training = { cfg, model, state, ops, opt, ddp, dist };
  let epoch = startEpoch;
  try {
    for (; epoch < cfg.epochs && !stop; epoch++) {
      const lr = opt.paramGroups[0]!.options.lr;
      const t0 = performance.now();
      const bar = progressBar(cfg, main, epoch);
      bar?.start(stepsPerEpoch, 0, { loss: '-', ips: '-' });
      const { steps, images, lossSum, sums } = await trainEpoch(training, trainLoader, epoch, stepsPerEpoch, counter, bar, () => stop, (v) => { stop = v; });
      bar?.stop();
      if (stop && steps < stepsPerEpoch && !main) break;
      if (stop && steps < stepsPerEpoch) {
        // Saved under its own name: --resume continues from the last completed epoch instead.
        const path = join(dir, `interrupted_epoch${epoch}.pt`);
        saveCheckpoint(path, epoch);
        log(`interrupted in epoch ${epoch} after ${steps}/${stepsPerEpoch} steps: weights saved to ${path}; --resume restarts epoch ${epoch} from the last completed checkpoint`);
        break;
      }
      const time = (performance.now() - t0) / 1000;
      sched.step();
      opt.paramGroups[0]!.options.lr = sched.lastLr[0]!;
      const rec: EpochRecord = {
        epoch, iteration: counter.iteration, lr, loss: lossSum / steps,
        parts: Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / steps])),
        images, time_s: time, images_per_s: images / time,
      };
      if (!main) continue;
      if ((epoch + 1) % cfg.valInterval === 0 || epoch === cfg.epochs - 1) {
        const m = await validate(state, model, ops, valLoader, valIdx, cfg.maxValImages);
        rec.val = { Mean_F1: m.meanF1, mean_iou: m.meanIoU, pixel_accuracy: m.pixelAccuracy, f1: Object.fromEntries(m.f1) };
      }
      const path = join(dir, checkpointName(epoch));
      // The record goes first: a kill between the two leaves a record --resume drops (it re-runs
      // the epoch), never a finished epoch whose record is lost.
      appendFileSync(jsonFile, `${JSON.stringify(rec)}\n`);
      saveCheckpoint(path, epoch);
      records.push(rec);
      const parts = Object.entries(rec.parts).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(' ');
      const val = rec.val ? ` Mean_F1 ${rec.val.Mean_F1.toFixed(4)} mIoU ${rec.val.mean_iou.toFixed(2)}` : '';
      log(`epoch ${epoch} loss ${rec.loss.toFixed(4)} (${parts}) lr ${lr} ${rec.images_per_s.toFixed(2)} img/s ${time.toFixed(1)} s${val} → ${path}`);
      if (cfg.progress) process.stderr.write(`epoch ${epoch}: loss ${rec.loss.toFixed(4)}${val}\n`);
    }
    if (dist && !stop) dist.finish();
  } finally {
    process.off('SIGINT', onSigint);
    await Promise.all([trainLoader.close(), valLoader.close()]);
    opt.dispose();
    state.dispose();
  }
  return { dir, epochsDone: epoch, iteration: counter.iteration, records, interrupted: stop };
}
