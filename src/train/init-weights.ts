// `--init`: start training from a released (or any SegFace) checkpoint. Everything whose key and
// shape fit is kept; when the number of classes differs (e.g. a CelebAMask-HQ model fine-tuned on
// an 11-class set) the class tokens and the hypernetwork MLP start fresh, since they encode the
// old label set.
import type { StateDict } from '../io/host-tensor.js';

const isTokenKey = (k: string) => /^face_decoder\.[A-Za-z_]+_token\.weight$/.test(k);
const isHyperKey = (k: string) => k.startsWith('face_decoder.output_hypernetwork_mlps.');

export interface InitMerge {
  stateDict: StateDict;
  kept: number;
  reinitialised: string[];
}

/** fresh: the new model's randomly initialised state dict; source: the checkpoint's. */
export function mergeInitWeights(fresh: StateDict, source: StateDict): InitMerge {
  const countTokens = (sd: StateDict) => [...sd.keys()].filter(isTokenKey).length;
  const classesDiffer = countTokens(fresh) !== countTokens(source);
  const out: StateDict = new Map();
  const reinitialised: string[] = [];
  let kept = 0;
  for (const [k, t] of fresh) {
    const s = source.get(k);
    const fits = s !== undefined && s.shape.length === t.shape.length && s.shape.every((d, i) => d === t.shape[i]);
    if (fits && !(classesDiffer && (isTokenKey(k) || isHyperKey(k)))) {
      out.set(k, s);
      kept++;
    } else {
      out.set(k, t);
      reinitialised.push(k);
    }
  }
  return { stateDict: out, kept, reinitialised };
}
