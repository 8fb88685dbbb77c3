import { Injectable, OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { CelarClient, CelarRequestBudget } from '@app/celar-client';
import { MetricsService } from './metrics.service';

/** For a process with CelarClientModule: feeds every Celar call (route template, status, latency) and every budget slot (by purpose) into the metrics. */
@Injectable()
export class CelarMetricsBridge implements OnModuleInit {
  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly metrics: MetricsService,
  ) {}

  onModuleInit(): void {
    const client = this.moduleRef.get(CelarClient, { strict: false });
    client.onCall((call) => this.metrics.celarCall(call));
    this.moduleRef.get(CelarRequestBudget, { strict: false }).onSlot((purpose) => this.metrics.celarBudgetSlot(purpose));
  }
}
