// `segface parse`: photos → label maps, colour pictures, overlays, masks and JSON summaries.
// Batches are pipelined: while the network runs on one batch, the next one is decoded.
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { Command, Option } from 'commander';
import cliProgress from 'cli-progress';
import { FaceParser } from '../api/face-parser.js';
import type { ParseResult } from '../api/result.js';
import { expandInputs } from '../image/inputs.js';
import { labelsPng } from '../image/encode.js';
import { DEFAULT_MAX_PIXELS, type RgbImage } from '../image/read.js';
import { removeLiveTemps, writeFilesAtomic, type OutFile } from '../io/write-files.js';
import type { LabelOrder } from '../model/classes.js';
import { UserError } from '../errors.js';
import { checkpointFlag, CHECKPOINT_HELP, modelPathOption } from './model-flags.js';
import { OutputGuard } from '../io/output-guard.js';
import { positiveInt } from './numbers.js';
import { faceCropFiles } from './face-outputs.js';
import type { FaceSelection } from '../face/parse-faces.js';
import type { Precision } from '../engine/torch/precision.js';
import { precisionOption } from './precision-option.js';

export const OUTPUT_KINDS = ['labels', 'color', 'overlay', 'masks', 'probs', 'json', 'crops'] as const;
export type OutputKind = (typeof OUTPUT_KINDS)[number];
const DEFAULT_OUTPUTS: OutputKind[] = ['labels', 'color', 'overlay'];

export interface ParseCommandOptions {
  model: string;
  out: string;
  batch: number;
  runtime: 'onnx' | 'torch';
  device: 'cpu' | 'cuda';
  threads?: number;
  /** fp32/fp16/bf16: the libtorch runtime's; int8: the ONNX graph quantized (QDQ), calibrated on `calibration`. */
  precision?: Precision | 'int8';
  labelOrder: LabelOrder;
  outputs: OutputKind[];
  maxPixels: number;
  cacheDir?: string;
  offline?: boolean;
  resolution?: number;
  progress?: boolean;
  /** int8: calibration photos (default: the first two inputs). */
  calibration?: string[];
  /** Mirror the input folders' sub-folders under --out instead of one flat folder. */
  keepStructure?: boolean;
  /** Folders: include their sub-folders. */
  recursive?: boolean;
  /** Replace existing files in --out that this run did not write (never an input). */
  overwrite?: boolean;
  /** Find faces and parse each aligned (default true); false: the whole image, as before. */
  detect?: boolean;
  faces?: FaceSelection;
  minFace?: number;
  detectThreshold?: number;
}

function parseFaces(v: string): FaceSelection {
  if (v === 'all' || v === 'largest') return v;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UserError(`--faces must be all, largest or a positive integer, got '${v}'`);
  return n;
}

function positiveNumber(name: string, max = Infinity) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0 || n > max) throw new UserError(`${name} must be a number in (0, ${max}], got '${v}'`);
    return n;
  };
}

function parseOutputs(v: string): OutputKind[] {
  if (v === 'all') return [...OUTPUT_KINDS];
  const kinds = v.split(',').map((s) => s.trim()).filter(Boolean);
  for (const k of kinds) {
    if (!(OUTPUT_KINDS as readonly string[]).includes(k)) throw new UserError(`--outputs: unknown output '${k}' (expected ${OUTPUT_KINDS.join(', ')} or all)`);
  }
  if (kinds.length === 0) throw new UserError('--outputs: name at least one output');
  return kinds as OutputKind[];
}

/** The file names one input gets: `<stem>.labels.png`, `<stem>.color.png`, … */
export function outputPaths(out: string, stem: string) {
  return {
    labels: join(out, `${stem}.labels.png`),
    color: join(out, `${stem}.color.png`),
    overlay: join(out, `${stem}.overlay.png`),
    json: join(out, `${stem}.json`),
    mask: (id: number, name: string) => join(out, `${stem}.masks`, `${String(id).padStart(2, '0')}_${name}.png`),
    probs: (id: number, name: string) => join(out, `${stem}.probs`, `${String(id).padStart(2, '0')}_${name}.png`),
  };
}

