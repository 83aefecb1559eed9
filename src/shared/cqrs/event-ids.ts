import { createHash } from 'node:crypto';

/**
 * The id of the `index`-th event a command of `commandType` appends to a stream, derived
 * from the id of what caused it: a command delivered twice appends the same ids, which the
 * event store recognises as a repeat (see the idempotency rule of the EventStore port).
 */
export function derivedEventId(causationId: string, stream: string, commandType: string, index: number): string {
  const hex = createHash('sha256')
    .update([causationId, stream, commandType, String(index)].join('\u0000'))
    .digest('hex');
  // Shaped as a UUID (version 8: custom), as EventStoreDB requires.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
