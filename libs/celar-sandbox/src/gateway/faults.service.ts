import { Inject, Injectable } from '@nestjs/common';
import { SandboxRandom } from '../common/random';
import { SandboxError, SandboxErrorDetail } from '../common/sandbox.error';
import { isPlainObject } from '../customers/customer.validation';
import { SANDBOX_OPTIONS, SandboxOptions } from '../sandbox-options';

export const FAULT_KINDS = ['latency', 'error', 'rate_limited', 'act_then_error', 'act_then_drop', 'drop_before', 'reject'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultRuleInput {
  kind: FaultKind;
  /** HTTP method(s) to match; any by default (`reject`: POST, PATCH and DELETE). */
  method?: string | string[];
  /** Path under /api/v1 (the prefix may be given): `*` or `:name` match one segment, `**` anything. Any path by default. */
  path?: string;
  /** Matches requests whose body holds one of these emails, or that target a customer with one of them. */
  email?: string | string[];
  /** Chance a matching request triggers the rule, 0..1; default 1. */
  probability?: number;
  /** Triggers for the next N matching requests (after the draw), then the rule is gone; unlimited by default. */
  count?: number;
  /** `latency`: added delay before the answer. */
  latencyMs?: number;
  /** `latency`: when the operation runs, 0..latencyMs; default latencyMs (it acts, then answers at once). */
  actAfterMs?: number;
  /** `error` / `act_then_error`: the 5xx status; default 500. */
  status?: number;
  /** `rate_limited`: the Retry-After seconds; default 1. */
  retryAfterSeconds?: number;
  /** `reject`: the reason in the 400 answer. */
  message?: string;
}

export interface FaultRule extends Omit<FaultRuleInput, 'method' | 'email'> {
  id: string;
  method: string[] | null;
  email: string[] | null;
  /** Times it triggered. */
  fired: number;
  /** Triggers left, null if unlimited. */
  remaining: number | null;
}

export interface FaultPlan {
  /** Sum of the triggered latency rules: when the answer goes. */
  latencyMs: number;
  /** Sum of their acting delays (each actAfterMs, else latencyMs): when the operation runs. */
  actAfterMs: number;
  /** The first non-latency rule that triggered, if any. */
  fault?: FaultRule;
}

export interface FaultTarget {
  method: string;
  /** Path below /api/v1, e.g. /customers/cr_0123456789ab. */
  path: string;
  emails: string[];
}

const MUTATIONS = ['POST', 'PATCH', 'DELETE'];

/** Fault rules and the draws that pick them. */
@Injectable()
export class FaultsService {
  private rules: (FaultRule & { pattern: RegExp | null })[] = [];
  private nextId = 1;
  readonly random: SandboxRandom;
  readonly firedByKind: Record<string, number> = {};

  constructor(@Inject(SANDBOX_OPTIONS) options: SandboxOptions) {
    this.random = new SandboxRandom(options.seed);
  }

  list(): FaultRule[] {
    return this.rules.map(({ pattern: _pattern, ...rule }) => ({ ...rule }));
  }

  add(input: unknown): FaultRule {
    const parsed = parseFaultRule(input);
    const rule = { ...parsed, id: `fault_${this.nextId++}`, fired: 0, remaining: parsed.count ?? null, pattern: globToRegExp(parsed.path) };
    this.rules.push(rule);
    const { pattern: _pattern, ...view } = rule;
    return { ...view };
  }

  remove(id: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length < before;
  }

  clear(): void {
    this.rules = [];
  }

  reset(): void {
    this.clear();
    for (const kind of Object.keys(this.firedByKind)) delete this.firedByKind[kind];
  }

  /** Draws every matching rule once: all latencies add up; the first other rule that triggers is the fault. */
  plan(target: FaultTarget): FaultPlan {
    const plan: FaultPlan = { latencyMs: 0, actAfterMs: 0 };
    if (this.rules.length === 0) return plan;
    const emails = target.emails.map((e) => e.toLowerCase());
    for (const rule of this.rules) {
      if (plan.fault && rule.kind !== 'latency') continue;
      if (!this.matches(rule, target, emails)) continue;
      if ((rule.probability ?? 1) < 1 && this.random.next() >= (rule.probability ?? 1)) continue;
      rule.fired++;
      this.firedByKind[rule.kind] = (this.firedByKind[rule.kind] ?? 0) + 1;
      if (rule.remaining !== null) rule.remaining--;
      if (rule.kind === 'latency') {
        plan.latencyMs += rule.latencyMs ?? 0;
        plan.actAfterMs += rule.actAfterMs ?? rule.latencyMs ?? 0;
      } else plan.fault = rule;
    }
    this.rules = this.rules.filter((r) => r.remaining === null || r.remaining > 0);
    return plan;
  }

  private matches(rule: FaultRule & { pattern: RegExp | null }, target: FaultTarget, emails: string[]): boolean {
    const methods = rule.method ?? (rule.kind === 'reject' ? MUTATIONS : null);
    if (methods && !methods.includes(target.method)) return false;
    if (rule.pattern && !rule.pattern.test(target.path)) return false;
    if (rule.email && !emails.some((e) => rule.email!.includes(e))) return false;
    return true;
  }
}

function globToRegExp(path: string | undefined): RegExp | null {
  if (path === undefined) return null;
  const relative = stripApiPrefix(path).replace(/\/+$/, '') || '/';
  const source = relative
    .split('/')
    .map((segment) => {
      if (segment === '**') return '.*';
      if (segment === '*' || segment.startsWith(':')) return '[^/]+';
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\\\*/g, '[^/]*');
    })
    .join('/');
  return new RegExp(`^${source}/?$`);
}

