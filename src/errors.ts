// User-facing failures. At the bottom of the import graph so that io/, image/, engine/ and model/
// can raise them without importing the CLI.

/** An error whose message is meant for the user as is: it names the file and the problem. */
export class UserError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'UserError';
  }
}
