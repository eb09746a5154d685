// Class tables. Output channel c of a head = decoder token c = label value c in its dataset.
// (Token names mirror left/right relative to the labels; only the index matters, spec §5.2.)

export type HeadKind = 'celeb' | 'lapa' | 'helen';

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

export function classNames(head: HeadKind): readonly string[] {
  return head === 'celeb' ? CELEB_CLASSES : LAPA_CLASSES;
}

export function tokenNames(head: HeadKind): readonly string[] {
  return head === 'celeb' ? CELEB_TOKENS : LAPA_TOKENS;
}

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

/** Class names in the given order (only CelebAMask-HQ heads have other orders). */
export function orderedClassNames(head: HeadKind, order: LabelOrder): readonly string[] {
  if (order === 'native') return classNames(head);
  if (head !== 'celeb') throw new Error(`label order '${order}' exists only for CelebAMask-HQ models, not ${head}`);
  return order === 'celebamask' ? CELEBAMASK_ORDER : BISENET_ORDER;
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

/** Flat RGB palette indexed by id in `names` order ([3·n]). */
export function paletteFor(names: readonly string[]): Uint8Array {
  const p = new Uint8Array(names.length * 3);
  names.forEach((n, i) => p.set(PALETTE[n] ?? [128, 128, 128], i * 3));
  return p;
}
