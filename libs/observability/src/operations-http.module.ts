import { DynamicModule, Module } from '@nestjs/common';
import { ReadinessPolicy } from './dependency-health.service';
import { HealthController } from './health.controller';
import { READINESS_POLICY } from './observability.options';

/**
 * /health/live, /health/ready and /metrics (HealthController) for a process's HTTP app, the
 * API's and the worker's alike. `readiness` is what the process cannot work without. Needs
 * ObservabilityModule (global) in the same application.
 */
@Module({})
export class OperationsHttpModule {
  static forRoot(readiness: ReadinessPolicy): DynamicModule {
    return {
      module: OperationsHttpModule,
      controllers: [HealthController],
      providers: [{ provide: READINESS_POLICY, useValue: readiness }],
    };
  }
}
