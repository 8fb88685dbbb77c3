import { getSchemaPath } from '@nestjs/swagger';
import type { ExampleObject, SchemaObject } from '@nestjs/swagger';
import { CUSTOMER_TYPES, DOCUMENT_TYPES, MAX_BULK } from '@app/customers';
import type { NewCustomerInput } from '@app/customers';

// Request-body schemas of the customer routes, for /docs. Plain JSON Schema rather than
// decorated classes: they need oneOf, additionalProperties: false and minProperties, which
// decorators cannot say. Validation itself lives in @app/customers.

const ALL_DOCUMENT_TYPES = [...DOCUMENT_TYPES.individual, ...DOCUMENT_TYPES.business];

/** The one wallet address of Celar's docs whose EIP-55 checksum holds; the API refuses the other two. */
const WALLET_EXAMPLE = '0x8ba1f109551bD432803012645Ac136ddd64DBA72';

const walletAddress: SchemaObject = {
  type: 'string',
  pattern: '^0x[0-9a-fA-F]{40}$',
  description: 'EVM address: 0x and 40 hex digits. Mixed case must match its EIP-55 checksum; all lower or all upper case carries none.',
  example: WALLET_EXAMPLE,
};
const name: SchemaObject = { type: 'string', minLength: 1, maxLength: 200, description: 'Not blank, no control characters', example: 'Alice Wanjiku' };
const email: SchemaObject = {
  type: 'string',
  format: 'email',
  maxLength: 254,
  description: 'Unique among active customers, ignoring case',
  example: 'alice99@example.com',
};
const address: SchemaObject = { type: 'string', minLength: 1, maxLength: 500, example: '45 Koinange Street, Nairobi' };

const CUSTOMER_INPUT: SchemaObject = {
  type: 'object',
  description:
    'A customer as Celar takes it. verification_document and incorporation_certificate are set only by uploads in ' +
    "Celar's Dashboard: sending them (or id, is_active, or any unknown field) is a 400.",
  additionalProperties: false,
  required: ['type', 'name', 'email', 'country', 'document_type'],
  properties: {
    type: { type: 'string', enum: [...CUSTOMER_TYPES], example: 'individual' },
    name,
    email,
    country: { type: 'string', pattern: '^[A-Z]{3}$', description: 'ISO 3166-1 alpha-3, upper case', example: 'KEN' },
    document_type: {
      type: 'string',
      enum: ALL_DOCUMENT_TYPES,
      description: `individual: ${DOCUMENT_TYPES.individual.join(' | ')}; business: ${DOCUMENT_TYPES.business.join(' | ')}`,
      example: 'passport',
    },
    address: { ...address, nullable: true },
    tax_id: { type: 'string', nullable: true, minLength: 1, maxLength: 64, example: 'P87126345B' },
    wallet_address: { ...walletAddress, nullable: true },
  },
};

const CUSTOMER_PATCH: SchemaObject = {
  type: 'object',
  description: 'Only these fields may change; any other field, null, or an empty body is a 400.',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    name,
    email,
    address,
    wallet_address: walletAddress,
    document_type: { type: 'string', enum: ALL_DOCUMENT_TYPES, description: "Must fit the customer's type" },
  },
};

/** Components that setupOpenApi adds to the document. */
export const CUSTOMER_REQUEST_SCHEMAS: Record<string, SchemaObject> = {
  CustomerInput: CUSTOMER_INPUT,
  CustomerPatch: CUSTOMER_PATCH,
};

export const CREATE_BODY_SCHEMA: SchemaObject = {
  description: `One customer, or an array of 1..${MAX_BULK} (all or nothing: one bad item and nothing is stored)`,
  oneOf: [
    { $ref: getSchemaPath('CustomerInput') },
    { type: 'array', minItems: 1, maxItems: MAX_BULK, items: { $ref: getSchemaPath('CustomerInput') } },
  ],
};

export const PATCH_BODY_SCHEMA: SchemaObject = { $ref: getSchemaPath('CustomerPatch') } as SchemaObject;

// Celar's own examples (customers-endpoints.txt), with a wallet address whose checksum holds.
const ALICE: NewCustomerInput = {
  country: 'KEN',
  email: 'alice99@example.com',
  type: 'individual',
  wallet_address: WALLET_EXAMPLE,
  address: '45 Koinange Street, Nairobi',
  name: 'Alice Wanjiku',
  tax_id: 'P87126345B',
  document_type: 'passport',
};
const ACME: NewCustomerInput = {
  country: 'KEN',
  email: 'acme.ltd@example.com',
  type: 'business',
  wallet_address: WALLET_EXAMPLE,
  address: '10 Industrial Area Road, Nairobi',
  name: 'Acme Trading Ltd',
  tax_id: 'C5562399K',
  document_type: 'incorporation_certificate',
};

export const CREATE_BODY_EXAMPLES: Record<string, ExampleObject> = {
  individual: { summary: 'An individual (Celar docs)', value: ALICE },
  business: { summary: 'A business (Celar docs)', value: ACME },
  bulk: { summary: 'A bulk of two', value: [ALICE, ACME] },
};

export const PATCH_BODY_EXAMPLES: Record<string, ExampleObject> = {
  rename: { summary: 'New name and address (Celar docs)', value: { name: 'Alice N. Wanjiku', address: '101 Moi Avenue, Nairobi' } },
};
