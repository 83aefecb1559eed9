import { ConcurrencyError } from '../../event-store/event-store.port';
import { DomainError } from '../domain/domain-error';

/**
 * How a command ended: `ok` (events appended), `noop` (nothing to append, or a repeat of
 * a command already applied), `rejected` (a DomainError: the rules refused it),
 * `conflict` (a concurrent writer still in the way after the retries), `error` (anything
 * else: a bug, the store unreachable).
 */
export type CommandOutcome = 'ok' | 'noop' | 'rejected' | 'conflict' | 'error';

/** One command the executor ran, as monitoring sees it. */
export interface ExecutedCommand {
  /** The aggregate's stream category: `app`, `addon`, `webhook`. */
  aggregate: string;
  /** The command's type, e.g. `CreateApp`. */
  type: string;
  outcome: CommandOutcome;
  /** The DomainError's stable code, for `rejected`. */
  code?: string;
  /** From the first read of the stream to the answer, retries included. */
  seconds: number;
}

/**
 * Told of every command the `CommandExecutor` runs (the metrics count them). Optional:
 * without a provider nothing is told. Called synchronously, after the outcome is known;
 * it must be cheap, and what it throws is ignored.
 */
export abstract class CommandObserver {
  abstract executed(command: ExecutedCommand): void;
}

/** The outcome of a command that threw. ConcurrencyError is a DomainError too: tested first. */
export function failureOf(error: unknown): Pick<ExecutedCommand, 'outcome' | 'code'> {
  if (error instanceof ConcurrencyError) return { outcome: 'conflict' };
  if (error instanceof DomainError) return { outcome: 'rejected', code: error.code };
  return { outcome: 'error' };
}
