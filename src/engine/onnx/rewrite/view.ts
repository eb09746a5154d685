// What a rewrite pass reads about a recorded graph: who produces and who reads each value, value
// shapes, node attributes, and float32 constants (initializers or host-evaluable subgraphs).
import type { GraphBuilder, NodeRec } from '../graph.js';

export class GraphView {
  private readonly producers = new Map<string, Readonly<NodeRec>>();
  private readonly readers = new Map<string, Readonly<NodeRec>[]>();
  private readonly outputs: Set<string>;
  private readonly constMemo = new Map<string, boolean>();

  constructor(readonly graph: GraphBuilder) {
    for (const n of graph.nodeList) {
      for (const o of n.outputs) this.producers.set(o, n);
      for (const i of n.inputs) {
        if (!this.readers.has(i)) this.readers.set(i, []);
        this.readers.get(i)!.push(n);
      }
    }
    this.outputs = new Set(graph.outputList.map((o) => o.name));
  }

  producer(name: string, op?: string): Readonly<NodeRec> | undefined {
    const n = this.producers.get(name);
    return n && (op === undefined || n.op === op) ? n : undefined;
  }

  /** Nodes reading `name` (each once, even when it reads it twice). */
  readersOf(name: string): Readonly<NodeRec>[] {
    return [...new Set(this.readers.get(name) ?? [])];
  }

  isGraphOutput(name: string): boolean {
    return this.outputs.has(name);
  }

  shape(name: string): readonly number[] | undefined {
    return this.graph.valueOf(name)?.shape;
  }

  dtype(name: string): string | undefined {
    return this.graph.valueOf(name)?.dtype;
  }

  /** A float32 initializer's data (no copy), or undefined. */
  floatInit(name: string): Float32Array | undefined {
    const t = this.graph.initializerOf(name);
    return t && t.dtype === 'float32' && t.data instanceof Float32Array ? t.data : undefined;
  }

  /** An int64 initializer as numbers (shapes, axes). */
  ints(name: string): number[] | undefined {
    const t = this.graph.initializerOf(name);
    return t && t.data instanceof BigInt64Array ? Array.from(t.data, Number) : undefined;
  }

  /**
   * Whether a value depends on initializers only (ORT folds such subgraphs once, when the
   * session is created), e.g. the image positional encoding.
   */
  isConstant(name: string): boolean {
    const hit = this.constMemo.get(name);
    if (hit !== undefined) return hit;
    let c = this.graph.initializerOf(name) !== undefined;
    if (!c) {
      const n = this.producers.get(name);
      c = !!n && n.inputs.length > 0 && n.inputs.every((i) => i === '' || this.isConstant(i));
    }
    this.constMemo.set(name, c);
    return c;
  }
}

export function attrInt(n: Readonly<NodeRec>, name: string, d: number): number {
  const a = n.attrs.find((x) => x.name === name);
  return a?.i === undefined || a.i === null ? d : Number(a.i);
}

export function attrInts(n: Readonly<NodeRec>, name: string): number[] | undefined {
  return n.attrs.find((x) => x.name === name)?.ints?.map(Number);
}

export function attrString(n: Readonly<NodeRec>, name: string): string | undefined {
  const s = n.attrs.find((x) => x.name === name)?.s;
  return s ? new TextDecoder().decode(s) : undefined;
}

export const sameInts = (a: readonly number[] | undefined, b: readonly number[]): boolean =>
  !!a && a.length === b.length && a.every((v, i) => v === b[i]);
