import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger';
import { WEBHOOK_EVENT_TYPES } from '@app/webhooks';
import type { DeliveryListView, DeliveryView, EndpointView, WebhookEventType } from '@app/webhooks';

// Schemas of the webhook endpoint routes, for /docs. Each class implements what the service
// returns, so a field added there and not here breaks the build.

const ENDPOINT_ID = '8d2f6c1a-4b3e-4f5a-9c7d-1e2f3a4b5c6d';

export const ENDPOINT_EXAMPLE: EndpointView = {
  id: ENDPOINT_ID,
  url: 'https://payments-app.internal/hooks/customer-sync',
  types: ['customer.synced', 'customer.sync_failed'],
  description: 'Payments app: onboarding status',
  enabled: true,
  created_at: '2025-09-26T09:00:00.120Z',
};

const TYPES_PROPERTY = {
  type: String,
  isArray: true,
  enum: WEBHOOK_EVENT_TYPES,
  nullable: true,
  description: 'The event types delivered to it; null: every type',
  example: ENDPOINT_EXAMPLE.types,
} as const;

@ApiSchema({ name: 'WebhookEndpoint', description: "A PSP app's endpoint; its secret is shown only once, when it is created" })
export class WebhookEndpointDto implements EndpointView {
  @ApiProperty({ type: String, format: 'uuid', example: ENDPOINT_ID })
  id: string;

  @ApiProperty({ type: String, format: 'uri', description: 'Any http or https URL, loopback and private addresses included', example: ENDPOINT_EXAMPLE.url })
  url: string;

  @ApiProperty(TYPES_PROPERTY)
  types: WebhookEventType[] | null;

  @ApiProperty({ type: String, nullable: true, example: ENDPOINT_EXAMPLE.description })
  description: string | null;

  @ApiProperty({ type: Boolean, description: 'false: nothing is sent (set by an operator, or after days of failed deliveries)', example: true })
  enabled: boolean;

  @ApiProperty({ type: String, format: 'date-time', example: ENDPOINT_EXAMPLE.created_at })
  created_at: string;
}

@ApiSchema({ name: 'WebhookEndpointCreated', description: 'The new endpoint with its signing secret, which is never shown again' })
export class WebhookEndpointCreatedDto extends WebhookEndpointDto {
  @ApiProperty({
    type: String,
    description: 'whsec_<base64 key>: verify each delivery\'s webhook-signature with it (Standard Webhooks)',
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  })
  secret: string;
}

@ApiSchema({ name: 'WebhookEndpointList' })
export class WebhookEndpointListDto {
  @ApiProperty({ type: () => [WebhookEndpointDto] })
  endpoints: WebhookEndpointDto[];
}

@ApiSchema({ name: 'WebhookDelivery', description: 'One event for one endpoint' })
export class WebhookDeliveryDto implements DeliveryView {
  @ApiProperty({ type: String, description: 'The event id, sent as webhook-id', example: 'evt_5b1f0c2d9e8a7b6c5d4e3f2a' })
  event_id: string;

  @ApiProperty({ type: String, enum: WEBHOOK_EVENT_TYPES, example: 'customer.synced' })
  type: WebhookEventType;

  @ApiProperty({ type: String, enum: ['pending', 'delivered', 'failed'], description: 'failed: given up after the retry window (72 h)', example: 'delivered' })
  status: 'pending' | 'delivered' | 'failed';

  @ApiProperty({ type: 'integer', example: 1 })
  attempts: number;

  @ApiProperty({ type: 'integer', nullable: true, description: 'null when no answer came (timeout, network)', example: 200 })
  last_status_code: number | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: '2025-09-26T09:00:01.004Z' })
  last_attempt_at: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When the next attempt is due; null once delivered or failed', example: null })
  next_attempt_at: string | null;
}

@ApiSchema({ name: 'WebhookDeliveryList', description: 'Newest event first' })
export class WebhookDeliveryListDto implements DeliveryListView {
  @ApiProperty({ type: () => [WebhookDeliveryDto] })
  deliveries: WebhookDeliveryDto[];

  @ApiProperty({ type: 'integer', example: 1 })
  total: number;

  @ApiProperty({ type: 'integer', example: 20 })
  limit: number;

  @ApiProperty({ type: 'integer', example: 0 })
  offset: number;
}

@ApiSchema({ name: 'WebhookRecoverResult' })
export class WebhookRecoverDto {
  @ApiProperty({ type: 'integer', description: 'Events re-queued, each with its original id', example: 12 })
  queued: number;
}

export const CREATE_ENDPOINT_SCHEMA: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['url'],
  properties: {
    url: { type: 'string', format: 'uri', description: 'http or https' },
    types: { type: 'array', nullable: true, items: { type: 'string', enum: [...WEBHOOK_EVENT_TYPES] }, description: 'absent or null: every type' },
    description: { type: 'string', nullable: true, maxLength: 500 },
  },
};

export const UPDATE_ENDPOINT_SCHEMA: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    ...CREATE_ENDPOINT_SCHEMA.properties,
    enabled: { type: 'boolean', description: 'true re-enables an endpoint (also one disabled after failing): its waiting deliveries are sent' },
  },
};

export const RECOVER_SCHEMA: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['since'],
  properties: { since: { type: 'string', format: 'date-time', description: 'Events created at or after this time are sent again' } },
};
