import { randomUUID } from 'node:crypto';
import { DomainError } from '../shared/domain/domain-error';
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
 */
export function requestIdMiddleware(req: ApiRequest, res: ApiResponse, next: NextFunction): void {
  const given = req.headers['x-request-id'];
  res.setHeader(REQUEST_ID_HEADER, requestIdOf(req));
  if (given !== undefined && (typeof given !== 'string' || !ACCEPTED.test(given))) {
    next(
      new DomainError('REQUEST.INVALID_HEADER', 'X-Request-Id must be 1 to 128 characters of A-Z a-z 0-9 . _ : -', {
        header: REQUEST_ID_HEADER,
      }),
    );
    return;
  }
  next();
}
