import type { ExecutionContext } from '@nestjs/common';
import { GqlContextType, GqlExecutionContext } from '@nestjs/graphql';
import type { IncomingMessage } from 'node:http';
import type { Principal } from './principal';

const PRINCIPAL = Symbol('principal');
type WithPrincipal = IncomingMessage & { [PRINCIPAL]?: Principal };

/** Set by the auth guard once the bearer token is checked. */
export function setPrincipal(req: IncomingMessage, principal: Principal): void {
  (req as WithPrincipal)[PRINCIPAL] = principal;
}

/** The authenticated caller of a request, or undefined on a public route (or before the guard). */
export function principalOf(req: IncomingMessage): Principal | undefined {
  return (req as WithPrincipal)[PRINCIPAL];
}

/**
 * The HTTP request behind a handler call: the route's own over HTTP, the one carrying the
 * operation for a GraphQL resolver (its context is `{ req }`). Undefined on any other
 * transport, or a GraphQL context without a request: callers refuse those (fail closed).
 */
export function requestOf(context: ExecutionContext): IncomingMessage | undefined {
  let req: unknown;
  switch (context.getType<GqlContextType>()) {
    case 'http':
      req = context.switchToHttp().getRequest<unknown>();
      break;
    case 'graphql':
      req = GqlExecutionContext.create(context).getContext<{ req?: unknown } | undefined>()?.req;
      break;
    default:
      return undefined;
  }
  const headers = (req as { headers?: unknown } | null | undefined)?.headers;
  return typeof headers === 'object' && headers !== null ? (req as IncomingMessage) : undefined;
}
