// The HTTP service (fastify): POST /parse, GET /classes, GET /healthz, the web page at / with its
// script, ONNX Runtime Web's wasm files and the model graph for in-browser runs.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import type { FaceParser } from '../api/face-parser.js';
import { UserError } from '../errors.js';
import { DEFAULT_MAX_PIXELS, readImage } from '../image/read.js';
import { Admission } from './admission.js';
import { multipartProblem } from './multipart-errors.js';
import { trackRequest, type Lifecycle } from './request-lifecycle.js';
import { chooseFormat, type OutFormat } from './negotiate.js';
import { faceQuery } from './face-query.js';
import type { FaceOptions } from '../api/face-parser.js';
import { registerWebRoutes, type WebAssets } from './web-routes.js';

export interface ServiceLimits {
  /** Largest accepted upload in bytes (raw body or multipart file). */
  maxUploadBytes: number;
  /** Largest accepted image in pixels (checked from the header, before decoding). */
  maxPixels: number;
  /** Requests held at once (running + waiting); more get 503 before their body is read. */
  capacity: number;
  /** Parses run at the same time. */
  concurrency: number;
  /** Per-request limit from arrival to answer, in ms; past it the answer is 503. */
  timeoutMs: number;
  /** Time from admission to the upload's last byte, in ms; past it: 408 and the connection closes. */
  uploadTimeoutMs: number;
  /** Time for a request's headers to arrive, in ms (slow-header clients hold sockets, not slots). */
  headersTimeoutMs: number;
}

export const DEFAULT_LIMITS: ServiceLimits = {
  maxUploadBytes: 20 * 1024 * 1024,
  maxPixels: DEFAULT_MAX_PIXELS, // the same default as `segface parse` and the library
  capacity: 16,
  concurrency: 1,
  timeoutMs: 60_000,
  uploadTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
};

export interface ServiceOptions {
  parser: FaceParser;
  limits?: Partial<ServiceLimits>;
  web?: WebAssets;
  logger?: boolean;
}

const RAW_TYPES = /^(image\/[\w.+-]+|application\/octet-stream)$/i;

class HttpError extends Error {
  constructor(readonly statusCode: number, message: string) { super(message); }
}

declare module 'fastify' {
  interface FastifyRequest { segfaceLife?: Lifecycle; segfaceStart?: number }
}

function parseUsage(): string {
  return "send an image as multipart/form-data (field 'image') or as the raw body with Content-Type image/* or application/octet-stream";
}

/** The upload's bytes and a name for messages. */
async function uploadOf(req: FastifyRequest): Promise<{ bytes: Buffer; name: string }> {
  if (req.isMultipart()) {
    try {
      const part = await req.file();
      if (!part) throw new HttpError(400, `multipart body holds no file; ${parseUsage()}`);
      if (part.fieldname !== 'image') throw new HttpError(400, `multipart file is in field '${part.fieldname}', expected 'image'; ${parseUsage()}`);
      const bytes = await part.toBuffer(); // 413 past the size limit
      return { bytes, name: part.filename || 'upload' };
    } catch (e) {
      const problem = multipartProblem(e);
      if (problem) throw new HttpError(400, `malformed multipart body (${problem}); ${parseUsage()}`);
      throw e;
    }
  }
  const body = req.body;
  if (body === undefined || body === null) throw new HttpError(400, `empty body; ${parseUsage()}`);
  if (!Buffer.isBuffer(body)) throw new HttpError(415, `unsupported Content-Type '${req.headers['content-type'] ?? ''}'; ${parseUsage()}`);
  if (body.length === 0) throw new HttpError(400, `empty body (0 bytes); ${parseUsage()}`);
  return { bytes: body, name: 'upload' };
}

