import type { SchemaObject } from '@nestjs/swagger';

// OpenAPI schemas of the customer routes, for /docs. Validation itself lives in @app/customers.

const walletAddress: SchemaObject = {
  type: 'string',
  pattern: '^0x[0-9a-fA-F]{40}$',
  description: 'EVM address; when mixed-case, its EIP-55 checksum must hold',
  example: '0x8ba1f109551bD432803012645Ac136ddd64DBA72',
};

export const CUSTOMER_INPUT_SCHEMA: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'name', 'email', 'country', 'document_type'],
  properties: {
    type: { type: 'string', enum: ['individual', 'business'] },
    name: { type: 'string', maxLength: 200, example: 'Alice Wanjiku' },
    email: { type: 'string', format: 'email', maxLength: 254, example: 'alice99@example.com' },
    country: { type: 'string', pattern: '^[A-Z]{3}$', description: 'ISO 3166-1 alpha-3, upper case', example: 'KEN' },
    document_type: {
      type: 'string',
      enum: ['id_card', 'passport', 'driver_license', 'incorporation_certificate'],
      description: 'individual: id_card | passport | driver_license; business: incorporation_certificate',
    },
    address: { type: 'string', maxLength: 500, example: '45 Koinange Street, Nairobi' },
    tax_id: { type: 'string', maxLength: 64, example: 'P87126345B' },
    wallet_address: walletAddress,
  },
};

export const CREATE_BODY_SCHEMA: SchemaObject = {
  oneOf: [CUSTOMER_INPUT_SCHEMA, { type: 'array', minItems: 1, maxItems: 1000, items: CUSTOMER_INPUT_SCHEMA }],
};

export const PATCH_BODY_SCHEMA: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    name: CUSTOMER_INPUT_SCHEMA.properties?.name as SchemaObject,
    email: CUSTOMER_INPUT_SCHEMA.properties?.email as SchemaObject,
    address: CUSTOMER_INPUT_SCHEMA.properties?.address as SchemaObject,
    wallet_address: walletAddress,
    document_type: { ...(CUSTOMER_INPUT_SCHEMA.properties?.document_type as SchemaObject), description: "must fit the customer's type" },
  },
};

const nullableString: SchemaObject = { type: 'string', nullable: true };

export const CUSTOMER_SCHEMA: SchemaObject = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid', description: "The service's own id" },
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
    country: { type: 'string' },
    email: { type: 'string' },
    type: { type: 'string', enum: ['individual', 'business'] },
    wallet_address: nullableString,
    address: nullableString,
    is_active: { type: 'boolean' },
    name: { type: 'string' },
    psp_id: { ...nullableString, description: 'null until Celar has answered' },
    tax_id: nullableString,
    document_type: { type: 'string' },
    verification_document: nullableString,
    incorporation_certificate: nullableString,
    celar_id: { ...nullableString, description: "Celar's cr_ id, null until created upstream" },
    sync_status: { type: 'string', enum: ['pending', 'synced', 'failed'] },
    sync_error: {
      type: 'object',
      nullable: true,
      properties: { code: { type: 'string' }, message: { type: 'string' }, at: { type: 'string', format: 'date-time' } },
    },
    last_synced_at: { type: 'string', format: 'date-time', nullable: true },
  },
};

export const CHANGE_RESPONSE_SCHEMA: SchemaObject = {
  type: 'object',
  properties: { message: { type: 'string' }, customer: CUSTOMER_SCHEMA },
};

export const ERROR_SCHEMA: SchemaObject = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        details: {
          type: 'array',
          items: { type: 'object', properties: { index: { type: 'integer' }, field: { type: 'string' }, message: { type: 'string' } } },
        },
      },
    },
  },
};
