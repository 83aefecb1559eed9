import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiExtension, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Role } from './principal';

export const PUBLIC_KEY = 'security:public';
export const ROLES_KEY = 'security:roles';

/** Open to anyone, without a token (GET /health). Use sparingly: API.md lists the exceptions. */
export const Public = (): ClassDecorator & MethodDecorator => SetMetadata(PUBLIC_KEY, true);

/**
 * The roles allowed to call a controller's routes or one handler (the handler's list wins).
 * Every route declares either `@Roles(...)` or `@Public()`: the guard denies the others, and
 * the app refuses to start with one (see access-rules.ts). Also documents the route in
 * OpenAPI as needing a bearer token, with the roles under `x-roles`.
 */
export const Roles = (...roles: [Role, ...Role[]]): ClassDecorator & MethodDecorator =>
  applyDecorators(
    SetMetadata(ROLES_KEY, roles),
    ApiBearerAuth(),
    ApiExtension('x-roles', roles),
    ApiUnauthorizedResponse({ description: '`AUTH.MISSING_TOKEN` or `AUTH.INVALID_TOKEN`' }),
    ApiForbiddenResponse({ description: `\`AUTH.FORBIDDEN\`: the token's role is not one of ${roles.join(', ')}` }),
  );
