import { addonView } from '../../addons/api/addon.view';
import { evolveAddon, initialAddonState, AddonState } from '../../addons/domain/addon.state';
import type { AddonEvent } from '../../addons/domain/addon.events';
import type { EventStore, StoredEvent } from '../../event-store/event-store.port';
import { DomainError } from '../../shared/domain/domain-error';
import { summarize } from '../../../projections/audit/audit.projection';

const PAGE = 500;

/** One step of an add-on's history: the event, who did it, and the add-on as it was right after. */
export interface HistoryStep {
  position: string;
  revision: string;
  at: string;
  actor: string;
  action: string;
  summary: string;
  correlation_id: string;
  state: ReturnType<typeof addonView> | null;
}

/** Where to stop a replay: a global position (inclusive) or an instant (events recorded at or before it). */
export type ReplayPoint = { position: bigint } | { time: Date };

/**
 * Replays an add-on's stream from the event store itself (not a read model), a page at a
 * time, folding each event with the same `evolve` the command side uses. `onProgress`
 * hears how many events were read, for long histories.
 */
export async function* replayAddon(
  store: EventStore,
  addonId: string,
  until?: ReplayPoint,
  onProgress?: (read: number) => void,
): AsyncGenerator<{ event: StoredEvent; state: AddonState }> {
  const stream = `addon-${addonId}`;
  let state = initialAddonState();
  let from: bigint | 'start' = 'start';
  let read = 0;
  for (;;) {
    const page = await store.readStream(stream, { fromRevision: from, maxCount: PAGE });
    for (const event of page) {
      if (until && !before(event, until)) return;
      state = evolveAddon(state, { type: event.type, data: event.data } as unknown as AddonEvent);
      read++;
      yield { event, state };
    }
    onProgress?.(read);
    if (page.length < PAGE) return;
    from = page[page.length - 1].revision + 1n;
  }
}

export function historyStep(event: StoredEvent, state: AddonState): HistoryStep {
  const at = typeof event.data.at === 'string' ? event.data.at : String(event.metadata.occurredAt);
  return {
    position: event.position.toString(),
    revision: event.revision.toString(),
    at,
    actor: String(event.metadata.actor),
    action: event.type,
    summary: summarize(event.stream, event.type, event.data),
    correlation_id: String(event.metadata.$correlationId),
    state: state.status === 'none' ? null : addonView(state, new Date(at)),
  };
}

/** `at` as given in a query: digits are a position, anything else an ISO-8601 time. */
export function parseReplayPoint(raw: string | undefined): ReplayPoint | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (/^\d{1,30}$/.test(raw)) return { position: BigInt(raw) };
  const time = new Date(raw);
  if (!/^\d{4}-\d{2}-\d{2}/.test(raw) || Number.isNaN(time.getTime())) {
    throw new DomainError('REPLAY.INVALID_POINT', 'at must be a position (digits) or an ISO-8601 time.');
  }
  return { time };
}

function before(event: StoredEvent, until: ReplayPoint): boolean {
  if ('position' in until) return event.position <= until.position;
  const at = typeof event.data.at === 'string' ? Date.parse(event.data.at) : event.recordedAt.getTime();
  return at <= until.time.getTime();
}
