// Class tables and the head registry. Output channel c of a head = decoder token c = label value
// c in its dataset. (Token names mirror left/right relative to the labels; only the index
// matters, spec §5.2.)

/** CelebAMask-HQ, SegFace (FaRL) order: 19 classes. */
export const CELEB_CLASSES = [
  'background', 'neck', 'skin', 'cloth', 'l_ear', 'r_ear', 'l_brow', 'r_brow', 'l_eye', 'r_eye',
  'nose', 'mouth', 'l_lip', 'u_lip', 'hair', 'eye_g', 'hat', 'ear_r', 'neck_l',
] as const;

export const CELEB_TOKENS = [
  'background', 'neck', 'face', 'cloth', 'rightear', 'leftear', 'rightbro', 'leftbro', 'righteye',
  'lefteye', 'nose', 'innermouth', 'lowerlip', 'upperlip', 'hair', 'glass', 'hat', 'earring', 'necklace',
] as const;

/** LaPa / Helen label ids 0..10. */
export const LAPA_CLASSES = [
  'background', 'skin', 'l_brow', 'r_brow', 'l_eye', 'r_eye', 'nose', 'u_lip', 'mouth', 'l_lip', 'hair',
] as const;

export const LAPA_TOKENS = [
  'background', 'face', 'leftbro', 'rightbro', 'lefteye', 'righteye', 'nose', 'upperlip', 'innermouth',
  'lowerlip', 'hair',
] as const;

// ---- label orders and palette (for users' outputs; the model always predicts native order) ----

/** Which numbering the written label maps use. */
export type LabelOrder = 'native' | 'celebamask' | 'bisenet';
export const LABEL_ORDERS: readonly LabelOrder[] = ['native', 'celebamask', 'bisenet'];

/**
 * The official CelebAMask-HQ numbering: background + the `label_list` of
 * switchablenorms/CelebAMask-HQ face_parsing/Data_preprocessing/g_mask.py (label = index + 1),
 * which is also the index order of its g_color.py colour list.
 */
export const CELEBAMASK_ORDER = [
  'background', 'skin', 'nose', 'eye_g', 'l_eye', 'r_eye', 'l_brow', 'r_brow', 'l_ear', 'r_ear',
  'mouth', 'u_lip', 'l_lip', 'hair', 'hat', 'ear_r', 'neck_l', 'neck', 'cloth',
] as const;

/** zllrunning/face-parsing.PyTorch (BiSeNet) numbering: background + its `atts` list. */
export const BISENET_ORDER = [
  'background', 'skin', 'l_brow', 'r_brow', 'l_eye', 'r_eye', 'eye_g', 'l_ear', 'r_ear', 'ear_r',
  'nose', 'mouth', 'u_lip', 'l_lip', 'neck', 'neck_l', 'cloth', 'hair', 'hat',
] as const;

/** Helen uses LaPa's 11 ids (bg, face, lb, rb, le, re, nose, ulip, imouth, llip, hair). */
export const HELEN_CLASSES = LAPA_CLASSES;

export interface HeadSpec {
  /** The dataset, for messages and titles. */
  readonly title: string;
  /** The official `--backbone` value that builds this head. */
  readonly backbone: string;
  /** The official `--dataset` value it is trained and tested on. */
  readonly dataset: string;
  /** Class names by label value (= output channel). */
  readonly classes: readonly string[];
  /** Decoder token names by output channel (the `face_decoder` keys). */
  readonly tokens: readonly string[];
  /** Class names by id in the other label orders this head has. */
  readonly orders: Readonly<Partial<Record<Exclude<LabelOrder, 'native'>, readonly string[]>>>;
  /** Whether the input is tanh-warped by five landmarks (spec §5.4). */
  readonly landmarkWarp: boolean;
}

/** Every SegFace head. A new head is one row here; everything else derives from it. */
export const HEADS = {
  celeb: {
    title: 'CelebAMask-HQ', backbone: 'segface_celeb', dataset: 'celebamask_hq', classes: CELEB_CLASSES, tokens: CELEB_TOKENS,
    orders: { celebamask: CELEBAMASK_ORDER, bisenet: BISENET_ORDER }, landmarkWarp: false,
  },
  lapa: {
    title: 'LaPa', backbone: 'segface_lapa', dataset: 'lapa', classes: LAPA_CLASSES, tokens: LAPA_TOKENS, orders: {}, landmarkWarp: true,
  },
  helen: {
    title: 'Helen', backbone: 'segface_helen', dataset: 'helen', classes: HELEN_CLASSES, tokens: LAPA_TOKENS, orders: {}, landmarkWarp: false,
  },
} as const satisfies Record<string, HeadSpec>;

