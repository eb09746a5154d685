// How the command ends on a failure: one clear line, non-zero exit, no stack.
import { UserError } from '../errors.js';

export function reportAndExit(err: unknown): never {
  const msg = err instanceof Error ? err.message : String(err);
  process.stderr.write(`segface: ${msg}\n`);
  if (process.env.SEGFACE_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  process.exit(err instanceof UserError ? err.exitCode : 1);
}
