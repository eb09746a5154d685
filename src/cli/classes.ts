// `segface classes`: the class table of a head — name, id in each label order, palette colour.
import { Command, Option } from 'commander';
import { findEntry, REGISTRY } from '../model/registry.js';
import { classNames, colorOf, HEAD_KINDS, headSpec, labelOrdersOf, orderedClassNames, type HeadKind } from '../model/classes.js';
import { UserError } from '../errors.js';

export interface ClassRow { name: string; ids: Partial<Record<string, number>>; color: readonly [number, number, number] }

export function classRows(head: HeadKind): ClassRow[] {
  const orders = labelOrdersOf(head);
  return classNames(head).map((name) => ({
    name,
    ids: Object.fromEntries(orders.map((o) => [o, orderedClassNames(head, o).indexOf(name)])),
    color: colorOf(name),
  }));
}

const hex = (c: readonly number[]) => `#${c.map((v) => v.toString(16).padStart(2, '0')).join('')}`;

export function formatClassTable(head: HeadKind): string {
  const rows = classRows(head);
  const orders = Object.keys(rows[0]!.ids);
  const header = ['class', ...orders, 'colour'];
  const body = rows.map((r) => [r.name, ...orders.map((o) => String(r.ids[o])), `${hex(r.color)} (${r.color.join(',')})`]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...body.map(line)].join('\n');
}

export function register(program: Command): void {
  program
    .command('classes')
    .description('print the class table: ids in each label order (native, celebamask, bisenet) and palette colours')
    .option('-m, --model <id>', 'registry id whose head to show')
    .addOption(new Option('--head <head>', 'head to show').choices([...HEAD_KINDS]))
    .option('--json', 'machine-readable output')
    .action((o: { model?: string; head?: HeadKind; json?: boolean }) => {
      let head: HeadKind = o.head ?? 'celeb';
      if (o.model) {
        const e = findEntry(o.model);
        if (!e) throw new UserError(`unknown model '${o.model}': expected a registry id (${REGISTRY.map((r) => r.id).join(', ')})`);
        if (o.head && o.head !== e.head) throw new UserError(`${o.model} has the ${e.head} head, not ${o.head}`);
        head = e.head;
      }
      const n = classNames(head).length;
      const title = `${headSpec(head).title} head (${n} classes${labelOrdersOf(head).length === 1 ? ', native order only' : ''})`;
      if (o.json) process.stdout.write(`${JSON.stringify({ head, classes: classRows(head) }, null, 2)}\n`);
      else process.stdout.write(`${title}\n${formatClassTable(head)}\n`);
    });
}
