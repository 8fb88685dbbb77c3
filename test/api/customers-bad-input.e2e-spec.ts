import { Client } from 'pg';
import request from 'supertest';
import {
  ADMIN_AUTH,
  API_KEY_HASH,
  APP_AUTH,
  ApiHarness,
  business,
  createCustomers,
  CustomerBody,
  expectErrorShape,
  fingerprint,
  individual,
  startApi,
} from './api-test-kit';

// Every bad input of the contract, each answered with its status and code in the error shape,
// and each leaving every table exactly as it was.

const BODY_LIMIT = '256kb';
const GOOD_WALLET = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';

let h: ApiHarness;
let alice: CustomerBody; // active individual
let acme: CustomerBody; // active business
let gone: CustomerBody; // deactivated
const UNKNOWN_UUID = '4b1c2f8e-9d3a-4e5f-8a7b-1c2d3e4f5a6b';
const USED_IDEMPOTENCY_KEY = 'used-key-1';

beforeAll(async () => {
  h = await startApi({ BODY_LIMIT });
  [alice, acme, gone] = await createCustomers(h, [individual(), business(), individual()]);
  await request(h.http).delete(`/api/v1/customers/${gone.id}`).set(APP_AUTH).expect(202);
  await h.db.query(`UPDATE customers SET celar_id = 'cr_aaaaaaaaaaaa' WHERE id = $1`, [alice.id]);
  await request(h.http).post('/api/v1/customers').set(APP_AUTH).set('Idempotency-Key', USED_IDEMPOTENCY_KEY).send(individual()).expect(202);
});

afterAll(() => h.close());

type Method = 'get' | 'post' | 'patch' | 'delete';

interface BadInput {
  method: Method;
  path: () => string;
  /** A JSON value to send, or `raw` text with its own content type. */
  body?: () => unknown;
  raw?: { text: string; type: string };
  headers?: Record<string, string>;
  auth?: Record<string, string> | null;
  status: number;
  code: string;
  /** `index:field` or `field` entries expected among error.details. */
  details?: string[];
}

const create = (body: () => unknown, status = 400, code = 'validation_failed', details?: string[]): BadInput => ({
  method: 'post',
  path: () => '/api/v1/customers',
  body,
  status,
  code,
  details,
});
const without = (field: string) => () => {
  const body = individual();
  delete body[field];
  return body;
};
const withField = (field: string, value: unknown) => () => individual({ [field]: value });
const list = (query: string): BadInput => ({ method: 'get', path: () => `/api/v1/customers?${query}`, status: 400, code: 'validation_failed' });
const patchAlice = (body: unknown, status = 400, code = 'validation_failed', details?: string[]): BadInput => ({
  method: 'patch',
  path: () => `/api/v1/customers/${alice.id}`,
  body: () => body,
  status,
  code,
  details,
});
const tenWithOneBad = () => {
  const items = Array.from({ length: 10 }, () => individual());
  items[7] = individual({ country: 'XYZ' });
  return items;
};

