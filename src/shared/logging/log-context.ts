import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/** What every log line written during a unit of work says about it. */
export interface LogContext {
  /**
   * The correlation id of the work: a request's `X-Request-Id`, the `$correlationId` of the
   * event a saga or a webhook delivery handles, a job's, or a process id such as
   * `projection:backups` for work that mixes many requests.
   */
  readonly correlationId: string;
  /** Who the work is done for, when known (`owner:alice`, `platform:backups`); may be a getter. */
  readonly actor?: string;
}

/** The fields the logger adds to each line. */
export interface LogContextFields {
  correlation_id: string;
  actor?: string;
}

/**
 * The correlation id of lines outside any unit of work (boot, shutdown, configuration
 * warnings, a runner's own failures): one per process, so that no line lacks one.
 */
export const PROCESS_CORRELATION_ID = `process:${randomUUID()}`;

const storage = new AsyncLocalStorage<LogContext>();

/** Runs `work` (and everything it starts, sync or async) with `context` on its log lines. */
export function runWithLogContext<T>(context: LogContext, work: () => T): T {
  return storage.run(context, work);
}

/**
 * Runs `work` outside any unit of work: for a loop or timer started from within one (a
 * poll woken by an event's handler) that must not carry that event's id on all its lines.
 */
export function runWithoutLogContext<T>(work: () => T): T {
  return storage.exit(work);
}

/** The correlation id (and actor) of the current unit of work; the process's outside any. */
export function logContextFields(): LogContextFields {
  const context = storage.getStore();
  if (!context) return { correlation_id: PROCESS_CORRELATION_ID };
  const actor = context.actor;
  return actor === undefined ? { correlation_id: context.correlationId } : { correlation_id: context.correlationId, actor };
}
