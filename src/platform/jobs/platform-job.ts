import type { UndatedAddonCommand } from '../../addons/commands/execute-addon-command/execute-addon-command.command';
import type { AppRestartRequested } from '../../apps/domain/app.events';

/**
 * A unit of platform work, persisted until done: what a saga asks for in reaction to an
 * event, or what a timer does when it is due. Plain JSON, so it survives a restart.
 */
export type PlatformJob =
  /** A decision on an add-on (trigger a failover, apply retention…). */
  | { kind: 'addon-command'; addonId: string; command: UndatedAddonCommand }
  /** The app restarts after a change of its add-on. */
  | { kind: 'restart-app'; addonId: string; reason: AppRestartRequested['data']['reason'] }
  /** Data-plane work, then the command that records its outcome. */
  | { kind: 'provision'; addonId: string }
  | { kind: 'change-plan'; addonId: string }
  | { kind: 'take-backup'; addonId: string; backupId: string }
  | { kind: 'delete-backup'; addonId: string; backupId: string }
  | { kind: 'automatic-failover'; addonId: string }
  | { kind: 'promote-standby'; addonId: string }
  | { kind: 'upgrade'; addonId: string }
  | { kind: 'restore'; addonId: string; restoreId: string }
  | { kind: 'start-maintenance'; addonId: string; maintenanceId: string }
  | { kind: 'maintain'; addonId: string; maintenanceId: string }
  | { kind: 'deprovision'; addonId: string }
  /** An app's attachment whose add-on stream should have begun: if it has not, it never will (abandoned) and the app lets it go. */
  | { kind: 'settle-attachment'; app: string; addonId: string }
  /** An app let an add-on go: if the add-on's removal did not follow, it is recorded now. */
  | { kind: 'settle-detachment'; app: string; addonId: string }
  /** Keeps the add-on's timers (periodic backup, daily retention) in line with its state. */
  | { kind: 'reschedule'; addonId: string }
  /** Timers; `runAt` is the occurrence they stand for (the same across retries). */
  | { kind: 'periodic-backup'; addonId: string; runAt: string }
  | { kind: 'daily-retention'; addonId: string; runAt: string };

export type PlatformJobKind = PlatformJob['kind'];

/** Stable keys of an add-on's timers: rescheduling one replaces it. */
export const timerKey = (kind: 'periodic-backup' | 'daily-retention', addonId: string) => `${kind}:${addonId}`;

/**
 * Jobs never parked as dead: an add-on must not stay without a leader, so a promotion is
 * tried again (at most a minute apart) until the data plane answers.
 */
export const RETRIED_UNTIL_DONE: ReadonlySet<PlatformJobKind> = new Set(['promote-standby']);
export const RETRIED_UNTIL_DONE_MAX_BACKOFF_MS = 60_000;
