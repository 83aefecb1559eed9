import { createHash } from 'node:crypto';

/**
 * A UUID derived from its parts (version 8: custom, as EventStoreDB requires ids to be
 * UUIDs): the same parts always give the same id, different parts practically never do.
 */
export function derivedUuid(...parts: string[]): string {
  const hex = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The id of the `index`-th event a command of `commandType` appends to a stream, derived
 * from the id of what caused it: a command delivered twice appends the same ids, which the
 * command executor and the event store recognise as a repeat.
 */
export function derivedEventId(causationId: string, stream: string, commandType: string, index: number): string {
  return derivedUuid(causationId, stream, commandType, String(index));
}
