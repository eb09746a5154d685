// npm run parity -- <fixture-folder> [--runtime onnx|torch] [--threads N]
import { Command, Option } from 'commander';
import { UserError } from '../src/errors.js';
import { reportAndExit } from '../src/cli/exit.js';
import { detailLine, runParity, summaryLine, type Runner } from '../src/parity/fixture.js';
import { onnxRunner } from '../src/parity/parity-onnx.js';

async function runnerFor(runtime: string, threads?: number): Promise<Runner> {
  if (runtime === 'onnx') return onnxRunner(threads);
  const { torchRunner } = await import('../src/parity/parity-torch.js');
  return torchRunner(threads);
}

const program = new Command('parity')
  .argument('<folder>', 'fixture folder (meta.json, input.npy, model.pt or weights.json, reference outputs)')
  .addOption(new Option('--runtime <name>', 'engine').choices(['onnx', 'torch']).default('onnx'))
  .option('--threads <n>', 'intra-op threads', (v) => Number.parseInt(v, 10))
  .action(async (folder: string, o: { runtime: string; threads?: number }) => {
    const r = await runParity(folder, await runnerFor(o.runtime, o.threads), (l) => console.log(l));
    console.log(detailLine(r));
    console.log(summaryLine(r));
    if (!r.pass) process.exitCode = 1;
  });

program.parseAsync().catch((e: unknown) => reportAndExit(e instanceof Error ? e : new UserError(String(e))));
