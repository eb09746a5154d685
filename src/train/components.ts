// Blob maps for the consensus loss: per-image 4-connected components of a label map, with ids
// unique over the whole batch (the loss treats equal ids in different images as ONE blob, and
// requires one label per blob, so per-image numbering would be wrong).

export type LabelArray = Int32Array | Uint8Array | BigInt64Array | Float32Array;

/**
 * labels: [N,H,W] class ids. Returns [N,H,W] component ids 0..count-1, numbered in (n,h,w) scan
 * order: each 4-connected same-class region of each image is its own id.
 */
export function connectedComponents(labels: LabelArray, n: number, h: number, w: number): { ids: Int32Array; count: number } {
  const plane = h * w;
  if (labels.length !== n * plane) {
    throw new Error(`label map has ${labels.length} elements, [${n},${h},${w}] needs ${n * plane}`);
  }
  const lab = labels instanceof BigInt64Array ? Int32Array.from(labels, Number) : labels;
  const ids = new Int32Array(n * plane).fill(-1);
  const stack = new Int32Array(plane);
  let next = 0;
  for (let b = 0; b < n; b++) {
    const base = b * plane;
    for (let p = 0; p < plane; p++) {
      if (ids[base + p] !== -1) continue;
      const cls = lab[base + p];
      const id = next++;
      ids[base + p] = id;
      // Explicit stack flood fill: recursion would overflow on a 512² background.
      let top = 0;
      stack[top++] = p;
      while (top > 0) {
        const q = stack[--top]!;
        const y = (q / w) | 0;
        const x = q - y * w;
        if (x > 0) visit(q - 1);
        if (x < w - 1) visit(q + 1);
        if (y > 0) visit(q - w);
        if (y < h - 1) visit(q + w);
      }
      function visit(r: number): void {
        if (ids[base + r] === -1 && lab[base + r] === cls) {
          ids[base + r] = id;
          stack[top++] = r;
        }
      }
    }
  }
  return { ids, count: next };
}
