import { Controller, Get, Header, Inject, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiResponse as ApiDocResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '@app/common';
import { DependencyHealthService, ReadinessPolicy } from './dependency-health.service';
import { MetricsCollector } from './metrics.collector';
import { LivenessDto, METRICS_EXAMPLE, ReadinessDto } from './operations.dto';
import { READINESS_POLICY } from './observability.options';

/**
 * Probes and metrics at the root, without an API key, for the API (on PORT) and the worker
 * (on WORKER_PORT) alike; each says through OperationsHttpModule.forRoot which dependencies
 * it cannot work without.
 */
@Public()
@ApiTags('operations')
@Controller()
export class HealthController {
  constructor(
    @Inject(READINESS_POLICY) private readonly policy: ReadinessPolicy,
    private readonly health: DependencyHealthService,
    private readonly collector: MetricsCollector,
  ) {}

  @Get('health/live')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Liveness: 200 while the process runs' })
  @ApiDocResponse({ status: 200, description: 'The process runs', type: LivenessDto })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('health/ready')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Readiness: 200 while Postgres answers, even with Redis down (the body names Redis as down)',
    description: "The API's policy. The worker serves the same route on WORKER_PORT, ready only while both Postgres and Redis answer.",
  })
  @ApiDocResponse({ status: 200, description: 'Ready', type: ReadinessDto })
  @ApiDocResponse({
    status: 503,
    description: 'Not ready: Postgres does not answer (named in error), or the process is shutting down',
    type: ReadinessDto,
    example: { status: 'error', info: { redis: { status: 'up' } }, error: { postgres: { status: 'down' } }, details: { postgres: { status: 'down' }, redis: { status: 'up' } } },
  })
  async ready(@Res({ passthrough: true }) res: FastifyReply): Promise<unknown> {
    const { ready, body } = await this.health.readiness(this.policy.required, this.policy.reported);
    // Set here rather than thrown, so no exception filter reshapes terminus' body.
    res.status(ready ? 200 : 503);
    return body;
  }

  @Get('metrics')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Prometheus metrics',
    description: 'HTTP requests by route and status, sync jobs by operation and outcome, queue depth, outbox backlog, Celar calls by status and latency, reconciliation runs.',
  })
  @ApiProduces('text/plain')
  @ApiDocResponse({ status: 200, description: 'Prometheus text exposition format', content: { 'text/plain': { schema: { type: 'string' }, example: METRICS_EXAMPLE } } })
  async metrics(@Res({ passthrough: true }) res: FastifyReply): Promise<string> {
    const text = await this.collector.scrape();
    res.header('Content-Type', this.collector.contentType);
    return text;
  }
}
