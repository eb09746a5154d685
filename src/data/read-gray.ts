// Label maps and part masks as one 8-bit channel, the way cv2.imread(path, IMREAD_GRAYSCALE)
// gives them to the official code: grey PNGs as stored, colour ones (and palette PNGs, which
// decode to colour) converted with the BT.601 luma weights. Alpha is ignored.
import sharp from 'sharp';
import { UserError } from '../errors.js';

export interface GrayImage {
  data: Uint8Array;
  width: number;
  height: number;
}

export async function readGray(path: string): Promise<GrayImage> {
  let res: { data: Buffer; info: sharp.OutputInfo };
  try {
    res = await sharp(path, { failOn: 'truncated', limitInputPixels: false })
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
  } catch (e) {
    const msg = (e as Error).message?.split('\n')[0] ?? String(e);
    if (/missing|no such file/i.test(msg)) throw new UserError(`${path}: no such file`);
    throw new UserError(`${path}: unreadable label image (${msg.trim()})`);
  }
  const { data, info } = res;
  const n = info.width * info.height;
  const ch = info.channels;
  const out = new Uint8Array(n);
  if (ch === 1) out.set(data.subarray(0, n));
  else {
    for (let i = 0, p = 0; i < n; i++, p += ch) {
      const r = data[p]!, g = data[p + 1]!, b = data[p + 2]!;
      // sharp hands greyscale PNGs back as three equal channels: no arithmetic needed there.
      out[i] = r === g && g === b ? r : Math.round(0.299 * r + 0.587 * g + 0.114 * b);
    }
  }
  return { data: out, width: info.width, height: info.height };
}
