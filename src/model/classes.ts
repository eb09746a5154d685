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
