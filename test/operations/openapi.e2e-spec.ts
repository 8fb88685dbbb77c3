import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import { INestApplication } from '@nestjs/common';
import type { ExampleObject, OpenAPIObject, OperationObject, ResponseObject, SchemaObject } from '@nestjs/swagger';
import IORedis from 'ioredis';
import request from 'supertest';
import type { App } from 'supertest/types';
import { ERROR_STATUS, ErrorCode } from '@app/common';
import { AppConfig } from '@app/config';
import { createTestDatabase, TEST_ADMIN_KEY, TEST_APP_KEY, testConfig } from '@app/testing';
import { createApiApp } from '../../apps/api/src/api-app';

// Every route of the contract as docs/api.md states it (its routes table), as OpenAPI paths: the
// document and the served routes must match it both ways, so the docs cannot drift from the code.
const DOCUMENTED = readFileSync(join(__dirname, '..', '..', 'docs', 'api.md'), 'utf8')
  .split('\n')
  .flatMap((line) => {
    const match = /^\| `(GET|POST|PATCH|PUT|DELETE) (\/[^`\s]*)` \| ([^|]+) \|/.exec(line);
    return match ? [{ key: `${match[1].toLowerCase()} ${match[2]}`, auth: match[3].trim() }] : [];
  });
const CONTRACT_ROUTES = [...DOCUMENTED.map((r) => r.key), 'get /docs', 'get /docs-json'];
const ADMIN_ROUTES = DOCUMENTED.filter((r) => r.auth === 'admin').map((r) => r.key);
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'] as const;
const ERROR_REF = '#/components/schemas/Error';
const ADMIN = { Authorization: `Bearer ${TEST_ADMIN_KEY}` };

interface Operation {
  key: string;
  method: (typeof METHODS)[number];
  path: string;
  op: OperationObject;
}

function operations(doc: OpenAPIObject): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    METHODS.filter((method) => item[method]).map((method) => ({ key: `${method} ${path}`, method, path, op: item[method] as OperationObject })),
  );
}

/**
 * Routes the Fastify app really serves, as `method /open/api/{path}`, read from Fastify's route
 * tree (`printRoutes`: one line per path segment, indented by depth, its methods in brackets).
 * HEAD is Fastify's own twin of every GET; the queue dashboard's routes belong to its plugin
 * (under express it was middleware, outside the router), as Swagger UI's files do.
 */
function servedRoutes(app: INestApplication): string[] {
  const fastify = app.getHttpAdapter().getInstance() as { printRoutes(options: { commonPrefix: boolean }): string };
  const segments: string[] = [];
  return fastify
    .printRoutes({ commonPrefix: false })
    .split('\n')
    .flatMap((line) => {
      const match = /^((?:│ {3}| {4})*)[├└]── (.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
      if (!match) return [];
      segments.length = match[1].length / 4;
      segments.push(match[2]);
      const path = segments.join('');
      if (path.startsWith('/admin/queues')) return [];
      const methods = (match[3] ?? '').split(', ').filter((method) => method !== '' && method !== 'HEAD');
      return methods.map((method) => `${method.toLowerCase()} ${path.replace(/:(\w+)/g, '{$1}')}`);
    });
}

/** Every schema in the document, nested ones included. */
function* schemasIn(value: unknown): Generator<SchemaObject> {
  if (Array.isArray(value)) {
    for (const item of value) yield* schemasIn(item);
  } else if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (typeof record.type === 'string') yield record as SchemaObject;
    for (const [key, child] of Object.entries(record)) if (key !== 'example' && key !== 'examples') yield* schemasIn(child);
  }
}

/** Deletes this test's BullMQ keys (never the whole Redis: other runs share it). */
async function cleanQueuePrefix(config: AppConfig): Promise<void> {
  const redis = new IORedis(config.redisUrl, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `{${config.queuePrefix}}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

