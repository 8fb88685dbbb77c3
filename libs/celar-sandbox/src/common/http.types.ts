import type { IncomingMessage, ServerResponse } from 'node:http';

// Just what the sandbox uses of express's request and response (no @types/express in the project).
export interface SandboxRequest extends IncomingMessage {
  body?: unknown;
  params: Record<string, string | undefined>;
  query: Record<string, unknown>;
  originalUrl: string;
  path: string;
}

export interface SandboxResponse extends ServerResponse {
  locals: Record<string, unknown>;
  status(code: number): this;
  json(body: unknown): this;
}
