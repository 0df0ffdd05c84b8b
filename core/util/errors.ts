/**
 * An error caused by what the user gave us (a flag, a file, a config, a message).
 * Its message names what was wrong and what was expected; the CLI prints it without a stack.
 */
export class UserError extends Error {
  override readonly name = 'UserError';
  constructor(
    message: string,
    readonly detail?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError || (e instanceof Error && e.name === 'UserError');
}
