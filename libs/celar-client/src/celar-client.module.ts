import { DynamicModule, Inject, Injectable, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { closeRedis } from '@app/common';
import { RedisConnection, bullPrefix, createRedis } from '@app/queue';
import { CelarRequestBudget } from './celar-request.budget';
import { CelarClient } from './celar.client';

const BUDGET_REDIS = Symbol('CELAR_BUDGET_REDIS');
/** The client as reconciliation runs use it: its calls draw on the budget as `reconcile`. */
export const RECONCILE_CELAR_CLIENT = Symbol('RECONCILE_CELAR_CLIENT');
/** The client as `?refresh=true` uses it: its calls draw on the budget as `refresh`. */
export const REFRESH_CELAR_CLIENT = Symbol('REFRESH_CELAR_CLIENT');

@Injectable()
class CelarClientLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(BUDGET_REDIS) private readonly redis: RedisConnection,
    private readonly client: CelarClient,
  ) {}

  async onModuleInit(): Promise<void> {
    // Give the budget's connection a moment, so the first requests are counted; a Redis
    // that is down does not stop the process (the budget then lets requests through).
    if (this.redis.status === 'ready') return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.redis.off('ready', done);
        resolve();
      };
      const timer = setTimeout(done, 2000);
      this.redis.once('ready', done);
    });
  }

  // After every beforeApplicationShutdown hook: draining workers still call Celar until then.
  async onApplicationShutdown(): Promise<void> {
    this.client.close();
    await closeRedis(this.redis);
  }
}

/**
 * The Celar client, with the global request budget, for the whole application
 * (global: sync and reconciliation inject the same client).
 */
@Module({})
export class CelarClientModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: CelarClientModule,
      global: true,
      providers: [
        // Fail fast: a budget that cannot reach Redis lets requests through instead of hanging them.
        { provide: BUDGET_REDIS, useFactory: () => createRedis(config, 'producer') },
        {
          provide: CelarRequestBudget,
          useFactory: (redis: RedisConnection) => new CelarRequestBudget(redis, config.celar.requestsPerSecond, bullPrefix(config), config.celar.reconcileBudgetShare),
          inject: [BUDGET_REDIS],
        },
        {
          provide: CelarClient,
          useFactory: (budget: CelarRequestBudget) => new CelarClient(config.celar, { budget }),
          inject: [CelarRequestBudget],
        },
        { provide: RECONCILE_CELAR_CLIENT, useFactory: (client: CelarClient) => client.withPurpose('reconcile'), inject: [CelarClient] },
        { provide: REFRESH_CELAR_CLIENT, useFactory: (client: CelarClient) => client.withPurpose('refresh'), inject: [CelarClient] },
        CelarClientLifecycle,
      ],
      exports: [CelarClient, CelarRequestBudget, RECONCILE_CELAR_CLIENT, REFRESH_CELAR_CLIENT],
    };
  }
}
