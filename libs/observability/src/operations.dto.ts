import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger';

// Response schemas of the operations routes (no API key), for the API's /docs.

const DEPENDENCY_STATUS: SchemaObject = {
  type: 'object',
  required: ['status'],
  properties: { status: { type: 'string', enum: ['up', 'down'] }, message: { type: 'string' } },
};
/** By dependency name (postgres, redis). */
const DEPENDENCIES = { type: Object, additionalProperties: DEPENDENCY_STATUS };

@ApiSchema({ name: 'Liveness' })
export class LivenessDto {
  @ApiProperty({ type: String, enum: ['ok'], example: 'ok' })
  status: 'ok';
}

@ApiSchema({
  name: 'Readiness',
  description: "Ready while Postgres answers. Redis is reported but not required: with Redis down the API still accepts changes (they wait in Postgres' outbox).",
})
export class ReadinessDto {
  @ApiProperty({ type: String, enum: ['ok', 'error', 'shutting_down'], example: 'ok' })
  status: string;

  @ApiProperty({ ...DEPENDENCIES, description: 'Dependencies that are up', example: { postgres: { status: 'up' } } })
  info: Record<string, unknown>;

  @ApiProperty({ ...DEPENDENCIES, description: 'Dependencies that are down', example: { redis: { status: 'down', message: 'connect ECONNREFUSED 127.0.0.1:6379' } } })
  error: Record<string, unknown>;

  @ApiProperty({ ...DEPENDENCIES, description: 'Every dependency', example: { postgres: { status: 'up' }, redis: { status: 'down', message: 'connect ECONNREFUSED 127.0.0.1:6379' } } })
  details: Record<string, unknown>;
}

export const METRICS_EXAMPLE = [
  '# HELP http_requests_total HTTP requests answered, by method, route template and status',
  '# TYPE http_requests_total counter',
  'http_requests_total{method="POST",route="/api/v1/customers",status="202"} 42',
  '# HELP outbox_backlog Accepted changes still pending in the Postgres outbox',
  '# TYPE outbox_backlog gauge',
  'outbox_backlog 0',
  '',
].join('\n');
