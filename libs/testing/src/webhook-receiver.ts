import { setTimeout as sleep } from 'node:timers/promises';
import { IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** One request the receiver got. Only verified requests can be answered 2xx. */
export interface ReceivedWebhook {
  /** The path's endpoint name: `/hooks/<name>`. */
  endpoint: string;
  webhookId: string;
  timestamp: number;
  type: string;
  /** data.customer.id, when the event carries a customer. */
  customerId: string | null;
  body: Record<string, unknown>;
  /** The standardwebhooks library accepted the signature (and the timestamp, within 5 minutes). */
  verified: boolean;
  /** What the receiver answered. */
  status: number;
  at: number;
}

export interface ReceiverFaults {
  /** Status answered to a failed request (default 500); 0: the connection is destroyed without an answer. */
  status?: number;
  /** Share of verified requests that fail, 0..1 (default 0). */
  probability?: number;
  /** Delay before answering, ms (default 0): beyond WEBHOOK_TIMEOUT_MS it is a timeout. */
  delayMs?: number;
}

export interface WebhookReceiver {
  /** Base URL; an endpoint named `name` receives at `${url}/hooks/${name}`. */
  url: string;
  endpointUrl(name: string): string;
  /** The secret the endpoint `name` signs with (from POST /admin/webhook-endpoints). */
  setSecret(name: string, secret: string): void;
  setFaults(faults: ReceiverFaults): void;
  /** Every request, in arrival order. */
  received: ReceivedWebhook[];
  /** Requests answered 2xx for one endpoint (or all), in arrival order. */
  accepted(endpoint?: string): ReceivedWebhook[];
  close(): Promise<void>;
}

/**
 * A PSP app's webhook endpoint for tests, benchmarks and `npm run dev`: verifies each request
 * with the standardwebhooks library (as a real receiver would), records it, and fails on demand.
 * A request whose signature does not verify is answered 401 and never counts as accepted.
 * Control over HTTP too: `PUT /_control/secrets/<name>` `{"secret"}`, `PUT /_control/faults`,
 * `GET /_control/received` (ids, types and customer ids only: never bodies).
 */
export async function startWebhookReceiver(options: { port?: number; host?: string; log?: (line: string) => void } = {}): Promise<WebhookReceiver> {
  const secrets = new Map<string, Webhook>();
  let faults: Required<ReceiverFaults> = { status: 500, probability: 0, delayMs: 0 };
  const received: ReceivedWebhook[] = [];

  const server: Server = createServer((req, res) => {
    readBody(req)
      .then((body) => handle(req, res, body))
      .catch(() => send(res, 400, { error: 'unreadable request' }));
  });
  // Connections the worker keeps alive must not hold close() up.
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse, raw: string): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (path.startsWith('/_control/')) return control(req, res, path, raw);
    const match = /^\/hooks\/([\w.-]+)$/.exec(path);
    if (!match || req.method !== 'POST') return send(res, 404, { error: 'no such hook' });
    const endpoint = match[1];
    const headers = {
      'webhook-id': String(req.headers['webhook-id'] ?? ''),
      'webhook-timestamp': String(req.headers['webhook-timestamp'] ?? ''),
      'webhook-signature': String(req.headers['webhook-signature'] ?? ''),
    };
    let verified = false;
    let body: Record<string, unknown> = {};
    try {
      body = secrets.get(endpoint)?.verify(raw, headers) as Record<string, unknown>;
      verified = !!body;
    } catch {
      verified = false;
    }
    if (!verified) {
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        body = {};
      }
    }
    const failing = verified && faults.probability > 0 && Math.random() < faults.probability;
    if (faults.delayMs > 0) await sleep(faults.delayMs);
    const status = !verified ? 401 : failing ? faults.status : 200;
    const data = (body.data ?? {}) as { customer?: { id?: string } };
    const entry: ReceivedWebhook = {
      endpoint,
      webhookId: headers['webhook-id'],
      timestamp: Number(headers['webhook-timestamp']),
      type: String(body.type ?? ''),
      customerId: data.customer?.id ?? null,
      body,
      verified,
      status,
      at: Date.now(),
    };
    received.push(entry);
    options.log?.(`${endpoint} ${entry.type} ${entry.webhookId}${entry.customerId ? ` customer ${entry.customerId}` : ''}: ${verified ? 'signature ok' : 'BAD SIGNATURE'}, answered ${status || 'nothing'}`);
    if (status === 0) {
      req.socket.destroy();
      return;
    }
    send(res, status, { received: status < 300 });
  }

  function control(req: IncomingMessage, res: ServerResponse, path: string, raw: string): void {
    const secret = /^\/_control\/secrets\/([\w.-]+)$/.exec(path);
    if (secret && req.method === 'PUT') {
      receiver.setSecret(secret[1], (JSON.parse(raw) as { secret: string }).secret);
      return send(res, 204, null);
    }
    if (path === '/_control/faults' && req.method === 'PUT') {
      receiver.setFaults(JSON.parse(raw) as ReceiverFaults);
      return send(res, 200, faults);
    }
    if (path === '/_control/received' && req.method === 'GET') {
      return send(res, 200, received.map(({ endpoint, webhookId, type, customerId, verified, status }) => ({ endpoint, webhookId, type, customerId, verified, status })));
    }
    send(res, 404, { error: 'no such control route' });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  const receiver: WebhookReceiver = {
    url,
    endpointUrl: (name) => `${url}/hooks/${name}`,
    setSecret: (name, secret) => void secrets.set(name, new Webhook(secret)),
    setFaults: (next) => (faults = { status: next.status ?? 500, probability: next.probability ?? 0, delayMs: next.delayMs ?? 0 }),
    received,
    accepted: (endpoint) => received.filter((r) => r.status >= 200 && r.status < 300 && (!endpoint || r.endpoint === endpoint)),
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
  };
  return receiver;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (raw += chunk));
    req.on('end', () => resolve(raw));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  if (body === null) {
    res.writeHead(status).end();
    return;
  }
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}
