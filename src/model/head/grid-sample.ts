// grid_sample(bilinear, zeros padding, align_corners=False) for grids known on the host.
// Uses the engine's gridSample when it has one; otherwise gathers the four neighbours with
// index tables computed here (exact same arithmetic, differentiable w.r.t. x).
import type { Ctx, TensorLike } from '../../engine/ops.js';

/** x [B,C,H,W], grid host data [B,Ho,Wo,2] → [B,C,Ho,Wo]. */
export function gridSampleHost<T extends TensorLike>(ctx: Ctx<T>, x: T, grid: Float32Array, ho: number, wo: number): T {
  const F = ctx.ops;
  const [b, c, h, w] = x.shape as [number, number, number, number];
  if (F.gridSample) return F.gridSample(x, F.constant(grid, [b, ho, wo, 2]));
  const n = ho * wo;
  const outs: T[] = [];
  for (let bi = 0; bi < b; bi++) {
    const flat = F.reshape(F.slice(x, 0, bi, bi + 1), [c, h * w]);
    let acc: T | null = null;
    for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]] as const) {
      const idx = new BigInt64Array(n);
      const wt = new Float32Array(n);
      for (let p = 0; p < n; p++) {
        const g = (bi * n + p) * 2;
        const ix = ((grid[g]! + 1) * w - 1) / 2;
        const iy = ((grid[g + 1]! + 1) * h - 1) / 2;
        const x0 = Math.floor(ix), y0 = Math.floor(iy);
        const xi = x0 + dx, yi = y0 + dy;
        const fx = ix - x0, fy = iy - y0;
        if (xi < 0 || xi >= w || yi < 0 || yi >= h) continue; // zeros padding
        idx[p] = BigInt(yi * w + xi);
        wt[p] = (dx ? fx : 1 - fx) * (dy ? fy : 1 - fy);
      }
      const term = F.mul(F.indexSelect(flat, 1, F.constant(idx, [n], 'int64')), F.constant(wt, [1, n])); // [C,N]
      acc = acc ? F.add(acc, term) : term;
    }
    outs.push(F.reshape(acc!, [1, c, ho, wo]));
  }
  return outs.length === 1 ? outs[0]! : F.concat(outs, 0);
}
