// Which answer POST /parse gives: `?format=` wins, else the Accept header.

export const FORMATS = ['labels', 'overlay', 'color', 'json'] as const;
export type OutFormat = (typeof FORMATS)[number];

export type Choice = { format: OutFormat } | { status: 400 | 406; error: string };

/** Media ranges of an Accept header, best first (stable for equal q). */
function ranges(accept: string): string[] {
  return accept.split(',').map((part, i) => {
    const [type, ...params] = part.trim().toLowerCase().split(';').map((s) => s.trim());
    const q = params.find((p) => p.startsWith('q='));
    return { type: type ?? '', q: q ? Number(q.slice(2)) : 1, i };
  }).filter((r) => r.type && r.q > 0).sort((a, b) => b.q - a.q || a.i - b.i).map((r) => r.type);
}

export function chooseFormat(query: unknown, accept: string | undefined): Choice {
  if (query !== undefined) {
    if (typeof query === 'string' && (FORMATS as readonly string[]).includes(query)) return { format: query as OutFormat };
    return { status: 400, error: `unknown format '${String(query)}' (expected ${FORMATS.join(', ')})` };
  }
  if (!accept) return { format: 'json' };
  for (const t of ranges(accept)) {
    if (t === 'application/json' || t === 'application/*' || t === '*/*') return { format: 'json' };
    if (t === 'image/png' || t === 'image/*') return { format: 'labels' };
  }
  return { status: 406, error: `cannot answer with ${accept}: POST /parse gives application/json or image/png (choose with ?format=${FORMATS.join('|')})` };
}
