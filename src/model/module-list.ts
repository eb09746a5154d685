// nn.ModuleList: children named 0, 1, ... with no forward of its own.
import { Module } from './module.js';

export class ModuleList<M extends Module = Module> extends Module {
  readonly items: M[] = [];
  push<N extends M>(m: N): N {
    this.items.push(m);
    return this.add(this.items.length - 1, m);
  }
}
