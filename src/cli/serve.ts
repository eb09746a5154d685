// `segface serve`: the HTTP service and web page for one model.
import { Command, Option } from 'commander';
import { createApp, DEFAULT_LIMITS } from '../service/app.js';
import { openServedModel, warmUp } from '../service/open-model.js';
import { webAssets } from '../service/web-assets.js';
import { UserError } from '../errors.js';
import { intInRange, positiveInt, positiveNumber } from './numbers.js';
import { checkpointFlag, CHECKPOINT_HELP, modelPathOption } from './model-flags.js';
import { ORT_WEB_MISSING, ortWebDir } from '../service/web-routes.js';
import type { Precision } from '../engine/torch/precision.js';
import { precisionOption } from './precision-option.js';

interface ServeOptions {
  model?: string; model_path?: string; port: number; host: string; resolution?: number; threads?: number; device?: 'cpu' | 'cuda'; runtime?: 'onnx' | 'torch'; precision?: Precision;
  maxUploadMb: number; maxPixels: number; queue: number; concurrency: number; timeout: number; uploadTimeout: number;
  cacheDir?: string; offline?: boolean;
}

export function register(program: Command): void {
  program
    .command('serve')
    .description('HTTP service (POST /parse, GET /classes, GET /healthz) and a web page at / for one model')
    .option('-m, --model <id|path>', CHECKPOINT_HELP)
    .addOption(modelPathOption())
    .option('-p, --port <n>', 'port', intInRange('--port', 0, 65535), 8080)
    .option('--host <addr>', 'address to listen on (0.0.0.0 for every interface)', '127.0.0.1')
    .option('-r, --resolution <n>', 'input size for checkpoints (default: the model\'s)', positiveInt('--resolution'))
    .option('--threads <n>', 'ONNX Runtime threads', positiveInt('--threads'))
    .addOption(new Option('--device <device>', 'where the network runs').choices(['cpu', 'cuda']).default('cpu'))
    .addOption(new Option('--runtime <runtime>', 'inference engine (the page still runs ONNX in the browser)').choices(['onnx', 'torch']).default('onnx'))
    .addOption(precisionOption())
    .option('--max-upload-mb <n>', 'largest upload in MiB', positiveNumber('--max-upload-mb'), DEFAULT_LIMITS.maxUploadBytes / 1048576)
    .option('--max-pixels <n>', 'largest image in pixels', positiveInt('--max-pixels'), DEFAULT_LIMITS.maxPixels)
    .option('--queue <n>', 'requests held at once (running + waiting); more get 503', positiveInt('--queue'), DEFAULT_LIMITS.capacity)
    .option('--concurrency <n>', 'parses run at the same time', positiveInt('--concurrency'), DEFAULT_LIMITS.concurrency)
    .option('--timeout <s>', 'per-request limit in seconds (503 past it)', positiveNumber('--timeout'), DEFAULT_LIMITS.timeoutMs / 1000)
    .option('--upload-timeout <s>', 'seconds for an upload to arrive whole (408 and the connection closes past it)', positiveNumber('--upload-timeout'), DEFAULT_LIMITS.uploadTimeoutMs / 1000)
    .option('--cache-dir <dir>', 'checkpoint cache folder')
    .option('--offline', 'never download; use only cached checkpoints')
    .action(async (o: ServeOptions) => {
      if (o.concurrency > o.queue) throw new UserError(`--concurrency ${o.concurrency} is larger than --queue ${o.queue}`);
      const model = checkpointFlag(o, 'serve');
      const served = await openServedModel(model, { resolution: o.resolution, threads: o.threads, device: o.device, runtime: o.runtime, precision: o.precision, cacheDir: o.cacheDir, offline: o.offline });
      process.stderr.write(`segface serve: ${served.parser.modelId} (${served.parser.resolution}×${served.parser.resolution}); warming up…\n`);
      await warmUp(served.parser);
      const app = await createApp({
        parser: served.parser,
        web: webAssets(served.browserModel),
        logger: false,
        limits: {
          maxUploadBytes: Math.round(o.maxUploadMb * 1048576), maxPixels: o.maxPixels, capacity: o.queue,
          concurrency: o.concurrency, timeoutMs: Math.round(o.timeout * 1000), uploadTimeoutMs: Math.round(o.uploadTimeout * 1000),
        },
      });
      let address: string;
      try {
        address = await app.listen({ port: o.port, host: o.host });
      } catch (e) {
        throw new UserError(`cannot listen on ${o.host}:${o.port} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
      process.stderr.write(`segface serve: listening on ${address} (page at ${address}/)\n`);
      if (!ortWebDir()) process.stderr.write(`segface serve: note: ${ORT_WEB_MISSING}\n`);
      const stop = () => { void app.close().then(() => served.parser.dispose()).finally(() => process.exit(0)); };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
