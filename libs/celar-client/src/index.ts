export * from './celar.types';
export { CelarApiError, parseRetryAfter } from './celar-api.error';
export { CelarClient, CelarClientOptions, CelarClientSettings } from './celar.client';
export { CelarClientModule } from './celar-client.module';
export { CelarRequestBudget } from './celar-request.budget';
export { CelarWriteOptions } from './celar.client';
export { withCelarRetry, asCelarError, describeCelarError } from './celar-read-retry';
export type { ReadRetryOptions } from './celar-read-retry';
