// Loader worker thread: decodes and preprocesses samples posted by SamplePool, sending the
// buffers back as transferables (no copy).
import { parentPort } from 'node:worker_threads';
import { UserError } from '../errors.js';
import { loadSample } from './load-sample.js';
import type { LoadOptions, SampleSpec } from './types.js';

interface Task { id: number; spec: SampleSpec; opts: LoadOptions }

parentPort!.on('message', (t: Task) => {
  loadSample(t.spec, t.opts).then(
    (s) => parentPort!.postMessage({ id: t.id, sample: s }, [s.image.buffer, s.label.buffer, s.lnm.buffer] as ArrayBuffer[]),
    (e: unknown) => parentPort!.postMessage({
      id: t.id,
      error: { message: e instanceof Error ? e.message : String(e), user: e instanceof UserError },
    }),
  );
});
