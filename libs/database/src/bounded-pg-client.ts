import { Client } from 'pg';

const READ_TIMEOUT = 'Query read timeout';

/**
 * pg's Client, except that a query that got no answer within `query_timeout` takes its
 * connection down with it. pg keeps such a connection (the query may still be running)
 * and the pool would hand it out again; on a server that went silent (network partition,
 * no RST) every later query on it would wait out the timeout too. Destroying the socket
 * makes the pool drop the client and open a fresh one.
 */
export class BoundedPgClient extends Client {
  // Overloads of pg's query are many; TypeORM uses the promise form, which is all this wraps.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override query(...args: any[]): any {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const result = (super.query as (...a: any[]) => any)(...args);
    if (result && typeof (result as Promise<unknown>).then === 'function') {
      (result as Promise<unknown>).catch((error: unknown) => {
        if (error instanceof Error && error.message === READ_TIMEOUT) this.dropConnection();
      });
    }
    return result;
  }

  private dropConnection(): void {
    const stream = (this as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream;
    stream?.destroy();
  }
}
