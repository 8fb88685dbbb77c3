import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { OpenAPIObject, OperationObject, PathItemObject } from '@nestjs/swagger';
import { AppConfig } from '@app/config';
import { CUSTOMER_REQUEST_SCHEMAS } from '../customers/customer.schemas';
import { ERRORS, errorResponse } from './api-error-response.decorator';
import { ErrorResponseDto } from './error-response.dto';

export const DOCS_PATH = '/docs';
export const DOCS_JSON_PATH = '/docs-json';
export const BEARER_SCHEME = 'bearer';
const API_PREFIX = '/api/v1/';
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/**
 * Swagger UI at /docs and the document at /docs-json. Must run before `app.init()`: init
 * installs the 404 handler, and routes added after it are never reached. The two routes are
 * plain express routes outside any controller, so the API-key guard never sees them: they
 * are public, like the health probes.
 */
export function setupOpenApi(app: INestApplication, config: AppConfig): OpenAPIObject {
  const document = buildOpenApiDocument(app, config);
  SwaggerModule.setup(DOCS_PATH, app, document, {
    jsonDocumentUrl: DOCS_JSON_PATH,
    raw: ['json'],
    customSiteTitle: 'customer-sync API',
    swaggerOptions: { persistAuthorization: false, displayRequestDuration: true },
  });
  return document;
}

export function buildOpenApiDocument(app: INestApplication, config: AppConfig): OpenAPIObject {
  const base = new DocumentBuilder()
    .setTitle('customer-sync')
    .setDescription(description(config))
    .setVersion('1.0.0')
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', bearerFormat: 'API key', description: 'A key of API_KEYS (app) or ADMIN_API_KEYS (admin; may also call the app routes)' },
      BEARER_SCHEME,
    )
    .addTag('customers', "The PSP's customers, mirrored from and synced to Celar")
    .addTag('reconciliations', 'Admin: balance and record reconciliation runs against Celar, and their findings')
    .addTag('webhooks', 'Admin: endpoints of PSP apps that receive signed events (Standard Webhooks), their delivery log, recover')
    .addTag('cases', 'Admin: reconciliation breaks followed across runs (cases), and the summary of the whole book')
    .addTag('console', "The operators' console in a browser: HTML pages and their data routes, behind a session cookie")
    .addCookieAuth('console_session', { type: 'apiKey', in: 'cookie', name: 'console_session', description: 'Set by POST /console/session' }, 'console_session')
    .addTag('operations', 'Probes, metrics and these docs: no API key')
    .build();
  base.components = { ...base.components, schemas: { ...CUSTOMER_REQUEST_SCHEMAS } };
  const document = SwaggerModule.createDocument(app, base, {
    extraModels: [ErrorResponseDto],
    operationIdFactory: (controller, method) => `${controller.replace(/Controller$/, '')}_${method}`,
  });
  addApiDefaults(document);
  addDocsRoutes(document);
  return document;
}

/**
 * What holds for every /api/v1 route whatever its controller says: the bearer key, and the
 * errors the guard, the body parser and a database outage give. Written here so a new route
 * cannot leave them out; a route's own description of a status wins.
 */
function addApiDefaults(document: OpenAPIObject): void {
  for (const [path, item] of Object.entries(document.paths)) {
    if (!path.startsWith(API_PREFIX)) continue;
    for (const operation of operationsOf(item)) {
      operation.security = [{ [BEARER_SCHEME]: [] }];
      const responses = operation.responses;
      responses['401'] ??= errorResponse('No API key, or an unknown one', [ERRORS.missingKey, ERRORS.unknownKey]);
      if (operation.requestBody) {
        responses['400'] ??= errorResponse('The body is not valid JSON, or not valid', [ERRORS.invalidJson]);
        responses['413'] ??= errorResponse('The body is larger than BODY_LIMIT', [ERRORS.tooLarge]);
        responses['415'] ??= errorResponse('The body is not JSON (Content-Type: application/json)', [ERRORS.notJson]);
      }
      responses['503'] ??= errorResponse('Postgres is unavailable; retry later', [ERRORS.databaseDown]);
    }
  }
}

/** Swagger's own routes are not controllers, so the scan cannot see them. */
function addDocsRoutes(document: OpenAPIObject): void {
  const docsOperation = (summary: string, operationId: string, contentType: string): PathItemObject => ({
    get: {
      tags: ['operations'],
      summary,
      operationId,
      security: [],
      responses: { '200': { description: summary, content: { [contentType]: { schema: { type: contentType === 'text/html' ? 'string' : 'object' } } } } },
    },
  });
  document.paths[DOCS_PATH] = docsOperation('This documentation (Swagger UI)', 'Docs_ui', 'text/html');
  document.paths[DOCS_JSON_PATH] = docsOperation('This OpenAPI document', 'Docs_json', 'application/json');
}

export function operationsOf(item: PathItemObject): OperationObject[] {
  return METHODS.map((method) => item[method]).filter((operation): operation is OperationObject => operation !== undefined);
}

function description(config: AppConfig): string {
  return [
    "The internal REST API of customer-sync: the PSP's customers, kept in step with Celar. Reads are served from the local mirror (Postgres), never from Celar, except `GET /customers/{id}/balance?refresh=true`.",
    '',
    '- **Auth**: every `/api/v1` route needs `Authorization: Bearer <key>`. No key or an unknown one: 401; an app key on an admin route: 403. The operations routes (`/health/*`, `/metrics`, `/docs`) need none.',
    `- **Bodies**: JSON only (\`Content-Type: application/json\`, else 415), at most ${config.bodyLimitBytes} bytes (BODY_LIMIT, else 413). Fields are snake_case, as in Celar's docs.`,
    '- **Errors**: always `{"error": {"code", "message", "details"?}}` (schema `Error`), never a stack trace. Branch on `code`.',
    '- **Ids**: wherever `{id}` names a customer, both the service\'s id (uuid) and Celar\'s `cr_` id work.',
    '- **Money**: decimal strings (`"1250.50"`), never JSON numbers.',
    '- **Changes** (create, update, deactivate) answer 202: stored at once, sent to Celar in the background in order; `sync_status` tells how far they got.',
  ].join('\n');
}
