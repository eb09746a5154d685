// POST /parse query parameters for faces, as the CLI flags: detect=0 (whole image), faces=all|
// largest|N, min_face=PX, detect_threshold=X. Detection is on by default, as in `segface parse`.
import type { FaceOptions } from '../api/face-parser.js';

export function faceQuery(q: Record<string, unknown> | undefined): FaceOptions | { error: string } {
  const get = (k: string, alt: string) => { const v = q?.[k] ?? q?.[alt]; return typeof v === 'string' ? v : undefined; };
  const detect = get('detect', 'detect');
  if (detect !== undefined && !['0', '1', 'true', 'false', 'on', 'off'].includes(detect)) return { error: `detect must be 0 or 1, got '${detect}'` };
  const o: FaceOptions = { detect: detect === undefined || ['1', 'true', 'on'].includes(detect) };
  const faces = get('faces', 'faces');
  if (faces !== undefined) {
    if (faces === 'all' || faces === 'largest') o.faces = faces;
    else if (/^[1-9]\d*$/.test(faces)) o.faces = Number(faces);
    else return { error: `faces must be all, largest or a positive integer, got '${faces}'` };
  }
  const num = (k: string, alt: string, max: number): number | undefined | { error: string } => {
    const v = get(k, alt);
    if (v === undefined) return undefined;
    const n = Number(v);
    return Number.isFinite(n) && n > 0 && n <= max ? n : { error: `${k} must be a number in (0, ${max}], got '${v}'` };
  };
  const minFace = num('min_face', 'minFace', 1e6), threshold = num('detect_threshold', 'detectThreshold', 1);
  for (const v of [minFace, threshold]) if (typeof v === 'object') return v;
  if (typeof minFace === 'number') o.minFace = minFace;
  if (typeof threshold === 'number') o.detectThreshold = threshold;
  return o;
}
