// Error codes the sandbox answers with, as `{"error": {"code", "message", "details"?}}`.
export const SANDBOX_ERROR_STATUS = {
  validation_failed: 400,
  invalid_json: 400,
  customer_rejected: 400,
  unauthorized: 401,
  not_found: 404,
  email_taken: 409,
  customer_deactivated: 409,
  idempotency_key_in_use: 409,
  payload_too_large: 413,
  idempotency_key_reused: 422,
  rate_limited: 429,
  internal_error: 500,
  bad_gateway: 502,
  service_unavailable: 503,
  gateway_timeout: 504,
} as const;

export type SandboxErrorCode = keyof typeof SANDBOX_ERROR_STATUS;

export interface SandboxErrorDetail {
  index?: number;
  field?: string;
  message: string;
}

export class SandboxError extends Error {
  constructor(
    readonly code: SandboxErrorCode,
    message: string,
    readonly details?: SandboxErrorDetail[],
    /** Overrides the code's status (fault-injected 5xx may use any status). */
    readonly statusOverride?: number,
  ) {
    super(message);
    this.name = 'SandboxError';
  }

  get status(): number {
    return this.statusOverride ?? SANDBOX_ERROR_STATUS[this.code];
  }

  toBody(): { error: { code: string; message: string; details?: SandboxErrorDetail[] } } {
    return { error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) } };
  }
}

/** The error code an injected 5xx status answers with. */
export function serverErrorCode(status: number): SandboxErrorCode {
  if (status === 502) return 'bad_gateway';
  if (status === 503) return 'service_unavailable';
  if (status === 504) return 'gateway_timeout';
  return 'internal_error';
}