export type HeadKind = keyof typeof HEADS;
export const HEAD_KINDS = Object.keys(HEADS) as readonly HeadKind[];

export function isHeadKind(s: string): s is HeadKind {
  return Object.hasOwn(HEADS, s);
}

export function headSpec(head: HeadKind): HeadSpec {
  return HEADS[head];
}

export function classNames(head: HeadKind): readonly string[] {
  return headSpec(head).classes;
}

export function tokenNames(head: HeadKind): readonly string[] {
  return headSpec(head).tokens;
}

/** The label orders a head has: native first. */
export function labelOrdersOf(head: HeadKind): readonly LabelOrder[] {
  return LABEL_ORDERS.filter((o) => o === 'native' || headSpec(head).orders[o] !== undefined);
}

/** Titles of the heads that have label order `order` (e.g. 'CelebAMask-HQ'). */
export function headsWithOrder(order: LabelOrder): string {
  return HEAD_KINDS.filter((h) => labelOrdersOf(h).includes(order)).map((h) => headSpec(h).title).join(', ');
}

/** Class names in the given order (only some heads have orders besides native). */
export function orderedClassNames(head: HeadKind, order: LabelOrder): readonly string[] {
  if (order === 'native') return classNames(head);
  const names = headSpec(head).orders[order];
  if (!names) throw new Error(`label order '${order}' exists only for ${headsWithOrder(order)} models, not ${head}`);
  return names;
}

/** lut[nativeId] = id in `order` (a permutation; identity for 'native'). */
export function labelLut(head: HeadKind, order: LabelOrder): Uint8Array {
  const from = classNames(head);
  const to = orderedClassNames(head, order);
  const lut = new Uint8Array(from.length);
  from.forEach((name, i) => { lut[i] = to.indexOf(name); });
  return lut;
}

/** Remaps ids from one order to another (new array). */
export function remapLabels(labels: Uint8Array, head: HeadKind, from: LabelOrder, to: LabelOrder): Uint8Array {
  const src = orderedClassNames(head, from);
  const dst = orderedClassNames(head, to);
  const lut = new Uint8Array(256);
  src.forEach((name, i) => { lut[i] = dst.indexOf(name); });
  const out = new Uint8Array(labels.length);
  for (let i = 0; i < labels.length; i++) out[i] = lut[labels[i]];
  return out;
}

/**
 * RGB per class name: CelebAMask-HQ's own g_color.py colours (so outputs look like the dataset's
 * colour masks); LaPa/Helen classes reuse the colour of the same part.
 */
export const PALETTE: Readonly<Record<string, readonly [number, number, number]>> = {
  background: [0, 0, 0], skin: [204, 0, 0], nose: [76, 153, 0], eye_g: [204, 204, 0],
  l_eye: [51, 51, 255], r_eye: [204, 0, 204], l_brow: [0, 255, 255], r_brow: [255, 204, 204],
  l_ear: [102, 51, 0], r_ear: [255, 0, 0], mouth: [102, 204, 0], u_lip: [255, 255, 0],
  l_lip: [0, 0, 153], hair: [0, 0, 204], hat: [255, 51, 153], ear_r: [0, 204, 204],
  neck_l: [0, 51, 0], neck: [255, 153, 51], cloth: [0, 204, 0],
};

/** A class's colour; grey for a name the palette lacks. */
export function colorOf(name: string): readonly [number, number, number] {
  return PALETTE[name] ?? [128, 128, 128];
}

/** The class names of one head, as a union type (from HEADS). */
export type ClassNameOf<H extends HeadKind> = (typeof HEADS)[H]['classes'][number];
/** Any SegFace class name: a typo such as `mask('hiar')` fails at compile time. */
export type ClassName = ClassNameOf<HeadKind>;

/** One row of a class table: id in some label order, name, palette colour. */
export interface ClassInfo {
  /** Id in the table's label order. */
  id: number;
  name: ClassName;
  color: readonly [number, number, number];
}

/** The class table of a head in a label order. */
export function classTable(head: HeadKind, order: LabelOrder = 'native'): ClassInfo[] {
  return orderedClassNames(head, order).map((name, id) => ({ id, name: name as ClassName, color: colorOf(name) }));
}

/** Flat RGB palette indexed by id in `names` order ([3·n]). */
export function paletteFor(names: readonly string[]): Uint8Array {
  const p = new Uint8Array(names.length * 3);
  names.forEach((n, i) => p.set(colorOf(n), i * 3));
  return p;
}
