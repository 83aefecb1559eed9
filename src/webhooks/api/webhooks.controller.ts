import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post, Query, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { listWebhooks } from '../../../projections/webhooks/webhooks.projection';
import { ReadModels } from '../../../projections/read-models';
import { AppAccess } from '../../apps/app-access.service';
import type { ApiResponse } from '../../http/http-types';
import { NoBodyPipe } from '../../http/no-body.pipe';
import { markPosition } from '../../http/write-response';
import { KeyRing } from '../../security/key-ring';
import { Roles } from '../../security/access.decorators';
import type { Principal } from '../../security/principal';
import { CurrentPrincipal, RequestContext } from '../../security/request.decorators';
import { Clock } from '../../shared/clock';
import type { CommandContext } from '../../shared/cqrs/command-context';
import { CommandExecutor } from '../../shared/cqrs/command-executor';
import { DomainError } from '../../shared/domain/domain-error';
import { Random } from '../../shared/random';
import { secretContext } from '../delivery/webhook-deliverer';
import { WebhookOutbox } from '../delivery/webhook-outbox';
import { SECRET_PREFIX } from '../delivery/webhook-sender';
import type { WebhookState } from '../domain/webhook.decider';
import { TargetGuard } from '../target-guard';
import { WEBHOOK } from '../webhook.aggregate';
import { CreateWebhookDto, DeliveriesQueryDto } from './webhook.dto';
import { deliveryView, webhookRowView, webhookView } from './webhook.view';
import { derivedUuid } from '../../shared/cqrs/event-ids';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DEFAULT_LIMIT = 100;

type Existing = Exclude<WebhookState, { status: 'none' }>;

/**
 * Outbound subscriptions for other systems. An owner's webhook receives their own apps'
 * events (or one app's); an admin's, every app's. Support reads every webhook and its
 * delivery log, and changes nothing. Another owner's webhook answers 404, as a missing one.
 */
@ApiTags('webhooks')
@Controller('v1/webhooks')
export class WebhooksController {
  constructor(
    private readonly executor: CommandExecutor,
    private readonly access: AppAccess,
    private readonly guard: TargetGuard,
    private readonly keys: KeyRing,
    private readonly random: Random,
    private readonly clock: Clock,
    private readonly readModels: ReadModels,
    private readonly outbox: WebhookOutbox,
  ) {}

  @Post()
  @Roles('owner', 'admin')
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({ summary: 'Subscribe a URL to public events: signed deliveries (Standard Webhooks), in order per add-on, retried' })
  @ApiCreatedResponse({ description: '{ webhook, secret? } (secret only when generated, shown this once)' })
  async create(
    @Body() body: CreateWebhookDto,
    @CurrentPrincipal() principal: Principal,
    @RequestContext() context: CommandContext,
    @Res({ passthrough: true }) res: ApiResponse,
  ) {
    if (body.app !== undefined) await this.access.app(principal, body.app);
    const url = this.guard.parse(body.url);
    await this.guard.resolve(url);
    const webhookId = derivedUuid(context.causationId, 'webhook');
    const generated = body.secret === undefined ? `${SECRET_PREFIX}${Buffer.from(this.random.secret(32), 'base64url').toString('base64')}` : undefined;
    const secret = this.keys.sealWithMaster(body.secret ?? generated!, secretContext(webhookId));
    const decided = await this.executor.execute(
      WEBHOOK,
      webhookId,
      {
        type: 'CreateWebhook',
        data: {
          webhookId,
          owner: { role: principal.role === 'admin' ? 'admin' : 'owner', subject: principal.subject },
          app: body.app ?? null,
          url: url.toString(),
          eventTypes: body.event_types,
          secret: secret as unknown as Record<string, string>,
          at: this.clock.now().toISOString(),
        },
      },
      context,
    );
    markPosition(res, decided.position);
    res.setHeader('Location', `/v1/webhooks/${webhookId}`);
    const state = decided.state as Existing;
    // A keyed request run again (its first answer lost) finds its webhook made: the secret
    // to show is the one it was made with, never the one just drawn.
    const shown = generated && (decided.events.length > 0 ? generated : this.keys.openWithMaster(state.secret as never, secretContext(webhookId)));
    return { webhook: webhookView(webhookId, state), ...(shown && { secret: shown }) };
  }

  @Get()
  @Roles('owner', 'support', 'admin')
  @ApiOperation({ summary: 'Webhooks: an owner sees their own; support and admins every one' })
  @ApiOkResponse({ description: '{ webhooks: [...] }' })
  async list(@CurrentPrincipal() principal: Principal) {
    await this.readModels.upToDate('all');
    const table = await this.readModels.table('webhooks', 'webhooks');
    const rows = await listWebhooks(this.readModels.db.manager, table, principal.role === 'owner' ? principal.subject : undefined);
    return { webhooks: rows.map(webhookRowView) };
  }