/**
 * Distinct output stems: the file name without extension (with `keep`, its path below the input
 * folder), numbered when two inputs share it.
 */
function stems(rel: readonly string[], keep = false): string[] {
  const used = new Map<string, number>();
  return rel.map((f) => {
    const name = basename(f, extname(f)) || 'image';
    const s = keep && dirname(f) !== '.' ? join(dirname(f), name) : name;
    const k = used.get(s) ?? 0;
    used.set(s, k + 1);
    return k === 0 ? s : `${s}-${k + 1}`;
  });
}

async function encodeOutputs(r: ParseResult, out: string, stem: string, kinds: readonly OutputKind[]): Promise<OutFile[]> {
  const p = outputPaths(out, stem);
  const files: OutFile[] = [];
  if (kinds.includes('labels')) files.push({ path: p.labels, data: await r.toPNG() });
  if (kinds.includes('color')) files.push({ path: p.color, data: await r.colorPNG() });
  if (kinds.includes('overlay')) files.push({ path: p.overlay, data: await r.overlayPNG() });
  // Masks and probabilities for the classes found only (r.classes): an absent class's mask is empty.
  if (kinds.includes('masks')) for (const c of r.classes) files.push({ path: p.mask(c.id, c.name), data: await r.maskPNG(c.id) });
  if (kinds.includes('probs') && !r.faces) {
    const found = r.classes;
    const planes = r.probabilityBytes(found.map((c) => c.id)); // one pass over the logits
    for (let k = 0; k < found.length; k++) files.push({ path: p.probs(found[k]!.id, found[k]!.name), data: await labelsPng(planes[k]!, r.width, r.height) });
  }
  if (kinds.includes('json')) files.push({ path: p.json, data: `${JSON.stringify(r.summary(), null, 2)}\n` });
  if (kinds.includes('crops')) files.push(...await faceCropFiles(r, out, stem));
  return files;
}

/** Whether --outputs named `kind` itself (not through `all`). */
function inputsAskedFor(o: ParseCommandOptions, kind: OutputKind): boolean {
  return o.outputs.includes(kind) && o.outputs.length < OUTPUT_KINDS.length;
}

