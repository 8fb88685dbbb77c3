/** Every event a PSP app may subscribe to (docs/api.md, "Events to PSP apps"). */
export const WEBHOOK_EVENT_TYPES = [
  'customer.synced',
  'customer.updated',
  'customer.deactivated',
  'customer.sync_failed',
  'reconciliation.run_finished',
  'reconciliation.case_opened',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** The event that reports a sync operation of this kind reaching Celar. */
export function customerEventFor(operationKind: 'create' | 'update' | 'deactivate'): WebhookEventType {
  return operationKind === 'create' ? 'customer.synced' : operationKind === 'update' ? 'customer.updated' : 'customer.deactivated';
}

/** What a PSP app receives: the body of every delivery. */
export interface WebhookPayload {
  id: string;
  type: WebhookEventType;
  created_at: string;
  data: Record<string, unknown>;
}
