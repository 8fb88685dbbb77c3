export const SANDBOX_OPTIONS = Symbol('SANDBOX_OPTIONS');

export interface SandboxOptions {
  /** Bearer keys the emulated Celar API accepts. Default `['sandbox_key']`. */
  apiKeys?: string[];
  /** The PSP account's id (`psp_` + 12 hex); random per instance by default. */
  pspId?: string;
  /** Seeds the fault probability draws; random when absent. */
  seed?: number;
  /** Most request-log entries kept (oldest dropped first). Default 100000. */
  requestLogLimit?: number;
}
