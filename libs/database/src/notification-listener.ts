import { Client } from 'pg';

/**
 * A loop's wake-up: Postgres NOTIFY on `channel` (on a connection of its own, opened again a
 * second after it drops) or a caller's `notify()` cuts its sleep short; between them it polls.
 * What commits while nobody listens is caught by the pass that follows each (re)connection.
 */
export class NotificationListener {
  private client?: Client;
  private retry?: NodeJS.Timeout;
  private stopped = true;
  private requested = false;
  private wake?: () => void;

  constructor(
    private readonly databaseUrl: string,
    private readonly channel: string,
    private readonly applicationName: string,
  ) {}

  start(): void {
    this.stopped = false;
    void this.listen();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    this.notify();
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  /** Asks for a pass now. */
  notify(): void {
    this.requested = true;
    this.wake?.();
  }

  /** Whether a pass was asked for since the last `clear()`. */
  get pending(): boolean {
    return this.requested;
  }

  clear(): void {
    this.requested = false;
  }

  /** Sleeps up to `ms`, less if notified meanwhile. */
  async sleep(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
    this.wake = undefined;
  }

  private async listen(): Promise<void> {
    if (this.stopped) return;
    const client = new Client({ connectionString: this.databaseUrl, application_name: this.applicationName });
    client.on('notification', () => this.notify());
    client.on('error', () => this.relisten(client));
    client.on('end', () => this.relisten(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${this.channel}`);
      this.client = client;
      if (this.stopped) await client.end();
      // Anything committed while we were not listening is caught by this pass.
      else this.notify();
    } catch {
      this.relisten(client);
    }
  }

  /** The connection dropped: polling carries on meanwhile; listen again shortly. */
  private relisten(client: Client): void {
    if (this.client === client) this.client = undefined;
    client.removeAllListeners('end');
    client.removeAllListeners('error');
    client.on('error', () => undefined);
    client.end().catch(() => undefined);
    if (this.stopped || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      void this.listen();
    }, 1000);
  }
}
