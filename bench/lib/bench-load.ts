import autocannon from 'autocannon';
import { round } from './bench-report';

export interface LoadSpec {
  /** http://127.0.0.1:<port> */
  origin: string;
  method: 'GET' | 'POST';
  /** A fixed path, or one per request. */
  path: string | (() => string);
  /** A body per request (POST). */
  body?: () => string;
  headers: Record<string, string>;
  connections: number;
  durationS: number;
  /** Instead of a duration: this many requests in all. */
  amount?: number;
}

export interface LoadResult {
  /** Successful (2xx) responses per second. */
  rps: number;
  p50: number;
  p99: number;
  mean: number;
  ok: number;
  non2xx: number;
  errors: number;
  durationS: number;
  statuses: Record<string, number>;
}

/** One autocannon measurement; every request gets a fresh path/body from the spec. */
export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const pathOf = typeof spec.path === 'function' ? spec.path : () => spec.path as string;
  const result = await autocannon({
    url: spec.origin,
    connections: spec.connections,
    pipelining: 1,
    ...(spec.amount ? { amount: spec.amount } : { duration: spec.durationS }),
    timeout: 30,
    headers: spec.headers,
    requests: [
      {
        method: spec.method,
        setupRequest: (req) => ({ ...req, path: pathOf(), ...(spec.body ? { body: spec.body() } : {}) }),
      },
    ],
  });
  const statuses: Record<string, number> = {};
  for (const [status, stat] of Object.entries(result.statusCodeStats ?? {})) statuses[status] = stat.count ?? 0;
  return {
    rps: round(result['2xx'] / result.duration, 1),
    p50: result.latency.p50,
    p99: result.latency.p99,
    mean: round(result.latency.mean, 2),
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    durationS: round(result.duration, 2),
    statuses,
  };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Results per side: `ours`, `baseline`, and any reference measured beside them. */
export type PairedLoad = Record<string, LoadResult[]>;

/**
 * Alternates the sides (ours, the baseline, references), `rounds` times each, so all see the
 * same background load (other test runs share the machine). Each round starts with another side.
 */
export async function pairedLoad(rounds: number, sides: Record<string, () => Promise<LoadResult>>): Promise<PairedLoad> {
  const names = Object.keys(sides);
  const out: PairedLoad = Object.fromEntries(names.map((n) => [n, [] as LoadResult[]]));
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + r) % names.length];
      out[name].push(await sides[name]());
    }
  }
  return out;
}

/** Median over rounds of each figure. */
export function summarizeLoad(results: LoadResult[]): { rps: number; p50: number; p99: number; non2xx: number; errors: number } {
  return {
    rps: round(median(results.map((r) => r.rps)), 1),
    p50: median(results.map((r) => r.p50)),
    p99: median(results.map((r) => r.p99)),
    non2xx: results.reduce((n, r) => n + r.non2xx, 0),
    errors: results.reduce((n, r) => n + r.errors, 0),
  };
}
