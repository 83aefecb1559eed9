import { Direction, EventFilter, InvalidReadError } from './event-store.port';

/** Checks `maxCount`; `undefined` means no limit. */
export function checkMaxCount(maxCount: number | undefined): number | undefined {
  if (maxCount === undefined) return undefined;
  if (!Number.isSafeInteger(maxCount) || maxCount < 0) {
    throw new InvalidReadError('maxCount is a whole number ≥ 0.', { maxCount: String(maxCount) });
  }
  return maxCount;
}

export function checkDirection(direction: Direction | undefined): Direction {
  if (direction === undefined) return 'forwards';
  if (direction !== 'forwards' && direction !== 'backwards') {
    throw new InvalidReadError('direction is forwards or backwards.', { direction: String(direction) });
  }
  return direction;
}

/** Checks a `'start' | 'end' | bigint` read bound (revision or position). */
export function checkBound(
  bound: 'start' | 'end' | bigint | undefined,
  name: string,
): 'start' | 'end' | bigint | undefined {
  if (bound === undefined || bound === 'start' || bound === 'end') return bound;
  if (typeof bound !== 'bigint' || bound < 0n) {
    throw new InvalidReadError(`${name} is start, end, or a bigint ≥ 0.`, { [name]: String(bound) });
  }
  return bound;
}

/** The filter with empty lists dropped, or `undefined` when nothing constrains. */
export function normalizeFilter(filter: EventFilter | undefined): EventFilter | undefined {
  const streamPrefixes = filter?.streamPrefixes?.filter((p) => p.length > 0) ?? [];
  const eventTypePrefixes = filter?.eventTypePrefixes?.filter((p) => p.length > 0) ?? [];
  if (streamPrefixes.length === 0 && eventTypePrefixes.length === 0) return undefined;
  return {
    ...(streamPrefixes.length > 0 && { streamPrefixes }),
    ...(eventTypePrefixes.length > 0 && { eventTypePrefixes }),
  };
}

export function matchesFilter(filter: EventFilter | undefined, stream: string, type: string): boolean {
  if (!filter) return true;
  const { streamPrefixes, eventTypePrefixes } = filter;
  if (streamPrefixes?.length && !streamPrefixes.some((p) => stream.startsWith(p))) return false;
  if (eventTypePrefixes?.length && !eventTypePrefixes.some((p) => type.startsWith(p))) return false;
  return true;
}
