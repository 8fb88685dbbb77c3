import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import type { CustomerChangeResponse, CustomerListResponse, CustomerResponse, SyncError, SyncStatus } from '@app/customers';

// Response schemas for /docs. Each class implements the type the service returns, so a field
// added to a response and not documented here breaks the build. Examples follow Celar's docs.

const NULLABLE_URL = { type: String, nullable: true, description: "Set only by an upload in Celar's Dashboard", example: null };

@ApiSchema({ name: 'SyncError', description: "Why Celar refused the customer's last change for good" })
export class SyncErrorDto implements SyncError {
  @ApiProperty({ type: String, description: "Celar's error code for the refusal", example: 'validation_error' })
  code: string;

  @ApiProperty({ type: String, description: "Celar's reason", example: 'tax_id is not valid for country KEN' })
  message: string;

  @ApiProperty({ type: String, format: 'date-time', example: '2025-09-26T08:11:21.412Z' })
  at: string;
}

@ApiSchema({
  name: 'Customer',
  description: "Every field of Celar's customer object (with the service's own id and timestamps), plus the sync state",
})
export class CustomerDto implements CustomerResponse {
  @ApiProperty({ type: String, format: 'uuid', description: "The service's own id, stable from creation on", example: '3f6c2a9e-8b1d-4e57-a0c4-5d7e9f1b2c3a' })
  id: string;

  @ApiProperty({ type: String, format: 'date-time', example: '2025-09-26T08:11:20.880Z' })
  created_at: string;

  @ApiProperty({ type: String, format: 'date-time', example: '2025-09-26T08:11:21.412Z' })
  updated_at: string;

  @ApiProperty({ type: String, description: 'ISO 3166-1 alpha-3', example: 'KEN' })
  country: string;

  @ApiProperty({ type: String, format: 'email', example: 'alice99@example.com' })
  email: string;

  @ApiProperty({ type: String, enum: ['individual', 'business'], example: 'individual' })
  type: string;

  @ApiProperty({ type: String, nullable: true, description: 'EVM address, EIP-55 checksummed case', example: '0x8ba1f109551bD432803012645Ac136ddd64DBA72' })
  wallet_address: string | null;

  @ApiProperty({ type: String, nullable: true, example: '45 Koinange Street, Nairobi' })
  address: string | null;

  @ApiProperty({ type: Boolean, description: 'false once deactivated (irreversible)', example: true })
  is_active: boolean;

  @ApiProperty({ type: String, example: 'Alice Wanjiku' })
  name: string;

  @ApiProperty({ type: String, nullable: true, description: "Celar's psp_ id; null until Celar has answered", example: 'psp_62ac45f3bc99' })
  psp_id: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'P87126345B' })
  tax_id: string | null;

  @ApiProperty({ type: String, enum: ['id_card', 'passport', 'driver_license', 'incorporation_certificate'], example: 'passport' })
  document_type: string;

  @ApiProperty(NULLABLE_URL)
  verification_document: string | null;

  @ApiProperty(NULLABLE_URL)
  incorporation_certificate: string | null;

  @ApiProperty({ type: String, nullable: true, description: "Celar's cr_ id; null until created upstream", example: 'cr_f12ab34cd567' })
  celar_id: string | null;

  @ApiProperty({
    type: String,
    enum: ['pending', 'synced', 'failed'],
    description: 'pending: changes still to reach Celar; synced: Celar has them all; failed: Celar refused one for good (see sync_error)',
    example: 'synced',
  })
  sync_status: SyncStatus;

  @ApiProperty({ type: () => SyncErrorDto, nullable: true, example: null })
  sync_error: SyncError | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: '2025-09-26T08:11:21.412Z' })
  last_synced_at: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: "Celar's KYC state as last seen (e.g. pending, approved, pending_update); null until Celar reports one. Read-only.",
    example: 'approved',
  })
  kyc_status: string | null;
}

/** The customer of Celar's docs, as just accepted: nothing has reached Celar yet. */
export const PENDING_CUSTOMER_EXAMPLE: CustomerResponse = {
  id: '3f6c2a9e-8b1d-4e57-a0c4-5d7e9f1b2c3a',
  created_at: '2025-09-26T08:11:20.880Z',
  updated_at: '2025-09-26T08:11:20.880Z',
  country: 'KEN',
  email: 'alice99@example.com',
  type: 'individual',
  wallet_address: '0x8ba1f109551bD432803012645Ac136ddd64DBA72',
  address: '45 Koinange Street, Nairobi',
  is_active: true,
  name: 'Alice Wanjiku',
  psp_id: null,
  tax_id: 'P87126345B',
  document_type: 'passport',
  verification_document: null,
  incorporation_certificate: null,
  celar_id: null,
  sync_status: 'pending',
  sync_error: null,
  last_synced_at: null,
  kyc_status: null,
};

/** The same customer once Celar has it. */
export const SYNCED_CUSTOMER_EXAMPLE: CustomerResponse = {
  ...PENDING_CUSTOMER_EXAMPLE,
  updated_at: '2025-09-26T08:11:21.412Z',
  psp_id: 'psp_62ac45f3bc99',
  celar_id: 'cr_f12ab34cd567',
  sync_status: 'synced',
  last_synced_at: '2025-09-26T08:11:21.412Z',
  kyc_status: 'pending',
};

@ApiSchema({ name: 'CustomersCreated' })
export class CustomersCreatedDto {
  @ApiProperty({ type: String, example: '1 customer(s) created successfully' })
  message: string;

  @ApiProperty({ type: () => [CustomerDto], description: "In the request's order, each sync_status pending" })
  customers: CustomerDto[];
}

@ApiSchema({ name: 'CustomerList' })
export class CustomerListDto implements CustomerListResponse {
  @ApiProperty({ type: () => [CustomerDto], description: 'Newest first' })
  customers: CustomerDto[];

  @ApiProperty({ type: 'integer', description: 'Customers matching the filters, all pages', example: 1 })
  total: number;

  @ApiProperty({ type: 'integer', example: 20 })
  limit: number;

  @ApiProperty({ type: 'integer', example: 0 })
  offset: number;
}

@ApiSchema({ name: 'CustomerChange', description: 'The answer to a change: the customer as stored now; Celar gets the change in the background' })
export class CustomerChangeDto implements CustomerChangeResponse {
  @ApiProperty({ type: String, example: 'Customer updated successfully' })
  message: string;

  @ApiProperty({ type: () => CustomerDto })
  customer: CustomerDto;
}
