import { AppError, ErrorDetail } from './app-error';

/**
 * A route's query string, read strictly: an unknown parameter, one given twice, or a value out
 * of range is a 400 naming each problem (all of them at once); nothing is ignored or clamped.
 * Read what the route takes, then call done().
 */
export class QueryReader {
  private readonly details: ErrorDetail[] = [];

  constructor(
    private readonly query: Record<string, unknown>,
    known: readonly string[],
  ) {
    for (const key of Object.keys(query)) {
      if (!known.includes(key)) this.fail(key, `is not a known parameter (known: ${known.join(', ') || 'none'})`);
    }
  }

  fail(field: string, message: string): void {
    this.details.push({ field, message });
  }

  /** One text value, or undefined when absent. */
  text(name: string): string | undefined {
    const value = this.query[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') {
      this.fail(name, 'must be given once');
      return undefined;
    }
    return value;
  }

  /** An integer in [min, max]; the fallback when absent. */
  int(name: string, fallback: number, min: number, max: number): number {
    const value = this.text(name);
    if (value === undefined) return fallback;
    const n = /^\d{1,10}$/.test(value) ? Number(value) : NaN;
    if (!Number.isInteger(n) || n < min || n > max) {
      this.fail(name, `must be an integer from ${min} to ${max}`);
      return fallback;
    }
    return n;
  }

  /** `limit` 1..100 (default 20) and `offset` (default 0), as every list of the API takes them. */
  page(): { limit: number; offset: number } {
    return { limit: this.int('limit', 20, 1, 100), offset: this.int('offset', 0, 0, 1_000_000_000) };
  }

  /** One of `allowed`, or undefined when absent. */
  oneOf<T extends string>(name: string, allowed: readonly T[]): T | undefined {
    const value = this.text(name);
    if (value === undefined) return undefined;
    if (!allowed.includes(value as T)) {
      this.fail(name, `must be one of ${allowed.join(', ')}`);
      return undefined;
    }
    return value as T;
  }

  /** Several of `allowed`: the parameter repeated, or comma-separated. */
  list<T extends string>(name: string, allowed: readonly T[]): T[] | undefined {
    const raw = this.query[name];
    if (raw === undefined) return undefined;
    const parts = (Array.isArray(raw) ? raw : [raw]).flatMap((v) => (typeof v === 'string' ? v.split(',') : [String(v)])).map((v) => v.trim());
    if (parts.length === 0 || parts.some((p) => !allowed.includes(p as T))) {
      this.fail(name, `must be one or more of ${allowed.join(', ')}`);
      return undefined;
    }
    return [...new Set(parts)] as T[];
  }

  /** Throws the 400 that lists every problem found, if any. */
  done(): void {
    if (this.details.length > 0) throw new AppError('validation_failed', 'Invalid query parameters', this.details);
  }
}