/** Fails early, naming the folder, when outputs cannot be written there. */
async function checkOutputFolder(out: string): Promise<void> {
  const probe = join(out, `.segface-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await mkdir(out, { recursive: true });
    await writeFile(probe, '');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied'
      : code === 'ENOTDIR' || code === 'EEXIST' ? 'a path component is a file, not a folder'
      : code === 'EROFS' ? 'read-only file system' : (code ?? String(e));
    throw new UserError(`${out}: cannot write output folder (${why})`);
  } finally {
    await rm(probe, { force: true }).catch(() => undefined);
  }
}

const problemOf = (e: unknown, file: string) => {
  const msg = e instanceof Error ? e.message : String(e);
  // UserErrors already start with the file name.
  return msg.startsWith(`${file}: `) ? msg : `${file}: ${msg}`;
};

export interface ParseReport { total: number; written: number; failures: string[] }

/** Runs the whole command; returns what happened (the caller sets the exit code). */
export async function runParse(inputs: readonly string[], o: ParseCommandOptions & { model: string }, log = (s: string) => process.stdout.write(`${s}\n`), warn = (s: string) => process.stderr.write(`${s}\n`)): Promise<ParseReport> {
  const { files, rel, problems } = await expandInputs(inputs, { recursive: o.recursive });
  const failures = problems.map((p) => `${p.input}: ${p.problem}`);
  failures.forEach(warn);
  await checkOutputFolder(o.out);
  const report: ParseReport = { total: files.length + problems.length, written: 0, failures };
  if (files.length === 0) return report;
  const detect = o.detect ?? true;
  if (!detect && inputsAskedFor(o, 'crops')) throw new UserError('--outputs crops needs face detection (drop --no-detect)');
  if (detect && inputsAskedFor(o, 'probs')) throw new UserError('--outputs probs is for whole-image parsing: add --no-detect (face parsing keeps labels, not probabilities)');
  const faceOpts = { detect, faces: o.faces, minFace: o.minFace, detectThreshold: o.detectThreshold, crops: o.outputs.includes('crops') && detect };

  const parser = await FaceParser.load(o.model, {
    runtime: o.runtime, device: o.device, threads: o.threads, precision: o.precision === 'int8' ? 'fp32' : o.precision, cacheDir: o.cacheDir, offline: o.offline,
    labelOrder: o.labelOrder, maxPixels: o.maxPixels, resolution: o.resolution, progress: o.progress, batch: Math.min(o.batch, files.length),
    ...(o.precision === 'int8' ? { int8: { calibration: o.calibration ?? files.slice(0, 2), log: warn } } : {}),
  });
  const names = stems(rel, o.keepStructure);
  const guard = new OutputGuard(files, !!o.overwrite, o.out);
  const tty = o.progress !== false && !!process.stderr.isTTY;
  const bar = tty ? new cliProgress.SingleBar({ format: 'parsing [{bar}] {value}/{total} images {eta_formatted}', hideCursor: true, stream: process.stderr }, cliProgress.Presets.shades_classic) : undefined;
  // On a terminal only problems are printed, above the bar (which redraws on its next update).
  const say = (s: string, isErr: boolean) => {
    if (!bar) (isErr ? warn : log)(s);
    else if (isErr) process.stderr.write(`\r\x1b[2K${s}\n`);
  };
  bar?.start(files.length, 0);
  let done = 0;

  type Decoded = { index: number; img: RgbImage; ms: number };
  const decodeBatch = async (start: number): Promise<Decoded[]> => {
    const idx = files.slice(start, start + o.batch).map((_, k) => start + k);
    const res = await Promise.all(idx.map(async (index) => {
      const t0 = performance.now();
      try {
        return { index, img: await parser.decode(files[index]!), ms: performance.now() - t0 };
      } catch (e) {
        const line = problemOf(e, files[index]!);
        failures.push(line);
        say(line, true);
        done++; bar?.update(done);
        return null;
      }
    }));
    return res.filter((d): d is Decoded => d !== null);
  };

  const writeBatch = async (batch: Decoded[], results: ParseResult[]) => {
    for (let k = 0; k < batch.length; k++) {
      const file = files[batch[k]!.index]!, stem = names[batch[k]!.index]!, r = results[k]!;
      try {
        const outs = await encodeOutputs(r, o.out, stem, o.outputs);
        for (const f of outs) guard.check(f.path);
        await writeFilesAtomic(outs);
        for (const f of outs) guard.wrote(f.path);
        guard.save(false);
        report.written++;
        if (r.faces && r.faces.length === 0) say(`${file}: no face found (background-only map; --no-detect parses the whole image, --min-face/--detect-threshold search harder)`, true);
        const t = r.timing;
        say(`${file} -> ${join(o.out, stem)}.* (${r.width}x${r.height}, ${r.summary().present.length} classes, ${Math.round(t.decodeMs + t.preprocessMs + t.inferenceMs + t.postprocessMs)} ms)`, false);
      } catch (e) {
        const line = e instanceof UserError ? `${file}: not written: ${e.message}`
          : `${file}: cannot write outputs to ${o.out} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
        failures.push(line);
        say(line, true);
      }
      done++; bar?.update(done);
    }
  };

  // Three stages overlap: batch k+1 is decoded and batch k-1's files are encoded and written
  // while batch k is in the network.
  let writing: Promise<void> = Promise.resolve();
  try {
    let next = decodeBatch(0);
    for (let start = 0; start < files.length; start += o.batch) {
      const batch = await next;
      next = start + o.batch < files.length ? decodeBatch(start + o.batch) : Promise.resolve([]);
      if (batch.length === 0) continue;
      const results = await parser.parseImages(batch.map((d) => d.img), batch.map((d) => d.ms), faceOpts);
      await writing;
      writing = writeBatch(batch, results);
    }
  } finally {
    await writing;
    guard.save();
    bar?.stop();
    await parser.dispose();
  }
  return report;
}

