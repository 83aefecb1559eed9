import { Global, Logger, Module, OnApplicationBootstrap, OnModuleInit } from '@nestjs/common';
import { APP_GUARD, ModulesContainer } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { undeclaredRoutes } from './access-rules';
import { AuthGuard } from './auth.guard';
import { KeyRing } from './key-ring';
import { TokenService } from './token.service';
import { TokensController } from './tokens.controller';

/** Subject of the token given as `ADMIN_TOKEN`: its events read `admin:bootstrap`. */
export const ADMIN_TOKEN_SUBJECT = 'bootstrap';

/**
 * Keys, tokens and the global auth guard. Global, so any feature can inject `KeyRing`
 * (to seal its secrets) and `TokenService`.
 */
@Global()
@Module({
  controllers: [TokensController],
  providers: [
    { provide: KeyRing, inject: [AppConfig], useFactory: (config: AppConfig) => KeyRing.fromConfig(config) },
    TokenService,
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
  exports: [KeyRing, TokenService],
})
export class SecurityModule implements OnModuleInit, OnApplicationBootstrap {
  private readonly logger = new Logger('Security');

  constructor(
    private readonly config: AppConfig,
    private readonly tokens: TokenService,
    private readonly modules: ModulesContainer,
  ) {}

  /** `@Roles` is mandatory: a route that declares no access rule stops the start. */
  onModuleInit(): void {
    const undeclared = undeclaredRoutes(this.modules);
    if (undeclared.length > 0) {
      const list = undeclared.map((r) => `${r.route} (${r.controller}.${r.handler})`).join(', ');
      throw new Error(`Every route needs @Roles(...) or @Public(); these have neither: ${list}`);
    }
  }

  /** Registers `ADMIN_TOKEN` as an admin token, once across restarts and processes. */
  async onApplicationBootstrap(): Promise<void> {
    const token = this.config.adminToken;
    if (!token) return;
    const outcome = await this.tokens
      .register(token, { role: 'admin', subject: ADMIN_TOKEN_SUBJECT }, {
        actor: 'platform:bootstrap',
        correlationId: randomUUID(),
        causationId: randomUUID(),
      })
      .catch((error: Error) => {
        throw new Error(`ADMIN_TOKEN cannot be used: ${error.message}`);
      });
    this.logger.log(outcome === 'created' ? 'ADMIN_TOKEN registered as an admin token' : 'ADMIN_TOKEN is an admin token');
  }
}
