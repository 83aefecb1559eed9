/**
 * A refusal a person can act on. `code` is stable (clients match on it, the HTTP and
 * GraphQL layers map it to a status); `message` says what to do; `details` carries
 * structured context and never secrets.
 */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}
