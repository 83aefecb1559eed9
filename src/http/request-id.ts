import { randomUUID } from 'node:crypto';
import { actorOf } from '../security/principal';
import { principalOf } from '../security/request-principal';
import { DomainError } from '../shared/domain/domain-error';
import { runWithLogContext } from '../shared/logging/log-context';
import type { ApiRequest, ApiResponse, NextFunction } from './http-types';

export const REQUEST_ID_HEADER = 'X-Request-Id';
const ACCEPTED = /^[A-Za-z0-9._:-]{1,128}$/;
const REQUEST_ID = Symbol('requestId');

type WithRequestId = ApiRequest & { [REQUEST_ID]?: string };

/**
 * The id of this request: the caller's `X-Request-Id` when it is acceptable, otherwise a
 * new UUID. Decided once per request (the first call wins), so the logs, the response
 * header and the events' `$correlationId` always agree.
 */
export function requestIdOf(req: ApiRequest): string {
  const request = req as WithRequestId;
  if (request[REQUEST_ID] === undefined) {
    const given = req.headers['x-request-id'];
    request[REQUEST_ID] = typeof given === 'string' && ACCEPTED.test(given) ? given : randomUUID();
  }
  return request[REQUEST_ID];
}

/**
 * First middleware of the app: fixes the request id and echoes it on the response before
 * anything can fail, so every answer (errors from the body parser included) carries it.
 * A malformed `X-Request-Id` is refused rather than silently replaced: the caller would
 * otherwise look for their id in our logs and not find it. The refusal still carries a
 * fresh id, never the value sent.
 * The rest of the request runs in its log context: every line logged while handling it,
 * down to a command handler's, carries the request id as `correlation_id`, and the caller
 * as `actor` once the auth guard has identified them.
 */
export function requestIdMiddleware(req: ApiRequest, res: ApiResponse, next: NextFunction): void {
  const given = req.headers['x-request-id'];
  const correlationId = requestIdOf(req);
  res.setHeader(REQUEST_ID_HEADER, correlationId);
  const context = {
    correlationId,
    get actor() {
      const principal = principalOf(req);
      return principal && actorOf(principal);
    },
  };
  runWithLogContext(context, () => {
    if (given !== undefined && (typeof given !== 'string' || !ACCEPTED.test(given))) {
      next(
        new DomainError('REQUEST.INVALID_HEADER', 'X-Request-Id must be 1 to 128 characters of A-Z a-z 0-9 . _ : -', {
          header: REQUEST_ID_HEADER,
        }),
      );
      return;
    }
    next();
  });
}
