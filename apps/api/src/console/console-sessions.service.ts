import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { DataSource } from 'typeorm';
import { keyActor } from '@app/cases';
import { APP_CONFIG, AppConfig } from '@app/config';
import { queryRows } from '@app/database';
import { ApiKeyRing, sha256 } from '../http/api-key-ring';

/** How long a console session lasts from sign-in. */
export const SESSION_TTL_S = 12 * 60 * 60;

export interface ConsoleSession {
  /** `key:<first 12 hex of sha256 of the admin key>`: who the console's actions are credited to. */
  actor: string;
  csrfToken: string;
}

export type SignIn = { ok: true; token: string } | { ok: false; status: 401 | 403 };

/**
 * Console sessions, kept in Postgres (console_sessions) so signing out really ends one: the
 * cookie holds a random token, the table only its SHA-256, and the session's CSRF token.
 */
@Injectable()
export class ConsoleSessionsService {
  private readonly keys: ApiKeyRing;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.keys = new ApiKeyRing(config);
  }

  /** An admin key opens a session; an app key is 403, anything else 401. */
  async signIn(key: unknown): Promise<SignIn> {
    if (typeof key !== 'string' || key.trim() === '') return { ok: false, status: 401 };
    const role = this.keys.roleOf(key.trim());
    if (role === undefined) return { ok: false, status: 401 };
    if (role !== 'admin') return { ok: false, status: 403 };
    const token = randomBytes(32).toString('base64url');
    await queryRows(
      this.dataSource,
      `INSERT INTO console_sessions (token_hash, actor, csrf_token, expires_at) VALUES ($1, $2, $3, now() + $4 * interval '1 second')`,
      [digest(token), keyActor(sha256(key.trim()).toString('hex')), randomBytes(24).toString('base64url'), SESSION_TTL_S],
    );
    // Expired sessions are swept now and then, a bounded batch at a time.
    await queryRows(
      this.dataSource,
      `DELETE FROM console_sessions WHERE token_hash IN (SELECT token_hash FROM console_sessions WHERE expires_at < now() LIMIT 100)`,
    );
    return { ok: true, token };
  }

  async find(token: string | undefined): Promise<ConsoleSession | null> {
    if (!token || token.length > 100) return null;
    const [session] = await queryRows<ConsoleSession>(
      this.dataSource,
      `SELECT actor, csrf_token AS "csrfToken" FROM console_sessions WHERE token_hash = $1 AND expires_at > now()`,
      [digest(token)],
    );
    return session ?? null;
  }

  async end(token: string | undefined): Promise<void> {
    if (!token || token.length > 100) return;
    await queryRows(this.dataSource, `DELETE FROM console_sessions WHERE token_hash = $1`, [digest(token)]);
  }
}

function digest(token: string): string {
  return sha256(token).toString('hex');
}

export function sameToken(a: string, b: unknown): boolean {
  if (typeof b !== 'string') return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
