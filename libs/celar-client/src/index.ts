export * from './celar.types';
export { CelarApiError, parseRetryAfter } from './celar-api.error';
export { CelarClient, CelarClientOptions, CelarClientSettings } from './celar.client';
export { CelarClientModule, RECONCILE_CELAR_CLIENT, REFRESH_CELAR_CLIENT } from './celar-client.module';
export { BUDGET_PURPOSES, BudgetPurpose, CelarRequestBudget } from './celar-request.budget';
export { CelarWriteOptions } from './celar.client';
export { withCelarRetry, asCelarError, describeCelarError } from './celar-read-retry';
export type { ReadRetryOptions } from './celar-read-retry';
