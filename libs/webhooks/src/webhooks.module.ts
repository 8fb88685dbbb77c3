import { Module } from '@nestjs/common';
import { CustomersModule } from '@app/customers';
import { SyncEventsListener } from './sync-events.listener';
import { WebhookDispatcher } from './webhook.dispatcher';
import { WebhookEndpointsService } from './webhook-endpoints.service';
import { WebhooksRepository } from './webhooks.repository';

/** Endpoints and their delivery log (the admin API). Needs ConfigModule and DatabaseModule. */
@Module({
  providers: [WebhooksRepository, WebhookEndpointsService],
  exports: [WebhooksRepository, WebhookEndpointsService],
})
export class WebhooksModule {}

/**
 * The worker side: the dispatcher that sends deliveries, and the listener that writes the sync
 * engine's events in its own transactions. Needs ObservabilityModule (metrics).
 */
@Module({
  imports: [WebhooksModule, CustomersModule],
  providers: [WebhookDispatcher, SyncEventsListener],
  exports: [WebhookDispatcher],
})
export class WebhooksWorkerModule {}
