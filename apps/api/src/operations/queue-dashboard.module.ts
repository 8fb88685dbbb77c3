import { Inject, Injectable, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { BullBoardInstance, BullBoardModule, BullBoardModuleOptions, InjectBullBoard } from '@bull-board/nestjs';
import { Queue } from 'bullmq';
import { APP_CONFIG, AppConfig } from '@app/config';
import { OBSERVABILITY_REDIS } from '@app/observability';
import { RedisConnection, queuePrefix } from '@app/queue';
import { RECONCILIATION_QUEUE } from '@app/reconciliation';
import { SYNC_QUEUE } from '@app/sync';

export const DASHBOARD_ROUTE = '/admin/queues';
export const DASHBOARD_QUEUES = [SYNC_QUEUE, RECONCILIATION_QUEUE];

/**
 * Puts the queues on the board. Read-only: Postgres, not Redis, is the record of what
 * is left to do, so retrying or deleting jobs by hand would only confuse it; operators
 * re-sync a customer with `POST /customers/:id/sync`.
 */
@Injectable()
class DashboardQueues implements OnModuleInit, OnApplicationShutdown {
  private readonly queues: Queue[];

  constructor(
    @InjectBullBoard() private readonly board: BullBoardInstance,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(OBSERVABILITY_REDIS) redis: RedisConnection,
  ) {
    this.queues = DASHBOARD_QUEUES.map((name) => {
      const queue = new Queue(name, { connection: redis, prefix: queuePrefix(config, name) });
      queue.on('error', () => undefined);
      return queue;
    });
  }

  onModuleInit(): void {
    for (const queue of this.queues) this.board.addQueue(new BullMQAdapter(queue, { readOnlyMode: true }));
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.queues.map((queue) => queue.close().catch(() => undefined)));
  }
}

/** Bull Board at /admin/queues, behind an admin key (checked by a hook of its own: see registerAdminKeyHook, installed by createApiApp). */
@Module({
  imports: [
    BullBoardModule.forRootAsync({
      useFactory: () => ({
        route: DASHBOARD_ROUTE,
        // @bull-board/fastify 9.10.1 ships its own copy of @bull-board/api (9.10.1) whose
        // types differ nominally from the top-level 9.10.2; at run time they agree.
        adapter: FastifyAdapter as unknown as BullBoardModuleOptions['adapter'],
        boardOptions: { uiConfig: { boardTitle: 'customer-sync queues' } },
      }),
    }),
  ],
  providers: [DashboardQueues],
})
export class QueueDashboardModule {}
