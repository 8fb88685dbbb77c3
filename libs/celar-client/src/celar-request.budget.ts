import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import type { RedisConnection } from '@app/queue';
import { withTimeout } from '@app/common';

// GCRA with reservations, shared by every process through Redis: each request takes the
// next free slot (slots are 1000/rate ms apart), so requests leave evenly spaced rather
// than in bursts, and a waiter sleeps exactly until its slot. Slots are handed out at most
// MAX_AHEAD_MS ahead; a caller further back waits and asks again.
// Every key of the budget starts with the deployment's tag `{QUEUE_PREFIX}`, so on a Redis
// Cluster they share one slot: a script may only touch keys of one slot.
// Returns {1, wait, slot} when a slot was reserved (send after `wait` ms; `slot` is its time on
// Redis' clock, in ms), {0, wait} when not.
const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local interval = tonumber(ARGV[1])
local start = math.max(tonumber(redis.call('GET', KEYS[1]) or '0'), tonumber(redis.call('GET', KEYS[2]) or '0'), now)
local wait = start - now
if ARGV[3] == '1' then redis.call('SET', KEYS[3], '1', 'PX', math.ceil(wait) + 1000) end
if wait > tonumber(ARGV[2]) then return {0, math.ceil(wait - tonumber(ARGV[2]))} end
redis.call('SET', KEYS[1], string.format('%.3f', start + interval), 'PX', math.ceil(wait + interval) + 1000)
return {1, math.ceil(wait), string.format('%.3f', start)}
`;

// Reconciliation's share, asked before TAKE: while sync work waits (KEYS[2] set by sync's TAKE),
// reconciliation callers get tickets of their own GCRA at rate x share (ARGV[1] = its interval,
// -1 for a share of 0); with no sync waiting they pass at once. Returns {1, wait} with a ticket
// (go on to TAKE after \`wait\` ms), {0, wait} without one (ask again after \`wait\` ms).
const SHARE = `
if redis.call('EXISTS', KEYS[2]) == 0 then return {1, 0} end
local interval = tonumber(ARGV[1])
if interval < 0 then return {0, 200} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local start = math.max(tonumber(redis.call('GET', KEYS[1]) or '0'), now)
local wait = start - now
if wait > tonumber(ARGV[2]) then return {0, math.ceil(wait - tonumber(ARGV[2]))} end
redis.call('SET', KEYS[1], string.format('%.3f', start + interval), 'PX', math.ceil(wait + interval) + 1000)
return {1, math.ceil(wait)}
`;

// Celar said 429: no slot is handed out before Retry-After has passed.
const PAUSE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local untilTs = now + tonumber(ARGV[1])
if untilTs > tonumber(redis.call('GET', KEYS[1]) or '0') then
  redis.call('SET', KEYS[1], string.format('%.3f', untilTs), 'PX', math.ceil(tonumber(ARGV[1])) + 1000)
end
return 1
`;

