import { AppError, ErrorDetail } from '@app/common';

type Query = Record<string, unknown>;

/** Refuses query parameters a route does not know: a typo must not silently change the answer. */
export function onlyKnownParams(query: Query, known: string[]): void {
  const details: ErrorDetail[] = Object.keys(query)
    .filter((key) => !known.includes(key))
    .map((field) => ({ field, message: `is not a known parameter (known: ${known.join(', ') || 'none'})` }));
  if (details.length > 0) throw new AppError('validation_failed', 'Unknown query parameter', details);
}

/** An integer parameter in [min, max], the fallback when absent; never clamped. */
export function intParam(query: Query, name: string, fallback: number, min: number, max: number): number {
  const value = query[name];
  if (value === undefined) return fallback;
  const n = typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new AppError('validation_failed', `${name} must be an integer from ${min} to ${max}`, [
      { field: name, message: `must be an integer from ${min} to ${max}` },
    ]);
  }
  return n;
}

export function pageParams(query: Query): { limit: number; offset: number } {
  return { limit: intParam(query, 'limit', 20, 1, 100), offset: intParam(query, 'offset', 0, 0, 1_000_000_000) };
}

export function oneOfParam<T extends string>(query: Query, name: string, allowed: readonly T[]): T | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    throw new AppError('validation_failed', `${name} must be one of ${allowed.join(', ')}`, [
      { field: name, message: `must be one of ${allowed.join(', ')}` },
    ]);
  }
  return value as T;
}
