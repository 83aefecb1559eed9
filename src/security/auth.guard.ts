import { CanActivate, ExecutionContext, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DomainError } from '../shared/domain/domain-error';
import { PUBLIC_KEY, ROLES_KEY } from './access.decorators';
import type { Role } from './principal';
import { requestOf, setPrincipal } from './request-principal';
import { TokenService } from './token.service';

const BEARER = /^Bearer +([\x21-\x7E]+) *$/i;

/**
 * The global guard (`APP_GUARD`): every route, and every GraphQL query, mutation and
 * resolved field, needs `Authorization: Bearer <token>` of a role it lists in `@Roles`,
 * unless it is `@Public()`. Fails closed: a handler with neither decorator is refused to
 * everyone. The token is never part of an answer or a log line.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly logger = new Logger('AuthGuard');

  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    // HTTP routes and GraphQL resolvers (over the same HTTP request) carry a bearer token;
    // any other transport is refused until it is wired.
    const req = requestOf(context);
    if (!req) return false;

    const header = req.headers.authorization;
    if (header === undefined || header === '') {
      throw new DomainError('AUTH.MISSING_TOKEN', 'Send a token: Authorization: Bearer <token>.');
    }
    const token = BEARER.exec(header)?.[1];
    const principal = token === undefined ? null : await this.tokens.authenticate(token);
    if (!principal) {
      throw new DomainError('AUTH.INVALID_TOKEN', 'The bearer token is malformed, unknown or revoked.');
    }
    setPrincipal(req, principal);

    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
    if (!roles) {
      this.logger.error(`${context.getClass().name}.${context.getHandler().name} has neither @Roles nor @Public: denied.`);
    }
    if (!roles?.includes(principal.role)) {
      throw new DomainError('AUTH.FORBIDDEN', `This call needs one of the roles: ${(roles ?? []).join(', ') || 'none'}.`, {
        roles: roles ?? [],
      });
    }
    return true;
  }
}
