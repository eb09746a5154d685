// The one input-size rule: the backbones downsample by 32, so R must be a positive multiple of it.
import { UserError } from '../errors.js';

export function checkResolution(r: number): void {
  if (!Number.isInteger(r) || r <= 0 || r % 32 !== 0) throw new UserError(`resolution ${r} is not a positive multiple of 32`);
}
