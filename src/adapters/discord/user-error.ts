/**
 * Something the user did and can fix, or an expected refusal ("already decided", "not a
 * moderator"). The interaction router shows its message to that user only (ephemeral); it is not
 * logged as an error.
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly context: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'UserError';
  }
}
