import { Injectable, OnModuleInit } from '@nestjs/common';
import { CustomerOperationsRepository } from '@app/customers';
import { WebhookEvents } from './webhook-events';

/**
 * customer.synced / updated / deactivated / sync_failed, appended in the very transaction in
 * which the sync engine records the outcome: an event exists exactly when its change committed.
 */
@Injectable()
export class SyncEventsListener implements OnModuleInit {
  constructor(private readonly operations: CustomerOperationsRepository) {}

  onModuleInit(): void {
    this.operations.addListener({
      operationsDone: async (sql, done) => {
        for (const { customerId, kinds } of done) await WebhookEvents.appendOperationsDone(sql, customerId, kinds);
      },
      customerFailed: async (sql, customerId) => {
        await WebhookEvents.appendForCustomers(sql, [{ customerId, type: 'customer.sync_failed' }]);
      },
    });
  }
}
