// Public library API.
export * from './model/classes.js';
// Parsing photos (FaceParser) and the model hub.
export * from './api/index.js';
export { resolveModel, type ResolveOptions, type ResolvedModel } from './hub/resolve.js';
export { downloadFile, type DownloadOptions } from './hub/download.js';
export { cacheDir, cachedCheckpointPath, checkpointUrl } from './hub/paths.js';
export { readImage, DEFAULT_MAX_PIXELS } from './image/read.js';
export { UserError } from './errors.js';
// Standalone ONNX files of a model (what `segface export` writes).
export { exportOnnx, type ExportOptions, type ExportedModel } from './export/export-onnx.js';
export { fetchBytes, type FetchBytesOptions } from './hub/fetch-bytes.js';
export { VERSION } from './version.js';
