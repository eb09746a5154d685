// Command-line inputs → image files: plain files as given, folders → the images directly inside,
// glob patterns (*, ?, **, [..], {a,b}) expanded by walking from their literal prefix. Node 20 has
// no fs.glob, and the patterns users type here need only this much.
import { readdir, stat } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';

export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.jpe', '.jfif', '.png', '.webp', '.tif', '.tiff', '.gif', '.avif', '.heic', '.bmp'];

export const isImageName = (name: string) => IMAGE_EXTENSIONS.some((e) => name.toLowerCase().endsWith(e));

const MAGIC = /[*?[{]/;

/** A glob segment or whole pattern → RegExp (`**` only as a full segment). */
export function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') {
      if (pattern[i + 1] === '*' && (i === 0 || pattern[i - 1] === '/') && (pattern[i + 2] === '/' || i + 2 === pattern.length)) {
        re += pattern[i + 2] === '/' ? '(?:.*/)?' : '.*';
        i += pattern[i + 2] === '/' ? 2 : 1;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) { re += '\\['; continue; }
      const body = pattern.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\');
      re += `[${body}]`;
      i = end;
    } else if (c === '{') {
      const end = pattern.indexOf('}', i + 1);
      if (end < 0) { re += '\\{'; continue; }
      re += `(?:${pattern.slice(i + 1, end).split(',').map((s) => s.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')).join('|')})`;
      i = end;
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

async function walk(dir: string, deep: boolean, out: string[]): Promise<void> {
  let entries;
  try { entries = await readdir(dir, { withFileTypes: true }); } catch { return; }
  for (const e of entries) {
    const p = dir === '.' ? e.name : join(dir, e.name);
    if (e.isDirectory()) { if (deep && !e.name.startsWith('.')) await walk(p, deep, out); } else out.push(p);
  }
}

export interface Expanded {
  /** Image files in argument order (each folder/glob sorted), without duplicates. */
  files: string[];
  /** Per file: its path below the folder (or a glob's literal prefix) it was found in; a plain file's name. */
  rel: string[];
  /** Arguments that named nothing: `<arg>: <problem>` lines. */
  problems: { input: string; problem: string }[];
}

export interface ExpandOptions {
  /** Folders: also the images in their sub-folders (hidden ones skipped). */
  recursive?: boolean;
}

export async function expandInputs(args: readonly string[], opts: ExpandOptions = {}): Promise<Expanded> {
  const files: string[] = [];
  const rel: string[] = [];
  const problems: Expanded['problems'] = [];
  const seen = new Set<string>();
  const add = (f: string, base?: string) => {
    if (seen.has(f)) return;
    seen.add(f);
    files.push(f);
    rel.push(base === undefined ? basename(f) : relative(base, f));
  };
  for (const arg of args) {
    let st;
    try { st = await stat(arg); } catch { /* not a path: maybe a glob */ }
    if (st?.isDirectory()) {
      const found: string[] = [];
      await walk(arg, !!opts.recursive, found);
      const imgs = found.filter(isImageName).sort();
      if (imgs.length === 0) problems.push({ input: arg, problem: 'folder holds no image files' });
      imgs.forEach((f) => add(f, arg));
    } else if (st || !MAGIC.test(arg)) {
      add(arg); // a missing plain file is reported when it is read, as one failure
    } else {
      const norm = arg.split(sep).join('/');
      const parts = norm.split('/');
      const firstMagic = parts.findIndex((p) => MAGIC.test(p));
      const base = parts.slice(0, firstMagic).join('/') || (norm.startsWith('/') ? '/' : '.');
      const deep = parts.slice(firstMagic).length > 1;
      const found: string[] = [];
      await walk(base, deep, found);
      const re = globToRegExp(norm.replace(/^\.\//, ''));
      const imgs = found.filter((f) => re.test(f.split(sep).join('/'))).filter(isImageName).sort();
      if (imgs.length === 0) problems.push({ input: arg, problem: 'no image files match' });
      imgs.forEach((f) => add(f, base));
    }
  }
  return { files, rel, problems };
}
