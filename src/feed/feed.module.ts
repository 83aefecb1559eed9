import { Module } from '@nestjs/common';
import { AppsModule } from '../apps/apps.module';
import { PublicEventsModule } from '../public-events/public-events.module';
import { FeedController } from './api/feed.controller';
import { FeedService } from './feed.service';

/** `GET /v1/events`: the public event feed as Server-Sent Events. */
@Module({
  imports: [AppsModule, PublicEventsModule],
  controllers: [FeedController],
  providers: [FeedService],
})
export class FeedModule {}
