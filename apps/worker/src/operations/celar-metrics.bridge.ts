import { Injectable, OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { CelarClient } from '@app/celar-client';
import { MetricsService } from '@app/observability';

/** Feeds every Celar call (route template, status, latency) into the metrics. */
@Injectable()
export class CelarMetricsBridge implements OnModuleInit {
  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly metrics: MetricsService,
  ) {}

  onModuleInit(): void {
    const client = this.moduleRef.get(CelarClient, { strict: false });
    client.onCall((call) => this.metrics.celarCall(call));
  }
}
