/**
 * `npm run audit -- replay <addon-id> [--at <position|ISO time>] [--json]`: an add-on's
 * history for support staff, replayed from the event store itself (not the audit read
 * model): one line per event (position, time, actor, action, summary), then the add-on as
 * it was at `--at` (or now). `--json` prints the steps as JSON lines instead. The state
 * shown is the public add-on view: no password, no key.
 *
 * Reads DATA_DIR and EVENTSTORE_CONNECTION_STRING like the server; does not boot Nest.
 * Exit codes: 0 done, 1 unknown add-on (or the store could not be read), 2 bad arguments.
 */
import 'reflect-metadata';
import { Command, InvalidArgumentError } from 'commander';
import type { AddonState } from '../addons/domain/addon.state';
import { historyStep, HistoryStep, parseReplayPoint, ReplayPoint, replayAddon } from '../audit/replay/addon-replay';
import type { EventStore } from '../event-store/event-store.port';
import { DomainError } from '../shared/domain/domain-error';
import { CliError, describeEventStore, EXIT, LineWriter, loadConfig, openEventStore, progressBar, runProgram } from './cli-support';

/** Beyond this many events, a progress bar shows on stderr (when stdout goes to a file or a pipe). */
const LONG_HISTORY = 1_000;

interface ReplayOptions {
  at?: { raw: string; point: ReplayPoint };
  json?: boolean;
}

function parseAt(raw: string): { raw: string; point: ReplayPoint } {
  try {
    const point = parseReplayPoint(raw);
    if (point) return { raw, point };
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
  }
  throw new InvalidArgumentError('Give a global position (digits, e.g. 1042) or an ISO-8601 time (e.g. 2025-03-05T12:00:00Z).');
}

async function replay(addonId: string, options: ReplayOptions): Promise<void> {
  const config = loadConfig();
  const store = await openEventStore(config);
  try {
    const total = await countEvents(store, addonId);
    if (total === 0) throw new CliError(`Unknown add-on ${addonId}: no event in ${describeEventStore(config)}.`, EXIT.failure);

    const out = new LineWriter();
    // Lines on a terminal are their own progress; the bar is for output going to a file or a pipe.
    const bar = total > LONG_HISTORY && !process.stdout.isTTY ? progressBar('Replaying |{bar}| {value}/{total} events') : undefined;
    bar?.start(total, 0);
    let last: { step: HistoryStep; state: AddonState } | undefined;
    let count = 0;
    try {
      for await (const { event, state } of replayAddon(store, addonId, options.at?.point, (read) => bar?.update(read))) {
        const step = historyStep(event, state);
        await out.line(options.json ? JSON.stringify(step) : stepLine(step));
        last = { step, state };
        count++;
      }
    } finally {
      bar?.stop();
    }
    if (options.json) return;

    await out.line('');
    if (!last) {
      await out.line(`No event of add-on ${addonId} at or before ${options.at?.raw}: it did not exist yet (${total} events in all).`);
      return;
    }
    const asOf = options.at ? `, as of --at ${options.at.raw}` : '';
    await out.line(`State after ${count} of ${total} events (position ${last.step.position}, ${last.step.at}${asOf}):`);
    for (const line of stateLines(last.step, last.state)) await out.line(`  ${line}`);
  } finally {
    await store.close();
  }
}

/** Events in the add-on's stream, from its last revision: one read whatever its length. */
async function countEvents(store: EventStore, addonId: string): Promise<number> {
  const [lastEvent] = await store.readStream(`addon-${addonId}`, { fromRevision: 'end', direction: 'backwards', maxCount: 1 });
  return lastEvent ? Number(lastEvent.revision) + 1 : 0;
}

function stepLine(step: HistoryStep): string {
  return [step.position.padStart(8), step.at, step.actor.padEnd(22), step.action.padEnd(24), step.summary].join('  ');
}

/** The facts support asks about, from the public view (no secret) and the backups' count. */
function stateLines(step: HistoryStep, state: AddonState): string[] {
  const view = step.state;
  if (!view || state.status === 'none') return ['(no add-on: its stream does not start with a provisioning)'];
  const field = (name: string, value: string) => `${name.padEnd(20)}${value}`;
  const byStatus = new Map<string, number>();
  for (const backup of state.backups) byStatus.set(backup.status, (byStatus.get(backup.status) ?? 0) + 1);
  const window = view.maintenance_window;
  const schedule = view.backup_schedule;
  const enabledFeatures = view.features.filter((f) => f.enabled).map((f) => f.name);
  return [
    field('id', view.id),
    field('app', view.app),
    field('status', view.status),
    field('provider', `${view.addon_provider.name} (${view.addon_provider.id})`),
    field('plan', `${view.plan.id} (${view.plan.class}, ${view.plan.memory_mb} MB)`),
    field('version', view.version + (view.next_version ? ` (next: ${view.next_version})` : '')),
    field('nodes', view.nodes.map((n) => `${n.name} (${n.role}, ${n.status})`).join(', ') || 'none'),
    field(
      'backups',
      `${state.backups.length}${byStatus.size > 0 ? ` (${[...byStatus].map(([status, n]) => `${n} ${status}`).join(', ')})` : ''}`,
    ),
    field('backup schedule', schedule.enabled ? `daily at ${schedule.scheduled_at}${schedule.active ? '' : ' (inactive on this plan)'}` : 'off'),
    field('maintenance window', `${WEEKDAYS[window.weekday_utc]} ${window.starting_hour_utc}:00 UTC, ${window.duration_in_hour} h`),
    field('features', enabledFeatures.join(', ') || 'none'),
    ...(view.plan_change ? [field('plan change', `${view.plan_change.from} -> ${view.plan_change.to}`)] : []),
    ...(view.upgrade ? [field('upgrade', `${view.upgrade.from} -> ${view.upgrade.to}`)] : []),
    ...(view.maintenance
      ? [field('maintenance', `${view.maintenance.reason}, ${view.maintenance.starts_at} to ${view.maintenance.ends_at}${view.maintenance.started ? ' (started)' : ''}`)]
      : []),
    ...(view.provisioning_error ? [field('provisioning error', view.provisioning_error)] : []),
    field('provisioned at', view.provisioned_at),
    ...(view.deprovisioned_at ? [field('removed at', view.deprovisioned_at)] : []),
  ];
}

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

const program = new Command('audit').description("Support tools over the event log (reads DATA_DIR / EVENTSTORE_CONNECTION_STRING like the server).");
program
  .command('replay')
  .description("Prints an add-on's history from the event store, then its state at the end (or at --at).")
  .argument('<addon-id>', 'the add-on id, as in the API')
  .option('--at <position|time>', 'stop at this global position (inclusive) or ISO-8601 time', parseAt)
  .option('--json', 'print each step as one JSON line (with the add-on as it was after it)')
  .addHelpText('after', '\nExit codes: 0 done, 1 unknown add-on or store error, 2 bad arguments.')
  .action((addonId: string, options: ReplayOptions) => replay(addonId, options));

void runProgram(program);
