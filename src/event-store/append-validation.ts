import { AppendOptions, ExpectedRevision, InvalidAppendError, NewEvent } from './event-store.port';

/** EventStoreDB refuses appends above 1 MiB by default; both adapters refuse the same. */
export const MAX_APPEND_BYTES = 1_000_000;
export const MAX_EVENTS_PER_APPEND = 1_000;

const STREAM_NAME = /^[A-Za-z][A-Za-z0-9_]*-\S+$/;
const EVENT_TYPE = /^[A-Za-z][A-Za-z0-9_.:-]*$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An event checked and serialized once, ready for a backend. */
export interface PreparedEvent {
  id: string;
  type: string;
  dataJson: string;
  metadataJson: string;
}

/**
 * Checks an append before any backend sees it, so both adapters refuse the same input
 * with the same error, and nothing is written.
 */
export function prepareAppend(stream: string, events: readonly NewEvent[], options: AppendOptions): PreparedEvent[] {
  assertStreamName(stream);
  assertExpectedRevision(options?.expectedRevision);
  if (!Array.isArray(events) || events.length === 0) {
    throw new InvalidAppendError('An append needs at least one event.', { stream });
  }
  if (events.length > MAX_EVENTS_PER_APPEND) {
    throw new InvalidAppendError(`An append holds at most ${MAX_EVENTS_PER_APPEND} events.`, {
      stream,
      count: events.length,
    });
  }
  const seen = new Set<string>();
  let bytes = 0;
  const prepared = events.map((event, index) => {
    const where = { stream, index };
    if (typeof event?.id !== 'string' || !UUID.test(event.id)) {
      throw new InvalidAppendError('Every event needs a UUID id.', where);
    }
    const id = event.id.toLowerCase();
    if (seen.has(id)) throw new InvalidAppendError('An event id appears twice in one append.', { ...where, id });
    seen.add(id);
    if (typeof event.type !== 'string' || event.type.length > 128 || !EVENT_TYPE.test(event.type)) {
      throw new InvalidAppendError('An event type is a name of letters, digits and _.:- (at most 128).', where);
    }
    if (!isPlainObject(event.data)) throw new InvalidAppendError('Event data must be a JSON object.', where);
    assertMetadata(event.metadata, where);
    const dataJson = toJson(event.data, 'data', where);
    const metadataJson = toJson(event.metadata, 'metadata', where);
    bytes += Buffer.byteLength(dataJson) + Buffer.byteLength(metadataJson);
    return { id, type: event.type, dataJson, metadataJson };
  });
  if (bytes > MAX_APPEND_BYTES) {
    throw new InvalidAppendError(`An append carries at most ${MAX_APPEND_BYTES} bytes of data and metadata.`, {
      stream,
      bytes,
    });
  }
  return prepared;
}

export function assertStreamName(stream: string): void {
  if (typeof stream !== 'string' || stream.length > 256 || !STREAM_NAME.test(stream)) {
    throw new InvalidAppendError('A stream is named <category>-<id>, e.g. addon-42, with no spaces.', {
      stream: String(stream).slice(0, 256),
    });
  }
}

function assertExpectedRevision(expected: ExpectedRevision | undefined): void {
  const ok =
    expected === 'no_stream' ||
    expected === 'stream_exists' ||
    expected === 'any' ||
    (typeof expected === 'bigint' && expected >= 0n);
  if (!ok) {
    throw new InvalidAppendError(
      'expectedRevision is no_stream, stream_exists, any, or the last revision as a bigint ≥ 0.',
    );
  }
}

function assertMetadata(metadata: NewEvent['metadata'], where: Record<string, unknown>): void {
  if (!isPlainObject(metadata)) throw new InvalidAppendError('Event metadata must be a JSON object.', where);
  const missing = (['$correlationId', '$causationId', 'actor', 'occurredAt'] as const).filter(
    (key) => typeof metadata[key] !== 'string' || metadata[key].length === 0,
  );
  if (!Number.isInteger(metadata.schemaVersion) || metadata.schemaVersion < 1) missing.push('schemaVersion' as never);
  if (missing.length > 0) {
    throw new InvalidAppendError(`Event metadata lacks ${missing.join(', ')}.`, { ...where, missing });
  }
}

function toJson(value: unknown, field: string, where: Record<string, unknown>): string {
  try {
    return JSON.stringify(value);
  } catch {
    throw new InvalidAppendError(`Event ${field} is not serializable as JSON.`, where);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
