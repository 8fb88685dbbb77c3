export { Customer } from './customer.entity';
export type { CustomerType, SyncError, SyncStatus } from './customer.entity';
export { CustomerOperation } from './customer-operation.entity';
export type { OperationKind, OperationStatus } from './customer-operation.entity';
export { IdempotencyKey } from './idempotency-key.entity';
export { CustomersModule } from './customers.module';
export { CustomersService } from './customers.service';
export { CustomersRepository } from './customers.repository';
export type { CustomerCounts, OperationHistoryRow } from './customers.repository';
export type { CreateResult, CustomerChangeResponse, CustomerListResponse, IdempotencyContext, WriteContext } from './customers.service';
export { toCustomerResponse } from './customer.serializer';
export type { CustomerResponse } from './customer.serializer';
export { isValidEvmAddress, sameWalletAddress, toChecksumAddress } from './evm-address';
export { isIsoAlpha3Country } from './country';
export { CUSTOMER_TYPES, DOCUMENT_FIELDS, DOCUMENT_TYPES, documentTypeFits, CreateCustomerDto, UpdateCustomerDto } from './customer-input.dto';
export type { DocumentField } from './customer-input.dto';
export { CustomerMirrorRepository, customerResponses, outboxBacklog } from './customer-mirror.repository';
export { CUSTOMER_REF } from './customer-ref';
export type { CustomerIdRange, LinkedCustomer, LinkedScope, MirrorRecord } from './customer-mirror.repository';
export { validateCreateBody, validatePatchBody, MAX_BULK } from './customer-validation';
export type { NewCustomerInput, CustomerPatch } from './customer-validation';
export { parseListQuery, SYNC_STATUSES } from './customer-list.query';
export { CustomerOperationsRepository, LeaseLostError, OUTBOX_CHANNEL } from './customer-operations.repository';
export type {
  AttemptOutcome,
  ClaimedOperation,
  CreatedUpstream,
  DrainCustomer,
  OperationError,
  SyncOperation,
  SyncOutcomeListener,
  UpstreamRecord,
} from './customer-operations.repository';