export function register(program: Command): void {
  program
    .command('parse')
    .description('parse face photos into label maps, colour pictures, overlays, masks and summaries')
    .argument('<inputs...>', 'image files, folders or glob patterns (quote globs)')
    .option('-m, --model <model>', CHECKPOINT_HELP)
    .addOption(modelPathOption())
    .option('-o, --out <dir>', 'output folder', 'segface-out')
    .option('-b, --batch <n>', 'images per forward pass', positiveInt('--batch'), 1)
    .addOption(new Option('--runtime <runtime>', 'inference engine').choices(['onnx', 'torch']).default('onnx'))
    .addOption(new Option('--device <device>', 'where the network runs').choices(['cpu', 'cuda']).default('cpu'))
    .option('--threads <n>', 'CPU threads for the network', positiveInt('--threads'))
    .addOption(precisionOption(['int8']))
    .option('--calibration <images...>', 'with --precision int8: photos that set the activation ranges (default: the first two inputs)')
    .addOption(new Option('--label-order <order>', 'numbering of written ids: native (SegFace/FaRL), celebamask (CelebAMask-HQ g_mask.py) or bisenet (face-parsing.PyTorch)').choices(['native', 'celebamask', 'bisenet']).default('native'))
    .addOption(new Option('--outputs <list>', `comma-separated subset of ${OUTPUT_KINDS.join(',')} or all`).argParser(parseOutputs).default(DEFAULT_OUTPUTS, DEFAULT_OUTPUTS.join(',')))
    .option('--max-pixels <n>', 'refuse images with more pixels than this (same default as serve)', positiveInt('--max-pixels'), DEFAULT_MAX_PIXELS)
    .option('--resolution <n>', 'input size for checkpoints that are not registry ids (default 512)', positiveInt('--resolution'))
    .option('--cache-dir <dir>', 'model cache folder (default $SEGFACE_CACHE or $XDG_CACHE_HOME/segface/models)')
    .option('--offline', 'never download; use only cached models (also HF_HUB_OFFLINE=1 / SEGFACE_OFFLINE=1)')
    .option('-r, --recursive', 'folders: also the images in their sub-folders')
    .option('--keep-structure', 'write each image\'s outputs under the same sub-folder of --out as it has below its input folder (default: one flat folder, name-2, name-3 for repeated names)')
    .option('--progress', 'progress bar (default: when stderr is a terminal)')
    .option('--no-progress', 'no progress bar: one line per image')
    .option('--overwrite', 'replace existing output files (an input is never replaced)')
    .option('--no-detect', 'no face detection: parse the whole image as one face crop (pre-cropped faces; the behaviour before detection)')
    .option('--faces <which>', 'faces to parse: all, largest or N (the N best)', parseFaces, 'all' as FaceSelection)
    .option('--min-face <px>', 'smallest face height to look for, pixels', positiveNumber('--min-face'), 32)
    .option('--detect-threshold <x>', 'minimum face detector score', positiveNumber('--detect-threshold', 1), 0.5)
    .action(async (inputs: string[], raw: ParseCommandOptions & { model_path?: string }) => {
      const opts = { ...raw, model: checkpointFlag(raw, 'parse') };
      // Ctrl-C mid-write must not leave temporaries in the output folder.
      for (const sig of ['SIGINT', 'SIGTERM'] as const) {
        process.once(sig, () => { removeLiveTemps(); process.stderr.write(`\nsegface: interrupted\n`); process.exit(130); });
      }
      const report = await runParse(inputs, opts);
      const failed = report.failures.length;
      process.stderr.write(`segface: parsed ${report.written} of ${report.total} input(s) into ${opts.out}${failed ? `, ${failed} failed` : ''}\n`);
      if (failed > 0 || report.written === 0) process.exitCode = 1;
    });
}