// How long until the pause ends (0 when not paused).
const PAUSED_FOR = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
return math.max(0, math.ceil(tonumber(redis.call('GET', KEYS[1]) or '0') - now))
`;

const MAX_AHEAD_MS = 1000;
/**
 * Reconciliation reserves slots only this close ahead: its many callers never fill the line
 * of slots for long, so sync work arriving finds a slot within this, whatever a run is doing.
 */
const RECONCILE_AHEAD_MS = 200;
const REDIS_TIMEOUT_MS = 2000;

/**
 * Who asks for a slot: `sync` (creates, updates, deactivations: never held back), `reconcile`
 * (reconciliation runs: at most RECONCILE_BUDGET_SHARE of the budget while sync work waits, all
 * of it otherwise), `refresh` (an API caller's `?refresh=true`, limited per key by the API).
 */
export type BudgetPurpose = 'sync' | 'reconcile' | 'refresh';
export const BUDGET_PURPOSES: readonly BudgetPurpose[] = ['sync', 'reconcile', 'refresh'];

/**
 * The global budget of Celar requests per second, across every worker and process.
 * If Redis cannot be reached the budget lets requests through (Celar's own 429 still
 * slows us down) rather than stalling every caller; it says so once per outage.
 */
export class CelarRequestBudget {
  private readonly logger = new Logger(CelarRequestBudget.name);
  private readonly slotKey: string;
  private readonly pauseKey: string;
  private readonly syncWaitingKey: string;
  private readonly shareKey: string;
  private readonly intervalMs: number;
  /** Spacing of reconciliation's tickets while sync waits; -1: none at all (a share of 0). */
  private readonly shareIntervalMs: number;
  private readonly slotListeners: ((purpose: BudgetPurpose) => void)[] = [];
  private degraded = false;

  constructor(
    private readonly redis: RedisConnection,
    readonly requestsPerSecond: number,
    /** The deployment's key tag (bullPrefix): hash-tagged, so every key below is in one slot. */
    keyPrefix: string,
    /** RECONCILE_BUDGET_SHARE (0..1). */
    readonly reconcileShare = 1,
  ) {
    this.slotKey = `${keyPrefix}:celar-budget:next-slot`;
    this.pauseKey = `${keyPrefix}:celar-budget:paused-until`;
    this.syncWaitingKey = `${keyPrefix}:celar-budget:sync-waiting`;
    this.shareKey = `${keyPrefix}:celar-budget:reconcile-next`;
    this.intervalMs = 1000 / requestsPerSecond;
    this.shareIntervalMs = reconcileShare > 0 ? this.intervalMs / reconcileShare : -1;
  }

  /** Registers a listener told the purpose of every slot handed out (metrics). */
  onSlot(listener: (purpose: BudgetPurpose) => void): void {
    this.slotListeners.push(listener);
  }

  /**
   * Waits (never fails) until a request may be sent. Returns the reserved slot's time (ms on
   * Redis' clock), or null when Redis could not be asked and the request goes without a slot.
   */
  async take(purpose: BudgetPurpose = 'sync'): Promise<number | null> {
    const reconcile = purpose === 'reconcile';
    for (;;) {
      // Each try at a slot needs a fresh ticket: a reconciliation caller never waits in line
      // for slots with an old one while sync work has come meanwhile.
      if (reconcile && this.reconcileShare < 1 && !(await this.reconcileTicket())) return this.handedOut(purpose, null);
      const ahead = reconcile ? RECONCILE_AHEAD_MS : MAX_AHEAD_MS;
      const answer = (await this.run(() =>
        this.redis.eval(TAKE, 3, this.slotKey, this.pauseKey, this.syncWaitingKey, this.intervalMs, ahead, purpose === 'sync' ? '1' : '0'),
      )) as [number, number, string?] | undefined;
      if (!answer) return this.handedOut(purpose, null);
      const [reserved, wait, slot] = answer;
      if (wait > 0) await sleep(wait);
      if (!reserved) continue;
      // A 429 may have paused everyone while we slept: our slot is void then.
      if (wait > 0 && Number((await this.run(() => this.redis.eval(PAUSED_FOR, 1, this.pauseKey))) ?? 0) > 0) continue;
      return this.handedOut(purpose, Number(slot));
    }
  }

  /** Waits for reconciliation's turn within its share; false when Redis could not be asked. */
  private async reconcileTicket(): Promise<boolean> {
    for (;;) {
      const answer = (await this.run(() => this.redis.eval(SHARE, 2, this.shareKey, this.syncWaitingKey, this.shareIntervalMs, MAX_AHEAD_MS))) as
        | [number, number]
        | undefined;
      if (!answer) return false;
      const [ticket, wait] = answer;
      if (wait > 0) await sleep(wait);
      if (ticket) return true;
    }
  }

  private handedOut(purpose: BudgetPurpose, slot: number | null): number | null {
    for (const listener of this.slotListeners) {
      try {
        listener(purpose);
      } catch {
        // A metrics hook must never hold a request back.
      }
    }
    return slot;
  }

  /** Holds every process back for `ms` (Celar answered 429 with Retry-After). */
  async pause(ms: number): Promise<void> {
    if (!(ms > 0)) return;
    await this.run(() => this.redis.eval(PAUSE, 1, this.pauseKey, Math.ceil(ms)));
  }

  private async run(command: () => Promise<unknown>): Promise<unknown> {
    try {
      const result = await withTimeout(command(), REDIS_TIMEOUT_MS, 'redis');
      if (this.degraded) {
        this.degraded = false;
        this.logger.log('Celar request budget is back in force (Redis reachable)');
      }
      return result;
    } catch (error) {
      if (!this.degraded) {
        this.degraded = true;
        this.logger.warn(`Celar request budget unavailable, sending without it: ${(error as Error).message}`);
      }
      return undefined;
    }
  }
}
