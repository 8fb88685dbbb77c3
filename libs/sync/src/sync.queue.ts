import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { APP_CONFIG, AppConfig } from '@app/config';
import { bullPrefix, createRedis } from '@app/queue';
import { SYNC_QUEUE, SyncJobData, SyncJobName } from './sync.jobs';

/**
 * The producer side of the sync queue. Its connection fails fast, so a Redis that is down
 * makes the relay's add fail at once (and its transaction roll back) instead of hanging.
 */
@Injectable()
export class SyncQueue implements OnApplicationShutdown {
  private readonly logger = new Logger(SyncQueue.name);
  private readonly connection: Redis;
  readonly queue: Queue<SyncJobData, void, SyncJobName>;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.connection = createRedis(config, 'producer');
    this.queue = new Queue<SyncJobData, void, SyncJobName>(SYNC_QUEUE, { connection: this.connection, prefix: bullPrefix(config) });
    // Errors show up in the relay's passes; an unhandled 'error' event would crash the process.
    this.queue.on('error', (error) => this.logger.debug(`sync queue: ${error.message}`));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.queue.close().catch(() => undefined);
    await this.connection.quit().catch(() => this.connection.disconnect());
  }
}