export async function createApp(opts: ServiceOptions): Promise<FastifyInstance> {
  const limits: ServiceLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const { parser } = opts;
  const admission = new Admission(limits.capacity, limits.concurrency);
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: limits.maxUploadBytes,
    // Backstops behind the upload deadline of request-lifecycle.ts; Node checks them every second.
    requestTimeout: Math.max(limits.timeoutMs, limits.uploadTimeoutMs) + 5000,
    http: { headersTimeout: limits.headersTimeoutMs, connectionsCheckingInterval: 1000 },
  });
  await app.register(multipart, { limits: { fileSize: limits.maxUploadBytes, files: 1, fields: 16, parts: 32 } });
  app.addContentTypeParser(RAW_TYPES, { parseAs: 'buffer', bodyLimit: limits.maxUploadBytes }, (_req, body, done) => done(null, body));

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    let status = err instanceof UserError ? 400 : (err.statusCode ?? 500);
    if (status < 400 || status > 599) status = 500;
    if (status >= 500 && status !== 503) req.log.error(err);
    let message = status >= 500 && status !== 503 ? 'internal error' : err.message;
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || err.code === 'FST_REQ_FILE_TOO_LARGE') message = `upload is larger than the limit of ${limits.maxUploadBytes} bytes`;
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') message = `unsupported Content-Type '${req.headers['content-type'] ?? ''}'; ${parseUsage()}`;
    void reply.code(status).type('application/json').send({ error: message, statusCode: status });
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ error: `no route ${req.method} ${req.url.split('?')[0]}`, statusCode: 404 });
  });
  app.addHook('onSend', async (_req, reply, payload) => {
    // Cross-origin isolation lets ONNX Runtime Web use threads (SharedArrayBuffer) on the page.
    reply.header('cross-origin-opener-policy', 'same-origin');
    reply.header('cross-origin-embedder-policy', 'require-corp');
    reply.header('x-content-type-options', 'nosniff');
    return payload;
  });

  // An upload still arriving when the request's own deadline passes gets that deadline's 503,
  // as a parse past it does; only the upload deadline proper answers 408.
  const uploadDeadline = limits.timeoutMs < limits.uploadTimeoutMs
    ? { uploadTimeoutMs: limits.timeoutMs, expired: { statusCode: 503, error: `timed out after ${limits.timeoutMs} ms` } }
    : { uploadTimeoutMs: limits.uploadTimeoutMs };
  // Admission before the body is read: a full server answers 503 without buffering the upload.
  app.addHook('onRequest', async (req, reply) => {
    req.segfaceStart = performance.now();
    if (req.method !== 'POST' || req.routeOptions.url !== '/parse') return;
    const t = admission.tryAdmit();
    if (!t) {
      void reply.code(503).header('retry-after', '1').send({ error: `busy: ${limits.capacity} requests in progress, try again shortly`, statusCode: 503 });
      return reply;
    }
    req.segfaceLife = trackRequest(req.raw, reply.raw, t, uploadDeadline);
  });

  app.get('/healthz', async () => ({
    status: 'ok', model: parser.modelId, resolution: parser.resolution, head: parser.head, queue: admission.stats,
  }));

  app.get('/classes', async () => ({
    model: parser.modelId, head: parser.head, resolution: parser.resolution, labelOrder: parser.labelOrder,
    classes: parser.classes.map((c) => ({ id: c.id, name: c.name, color: c.color })),
  }));

  /** Decode, parse and encode one upload; the reply is sent by the caller (it may have timed out). */
  const answer = async (format: OutFormat, bytes: Buffer, name: string, faces: FaceOptions = {}): Promise<{ type: string; body: unknown; size: string; faces?: string }> => {
    const img = await readImage(bytes, { maxPixels: limits.maxPixels, name }).catch((e: unknown) => {
      if (e instanceof UserError) throw new HttpError(/over the limit/.test(e.message) ? 413 : 400, e.message.replace(/ \(raise it with[^)]*\)/, ''));
      throw e;
    });
    const [r] = await parser.parseImages([img], [], faces);
    const res = r!;
    const size = `${res.width}x${res.height}`;
    if (format === 'json') {
      return { type: 'application/json', size, body: res.summary() }; // every class, with its colour
    }
    const png = format === 'labels' ? await res.toPNG() : format === 'overlay' ? await res.overlayPNG() : await res.colorPNG();
    // Image answers carry the faces (box, score, landmarks, angle) in a header, for the page.
    const found = res.faces?.map((f) => { const { classes: _c, ...rest } = f.summary(); return rest; });
    return { type: 'image/png', size, body: png, ...(found ? { faces: JSON.stringify(found) } : {}) };
  };

  app.post('/parse', async (req, reply) => {
    const q = (req.query as Record<string, unknown> | undefined)?.format;
    const choice = chooseFormat(q, req.headers.accept);
    if ('error' in choice) throw new HttpError(choice.status, choice.error);
    const faces = faceQuery(req.query as Record<string, unknown> | undefined);
    if ('error' in faces) throw new HttpError(400, faces.error);
    const { bytes, name } = await uploadOf(req);
    const life = req.segfaceLife;
    life?.uploadDone();
    // The client is gone (aborted, or cut off by a deadline): no parse for nobody.
    if (life?.closed) return reply;
    let abandoned = false;
    const job = admission.run(async () => {
      if (abandoned || life?.closed) throw new HttpError(503, 'timed out while waiting for a turn');
      return answer(choice.format, bytes, name, faces);
    });
    // The parse keeps its admission slot until it really ends, even past a timeout or an abort.
    life?.hold(job);
    let timer: NodeJS.Timeout | undefined;
    const started = req.segfaceStart ?? performance.now();
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        abandoned = true;
        reject(new HttpError(503, `timed out after ${limits.timeoutMs} ms`));
      }, Math.max(0, limits.timeoutMs - (performance.now() - started)));
    });
    try {
      const out = await Promise.race([job, timeout]);
      // A parse that blocked the event loop past the deadline settles before the timer can fire.
      if (performance.now() - started > limits.timeoutMs) throw new HttpError(503, `timed out after ${limits.timeoutMs} ms`);
      if (out.faces !== undefined) reply.header('x-segface-faces', out.faces);
      return reply.headers({ 'x-segface-model': parser.modelId, 'x-segface-size': out.size }).type(out.type).send(out.body);
    } finally {
      clearTimeout(timer);
    }
  });

  const notAllowed = async (_req: FastifyRequest, reply: FastifyReply) =>
    reply.code(405).header('allow', 'POST').send({ error: 'use POST /parse with an image', statusCode: 405 });
  app.route({ method: ['GET', 'PUT', 'DELETE', 'PATCH'], url: '/parse', handler: notAllowed });

  if (opts.web) registerWebRoutes(app, opts.web);
  return app;
}
