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
