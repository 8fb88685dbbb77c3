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

/** Request headers (lower case, as Node gives them) whose values never reach the access log. */
export const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'x-api-key', 'cookie', 'set-cookie', 'x-csrf-token']);

/** Query parameters whose values never reach a log line (emails are personal data, keys secrets). */
const SECRET_PARAMS = /^(e-?mail|api_?keys?|apikey|key|token|tax_?id|taxid|password|_csrf)$/i;

function decoded(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/**
 * A request URL fit for a log line: the value of a secret query parameter (`email`, keys,
 * tax ids), and any path segment or query value holding an email (an `@`), become `[redacted]`.
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  const rawPath = q === -1 ? url : url.slice(0, q);
  const path = rawPath.includes('@') || rawPath.includes('%40') ? rawPath.split('/').map((s) => (decoded(s).includes('@') ? REDACTED : s)).join('/') : rawPath;
  if (q === -1) return path;
  const query = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq === -1) return pair;
      return SECRET_PARAMS.test(decoded(pair.slice(0, eq))) || decoded(pair.slice(eq + 1)).includes('@') ? `${pair.slice(0, eq)}=${REDACTED}` : pair;
    })
    .join('&');
  return `${path}?${query}`;
}
