import { CustomerMirror1764000000000 } from './1764000000000-CustomerMirror';
import { Reconciliation1764200000000 } from './1764200000000-Reconciliation';
import { IdempotencyResponseText1764300000000 } from './1764300000000-IdempotencyResponseText';
import { SyncLeasesAndSettling1765000000000 } from './1765000000000-SyncLeasesAndSettling';
import { ReconciliationCases1765200000000 } from './1765200000000-ReconciliationCases';
import { Webhooks1765300000000 } from './1765300000000-Webhooks';

/** Every migration, in order. A new migration is generated (npm run migration:generate) and added here. */
export const MIGRATIONS = [
  CustomerMirror1764000000000,
  Reconciliation1764200000000,
  IdempotencyResponseText1764300000000,
  SyncLeasesAndSettling1765000000000,
  ReconciliationCases1765200000000,
  Webhooks1765300000000,
];
