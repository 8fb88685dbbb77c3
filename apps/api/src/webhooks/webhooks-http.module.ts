import { Module } from '@nestjs/common';
import { WebhooksModule } from '@app/webhooks';
import { WebhooksController } from './webhooks.controller';

/** The admin routes of events to PSP apps: endpoints, their delivery log, recover. */
@Module({
  imports: [WebhooksModule],
  controllers: [WebhooksController],
})
export class WebhooksHttpModule {}
