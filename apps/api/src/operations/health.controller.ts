import { Controller, Get, Header, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiResponse as ApiDocResponse, ApiTags } from '@nestjs/swagger';
import { ApiResponse } from '../http/api-request';
import { DependencyHealthService, MetricsCollector } from '@app/observability';
import { LivenessDto, METRICS_EXAMPLE, ReadinessDto } from '../docs/operations.dto';
import { Public } from '../http/public.decorator';

/**
 * Probes and metrics at the root, without an API key. The API stays ready while
 * Postgres answers: with Redis down, changes still land in the outbox.
 */
@Public()
@ApiTags('operations')
@Controller()
export class HealthController {
  constructor(
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
  @ApiOperation({ summary: 'Readiness: 200 while Postgres answers, even with Redis down (the body names Redis as down)' })
  @ApiDocResponse({ status: 200, description: 'Ready', type: ReadinessDto })
  @ApiDocResponse({
    status: 503,
    description: 'Not ready: Postgres does not answer (named in error), or the process is shutting down',
    type: ReadinessDto,
    example: { status: 'error', info: { redis: { status: 'up' } }, error: { postgres: { status: 'down' } }, details: { postgres: { status: 'down' }, redis: { status: 'up' } } },
  })
  async ready(@Res({ passthrough: true }) res: ApiResponse): Promise<unknown> {
    const { ready, body } = await this.health.readiness(['postgres'], ['redis']);
    // Set here rather than thrown, so the exception filter does not reshape terminus' body.
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
  async metrics(@Res({ passthrough: true }) res: ApiResponse): Promise<string> {
    const text = await this.collector.scrape();
    res.header('Content-Type', this.collector.contentType);
    return text;
  }
}
