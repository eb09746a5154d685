// Label maps to pixels, without any codec: palette colouring, overlay on the photo, binary masks,
// histograms. Shared by Node (encoded with sharp in encode.ts) and the browser build (canvas).

/** Interleaved RGB [h,w,3] of the palette colour of every pixel's class. */
export function colorize(labels: Uint8Array, palette: Uint8Array): Uint8Array {
  const out = new Uint8Array(labels.length * 3);
  for (let i = 0; i < labels.length; i++) {
    const p = labels[i] * 3;
    out[i * 3] = palette[p]; out[i * 3 + 1] = palette[p + 1]; out[i * 3 + 2] = palette[p + 2];
  }
  return out;
}

/** The photo with every non-background pixel tinted by its class colour (alpha blend). */
export function overlay(photo: Uint8Array, labels: Uint8Array, palette: Uint8Array, alpha = 0.5, backgroundId = 0): Uint8Array {
  const out = new Uint8Array(photo.length);
  const a = alpha, b = 1 - alpha;
  for (let i = 0; i < labels.length; i++) {
    const id = labels[i], o = i * 3;
    if (id === backgroundId) { out[o] = photo[o]; out[o + 1] = photo[o + 1]; out[o + 2] = photo[o + 2]; continue; }
    const p = id * 3;
    out[o] = Math.round(b * photo[o] + a * palette[p]);
    out[o + 1] = Math.round(b * photo[o + 1] + a * palette[p + 1]);
    out[o + 2] = Math.round(b * photo[o + 2] + a * palette[p + 2]);
  }
  return out;
}

/** 255 where the label equals `id`, else 0. */
export function binaryMask(labels: Uint8Array, id: number): Uint8Array {
  const out = new Uint8Array(labels.length);
  for (let i = 0; i < labels.length; i++) out[i] = labels[i] === id ? 255 : 0;
  return out;
}

/** Pixel count per id (length n). */
export function histogram(labels: Uint8Array, n: number): number[] {
  const h = new Array<number>(n).fill(0);
  for (let i = 0; i < labels.length; i++) h[labels[i]]++;
  return h;
}
