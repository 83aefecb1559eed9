import { CommandBus, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { ADDON } from '../../addons/addon.aggregate';
import { CompleteProvisioningCommand } from '../../addons/commands/complete-provisioning/complete-provisioning.command';
import { UndatedAddonCommand } from '../../addons/commands/execute-addon-command/execute-addon-command.command';
import { AddonCommand } from '../../addons/domain/addon.commands';
import { Addon } from '../../addons/domain/addon.state';
import { APP } from '../../apps/app.aggregate';
import { nextRunAfter } from '../../backups/domain/backup-schedule';
import { CLASS_POLICIES, findPlan, majorOf, planChangeDowntime } from '../../catalogue/domain/catalogue';
import { AppConfig } from '../../config/app-config';
import { Clock } from '../../shared/clock';
import { CommandContext } from '../../shared/cqrs/command-context';
import { CommandExecutor } from '../../shared/cqrs/command-executor';
import { derivedUuid } from '../../shared/cqrs/event-ids';
import { DomainError } from '../../shared/domain/domain-error';
import { DriverError, InstanceSpec, PlatformDriver } from '../driver/platform-driver.port';
import { ClaimedJob, RuntimeStore } from '../runtime/runtime-store';
import { PlatformJob, timerKey } from './platform-job';
import { RunPlatformJobCommand } from './run-platform-job.command';
import { localDate } from '../../shared/domain/time-zones';

/** Codes that mean "not now": a periodic backup or a maintenance start tries again a bit later. */
const BUSY = new Set(['BACKUP.ALREADY_IN_PROGRESS', 'ADDON.NOT_RUNNING', 'ADDON.OPERATION_IN_PROGRESS']);
const RETRY_BUSY_MS = 10 * 60_000;
/** Daily retention runs a few minutes after midnight UTC. */
const RETENTION_MINUTE = 5;

type JobOf<K extends PlatformJob['kind']> = Extract<PlatformJob, { kind: K }>;

/**
 * What each job does. Data-plane work goes through the PlatformDriver, and its outcome is
 * recorded with the add-on's commands; a final driver failure (or the last attempt of a
 * retryable one) is recorded as the flow's failure, with the driver's reason. Every step
 * is idempotent: a job cut short by a crash is run again from the top.
 */
@CommandHandler(RunPlatformJobCommand)
export class RunPlatformJobHandler implements ICommandHandler<RunPlatformJobCommand, void> {
  constructor(
    private readonly executor: CommandExecutor,
    private readonly commands: CommandBus,
    private readonly driver: PlatformDriver,
    private readonly runtime: RuntimeStore,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  async execute({ job: claimed }: RunPlatformJobCommand): Promise<void> {
    const { job, context } = claimed;
    switch (job.kind) {
      case 'addon-command':
        return void (await this.decide(job.addonId, job.command, context));
      case 'restart-app': {
        const addon = await this.addon(job.addonId);
        if (!addon) return;
        const data = { reason: job.reason, addonId: job.addonId, at: this.now() };
        await this.executor.execute(APP, addon.appName, { type: 'RequestAppRestart', data }, context);
        return;
      }
      case 'provision':
        return this.provision(claimed, job);
      case 'change-plan':
        return this.changePlan(claimed, job);
      case 'take-backup':
        return this.takeBackup(claimed, job);
      case 'delete-backup':
        return this.driver.deleteBackup(job.addonId, job.backupId);
      case 'automatic-failover':
        return this.automaticFailover(job, context);
      case 'promote-standby':
        return this.promote(job, context);
      case 'upgrade':
        return this.upgrade(claimed, job);
      case 'restore':
        return this.restore(claimed, job);
      case 'start-maintenance':
        return this.startMaintenance(claimed, job);
      case 'maintain':
        return this.maintain(claimed, job);
      case 'deprovision':
        await this.driver.deprovision(job.addonId);
        return this.reschedule(job.addonId, context);
      case 'settle-attachment':
        return this.settleAttachment(claimed, job);
      case 'settle-detachment': {
        // The app let it go; if the add-on's own removal never followed, the request died in between: finish it.
        const addon = await this.addon(job.addonId);
        if (addon && addon.status !== 'deprovisioned' && addon.appName === job.app) {
          await this.decide(job.addonId, { type: 'DeprovisionAddon', data: {} }, context);
        }
        return;
      }
      case 'reschedule':
        return this.reschedule(job.addonId, context);
      case 'periodic-backup':
        return this.periodicBackup(claimed, job);
      case 'daily-retention':
        await this.decide(job.addonId, { type: 'ApplyRetention', data: {} }, this.occurrence(claimed, job.runAt));
        // Tomorrow's run, unless the add-on has nothing left to age (then reschedule cancels it).
        await this.setTimer('daily-retention', job.addonId, nextRetentionRun(this.clock.now()), context);
        return this.reschedule(job.addonId, context);
    }
  }

  // ----- flows -----

  private async provision(claimed: ClaimedJob, { addonId }: JobOf<'provision'>): Promise<void> {
    const addon = await this.addon(addonId);
    // Removed while the data plane was creating it (a retry after a crash lands here).
    if (addon?.status === 'deprovisioned') return this.driver.deprovision(addonId);
    if (addon?.status !== 'provisioning') return;
    const done = await this.onDriver(claimed, () => this.driver.provision(spec(addon)), (reason) =>
      this.decide(addonId, { type: 'FailProvisioning', data: { reason } }, claimed.context),
    );
    if (!done) return;
    try {
      await this.commands.execute(new CompleteProvisioningCommand(addonId, claimed.context));
    } catch (error) {
      // Removed while the data plane was creating it: destroy what it just created.
      if (!(error instanceof DomainError) || (await this.addon(addonId))?.status !== 'deprovisioned') throw error;
      await this.driver.deprovision(addonId);
    }
  }

  private async changePlan(claimed: ClaimedJob, { addonId }: JobOf<'change-plan'>): Promise<void> {
    const addon = await this.addon(addonId);
    if (addon?.status !== 'changing-plan' || !addon.planChange) return;
    const { fromPlanId, toPlanId } = addon.planChange;
    const downtime = planChangeDowntime(findPlan(fromPlanId)!, findPlan(toPlanId)!);
    const done = await this.onDriver(
      claimed,
      () => this.driver.changePlan(spec(addon), { fromPlanId, toPlanId, downtime }),
      (reason) => this.decide(addonId, { type: 'FailPlanChange', data: { reason } }, claimed.context),
    );
    if (done) {
      await this.decide(addonId, { type: 'RecordRestart', data: { downtimeSeconds: done.value.downtimeSeconds } }, claimed.context);
    }
  }

  private async takeBackup(claimed: ClaimedJob, { addonId, backupId }: JobOf<'take-backup'>): Promise<void> {
    const addon = await this.addon(addonId);
    const backup = addon?.backups.find((b) => b.id === backupId);
    if (!addon || !backup || (backup.status !== 'scheduled' && backup.status !== 'running')) return;
    if (backup.status === 'scheduled') await this.decide(addonId, { type: 'StartBackup', data: { backupId } }, claimed.context);
    const done = await this.onDriver(
      claimed,
      () => this.driver.takeBackup(spec(addon), { backupId, name: backup.name, createdAt: backup.createdAt }),
      (reason) => this.decide(addonId, { type: 'FailBackup', data: { backupId, reason } }, claimed.context),
    );
    if (done) {
      const { sizeBytes, checksum, replicas } = done.value;
      await this.decide(addonId, { type: 'CompleteBackup', data: { backupId, sizeBytes, checksum, replicas } }, claimed.context);
    }
  }

  /** Business only: the others stay down until their node recovers. */
  private async automaticFailover({ addonId }: JobOf<'automatic-failover'>, context: CommandContext): Promise<void> {
    const addon = await this.addon(addonId);
    if (!addon || CLASS_POLICIES[findPlan(addon.planId)!.class].nodeFailure !== 'automatic-failover') return;
    const leader = addon.nodes.find((n) => n.role === 'leader');
    if (!leader || !addon.failedNodes.includes(leader.name)) return;
    await this.decide(addonId, { type: 'TriggerFailover', data: { reason: 'automatic' } }, context);
  }

  private async promote({ addonId }: JobOf<'promote-standby'>, context: CommandContext): Promise<void> {
    const addon = await this.addon(addonId);
    if (addon?.status !== 'failing-over' || !addon.failover) return;
    const { fromNode, toNode } = addon.failover;
    // No final failure here: an add-on must not stay without a leader; retried until done.
    const { standby } = await this.driver.promoteStandby(spec(addon), { fromNode, toNode });
    await this.decide(addonId, { type: 'CompleteFailover', data: { standby } }, context);
  }

  private async upgrade(claimed: ClaimedJob, { addonId }: JobOf<'upgrade'>): Promise<void> {
    const addon = await this.addon(addonId);
    if (addon?.status !== 'upgrading' || !addon.upgrade) return;
    const { fromVersion, toVersion } = addon.upgrade;
    const policy = CLASS_POLICIES[findPlan(addon.planId)!.class];
    const downtime = majorOf(fromVersion) === majorOf(toVersion) ? policy.minorUpgrade : policy.majorUpgrade;
    const done = await this.onDriver(
      claimed,
      () => this.driver.upgrade(spec(addon), { fromVersion, toVersion, downtime }),
      (reason) => this.decide(addonId, { type: 'FailUpgrade', data: { reason } }, claimed.context),
    );
    if (done) await this.decide(addonId, { type: 'CompleteUpgrade', data: {} }, claimed.context);
  }

  private async restore(claimed: ClaimedJob, { addonId, restoreId }: JobOf<'restore'>): Promise<void> {
    const addon = await this.addon(addonId);
    if (addon?.status !== 'restoring' || addon.restore?.restoreId !== restoreId) return;
    const source = addon.restore.source;
    const done = await this.onDriver(
      claimed,
      () => this.driver.restore(spec(addon), source),
      (reason) => this.decide(addonId, { type: 'FailRestore', data: { restoreId, reason } }, claimed.context),
    );
    if (done) await this.decide(addonId, { type: 'CompleteRestore', data: { restoreId } }, claimed.context);
  }

  /** At the window's start; a busy add-on is tried again inside the window, else the maintenance is called off. */
  private async startMaintenance(claimed: ClaimedJob, job: JobOf<'start-maintenance'>): Promise<void> {
    const { addonId, maintenanceId } = job;
    const addon = await this.addon(addonId);
    const maintenance = addon?.maintenance;
    if (!maintenance || maintenance.maintenanceId !== maintenanceId || maintenance.started) return;
    try {
      await this.decide(addonId, { type: 'StartMaintenance', data: { maintenanceId } }, claimed.context);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      const now = this.clock.now().getTime();
      const windowOver = error.code === 'MAINTENANCE.OUTSIDE_WINDOW' && now >= Date.parse(maintenance.endsAt);
      const busy = BUSY.has(error.code);
      if (!windowOver && !busy) throw error;
      if (busy && now + RETRY_BUSY_MS < Date.parse(maintenance.endsAt)) {
        await this.runtime.schedule({ key: claimed.key, job, context: claimed.context, dueAt: new Date(now + RETRY_BUSY_MS) });
        return;
      }
      const reason = busy ? 'the add-on was busy for the whole window' : 'its window passed before it could start';
      await this.decide(addonId, { type: 'CancelMaintenance', data: { maintenanceId, reason } }, claimed.context);
    }
  }

  /** The work, inside the window: a final failure, or a window over before it is done, ends it as failed. */
  private async maintain(claimed: ClaimedJob, { addonId, maintenanceId }: JobOf<'maintain'>): Promise<void> {
    const addon = await this.addon(addonId);
    const maintenance = addon?.maintenance;
    if (addon?.status !== 'maintenance' || maintenance?.maintenanceId !== maintenanceId) return;
    const fail = (reason: string) => this.decide(addonId, { type: 'FailMaintenance', data: { maintenanceId, reason } }, claimed.context);
    if (this.clock.now().getTime() >= Date.parse(maintenance.endsAt)) {
      await fail('its window ended before the work was done');
      return;
    }
    const done = await this.onDriver(claimed, () => this.driver.maintain(spec(addon), maintenanceId), fail);
    if (done) await this.decide(addonId, { type: 'CompleteMaintenance', data: { maintenanceId } }, claimed.context);
  }

  // ----- timers -----

  /**
   * One periodic backup per day of the schedule: its id is derived from the add-on and
   * the day, so a repeat (a retry, another process) finds it already requested.
   */
  private async periodicBackup(claimed: ClaimedJob, job: JobOf<'periodic-backup'>): Promise<void> {
    const { addonId, runAt } = job;
    const addon = await this.addon(addonId);
    if (!addon || !hasPeriodicBackups(addon)) return this.reschedule(addonId, claimed.context);
    const { hour, timezone } = addon.backupSchedule;
    const backupId = derivedUuid('periodic-backup', addonId, localDate(runAt, timezone));
    const now = this.clock.now().getTime();
    const next = nextRunAfter({ hour, timezone }, runAt);
    try {
      await this.decide(addonId, { type: 'RequestBackup', data: { backupId, method: 'periodic' } }, this.occurrence(claimed, runAt));
    } catch (error) {
      if (!(error instanceof DomainError) || !BUSY.has(error.code)) throw error;
      // Late is fine: try again soon, unless the next day's run comes first.
      if (now + RETRY_BUSY_MS < Date.parse(next)) {
        await this.runtime.schedule({ key: claimed.key, job, context: claimed.context, dueAt: new Date(now + RETRY_BUSY_MS) });
        return;
      }
    }
    const upcoming = Date.parse(next) > now ? next : nextRunAfter({ hour, timezone }, new Date(now).toISOString());
    await this.setTimer('periodic-backup', addonId, upcoming, claimed.context);
  }

  /** Keeps the add-on's timers in line with its state: schedules, moves or cancels them. */
  private async reschedule(addonId: string, context: CommandContext): Promise<void> {
    const addon = await this.addon(addonId);
    const periodicKey = timerKey('periodic-backup', addonId);
    if (addon && hasPeriodicBackups(addon)) {
      const existing = await this.runtime.find(periodicKey);
      const schedule = { hour: addon.backupSchedule.hour, timezone: addon.backupSchedule.timezone };
      const pending = existing?.job.kind === 'periodic-backup' ? existing.job.runAt : undefined;
      // A pending run that is still one of this schedule's runs stays, even if overdue.
      const stillValid = pending && nextRunAfter(schedule, new Date(Date.parse(pending) - 1).toISOString()) === pending;
      if (!stillValid) await this.setTimer('periodic-backup', addonId, nextRunAfter(schedule, this.now()), context);
    } else {
      await this.runtime.cancel(periodicKey);
    }

    const retentionKey = timerKey('daily-retention', addonId);
    const keeps = addon?.backups.some((b) => b.status === 'done' || b.status === 'error');
    if (addon && (keeps || hasPeriodicBackups(addon))) {
      if (!(await this.runtime.find(retentionKey))) {
        await this.setTimer('daily-retention', addonId, nextRetentionRun(this.clock.now()), context);
      }
    } else {
      await this.runtime.cancel(retentionKey);
    }
  }

  private async setTimer(
    kind: 'periodic-backup' | 'daily-retention',
    addonId: string,
    runAt: string,
    context: CommandContext,
  ): Promise<void> {
    await this.runtime.schedule({
      key: timerKey(kind, addonId),
      job: { kind, addonId, runAt },
      context: { ...context, causationId: derivedUuid(kind, addonId, runAt) },
      dueAt: new Date(runAt),
    });
  }

  // ----- helpers -----

  /**
   * Runs a driver call. A final failure, or the last attempt of a retryable one, is
   * recorded with `onFinal` and answers null; an earlier retryable one is thrown, for the
   * worker to try again with backoff.
   */
  private async onDriver<T>(
    claimed: ClaimedJob,
    call: () => Promise<T>,
    onFinal: (reason: string) => Promise<unknown>,
  ): Promise<{ value: T } | null> {
    try {
      return { value: await call() };
    } catch (error) {
      if (!(error instanceof DriverError)) throw error;
      // The worker parks a job after RUNTIME_MAX_ATTEMPTS: the flow's failure is recorded by then at the latest.
      const attempts = Math.min(this.config.runtime.driverAttempts, this.config.runtime.maxAttempts);
      if (error.retryable && claimed.attempts + 1 < attempts) throw error;
      await onFinal(error.reason);
      return null;
    }
  }

  /** The context of one occurrence of a timer: the same across its retries, new each time it recurs. */
  private occurrence(claimed: ClaimedJob, runAt: string): CommandContext {
    return { ...claimed.context, causationId: derivedUuid(claimed.key, runAt) };
  }

  /**
   * Claims the add-on's stream if it never began (a no-op once it did), then, if it was
   * claimed, lets the app go: its request died between the attachment and the add-on.
   * The claim comes first, so a request that was only slow cannot begin the stream after
   * the app let it go (it is refused, and the client tries again).
   */
  private async settleAttachment(claimed: ClaimedJob, { app, addonId }: JobOf<'settle-attachment'>): Promise<void> {
    const { state } = await this.decide(addonId, { type: 'AbandonProvisioning', data: { reason: 'its request stopped before the add-on began' } }, claimed.context);
    if (state.status !== 'none') return;
    await this.executor.execute(APP, app, { type: 'DetachAddon', data: { addonId, at: this.now() } }, claimed.context);
  }

  private async decide(addonId: string, command: UndatedAddonCommand, context: CommandContext) {
    const dated = { ...command, data: { ...command.data, at: this.now() } } as AddonCommand;
    return this.executor.execute(ADDON, addonId, dated, context);
  }

  private async addon(addonId: string): Promise<Addon | null> {
    const { state } = await this.executor.load(ADDON, addonId);
    return state.status === 'none' ? null : state;
  }

  private now(): string {
    return this.clock.now().toISOString();
  }
}

function spec(addon: Addon): InstanceSpec {
  const { id, resourceId, providerId, planId, version, nodes } = addon;
  return { addonId: id, resourceId, providerId, planId, version, nodes };
}

function hasPeriodicBackups(addon: Addon): boolean {
  const live = !['deprovisioned', 'provisioning', 'provisioning-failed'].includes(addon.status);
  return live && addon.backupSchedule.enabled && CLASS_POLICIES[findPlan(addon.planId)!.class].scheduledBackups;
}


function nextRetentionRun(now: Date): string {
  const next = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), 0, RETENTION_MINUTE));
  if (next.getTime() <= now.getTime()) next.setUTCDate(next.getUTCDate() + 1);
  return next.toISOString();
}