describe('OpenAPI: /docs and /docs-json', () => {
  let config: AppConfig;
  let app: INestApplication;
  let http: App;
  let doc: OpenAPIObject;

  /** The property names of a documented schema, sorted. */
  const fieldsOf = (schema: string): string[] => Object.keys((doc.components?.schemas?.[schema] as SchemaObject).properties ?? {}).sort();

  beforeAll(async () => {
    config = testConfig(await createTestDatabase());
    app = await createApiApp(config);
    http = app.getHttpServer() as App;
    const res = await request(http).get('/docs-json');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    doc = res.body as OpenAPIObject;
  });

  afterAll(async () => {
    await app?.close();
    if (config) await cleanQueuePrefix(config);
  });

  it('serves a document that a real validator accepts, without an API key', async () => {
    const api = await SwaggerParser.validate(structuredClone(doc) as never);
    expect(api.info.title).toBe('customer-sync');
    expect(doc.components?.securitySchemes?.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('serves Swagger UI at /docs without an API key', async () => {
    const res = await request(http).get('/docs');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toContain('swagger-ui');
    const init = await request(http).get('/docs/swagger-ui-init.js');
    expect(init.status).toBe(200);
    expect(init.text).toContain('/api/v1/customers');
  });

  it('documents every route of docs/api.md, and docs/api.md names every route it documents', () => {
    const documented = operations(doc).map((o) => o.key);
    expect(CONTRACT_ROUTES.length).toBeGreaterThan(30);
    expect(CONTRACT_ROUTES.filter((route) => !documented.includes(route))).toEqual([]);
    // The console's own pages and data routes are described in docs/console.md.
    const beyond = documented.filter((route) => !CONTRACT_ROUTES.includes(route) && !/^\w+ \/console\/./.test(route));
    expect(beyond).toEqual([]);
  });

  it('documents every route the app serves, and serves every route it documents', () => {
    // Swagger UI's own files sit under /docs/; wildcard routes are middleware applied to every path (request logging).
    const served = servedRoutes(app).filter((route) => !route.split(' ')[1].startsWith('/docs/') && !route.includes('*'));
    const documented = operations(doc).map((o) => o.key);
    expect(served.filter((route) => !documented.includes(route))).toEqual([]);
    expect(documented.filter((route) => !served.includes(route))).toEqual([]);
    expect(served.filter((route) => route.includes(' /api/v1/')).length).toBeGreaterThanOrEqual(10);
  });

  it('gives every /api/v1 operation the bearer scheme and its errors in the shared Error schema', () => {
    const api = operations(doc).filter((o) => o.path.startsWith('/api/v1/'));
    expect(api.length).toBeGreaterThanOrEqual(10);
    for (const { key, op } of api) {
      expect({ key, security: op.security }).toEqual({ key, security: [{ bearer: [] }] });
      expect({ key, has401: '401' in op.responses }).toEqual({ key, has401: true });
      expect({ key, success: Object.keys(op.responses).some((status) => /^2\d\d$/.test(status)) }).toEqual({ key, success: true });
      if (op.requestBody) expect({ key, bodyErrors: ['400', '413', '415'].filter((s) => !(s in op.responses)) }).toEqual({ key, bodyErrors: [] });
    }
    const admin = api.filter((o) => ADMIN_ROUTES.includes(o.key)).map((o) => ({ key: o.key, has403: '403' in o.op.responses }));
    const byKey = (a: { key: string }, b: { key: string }) => a.key.localeCompare(b.key);
    expect(admin.sort(byKey)).toEqual(ADMIN_ROUTES.map((key) => ({ key, has403: true })).sort(byKey));
  });

  it('describes every /api/v1 error response with the Error schema and examples whose code fits the status', () => {
    let checked = 0;
    // Not the probes: /health/ready answers 503 with its own body, naming what is down.
    for (const { key, op } of operations(doc).filter((o) => o.path.startsWith('/api/v1/'))) {
      for (const [status, response] of Object.entries(op.responses) as [string, ResponseObject][]) {
        if (!/^[45]\d\d$/.test(status)) continue;
        const json = response.content?.['application/json'];
        expect({ key, status, schema: json?.schema }).toEqual({ key, status, schema: { $ref: ERROR_REF } });
        const examples = Object.values(json?.examples ?? {}) as ExampleObject[];
        expect({ key, status, examples: examples.length > 0 }).toEqual({ key, status, examples: true });
        for (const example of examples) {
          const code = (example.value as { error: { code: ErrorCode } }).error.code;
          expect({ key, code, status: ERROR_STATUS[code] }).toEqual({ key, code, status: Number(status) });
          checked += 1;
        }
      }
    }
    expect(checked).toBeGreaterThan(30);
  });

  it('documents the error shape of the contract', () => {
    const schemas = doc.components?.schemas as Record<string, SchemaObject>;
    expect(schemas.Error).toMatchObject({ required: ['error'], properties: { error: { $ref: '#/components/schemas/ErrorBody' } } });
    expect(schemas.ErrorBody).toMatchObject({ required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' } } });
    expect(schemas.ErrorBody.properties?.details).toMatchObject({ type: 'array', items: { $ref: '#/components/schemas/ErrorDetail' } });
  });

  it('never documents a JSON number: counts are integers and money is a decimal string', () => {
    const numbers = [...schemasIn(doc)].filter((schema) => schema.type === 'number');
    expect(numbers).toEqual([]);
  });

  it('documents bulk create as one customer or an array of 1..1000', () => {
    const body = doc.paths['/api/v1/customers'].post?.requestBody as { content: Record<string, { schema: SchemaObject }> };
    expect(body.content['application/json'].schema.oneOf).toEqual([
      { $ref: '#/components/schemas/CustomerInput' },
      { type: 'array', minItems: 1, maxItems: 1000, items: { $ref: '#/components/schemas/CustomerInput' } },
    ]);
  });

  it('answers as documented about keys: 401 without one, 403 for an app key exactly where a 403 is documented', async () => {
    const someId = '00000000-0000-4000-8000-000000000000';
    // The console answers with a session cookie, not a key: test/console covers it.
    for (const { key, method, path, op } of operations(doc).filter((o) => !o.path.startsWith('/console'))) {
      const url = path.replace(/\{\w+\}/g, someId);
      const anonymous = await request(http)[method](url);
      if (op.security?.length) {
        expect({ key, status: anonymous.status, code: anonymous.body?.error?.code }).toEqual({ key, status: 401, code: 'unauthorized' });
        const app = await request(http)[method](url).set('Authorization', `Bearer ${TEST_APP_KEY}`);
        expect({ key, forbidden: app.status === 403 }).toEqual({ key, forbidden: '403' in op.responses });
      } else {
        expect({ key, status: anonymous.status }).toEqual({ key, status: 200 });
      }
    }
  });

  it('shows examples the API accepts, and customers with exactly the documented fields', async () => {
    const admin = ADMIN;
    const create = doc.paths['/api/v1/customers'].post as OperationObject;
    const examples = (create.requestBody as { content: Record<string, { examples: Record<string, ExampleObject> }> }).content['application/json'].examples;
    expect(Object.keys(examples)).toEqual(['individual', 'business', 'bulk']);
    const customerFields = fieldsOf('Customer');

    let created: { id: string }[] = [];
    for (const [name, example] of Object.entries(examples)) {
      // Deactivated customers free their email, so each example can be sent as it is.
      for (const customer of created) expect((await request(http).delete(`/api/v1/customers/${customer.id}`).set(admin)).status).toBe(202);
      const res = await request(http).post('/api/v1/customers').set(admin).send(example.value as object);
      expect({ name, status: res.status, body: res.body }).toMatchObject({ name, status: 202 });
      created = res.body.customers;
      for (const customer of created) expect(Object.keys(customer).sort()).toEqual(customerFields);
    }

    const patch = doc.paths['/api/v1/customers/{id}'].patch as OperationObject;
    const patchExamples = (patch.requestBody as { content: Record<string, { examples: Record<string, ExampleObject> }> }).content['application/json'].examples;
    for (const example of Object.values(patchExamples)) {
      const res = await request(http).patch(`/api/v1/customers/${created[0].id}`).set(admin).send(example.value as object);
      expect({ status: res.status, body: res.body }).toMatchObject({ status: 202, body: { message: 'Customer updated successfully' } });
    }
  });

  it('answers balances and reconciliation runs with exactly the documented fields', async () => {
    const [customer] = (await request(http).post('/api/v1/customers').set(ADMIN).send({
      type: 'business',
      name: 'Acme Trading Ltd',
      email: 'acme.fields@example.com',
      country: 'KEN',
      document_type: 'incorporation_certificate',
    })).body.customers as { id: string }[];
    const balance = await request(http).get(`/api/v1/customers/${customer.id}/balance`).set(ADMIN);
    expect(balance.status).toBe(200);
    expect(Object.keys(balance.body).sort()).toEqual(fieldsOf('Balance'));

    const started = await request(http).post('/api/v1/admin/reconciliations').set(ADMIN).send({ kind: 'balances' });
    expect(started.status).toBe(202);
    expect(Object.keys(started.body).sort()).toEqual(fieldsOf('ReconciliationRun'));

    const list = await request(http).get('/api/v1/admin/reconciliations').set(ADMIN);
    expect(Object.keys(list.body).sort()).toEqual(fieldsOf('ReconciliationRunList'));
    expect(Object.keys(list.body.runs[0]).sort()).toEqual(fieldsOf('ReconciliationRun'));

    const run = await request(http).get(`/api/v1/admin/reconciliations/${started.body.id}`).set(ADMIN);
    expect(Object.keys(run.body).sort()).toEqual(fieldsOf('ReconciliationRunWithFindings'));

    const csv = await request(http).get(`/api/v1/admin/reconciliations/${started.body.id}?format=csv`).set(ADMIN);
    const documentedCsv = doc.paths['/api/v1/admin/reconciliations/{id}'].get?.responses['200'] as ResponseObject;
    const header = (text: string) => text.split(/\r?\n/)[0];
    expect(header(csv.text)).toBe(header(documentedCsv.content?.['text/csv'].example as string));
    expect(header(csv.text).split(',').sort()).toEqual(fieldsOf('ReconciliationFinding'));
  });
});
