import type { IncomingMessage, ServerResponse } from 'node:http';

// @types/express is not installed: these are the few express request/response members we use.

export type ApiKeyRole = 'app' | 'admin';

export interface ApiRequest extends IncomingMessage {
  method: string;
  path: string;
  body?: unknown;
  query: Record<string, unknown>;
  params: Record<string, string>;
  /** Echoed in `X-Request-Id` and stored with the operations this request causes. */
  requestId: string;
  /** SHA-256 (hex) of the caller's key: its identity for idempotency keys, never the key itself. */
  apiKeyHash?: string;
  apiKeyRole?: ApiKeyRole;
}

export interface ApiResponse extends ServerResponse {
  status(code: number): this;
  json(body: unknown): this;
  type(contentType: string): this;
  send(body: string | Buffer): this;
}

export type NextFunction = (error?: unknown) => void;
export type Middleware = (req: ApiRequest, res: ApiResponse, next: NextFunction) => void;