  @Get(':id')
  @Roles('owner', 'support', 'admin')
  @ApiOperation({ summary: 'One webhook (a deleted one too)' })
  async one(@Param('id') id: string, @CurrentPrincipal() principal: Principal) {
    const state = await this.reachable(principal, id);
    return { webhook: webhookView(id, state) };
  }

  @Delete(':id')
  @Roles('owner', 'admin')
  @ApiOperation({ summary: 'Unsubscribe: nothing more is delivered, pending deliveries are cancelled' })
  async remove(
    @Param('id') id: string,
    @CurrentPrincipal() principal: Principal,
    @RequestContext() context: CommandContext,
    @Res({ passthrough: true }) res: ApiResponse,
  ) {
    await this.reachable(principal, id, { deleted: false });
    const decided = await this.executor.execute(WEBHOOK, id, { type: 'DeleteWebhook', data: { at: this.clock.now().toISOString() } }, context);
    markPosition(res, decided.position);
    return { webhook: webhookView(id, decided.state as Existing) };
  }

  @Get(':id/deliveries')
  @Roles('owner', 'support', 'admin')
  @ApiOperation({ summary: "The webhook's delivery log, newest first: each delivery's state, attempts, last status and error" })
  async deliveries(@Param('id') id: string, @Query() query: DeliveriesQueryDto, @CurrentPrincipal() principal: Principal) {
    await this.reachable(principal, id);
    const limit = query.limit ?? DEFAULT_LIMIT;
    const page = await this.outbox.deliveries(id, { state: query.state, before: query.before, limit });
    return { deliveries: page.map((d) => deliveryView(d)), next_cursor: page.length === limit ? page[page.length - 1].position : null };
  }

  @Get(':id/deliveries/:deliveryId')
  @Roles('owner', 'support', 'admin')
  @ApiOperation({ summary: 'One delivery, with every attempt and the payload sent' })
  async delivery(@Param('id') id: string, @Param('deliveryId') deliveryId: string, @CurrentPrincipal() principal: Principal) {
    await this.reachable(principal, id);
    return { delivery: deliveryView(await this.deliveryOf(id, deliveryId)) };
  }

  @Post(':id/deliveries/:deliveryId/redeliver')
  @Roles('owner', 'admin')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({ summary: 'Send a dead-lettered (or delivered) delivery again, under the same delivery id, with a new retry window' })
  @ApiAcceptedResponse({ description: '{ delivery }' })
  async redeliver(
    @Param('id') id: string,
    @Param('deliveryId') deliveryId: string,
    @Body(NoBodyPipe) _body: unknown,
    @CurrentPrincipal() principal: Principal,
    @RequestContext() context: CommandContext,
    @Res({ passthrough: true }) res: ApiResponse,
  ) {
    await this.reachable(principal, id, { deleted: false });
    const delivery = await this.deliveryOf(id, deliveryId);
    if (delivery.state === 'pending') {
      throw new DomainError('WEBHOOK.DELIVERY_PENDING', 'This delivery is still being tried; it can be sent again once delivered or dead-lettered.', {
        state: delivery.state,
      });
    }
    if (delivery.state === 'cancelled') throw new DomainError('WEBHOOK.DELIVERY_CANCELLED', 'This delivery was cancelled with its webhook.');
    const decided = await this.executor.execute(WEBHOOK, id, { type: 'RequestRedelivery', data: { deliveryId, at: this.clock.now().toISOString() } }, context);
    markPosition(res, decided.position);
    res.setHeader('Location', `/v1/webhooks/${id}/deliveries/${deliveryId}`);
    return { delivery: deliveryView(delivery) };
  }

  /** The webhook if the principal reaches it: an owner their own, support and admins every one. */
  private async reachable(principal: Principal, id: string, { deleted = true } = {}): Promise<Existing> {
    const notFound = new DomainError('WEBHOOK.NOT_FOUND', 'No such webhook.');
    if (!UUID.test(id)) throw notFound;
    const { state } = await this.executor.load(WEBHOOK, id);
    if (state.status === 'none' || (state.status === 'deleted' && !deleted)) throw notFound;
    if (principal.role === 'owner' && (state.owner.role !== 'owner' || state.owner.subject !== principal.subject)) throw notFound;
    return state;
  }

  private async deliveryOf(webhookId: string, deliveryId: string) {
    const found = UUID.test(deliveryId) ? await this.outbox.delivery(webhookId, deliveryId) : null;
    if (!found) throw new DomainError('WEBHOOK_DELIVERY.NOT_FOUND', 'No such delivery of this webhook.');
    return found;
  }
}
