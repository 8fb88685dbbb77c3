/** Error codes the API maps to HTTP statuses; the code is also what callers see in `error.code`. */
export const ERROR_STATUS = {
  validation_failed: 400,
  invalid_json: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  email_taken: 409,
  customer_deactivated: 409,
  not_failed: 409,
  not_created_upstream: 409,
  run_in_progress: 409,
  idempotency_key_in_use: 409,
  invalid_transition: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  idempotency_key_reused: 422,
  rate_limited: 429,
  internal_error: 500,
  celar_unavailable: 503,
  dependency_down: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** The code for an HTTP error the framework raises itself (no route, a bad encoding, a body over the limit...). */
export const HTTP_STATUS_CODE: Record<number, ErrorCode | 'method_not_allowed' | 'unprocessable'> = {
  400: 'validation_failed',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'unprocessable',
  429: 'rate_limited',
  503: 'dependency_down',
};

export interface ErrorDetail {
  /** Index of the bad item in a bulk request. */
  index?: number;
  field?: string;
  message: string;
  [key: string]: unknown;
}

/**
 * An expected failure with a code and safe metadata. Never put a secret, a tax id or
 * other personal data in `message` or `details`: they reach callers and logs.
 */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorDetail[],
    readonly extra?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'AppError';
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}