const cases: [string, BadInput][] = [
  // create: required fields
  ['create without type', create(without('type'), 400, 'validation_failed', ['type'])],
  ['create without name', create(without('name'), 400, 'validation_failed', ['name'])],
  ['create without email', create(without('email'), 400, 'validation_failed', ['email'])],
  ['create without country', create(without('country'), 400, 'validation_failed', ['country'])],
  ['create without document_type', create(without('document_type'), 400, 'validation_failed', ['document_type'])],
  // create: field values
  ['create with an unknown type', create(withField('type', 'person'), 400, 'validation_failed', ['type'])],
  ['create with a null type', create(withField('type', null), 400, 'validation_failed', ['type'])],
  ['create with an empty name', create(withField('name', ''), 400, 'validation_failed', ['name'])],
  ['create with a blank name', create(withField('name', '   '), 400, 'validation_failed', ['name'])],
  ['create with a numeric name', create(withField('name', 123), 400, 'validation_failed', ['name'])],
  ['create with a NUL in the name', create(withField('name', 'Ali\u0000ce'), 400, 'validation_failed', ['name'])],
  // Text Postgres cannot store (review finding 8): a lone UTF-16 surrogate or a NUL, in any string field.
  ['create with a lone high surrogate in the name', create(withField('name', 'Al\ud800ice'), 400, 'validation_failed', ['name'])],
  ['create with a lone low surrogate in the address', create(withField('address', 'Koinange \udc00 Street'), 400, 'validation_failed', ['address'])],
  ['create with a lone surrogate in the tax_id', create(withField('tax_id', 'P871\ud83d'), 400, 'validation_failed', ['tax_id'])],
  ['create with a NUL in the address', create(withField('address', '45 Koinange\u0000Street'), 400, 'validation_failed', ['address'])],
  ['create with a NUL in the tax_id', create(withField('tax_id', 'P87\u0000126'), 400, 'validation_failed', ['tax_id'])],
  ['create with a lone surrogate in the email', create(withField('email', 'al\ud800ice@example.com'), 400, 'validation_failed', ['email'])],
  [
    'create a bulk whose items 2 and 4 hold a lone surrogate and a NUL',
    create(
      () => [individual(), individual(), individual({ name: 'B\udfffob' }), individual(), individual({ address: 'x\u0000y' })],
      400,
      'validation_failed',
      ['2:name', '4:address'],
    ),
  ],
  ['create with a 201-character name', create(withField('name', 'x'.repeat(201)), 400, 'validation_failed', ['name'])],
  ['create with an email lacking @', create(withField('email', 'alice.example.com'), 400, 'validation_failed', ['email'])],
  ['create with an email lacking a domain suffix', create(withField('email', 'alice@example'), 400, 'validation_failed', ['email'])],
  ['create with spaces in the email', create(withField('email', 'alice smith@example.com'), 400, 'validation_failed', ['email'])],
  ['create with a numeric email', create(withField('email', 42), 400, 'validation_failed', ['email'])],
  ['create with a lower-case country', create(withField('country', 'ken'), 400, 'validation_failed', ['country'])],
  ['create with an alpha-2 country', create(withField('country', 'KE'), 400, 'validation_failed', ['country'])],
  ['create with an unassigned country code', create(withField('country', 'XXX'), 400, 'validation_failed', ['country'])],
  ['create with a country name', create(withField('country', 'Kenya'), 400, 'validation_failed', ['country'])],
  ['create with an unknown document_type', create(withField('document_type', 'selfie'), 400, 'validation_failed', ['document_type'])],
  [
    'create an individual with an incorporation certificate',
    create(withField('document_type', 'incorporation_certificate'), 400, 'validation_failed', ['document_type']),
  ],
  ['create a business with a passport', create(() => business({ document_type: 'passport' }), 400, 'validation_failed', ['document_type'])],
  [
    'create with a wallet lacking 0x',
    create(withField('wallet_address', GOOD_WALLET.slice(2)), 400, 'validation_failed', ['wallet_address']),
  ],
  [
    'create with a 39-digit wallet',
    create(withField('wallet_address', GOOD_WALLET.slice(0, -1)), 400, 'validation_failed', ['wallet_address']),
  ],
  [
    'create with a non-hex wallet',
    create(withField('wallet_address', `${GOOD_WALLET.slice(0, -1)}g`), 400, 'validation_failed', ['wallet_address']),
  ],
  [
    "create with Celar's business sample wallet (bad checksum)",
    create(withField('wallet_address', '0x47c99e83Ff01123f4Bbd2A9e7aAF35A2F97B4761'), 400, 'validation_failed', ['wallet_address']),
  ],
  [
    "create with Celar's PATCH sample wallet (bad checksum)",
    create(withField('wallet_address', '0x5D3a536E4D6DbD6114cc1Ead35777bAB948E3643'), 400, 'validation_failed', ['wallet_address']),
  ],
  [
    'create with an EIP-55 vector with one letter case flipped',
    create(withField('wallet_address', '0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed'), 400, 'validation_failed', ['wallet_address']),
  ],
  ['create with a numeric wallet', create(withField('wallet_address', 12345), 400, 'validation_failed', ['wallet_address'])],
  ['create with an empty address', create(withField('address', ''), 400, 'validation_failed', ['address'])],
  ['create with an object address', create(withField('address', { street: 'Moi Avenue' }), 400, 'validation_failed', ['address'])],
  ['create with a numeric tax_id', create(withField('tax_id', 87126345), 400, 'validation_failed', ['tax_id'])],
  // create: forbidden and unknown fields
  [
    'create with verification_document',
    create(withField('verification_document', 'https://example.com/id.pdf'), 400, 'validation_failed', ['verification_document']),
  ],
  [
    'create with incorporation_certificate',
    create(withField('incorporation_certificate', 'https://example.com/c.pdf'), 400, 'validation_failed', ['incorporation_certificate']),
  ],
  ['create with an id', create(withField('id', 'cr_f12ab34cd567'), 400, 'validation_failed', ['id'])],
  ['create with is_active', create(withField('is_active', true), 400, 'validation_failed', ['is_active'])],
  // Celar's KYC state is read-only: only Celar sets it.
  ['create with kyc_status', create(withField('kyc_status', 'approved'), 400, 'validation_failed', ['kyc_status'])],
  ['create with an unknown field', create(withField('nickname', 'Ali'), 400, 'validation_failed', ['nickname'])],
  ['create with a read-only psp_id', create(withField('psp_id', 'psp_62ac45f3bc99'), 400, 'validation_failed', ['psp_id'])],
  // create: body shape
  ['create with a JSON string body', { ...create(() => undefined, 400, 'invalid_json'), raw: { text: '"hello"', type: 'application/json' } }],
  ['create with a JSON null body', { ...create(() => undefined, 400, 'invalid_json'), raw: { text: 'null', type: 'application/json' } }],
  ['create with a JSON number body', { ...create(() => undefined, 400, 'invalid_json'), raw: { text: '42', type: 'application/json' } }],
  ['create with no body', create(() => undefined)],
  ['create with an empty bulk (0 items)', create(() => [])],
  ['create a bulk of 1001 items', create(() => Array.from({ length: 1001 }, () => individual()))],
  ['create a bulk of 10 with one bad item', create(tenWithOneBad, 400, 'validation_failed', ['7:country'])],
  [
    'create a bulk with two items of one email (case differs)',
    create(() => [individual({ email: 'twin@example.com' }), individual(), individual({ email: 'TWIN@example.com' })], 400, 'validation_failed', [
      '2:email',
    ]),
  ],
  ['create a bulk with a non-object item', create(() => [individual(), 5, individual()], 400, 'validation_failed')],
  ['create a bulk with a nested array item', create(() => [individual(), [individual()]], 400, 'validation_failed')],
  ['create with an email an active customer holds (other case)', create(() => individual({ email: alice.email.toUpperCase() }), 409, 'email_taken')],
  [
    'create a bulk whose item 3 takes an active email',
    create(() => [individual(), individual(), individual(), individual({ email: acme.email }), individual()], 409, 'email_taken', ['3:email']),
  ],
  // create: transport
  ['create with malformed JSON', { ...create(() => undefined, 400, 'invalid_json'), raw: { text: '{"type": "individual",', type: 'application/json' } }],
  ['create with a text/plain body', { ...create(() => undefined, 415, 'unsupported_media_type'), raw: { text: 'hello', type: 'text/plain' } }],
  [
    'create with a form-encoded body',
    { ...create(() => undefined, 415, 'unsupported_media_type'), raw: { text: 'name=Alice&type=individual', type: 'application/x-www-form-urlencoded' } },
  ],
  [
    'create with a body over BODY_LIMIT',
    { ...create(() => undefined, 413, 'payload_too_large'), raw: { text: JSON.stringify({ name: 'x'.repeat(300 * 1024) }), type: 'application/json' } },
  ],
  // create: Idempotency-Key
  ['create with a 256-character Idempotency-Key', { ...create(() => individual()), headers: { 'Idempotency-Key': 'k'.repeat(256) } }],
  ['create with an empty Idempotency-Key', { ...create(() => individual()), headers: { 'Idempotency-Key': '' } }],
  ['create with a non-ASCII Idempotency-Key', { ...create(() => individual()), headers: { 'Idempotency-Key': 'clé-1' } }],
  [
    'create reusing an Idempotency-Key with another body',
    { ...create(() => individual(), 422, 'idempotency_key_reused'), headers: { 'Idempotency-Key': USED_IDEMPOTENCY_KEY } },
  ],
  // auth
  ['create without an API key', { ...create(() => individual(), 401, 'unauthorized'), auth: null }],
  ['create with an unknown API key', { ...create(() => individual(), 401, 'unauthorized'), auth: { Authorization: 'Bearer not_a_real_key' } }],
  ['create with Basic auth', { ...create(() => individual(), 401, 'unauthorized'), auth: { Authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } }],
  ['create with an empty Bearer', { ...create(() => individual(), 401, 'unauthorized'), auth: { Authorization: 'Bearer ' } }],
  ['list without an API key', { ...list('limit=5'), status: 401, code: 'unauthorized', auth: null }],
  // list
  ['list with limit 0', list('limit=0')],
  ['list with limit 101', list('limit=101')],
  ['list with a word for limit', list('limit=ten')],
  ['list with a fractional limit', list('limit=2.5')],
  ['list with a negative offset', list('offset=-1')],
  ['list with an unknown type', list('type=person')],
  ['list with is_active=yes', list('is_active=yes')],
  ['list with an unknown sync_status', list('sync_status=done')],
  ['list with a lower-case country', list('country=ken')],
  ['list with a malformed email', list('email=nope')],
  ['list with an unknown parameter', list('page=2')],
  ['list with limit given twice', list('limit=1&limit=2')],
  // get
  ['get an unknown uuid', { method: 'get', path: () => `/api/v1/customers/${UNKNOWN_UUID}`, status: 404, code: 'not_found' }],
  ['get a malformed id', { method: 'get', path: () => '/api/v1/customers/not-an-id', status: 404, code: 'not_found' }],
  ['get an unknown celar_id', { method: 'get', path: () => '/api/v1/customers/cr_000000000000', status: 404, code: 'not_found' }],
  ['get a quoted injection attempt', { method: 'get', path: () => `/api/v1/customers/${encodeURIComponent("1' OR '1'='1")}`, status: 404, code: 'not_found' }],
  ['get an unknown route', { method: 'get', path: () => '/api/v1/customers/x/y/z', status: 404, code: 'not_found' }],
  // patch
  ['patch with an empty body', patchAlice({})],
  ['patch tax_id', patchAlice({ tax_id: 'X1' }, 400, 'validation_failed', ['tax_id'])],
  ['patch country', patchAlice({ country: 'UGA' }, 400, 'validation_failed', ['country'])],
  ['patch type', patchAlice({ type: 'business' }, 400, 'validation_failed', ['type'])],
  ['patch verification_document', patchAlice({ verification_document: 'https://example.com' }, 400, 'validation_failed', ['verification_document'])],
  ['patch is_active', patchAlice({ is_active: true }, 400, 'validation_failed', ['is_active'])],
  ['patch kyc_status', patchAlice({ kyc_status: 'approved' }, 400, 'validation_failed', ['kyc_status'])],
  ['patch an unknown field', patchAlice({ name: 'A', colour: 'red' }, 400, 'validation_failed', ['colour'])],
  [
    "patch an individual's document_type to incorporation_certificate",
    patchAlice({ document_type: 'incorporation_certificate' }, 400, 'validation_failed', ['document_type']),
  ],
  ['patch a malformed email', patchAlice({ email: 'nope' }, 400, 'validation_failed', ['email'])],
  [
    "patch with Celar's PATCH example (its wallet fails the checksum)",
    patchAlice(
      { name: 'Alice N. Wanjiku', address: '101 Moi Avenue, Nairobi', wallet_address: '0x5D3a536E4D6DbD6114cc1Ead35777bAB948E3643' },
      400,
      'validation_failed',
      ['wallet_address'],
    ),
  ],
  ['patch the name with a lone surrogate', patchAlice({ name: 'Al\ud800ice' }, 400, 'validation_failed', ['name'])],
  ['patch the address with a NUL', patchAlice({ address: 'a\u0000b' }, 400, 'validation_failed', ['address'])],
  ['patch the email with a lone surrogate', patchAlice({ email: 'x\udc00@example.com' }, 400, 'validation_failed', ['email'])],
  ['patch name to null', patchAlice({ name: null }, 400, 'validation_failed', ['name'])],
  ['patch with an array body', patchAlice([{ name: 'A' }])],
  [
    'patch to an email another active customer holds (other case)',
    { ...patchAlice(undefined, 409, 'email_taken', ['email']), body: () => ({ email: acme.email.toUpperCase() }) },
  ],
  [
    'patch a deactivated customer',
    { method: 'patch', path: () => `/api/v1/customers/${gone.id}`, body: () => ({ name: 'New' }), status: 409, code: 'customer_deactivated' },
  ],
  ['patch an unknown id', { method: 'patch', path: () => `/api/v1/customers/${UNKNOWN_UUID}`, body: () => ({ name: 'New' }), status: 404, code: 'not_found' }],
  ['patch a malformed id', { method: 'patch', path: () => '/api/v1/customers/12345', body: () => ({ name: 'New' }), status: 404, code: 'not_found' }],
  ['patch with a text/plain body', { ...patchAlice(undefined, 415, 'unsupported_media_type'), raw: { text: 'name=x', type: 'text/plain' } }],
  ['patch with malformed JSON', { ...patchAlice(undefined, 400, 'invalid_json'), raw: { text: '{"name":', type: 'application/json' } }],
  ['patch without an API key', { ...patchAlice({ name: 'New' }, 401, 'unauthorized'), auth: null }],
  // delete
  ['delete an unknown id', { method: 'delete', path: () => `/api/v1/customers/${UNKNOWN_UUID}`, status: 404, code: 'not_found' }],
  ['delete a malformed id', { method: 'delete', path: () => '/api/v1/customers/abc', status: 404, code: 'not_found' }],
  ['delete without an API key', { method: 'delete', path: () => `/api/v1/customers/${alice.id}`, status: 401, code: 'unauthorized', auth: null }],
  // admin re-sync
  ['re-sync with an app key', { method: 'post', path: () => `/api/v1/customers/${alice.id}/sync`, status: 403, code: 'forbidden' }],
  [
    're-sync a customer that is not failed',
    { method: 'post', path: () => `/api/v1/customers/${alice.id}/sync`, auth: ADMIN_AUTH, status: 409, code: 'not_failed' },
  ],
  [
    're-sync an unknown id',
    { method: 'post', path: () => `/api/v1/customers/${UNKNOWN_UUID}/sync`, auth: ADMIN_AUTH, status: 404, code: 'not_found' },
  ],
  ['re-sync without an API key', { method: 'post', path: () => `/api/v1/customers/${alice.id}/sync`, auth: null, status: 401, code: 'unauthorized' }],
];

