// A command line the CLI cannot run (unknown command, missing or malformed flag, bad setting):
// printed as one line with a pointer to help, exit code 2. Errors from the mesh are not this.
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
