import { request as httpRequest } from 'node:http';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

export interface CallOptions {
  body?: unknown;
  /** Sent as is (not JSON-encoded). */
  rawBody?: string;
  /** Bearer key; null sends no Authorization header. */
  key?: string | null;
  headers?: Record<string, string>;
  /** Gives up (closes the connection and rejects with code ETIMEDOUT) after this long, as a client with a timeout. */
  timeoutMs?: number;
}

/**
 * One HTTP call on a fresh connection (no keep-alive), so a connection the sandbox drops
 * shows up as this call's socket error and is never retried behind the test's back.
 */
export function call(baseUrl: string, method: string, path: string, options: CallOptions = {}): Promise<HttpAnswer> {
  const url = new URL(`${baseUrl}${path}`);
  const payload = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (options.key !== null) headers.authorization = `Bearer ${options.key ?? 'sandbox_key'}`;
  if (payload !== undefined) {
    headers['content-type'] ??= 'application/json';
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          // not JSON: keep the text
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      });
    });
    req.on('error', reject);
    if (options.timeoutMs !== undefined) {
      req.setTimeout(options.timeoutMs, () => req.destroy(Object.assign(new Error('client timeout'), { code: 'ETIMEDOUT' })));
    }
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

let counter = 0;

/** A valid create body with a unique email. */
export function individual(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  counter++;
  return {
    type: 'individual',
    name: `Alice Wanjiku ${counter}`,
    email: `alice${counter}.${Date.now()}@example.com`,
    country: 'KEN',
    document_type: 'passport',
    address: '45 Koinange Street, Nairobi',
    tax_id: `P8712634${counter}B`,
    wallet_address: '0x8ba1f109551bD432803012645Ac136ddd64DBA72',
    ...overrides,
  };
}

export function business(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  counter++;
  return {
    type: 'business',
    name: `Acme Trading Ltd ${counter}`,
    email: `acme${counter}.${Date.now()}@example.com`,
    country: 'KEN',
    document_type: 'incorporation_certificate',
    address: '10 Industrial Area Road, Nairobi',
    tax_id: `C556239${counter}K`,
    ...overrides,
  };
}
