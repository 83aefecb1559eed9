import type { ApiResponse } from './http-types';

/** Header carrying the global position of a write's last event (read-your-writes). */
export const EVENT_POSITION_HEADER = 'X-Event-Position';

/** Marks a write's answer with the position of its last event, when it appended any. */
export function markPosition(res: ApiResponse, position: bigint | null): void {
  if (position !== null) res.setHeader(EVENT_POSITION_HEADER, position.toString());
}
