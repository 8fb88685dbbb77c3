import type { FastifyReply, FastifyRequest } from 'fastify';

export type ApiKeyRole = 'app' | 'admin';

// What the API adds to Fastify's request (decorated in createApiApp, set by the guard).
declare module 'fastify' {
  interface FastifyRequest {
    /** The URL's path, without its query string. */
    readonly path: string;
    /** Fastify's request id (the caller's harmless `X-Request-Id`, else a UUID): echoed, logged, and stored with the operations this request causes. */
    readonly requestId: string;
    /** SHA-256 (hex) of the caller's key: its identity for idempotency keys, never the key itself. */
    apiKeyHash?: string;
    apiKeyRole?: ApiKeyRole;
  }
}

export type ApiRequest = FastifyRequest<{ Querystring: Record<string, unknown>; Params: Record<string, string> }>;
export type ApiResponse = FastifyReply;
