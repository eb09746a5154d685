// Dynamic batch for a builder that only knows static shapes: the model is traced at batch 2 and
// at batch 3, the two graphs must agree node for node, and every integer constant that differs
// between them (reshape/expand shapes) is recomputed at run time as a·batch + c from the input's
// actual batch size. Batch 1 is avoided on purpose: it lets ops skip nodes (an expand to 1 is a
// no-op), so its graph would not line up with larger batches.
import type { GraphBuilder, Initializer, NodeRec } from './graph.js';

export const TRACE_BATCHES = [2, 3] as const;

function same(a: Initializer, b: Initializer): boolean {
  if (a.dtype !== b.dtype || a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) return false;
  const x = new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength);
  const y = new Uint8Array(b.data.buffer, b.data.byteOffset, b.data.byteLength);
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** Where a value comes from, independent of the (counter-based) names each trace gave it. */
function origins(g: GraphBuilder): Map<string, string> {
  const m = new Map<string, string>();
  g.inputList.forEach((v, i) => m.set(v.name, `input ${i}`));
  g.nodeList.forEach((n, i) => n.outputs.forEach((o, k) => m.set(o, `node ${i} output ${k}`)));
  return m;
}

function describe(n: Readonly<NodeRec>, i: number): string {
  return `${n.op} node #${i}`;
}

/**
 * Rewrites `g2` (traced at batch 2) in place so that it runs at any batch size, using `g3`
 * (the same model traced at batch 3) to tell batch-dependent constants from fixed ones.
 */
export function makeBatchDynamic(g2: GraphBuilder, g3: GraphBuilder, param = 'batch'): void {
  const n2 = g2.nodeList;
  const n3 = g3.nodeList;
  const fail = (why: string): never => {
    throw new Error(`dynamic batch: the model's graph depends on the batch size in a way that cannot be made symbolic: ${why}`);
  };
  if (n2.length !== n3.length) fail(`batch 2 gives ${n2.length} nodes, batch 3 gives ${n3.length}`);
  const o2 = origins(g2);
  const o3 = origins(g3);
  const input = g2.inputList[0];
  if (!input || g2.inputList.length !== 1) fail('exactly one graph input is supported');
  // Constants to recompute, and where they are read; nodes are added only after the walk,
  // since they go to the front of the node list.
  const dynamic = new Map<string, { slope: number[]; offset: number[]; uses: [number, number][] }>();

  for (let i = 0; i < n2.length; i++) {
    const a = n2[i]!;
    const b = n3[i]!;
    if (a.op !== b.op || a.inputs.length !== b.inputs.length || a.outputs.length !== b.outputs.length) {
      fail(`${describe(a, i)} is ${describe(b, i)} at batch 3`);
    }
    for (let j = 0; j < a.inputs.length; j++) {
      const x = a.inputs[j]!;
      const y = b.inputs[j]!;
      const cx = g2.initializerOf(x);
      const cy = g3.initializerOf(y);
      if (!cx || !cy) {
        if ((cx === undefined) !== (cy === undefined) || (x === '') !== (y === '') || o2.get(x) !== o3.get(y)) {
          fail(`input ${j} of ${describe(a, i)} is wired differently at batch 3`);
        }
        continue;
      }
      if (same(cx, cy)) continue;
      if (cx.dtype !== 'int64' || cx.shape.length !== 1 || cy.shape.length !== 1 || cx.shape[0] !== cy.shape[0]) {
        fail(`input ${j} of ${describe(a, i)} is a ${cx.dtype} [${cx.shape.join(', ')}] constant that changes with the batch`);
      }
      const v2 = cx.data as BigInt64Array;
      const v3 = cy.data as BigInt64Array;
      const key = `${x}|${Array.from(v3).join(',')}`;
      let d = dynamic.get(key);
      if (!d) {
        // v(B) = slope·B + offset, per element (slope 0 where the element does not change)
        const slope = Array.from(v2, (v, k) => Number(v3[k]! - v));
        const offset = Array.from(v2, (v, k) => Number(v) - 2 * slope[k]!);
        dynamic.set(key, (d = { slope, offset, uses: [] }));
      }
      d.uses.push([i, j]);
    }
  }

  if (dynamic.size > 0) {
    const batch = g2.nodeFirst('Shape', [input!.name], { start: 0, end: 1 }); // int64 [1]
    for (const { slope, offset, uses } of dynamic.values()) {
      const s = g2.initializer(BigInt64Array.from(slope, BigInt), [slope.length], 'int64');
      const c = g2.initializer(BigInt64Array.from(offset, BigInt), [offset.length], 'int64');
      const v = g2.nodeFirst('Add', [g2.nodeFirst('Mul', [batch, s]), c]);
      // nodeFirst shifted every recorded node by the ones placed before it
      for (const [i, j] of uses) g2.replaceInput(i + g2.prefixLength, j, v);
    }
  }

  g2.setDimParam(input!.name, 0, param);
  if (g2.outputList.length !== g3.outputList.length) fail('the number of outputs changes with the batch');
  g2.outputList.forEach((o, k) => {
    const p = g3.outputList[k]!;
    o.shape.forEach((d, axis) => {
      const e = p.shape[axis]!;
      if (d === e) return;
      const slope = e - d;
      const offset = d - 2 * slope;
      g2.setDimParam(o.name, axis, slope === 1 && offset === 0 ? param : `${param}*${slope}${offset ? `+${offset}` : ''}`);
    });
  });
}
