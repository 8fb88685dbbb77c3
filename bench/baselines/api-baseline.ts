// The API baseline: node:http + pg Pool + a BullMQ Queue, no framework (work in
// api-baseline-core.ts). Started as its own process by the bench.
// Env: DATABASE_URL, REDIS_URL, QUEUE_PREFIX, PORT, API_KEY.
import http, { IncomingMessage, ServerResponse } from 'node:http';
import { Answer, BaselineCore, env, errorAnswer } from './api-baseline-core';

const core = new BaselineCore();
const expectedAuth = `Bearer ${env('API_KEY')}`;
const PREFIX = '/api/v1/customers';

function send(res: ServerResponse, { status, body }: Answer): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function handle(req: IncomingMessage): Promise<Answer> {
  if (req.headers.authorization !== expectedAuth) return { status: 401, body: { error: { code: 'unauthorized', message: 'Unknown API key' } } };
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname === PREFIX && req.method === 'POST') return core.create(JSON.parse(await readBody(req)));
  if (url.pathname === PREFIX && req.method === 'GET') return core.list(url.searchParams);
  if (url.pathname.startsWith(`${PREFIX}/`) && req.method === 'GET') return core.getOne(url.pathname.slice(PREFIX.length + 1));
  return { status: 404, body: { error: { code: 'not_found', message: 'Not found' } } };
}

const server = http.createServer((req, res) => {
  handle(req).then(
    (answer) => send(res, answer),
    (error: Error) => send(res, errorAnswer(error)),
  );
});
server.keepAliveTimeout = 65_000;
server.listen(Number(env('PORT')), '127.0.0.1');

async function shutdown(): Promise<void> {
  server.close();
  server.closeAllConnections();
  await core.close();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());
