/** What a redacted value is replaced with in a log line. */
export const REDACTED = '[redacted]';

/** Keys whose values never reach a log line, at whatever depth they sit (up to five levels). */
const SECRET_KEYS = [
  'authorization',
  'Authorization',
  'x-api-key',
  'cookie',
  'set-cookie',
  'apiKey',
  'api_key',
  'apiKeys',
  'api_keys',
  'adminApiKeys',
  'appApiKeys',
  'API_KEYS',
  'ADMIN_API_KEYS',
  'CELAR_API_KEY',
  'password',
  'tax_id',
  'taxId',
];

const accessor = (key: string): string => (/^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `["${key}"]`);

// pino's redaction has no recursive wildcard: list each depth. `*` also matches array indices.
export const REDACT_PATHS: string[] = SECRET_KEYS.flatMap((key) => {
  const tail = accessor(key);
  return [tail.startsWith('.') ? tail.slice(1) : tail, ...['*', '*.*', '*.*.*', '*.*.*.*'].map((prefix) => `${prefix}${tail}`)];
});
