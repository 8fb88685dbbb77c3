import { Module } from '@nestjs/common';
import { Queues } from './queues.service';

/**
 * The queue layer (one `Queues` per process, however many modules import this). Needs
 * ConfigModule. Importing it starts no worker: see Queues.startWorker.
 */
@Module({
  providers: [Queues],
  exports: [Queues],
})
export class QueueModule {}
