import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { catchError, defer, finalize, mergeMap, Observable, of } from 'rxjs';
import type { Principal } from '../security/principal';
import { adoptCausationId } from '../security/request.decorators';
import { principalOf } from '../security/request-principal';
import { derivedUuid } from '../shared/cqrs/event-ids';
import { DomainError } from '../shared/domain/domain-error';
import { canonicalJson } from './canonical-json';
import { describeError } from './error-response';
import type { ApiRequest, ApiResponse } from './http-types';
import { ClaimTicket, IdempotencyStore, StoredAnswer } from './idempotency.store';

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
export const REPLAYED_HEADER = 'Idempotent-Replayed';
const KEY = /^[\x20-\x7E]{1,128}$/;
const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Headers that belong to the answer and are replayed with it. */
const KEPT_HEADERS = ['location', 'content-location', 'x-event-position'] as const;

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * `Idempotency-Key` on writes (API.md). A key belongs to one caller (role and subject) on
 * one route; the request it was first used with is fingerprinted (method, path and query,
 * canonical body). A repeat of that request gets the first final answer back with
 * `Idempotent-Replayed: true`, and the handler does not run again; another request with
 * the key is `422 IDEMPOTENCY.KEY_REUSED`; a repeat while the first runs is
 * `409 IDEMPOTENCY.IN_PROGRESS`. Answers from 500 up are not kept: a retry runs again.
 *
 * The request's causation is its key (`adoptCausationId`): if the process dies after the
 * handler wrote and before the answer was kept, the retry that claims the key once its
 * lease has passed derives the same event and resource ids, so it appends nothing twice
 * and answers what the first run made.
 *
 * Runs after the guard (it needs the caller) and around the pipes, so a validation
 * failure is an answer like any other. Public routes have no caller to scope keys to:
 * the header is ignored there.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(private readonly store: IdempotencyStore) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const req = context.switchToHttp().getRequest<ApiRequest>();
    const res = context.switchToHttp().getResponse<ApiResponse>();
    const key = req.headers['idempotency-key'];
    const principal = principalOf(req);
    if (!WRITES.has(req.method) || key === undefined || !principal) return next.handle();
    if (typeof key !== 'string' || !KEY.test(key)) {
      throw new DomainError('REQUEST.INVALID_HEADER', 'Idempotency-Key must be 1 to 128 printable ASCII characters.', {
        header: IDEMPOTENCY_KEY_HEADER,
      });
    }

    const route = typeof req.route?.path === 'string' ? req.route.path : (req.originalUrl ?? req.url ?? '');
    const scope = idempotencyScope(principal, req.method, route, key);
    const fingerprint = requestFingerprint(req.method, req.originalUrl ?? req.url ?? '', req.body);

    return defer(() => this.store.claim(scope, fingerprint)).pipe(
      mergeMap((claim) => {
        switch (claim.kind) {
          case 'replay':
            return of(replay(res, claim.answer));
          case 'in_progress':
            throw new DomainError(
              'IDEMPOTENCY.IN_PROGRESS',
              'A request with this Idempotency-Key is still running. Retry once it has answered.',
            );
          case 'key_reused':
            throw new DomainError(
              'IDEMPOTENCY.KEY_REUSED',
              'This Idempotency-Key was used for another request. Use a new key for a new request.',
            );
          case 'claimed':
            // Run again after its answer was lost (the process died, the lease passed), it
            // decides with the same ids: what the first run appended is recognised.
            adoptCausationId(req, derivedUuid('idempotency-key', scope));
            return this.run(next, res, claim.claim);
        }
      }),
    );
  }

  /** Runs the handler and keeps its final answer before it is sent, so a retry that races the response finds it. */
  private run(next: CallHandler, res: ApiResponse, claim: ClaimTicket): Observable<unknown> {
    let settled = false;
    return next.handle().pipe(
      mergeMap(async (body) => {
        settled = true;
        // Nest set the route's status before the handler ran; the handler may have changed it.
        await this.store.complete(claim, { status: res.statusCode, body, headers: keptHeaders(res) });
        return body;
      }),
      catchError(async (error: unknown) => {
        settled = true;
        const answer = describeError(error);
        if (answer.status >= 500) await this.store.release(claim);
        else await this.store.complete(claim, { status: answer.status, body: answer.body, headers: answer.headers });
        throw error;
      }),
      // A handler that completes without a value (or is unsubscribed) must not hold the key.
      finalize(() => {
        if (!settled) void this.store.release(claim).catch(() => undefined);
      }),
    );
  }
}

/**
 * Where a key is looked up: one caller, one method, one route pattern. The key itself is
 * only hashed, so the table never holds it.
 */
export function idempotencyScope(principal: Principal, method: string, route: string, key: string): string {
  return sha256(JSON.stringify([principal.role, principal.subject, method, route, key]));
}

/** What makes two requests "the same": method, path with query, and body up to key order. */
export function requestFingerprint(method: string, url: string, body: unknown): string {
  return sha256(JSON.stringify([method, url, canonicalJson(body)]));
}

/** Sends the stored answer through Nest's normal response path (same serialization). */
function replay(res: ApiResponse, answer: StoredAnswer): unknown {
  res.status(answer.status);
  for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
  res.setHeader(REPLAYED_HEADER, 'true');
  return answer.body;
}

function keptHeaders(res: ApiResponse): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of KEPT_HEADERS) {
    const value = res.getHeader(name);
    if (value !== undefined) kept[name] = String(value);
  }
  return kept;
}
