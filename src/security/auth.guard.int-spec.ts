import { Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '../event-store/sqlite/sqlite-event-store';
import { Public, Roles } from './access.decorators';
import { AuthGuard } from './auth.guard';
import { principalOf } from './request-principal';
import { commandContextOf } from './request.decorators';
import { TokenService } from './token.service';

class Routes {
  @Roles('owner', 'support')
  forOwners() {}
  @Public()
  open() {}
  forgotten() {}
}

describe('AuthGuard', () => {
  const dir = mkdtempSync(join(tmpdir(), 'db-addons-guard-'));
  let store: SqliteEventStore;
  let guard: AuthGuard;
  let ownerToken: string;

  beforeAll(async () => {
    store = await SqliteEventStore.open({ file: join(dir, 'events.sqlite'), synchronous: 'NORMAL' });
    const tokens = new TokenService(store);
    guard = new AuthGuard(new Reflector(), tokens);
    ownerToken = (await tokens.issue({ role: 'owner', subject: 'alice' }, { actor: 'admin:t', correlationId: 'c', causationId: 'k' })).value;
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const call = (handler: keyof Routes, authorization?: string) => {
    const req = { headers: authorization ? { authorization, 'x-request-id': 'req-1' } : {} } as IncomingMessage;
    const context = new ExecutionContextHost([req, {}]);
    context.setType('http');
    jest.spyOn(context, 'getClass').mockReturnValue(Routes);
    jest.spyOn(context, 'getHandler').mockReturnValue(Routes.prototype[handler]);
    return { req, result: guard.canActivate(context) };
  };

  it('lets a listed role through and records the principal for the handler', async () => {
    const { req, result } = call('forOwners', `Bearer ${ownerToken}`);
    await expect(result).resolves.toBe(true);
    expect(principalOf(req)).toEqual({ role: 'owner', subject: 'alice' });
    const context = commandContextOf(req);
    expect(context).toMatchObject({ actor: 'owner:alice', correlationId: 'req-1' });
    expect(commandContextOf(req).causationId).toBe(context.causationId);
  });

  it('accepts the scheme in any case', async () => {
    await expect(call('forOwners', `bearer ${ownerToken}`).result).resolves.toBe(true);
  });

  it('lets anyone through a @Public route, without looking at the header', async () => {
    await expect(call('open').result).resolves.toBe(true);
    await expect(call('open', 'Bearer garbage').result).resolves.toBe(true);
  });

  it('denies a route without @Roles to every valid token (fails closed)', async () => {
    await expect(call('forgotten', `Bearer ${ownerToken}`).result).rejects.toMatchObject({ code: 'AUTH.FORBIDDEN' });
  });

  it('tells a missing token from an invalid one', async () => {
    await expect(call('forOwners').result).rejects.toMatchObject({ code: 'AUTH.MISSING_TOKEN' });
    await expect(call('forOwners', `Token ${ownerToken}`).result).rejects.toMatchObject({ code: 'AUTH.INVALID_TOKEN' });
    await expect(call('forOwners', `Bearer ${ownerToken}x`).result).rejects.toMatchObject({ code: 'AUTH.INVALID_TOKEN' });
  });
});
