import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { ApiRequest } from '../http/http-types';
import { requestIdOf } from '../http/request-id';
import type { CommandContext } from '../shared/cqrs/command-context';
import { actorOf, Principal } from './principal';
import { principalOf, requestOf } from './request-principal';

const CAUSATION_ID = Symbol('causationId');

/**
 * The authenticated caller. Only on routes with `@Roles` (the guard has run): on a public
 * route it is a programming error, reported as one rather than as an anonymous caller.
 */
export function principalOfRequest(req: IncomingMessage): Principal {
  const principal = principalOf(req);
  if (!principal) throw new Error('No principal on this request: @CurrentPrincipal() needs a route with @Roles().');
  return principal;
}

/**
 * Makes `causationId` the request's cause, before its handler runs: a request with an
 * `Idempotency-Key` is caused by its key, so that a run of it again (its answer was lost)
 * derives the same event and resource ids as the first, and appends nothing twice.
 */
export function adoptCausationId(req: IncomingMessage, causationId: string): void {
  (req as ApiRequest & { [CAUSATION_ID]?: string })[CAUSATION_ID] = causationId;
}

/**
 * Who asked and within which request, for the events a command appends: `actor` from the
 * token, `correlationId` the request id, `causationId` one new id per request (the HTTP
 * call is the cause of what follows; its key, for a keyed request), the same however often
 * it is asked for. The ids of what a request creates derive from it too.
 */
export function commandContextOf(req: IncomingMessage): CommandContext {
  const request = req as ApiRequest & { [CAUSATION_ID]?: string };
  request[CAUSATION_ID] ??= randomUUID();
  return {
    actor: actorOf(principalOfRequest(req)),
    correlationId: requestIdOf(request),
    causationId: request[CAUSATION_ID],
  };
}

/** The request of a route or a GraphQL resolver; anything else is a programming error. */
function handlerRequest(context: ExecutionContext): IncomingMessage {
  const req = requestOf(context);
  if (!req) throw new Error(`No HTTP request behind this ${context.getType()} handler.`);
  return req;
}

/** `@CurrentPrincipal() principal: Principal` in a handler or a resolver. */
export const CurrentPrincipal = createParamDecorator((_: unknown, context: ExecutionContext) =>
  principalOfRequest(handlerRequest(context)),
);

/** `@RequestContext() context: CommandContext` in a handler or a resolver, to pass to a command. */
export const RequestContext = createParamDecorator((_: unknown, context: ExecutionContext) =>
  commandContextOf(handlerRequest(context)),
);
