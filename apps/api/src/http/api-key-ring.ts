import { createHash, timingSafeEqual } from 'node:crypto';
import { AppConfig } from '@app/config';
import { ApiKeyRole } from './api-request';

export const sha256 = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * The configured keys, compared as SHA-256 digests (equal length, so timingSafeEqual applies)
 * against every key without stopping at a match: the time taken says nothing about which key
 * was close. An admin match wins over an app match of the same key.
 */
export class ApiKeyRing {
  private readonly keys: { digest: Buffer; role: ApiKeyRole }[];

  constructor(config: AppConfig) {
    this.keys = [
      ...config.appApiKeys.map((key) => ({ digest: sha256(key), role: 'app' as const })),
      ...config.adminApiKeys.map((key) => ({ digest: sha256(key), role: 'admin' as const })),
    ];
  }

  roleOf(presented: string): ApiKeyRole | undefined {
    return this.roleOfDigest(sha256(presented));
  }

  /** As roleOf, for a key already hashed with `sha256`. */
  roleOfDigest(digest: Buffer): ApiKeyRole | undefined {
    let role: ApiKeyRole | undefined;
    for (const key of this.keys) {
      if (timingSafeEqual(digest, key.digest) && role !== 'admin') role = key.role;
    }
    return role;
  }
}