export function stripApiPrefix(path: string): string {
  return path.startsWith('/api/v1') ? path.slice('/api/v1'.length) || '/' : path;
}

function parseFaultRule(input: unknown): Omit<FaultRule, 'id' | 'fired' | 'remaining'> {
  const problems: SandboxErrorDetail[] = [];
  const bad = (field: string, message: string) => problems.push({ field, message });
  if (!isPlainObject(input)) throw new SandboxError('validation_failed', 'a fault rule must be an object');
  const known = ['kind', 'method', 'path', 'email', 'probability', 'count', 'latencyMs', 'actAfterMs', 'status', 'retryAfterSeconds', 'message'];
  for (const field of Object.keys(input)) if (!known.includes(field)) bad(field, 'is not a known field');
  const kind = input.kind as FaultKind;
  if (!FAULT_KINDS.includes(kind)) bad('kind', `must be one of ${FAULT_KINDS.join(', ')}`);
  const list = (field: string, upper: boolean): string[] | null => {
    const value = input[field];
    if (value === undefined || value === null) return null;
    const values = Array.isArray(value) ? value : [value];
    if (values.length === 0 || values.some((v) => typeof v !== 'string' || v === '')) {
      bad(field, 'must be a string or an array of strings');
      return null;
    }
    return values.map((v: string) => (upper ? v.toUpperCase() : v.toLowerCase()));
  };
  const method = list('method', true);
  const email = list('email', false);
  if (input.path !== undefined && (typeof input.path !== 'string' || !input.path.startsWith('/'))) bad('path', 'must start with /');
  const number = (field: string, min: number, max: number, integer: boolean): number | undefined => {
    const value = input[field];
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
      bad(field, `must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}`);
    }
    return value as number;
  };
  const probability = number('probability', 0, 1, false);
  const count = number('count', 1, 1_000_000_000, true);
  const latencyMs = number('latencyMs', 0, 600_000, true);
  const actAfterMs = number('actAfterMs', 0, latencyMs ?? 600_000, true);
  const status = number('status', 500, 599, true);
  const retryAfterSeconds = number('retryAfterSeconds', 0, 86_400, true);
  if (input.message !== undefined && typeof input.message !== 'string') bad('message', 'must be a string');
  if (kind === 'latency' && latencyMs === undefined) bad('latencyMs', 'is required for latency');
  if (kind !== 'latency' && actAfterMs !== undefined) bad('actAfterMs', 'is only for latency');
  if (kind === 'reject' && email === null && input.path === undefined && method === null) {
    bad('email', 'reject needs something to match (email, path or method), or it refuses every change');
  }
  if (problems.length > 0) throw new SandboxError('validation_failed', 'invalid fault rule', problems);
  return {
    kind,
    method,
    email,
    ...(input.path !== undefined ? { path: input.path as string } : {}),
    ...(probability !== undefined ? { probability } : {}),
    ...(count !== undefined ? { count } : {}),
    ...(latencyMs !== undefined ? { latencyMs } : {}),
    ...(actAfterMs !== undefined ? { actAfterMs } : {}),
    ...(status !== undefined ? { status } : {}),
    ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
    ...(input.message !== undefined ? { message: input.message as string } : {}),
  };
}
