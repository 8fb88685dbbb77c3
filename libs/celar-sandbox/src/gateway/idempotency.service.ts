import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { SandboxError } from '../common/sandbox.error';

export const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;

interface Entry {
  fingerprint: string;
  expiresAt: number;
  response?: { status: number; body: unknown };
}

export type IdempotencyBegin = { kind: 'new' } | { kind: 'replay'; status: number; body: unknown };

/** Idempotency-Key store, per API key: the first successful response is kept 24 h and replayed. */
@Injectable()
export class IdempotencyService {
  // Insertion order is expiry order, so pruning stops at the first live entry.
  private readonly entries = new Map<string, Entry>();

  static fingerprint(method: string, path: string, body: unknown): string {
    return createHash('sha256').update(`${method} ${path} ${canonicalJson(body)}`).digest('hex');
  }

  /** Reserves the key, or answers with the stored response; 409 while the first request runs, 422 for another request. */
  begin(apiKey: string, key: string, fingerprint: string): IdempotencyBegin {
    this.prune();
    const id = `${apiKey}\u0000${key}`;
    const entry = this.entries.get(id);
    if (entry) {
      if (entry.fingerprint !== fingerprint) {
        throw new SandboxError('idempotency_key_reused', 'this Idempotency-Key was used with a different request');
      }
      if (!entry.response) throw new SandboxError('idempotency_key_in_use', 'a request with this Idempotency-Key is still in progress');
      return { kind: 'replay', ...entry.response };
    }
    this.entries.set(id, { fingerprint, expiresAt: Date.now() + IDEMPOTENCY_TTL_MS });
    return { kind: 'new' };
  }

  complete(apiKey: string, key: string, status: number, body: unknown): void {
    const entry = this.entries.get(`${apiKey}\u0000${key}`);
    if (entry) entry.response = { status, body };
  }

  /** The request failed before acting: the key may be used again. */
  release(apiKey: string, key: string): void {
    const id = `${apiKey}\u0000${key}`;
    if (!this.entries.get(id)?.response) this.entries.delete(id);
  }

  reset(): void {
    this.entries.clear();
  }

  private prune(): void {
    const now = Date.now();
    for (const [id, entry] of this.entries) {
      if (entry.expiresAt > now) break;
      this.entries.delete(id);
    }
  }
}

/** JSON with object keys sorted, so `{"a":1,"b":2}` and `{"b":2,"a":1}` are one request. */
export function canonicalJson(value: unknown): string {
  if (value === undefined) return '';
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k] ?? null)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
