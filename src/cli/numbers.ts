// Number parsers for commander options: each turns the flag's text into a number or throws a
// UserError that names the flag and the text.
import { UserError } from '../errors.js';

export type Parse = (v: string) => number;

/** An integer ≥ min. */
export const intAtLeast = (name: string, min: number): Parse => (v) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UserError(`${name} must be an integer ≥ ${min}, got '${v}'`);
  return n;
};

/** An integer ≥ 1. */
export const positiveInt = (name: string): Parse => (v) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UserError(`${name} must be a positive integer, got '${v}'`);
  return n;
};

/** A finite number > 0. */
export const positiveNumber = (name: string): Parse => (v) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new UserError(`${name} must be a positive number, got '${v}'`);
  return n;
};

/** A number in [0, 1). */
export const fraction = (name: string): Parse => (v) => {
  const n = Number(v);
  if (!(n >= 0 && n < 1)) throw new UserError(`${name} must be a fraction in [0, 1), got '${v}'`);
  return n;
};

/** An integer in [min, max]. */
export const intInRange = (name: string, min: number, max: number): Parse => (v) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new UserError(`${name} must be ${min}…${max}, got '${v}'`);
  return n;
};

/** A finite number, optionally an integer and/or ≥ min (the training flags' wording). */
export const numberOption = (name: string, opts: { int?: boolean; min?: number } = {}): Parse => (v) => {
  const x = Number(v);
  if (!Number.isFinite(x) || (opts.int && !Number.isInteger(x)) || (opts.min !== undefined && x < opts.min)) {
    throw new UserError(`--${name} expects ${opts.int ? 'an integer' : 'a number'}${opts.min !== undefined ? ` ≥ ${opts.min}` : ''}, got '${v}'`);
  }
  return x;
};
