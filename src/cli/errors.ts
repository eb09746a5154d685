// User-facing failures: one clear line (naming the file and the problem), non-zero exit, no stack.

/** An error whose message is meant for the user as is. */
export class UserError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'UserError';
  }
}

export function reportAndExit(err: unknown): never {
  const msg = err instanceof Error ? err.message : String(err);
  process.stderr.write(`segface: ${msg}\n`);
  if (process.env.SEGFACE_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  process.exit(err instanceof UserError ? err.exitCode : 1);
}
