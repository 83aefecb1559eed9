import { Controller, Get, Headers, Query, Req, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiQuery,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { AppAccess } from '../../apps/app-access.service';
import type { ApiRequest, ApiResponse } from '../../http/http-types';
import { Roles } from '../../security/access.decorators';
import type { Principal } from '../../security/principal';
import { CurrentPrincipal } from '../../security/request.decorators';
import { DomainError } from '../../shared/domain/domain-error';
import { FEED_RETRY_MS, FeedRequest, FeedService } from '../feed.service';
import { FeedQueryDto, POSITION, typesOf } from './feed-query.dto';

const LAST_EVENT_ID = 'Last-Event-ID';

/** The public event feed: other systems follow the platform's events, and resume where they left off. */
@ApiTags('events')
@Controller('v1/events')
@Roles('owner', 'support', 'platform', 'admin')
export class FeedController {
  constructor(
    private readonly feeds: FeedService,
    private readonly access: AppAccess,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'The public event feed, as Server-Sent Events: from a position, filtered, with heartbeats',
    description:
      'Each event is `id: <position>` and `data: <public event JSON>` (schemas at GET /v1/event-types). ' +
      '`Last-Event-ID` (sent again by EventSource on reconnect) wins over `after`; with neither, only events from now on. ' +
      `A comment \`: heartbeat <time>\` keeps the stream alive; \`retry: ${FEED_RETRY_MS}\` is the suggested reconnection delay. ` +
      "An owner receives only their own apps' events.",
  })
  @ApiProduces('text/event-stream')
  @ApiQuery({ name: 'after', required: false, description: 'Start after this position (exclusive); `0`: the whole log', schema: { type: 'string', pattern: '^[0-9]{1,20}$' } })
  @ApiQuery({ name: 'type', required: false, description: 'Only these public event types, comma-separated', schema: { type: 'string', example: 'BackupTaken,BackupFailed' } })
  @ApiQuery({ name: 'app', required: false, description: "Only this app's events (an owner: one of theirs)", schema: { type: 'string' } })
  @ApiQuery({ name: 'addon', required: false, description: "Only this add-on's events (an owner: one of theirs)", schema: { type: 'string', format: 'uuid' } })
  @ApiHeader({ name: LAST_EVENT_ID, required: false, description: 'The id of the last event received: resume after it (wins over `after`)', schema: { type: 'string', pattern: '^[0-9]{1,20}$' } })
  @ApiOkResponse({
    description: 'A stream of `id: <position>` / `data: <event JSON>` messages and `: heartbeat` comments, open until the client leaves',
    content: { 'text/event-stream': { schema: { type: 'string' } } },
  })
  @ApiBadRequestResponse({ description: '`VALIDATION.FAILED` (after, type, app, addon), `REQUEST.INVALID_HEADER` (Last-Event-ID); nothing is streamed' })
  @ApiNotFoundResponse({ description: '`APP.NOT_FOUND`, `ADDON.NOT_FOUND`: missing, or not the caller’s' })
  @ApiServiceUnavailableResponse({ description: '`SERVICE.UNAVAILABLE` while the server shuts down' })
  async events(
    @Query() query: FeedQueryDto,
    @Headers('last-event-id') lastEventId: string | string[] | undefined,
    @CurrentPrincipal() principal: Principal,
    @Req() req: ApiRequest,
    @Res() res: ApiResponse,
  ): Promise<void> {
    const after = startOf(lastEventId, query.after);
    const { app, addonId } = await this.reach(principal, query);
    const request: FeedRequest = { principal, after, types: query.type === undefined ? null : typesOf(query.type), app, addonId };
    await this.feeds.open(request, res, { headOnly: req.method === 'HEAD' });
  }

  /** The app and add-on filters, once the caller is known to reach them (404 otherwise, as for missing ones). */
  private async reach(principal: Principal, query: FeedQueryDto): Promise<{ app: string | null; addonId: string | null }> {
    if (query.addon !== undefined) {
      // A removed add-on's events are still in the log, and still its owner's to read.
      const addon =
        query.app !== undefined
          ? (await this.access.addon(principal, query.app, query.addon, { removed: true })).addon
          : await this.access.reachableAddon(principal, query.addon, { removed: true });
      return { app: addon.appName, addonId: query.addon };
    }
    if (query.app !== undefined) return { app: (await this.access.app(principal, query.app)).name, addonId: null };
    return { app: null, addonId: null };
  }
}

/** Where the feed starts: `Last-Event-ID` (a reconnect) over `after`; neither: from now. */
function startOf(lastEventId: string | string[] | undefined, after: string | undefined): FeedRequest['after'] {
  // EventSource sends no header before its first event; an empty one says the same.
  if (lastEventId !== undefined && lastEventId !== '') {
    if (typeof lastEventId !== 'string' || !POSITION.test(lastEventId)) {
      throw new DomainError('REQUEST.INVALID_HEADER', `${LAST_EVENT_ID} must be the id of an event of this feed (digits).`, { header: LAST_EVENT_ID });
    }
    return positionOf(lastEventId);
  }
  return after === undefined ? 'end' : positionOf(after);
}

const positionOf = (digits: string): bigint | 'start' => (BigInt(digits) === 0n ? 'start' : BigInt(digits));
