import { IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { DependencyHealthService, MetricsCollector } from '@app/observability';

/**
 * The worker's only HTTP surface, on WORKER_PORT: /health/live, /health/ready (ready
 * only while both Postgres and Redis answer: it can do nothing without either) and
 * /metrics. It stays up while the worker drains on SIGTERM (ready then answers 503)
 * and closes last.
 */
@Injectable()
export class WorkerOperationsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('WorkerOperations');
  private server: Server | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly health: DependencyHealthService,
    private readonly collector: MetricsCollector,
  ) {}

  /** The port actually bound (WORKER_PORT may be 0 in tests). */
  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }

  async onApplicationBootstrap(): Promise<void> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch(() => send(res, 500, 'application/json', error('internal_error', 'Internal server error')));
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.workerPort, () => resolve());
    });
    this.logger.log(`health and metrics on port ${this.port}`);
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (!['/health/live', '/health/ready', '/metrics'].includes(path)) {
      send(res, 404, 'application/json', error('not_found', `No route ${path}`));
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      send(res, 405, 'application/json', error('method_not_allowed', `${req.method} is not allowed on ${path}`));
      return;
    }
    if (path === '/health/live') {
      send(res, 200, 'application/json', JSON.stringify({ status: 'ok' }));
    } else if (path === '/health/ready') {
      const { ready, body } = await this.health.readiness(['postgres', 'redis']);
      send(res, ready ? 200 : 503, 'application/json', JSON.stringify(body));
    } else {
      send(res, 200, this.collector.contentType, await this.collector.scrape());
    }
  }
}

function error(code: string, message: string): string {
  return JSON.stringify({ error: { code, message } });
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, { 'Content-Type': contentType, 'Cache-Control': 'no-store' });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