function send(input: BadInput): request.Test {
  let req = request(h.http)[input.method](input.path());
  const auth = input.auth === undefined ? APP_AUTH : input.auth;
  if (auth) req = req.set(auth);
  for (const [name, value] of Object.entries(input.headers ?? {})) req = req.set(name, value);
  if (input.raw) return req.set('Content-Type', input.raw.type).send(input.raw.text);
  const body = input.body?.();
  return body === undefined ? req : req.send(body as object);
}

describe('bad inputs', () => {
  it('has at least 60 distinct cases', () => {
    expect(new Set(cases.map(([name]) => name)).size).toBe(cases.length);
    expect(cases.length).toBeGreaterThanOrEqual(60);
  });

  it.each(cases)('%s', async (_, input) => {
    const before = await fingerprint(h.db);
    const res = await send(input);
    expect({ status: res.status, code: (res.body as { error?: { code?: string } }).error?.code }).toEqual({
      status: input.status,
      code: input.code,
    });
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expectErrorShape(res.body, input.code);
    if (input.details) {
      const details = (res.body as { error: { details?: { index?: number; field?: string }[] } }).error.details ?? [];
      const named = details.map((d) => (d.index === undefined ? `${d.field}` : `${d.index}:${d.field}`));
      expect(named).toEqual(input.details);
    }
    expect(await fingerprint(h.db)).toEqual(before);
  });
});

