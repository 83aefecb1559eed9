/** Who asked, and on behalf of which request: copied into every event's metadata. */
export interface CommandContext {
  /** `<role>:<subject>` of the caller, or the platform component (`platform:scheduler`). */
  actor: string;
  /** The request this command belongs to (X-Request-Id, or generated). */
  correlationId: string;
  /** The id of this command, or of the event that caused it. */
  causationId: string;
}
