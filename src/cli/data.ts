// `segface data synth` (a procedural face set in the CelebAMask-HQ layout) and
// `segface data check` (validate a dataset folder, print split sizes and class frequencies).
import { Option, type Command } from 'commander';
import { checkDataset, formatCheckReport } from '../data/check.js';
import { parseDatasetName } from '../data/datasets.js';
import { writeSynthCelebA, writeSynthHelen, writeSynthLapa } from '../data/synth/write.js';
import { UserError } from '../errors.js';
import { fraction, intAtLeast } from './numbers.js';

export function register(program: Command): void {
  const data = program.command('data').description('datasets: synthesise a face set, validate a dataset folder');

  data
    .command('synth')
    .description('draw procedural faces with exact labels, written in the CelebAMask-HQ layout (19 classes) or the LaPa / Helen layouts (11 classes, landmarks)')
    .requiredOption('--out <dir>', 'output folder (must not exist or be empty); use it as --data_path')
    .option('--n <count>', 'number of images', intAtLeast('--n', 1), 200)
    .option('--resolution <R>', 'image and mask size', intAtLeast('--resolution', 32), 256)
    .option('--seed <s>', 'seed (same seed, same set)', intAtLeast('--seed', 0), 0)
    .option('--val_frac <f>', 'fraction of images in the val split', fraction('--val_frac'), 0.1)
    .option('--test_frac <f>', 'fraction of images in the test split', fraction('--test_frac'), 0.1)
    .addOption(new Option('--layout <name>', 'dataset layout to write').choices(['celebamask_hq', 'lapa', 'helen']).default('celebamask_hq'))
    .action(async (o: { out: string; n: number; resolution: number; seed: number; val_frac: number; test_frac: number; layout: string }) => {
      const t0 = Date.now();
      const write = o.layout === 'lapa' ? writeSynthLapa : o.layout === 'helen' ? writeSynthHelen : writeSynthCelebA;
      const s = await write({ out: o.out, n: o.n, resolution: o.resolution, seed: o.seed, valFrac: o.val_frac, testFrac: o.test_frac });
      process.stdout.write(`wrote ${o.n} faces (${o.resolution}×${o.resolution}) to ${s.root} in ${((Date.now() - t0) / 1000).toFixed(1)} s: `
        + `train ${s.counts.train}, val ${s.counts.val}, test ${s.counts.test}\n`);
    });

  data
    .command('check')
    .description('validate a dataset folder: every file present and readable, labels the right size; print split sizes and class frequencies')
    .requiredOption('--dataset <name>', 'celebamask_hq | lapa | helen')
    .option('--data_path <dir>', 'datasets folder (default: DATA_PATH from the environment or ./.env)')
    .option('--resolution <R>', 'count label pixels at R×R (as a model sees them)', intAtLeast('--resolution', 32), 512)
    .option('--num_workers <n>', 'loader worker threads', intAtLeast('--num_workers', 0), 2)
    .action(async (o: { dataset: string; data_path?: string; resolution: number; num_workers: number }) => {
      const dataset = parseDatasetName(o.dataset);
      let last = 0;
      const r = await checkDataset(dataset, {
        dataPath: o.data_path, resolution: o.resolution, numWorkers: o.num_workers,
        onProgress: (split, done, total) => {
          const now = Date.now();
          if (done === total || now - last > 2000) { last = now; process.stderr.write(`checking ${split}: ${done}/${total}\n`); }
        },
      });
      process.stdout.write(`${formatCheckReport(r).join('\n')}\n`);
      if (r.errors.length > 0) throw new UserError(`${dataset}: ${r.errors.length} problem(s) found (listed above)`);
    });
}