describe('the bulk of 10 with one bad item', () => {
  it('names the item and its field, and stores none of the 9 good ones', async () => {
    const before = await fingerprint(h.db);
    const items = tenWithOneBad();
    const res = await request(h.http).post('/api/v1/customers').set(APP_AUTH).send(items).expect(400);
    expect(res.body).toEqual({
      error: {
        code: 'validation_failed',
        message: expect.any(String),
        details: [{ index: 7, field: 'country', message: expect.stringContaining('ISO 3166-1 alpha-3') }],
      },
    });
    const { rows } = await h.db.query(`SELECT count(*)::int AS n FROM customers WHERE email = ANY($1)`, [items.map((i) => i.email)]);
    expect(rows[0].n).toBe(0);
    expect(await fingerprint(h.db)).toEqual(before);
  });
});

describe('an Idempotency-Key whose first request is still running', () => {
  it('answers 409 idempotency_key_in_use and creates nothing', async () => {
    // Holding the key's lock from another session is exactly what a running first request does.
    const first = new Client({ connectionString: (h.db as unknown as { options: { connectionString: string } }).options.connectionString });
    await first.connect();
    try {
      await first.query('BEGIN');
      await first.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`${API_KEY_HASH}:running-key`]);
      const before = await fingerprint(h.db);
      const res = await request(h.http).post('/api/v1/customers').set(APP_AUTH).set('Idempotency-Key', 'running-key').send(individual());
      expect(res.status).toBe(409);
      expectErrorShape(res.body, 'idempotency_key_in_use');
      expect(await fingerprint(h.db)).toEqual(before);
    } finally {
      await first.query('ROLLBACK');
      await first.end();
    }
    // Once the first is over, the key works.
    await request(h.http).post('/api/v1/customers').set(APP_AUTH).set('Idempotency-Key', 'running-key').send(individual()).expect(202);
  });
});
