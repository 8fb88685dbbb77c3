// The console over HTTP: sign-in, the session cookie, what needs a session, CSRF, sign-out,
// and that its actions follow the admin API's rules.
import request from 'supertest';
import { TEST_ADMIN_KEY, TEST_APP_KEY } from '@app/testing';
import { Stack, startStack } from '../support/stack';
import { ADMIN_ACTOR, listCases, seedCustomers, startRun, waitForRun } from '../cases/cases-kit';

function cookieOf(res: request.Response): string {
  const set = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  return set.find((c) => c.startsWith('console_session=')) ?? '';
}

describe('the console over HTTP (e2e)', () => {
  let stack: Stack;
  let cookie: string;
  let csrf: string;

  beforeAll(async () => {
    stack = await startStack();
  });

  afterAll(async () => {
    await stack?.close();
  });

  const signIn = async (key: string) => request(stack.http).post('/console/session').type('form').send({ key });

  it('shows the sign-in page without a session, and 303s every other page to it', async () => {
    const home = await request(stack.http).get('/console');
    expect(home.status).toBe(303);
    expect(home.headers.location).toBe('/console/sign-in');
    const signInPage = await request(stack.http).get('/console/sign-in');
    expect(signInPage.status).toBe(200);
    expect(signInPage.headers['content-type']).toMatch(/^text\/html/);
    expect(signInPage.text).toContain('name="key"');
    for (const path of ['/console/cases', '/console/runs', '/console/customers', '/console/nowhere']) {
      expect({ path, status: (await request(stack.http).get(path)).status }).toEqual({ path, status: 303 });
    }
    for (const path of ['/console/api/cases.csv', '/console/api/runs/00000000-0000-4000-8000-000000000000/progress']) {
      const res = await request(stack.http).get(path);
      expect({ path, status: res.status, code: res.body.error?.code }).toEqual({ path, status: 401, code: 'unauthorized' });
    }
    const asset = await request(stack.http).get('/console/assets/htmx.min.js');
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toMatch(/javascript/);
    expect((await request(stack.http).get('/console/assets/chart.umd.js')).status).toBe(200);
  });

  it('refuses an app key (403) and a wrong or missing key (401), without a cookie', async () => {
    for (const [key, status] of [[TEST_APP_KEY, 403], ['wrong_key_123', 401], ['', 401]] as const) {
      const res = await signIn(key);
      expect({ key, status: res.status, cookie: cookieOf(res) }).toEqual({ key, status, cookie: '' });
    }
    const json = await request(stack.http).post('/console/session').send({ key: TEST_APP_KEY });
    expect(json.status).toBe(403);
    expect(json.body.error.code).toBe('forbidden');
    expect((await request(stack.http).post('/console/session')).status).toBe(401);
  });

  it('signs in with the admin key (form or JSON): 303 to /console and an HttpOnly, SameSite=Strict cookie, Secure behind https', async () => {
    const res = await signIn(TEST_ADMIN_KEY);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/console');
    cookie = cookieOf(res);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect(cookie).not.toMatch(/Secure/i);
    const behindTls = await request(stack.http).post('/console/session').set('X-Forwarded-Proto', 'https').send({ key: TEST_ADMIN_KEY });
    expect(behindTls.status).toBe(303);
    expect(cookieOf(behindTls)).toMatch(/;\s*Secure/i);
    cookie = cookie.split(';')[0];
    const home = await request(stack.http).get('/console').set('Cookie', cookie);
    expect(home.status).toBe(200);
    expect(home.text).toContain('<h1>Summary</h1>');
    expect(home.text).not.toContain('name="key"');
    expect(home.text).toContain(ADMIN_ACTOR);
    csrf = /name="_csrf" value="([^"]+)"/.exec(home.text)![1];
  });

  it('never lets the cookie open the admin API, nor the bearer key the console', async () => {
    expect((await request(stack.http).get('/api/v1/admin/cases').set('Cookie', cookie)).status).toBe(401);
    const viaBearer = await request(stack.http).get('/console').set('Authorization', `Bearer ${TEST_ADMIN_KEY}`);
    expect(viaBearer.status).toBe(303);
  });

  it('refuses a state-changing request without the session’s CSRF token (403), and acts with it under the admin API’s rules', async () => {
    const customers = await seedCustomers(stack, 2);
    await stack.sandbox.control.updateBehindOurBack(customers[0].celarId, { name: 'Drifted' });
    await waitForRun(stack, (await startRun(stack, 'records')).id);
    const [drift] = await listCases(stack, '?kind=field_drift');

    const forged = await request(stack.http).post(`/console/cases/${drift.id}/acknowledge`).set('Cookie', cookie).type('form').send({});
    expect(forged.status).toBe(403);
    const wrong = await request(stack.http).post(`/console/cases/${drift.id}/acknowledge`).set('Cookie', cookie).type('form').send({ _csrf: 'x'.repeat(32) });
    expect(wrong.status).toBe(403);
    expect((await request(stack.http).get(`/api/v1/admin/cases/${drift.id}`).set('Authorization', `Bearer ${TEST_ADMIN_KEY}`)).body.status).toBe('open');

    const ok = await request(stack.http).post(`/console/cases/${drift.id}/acknowledge`).set('Cookie', cookie).type('form').send({ _csrf: csrf, note: 'seen in the console' });
    expect(ok.status).toBe(303);
    expect(ok.headers.location).toBe(`/console/cases/${drift.id}?done=acknowledge`);
    const [after] = await listCases(stack, '?kind=field_drift');
    expect(after).toMatchObject({ status: 'acknowledged', note: 'seen in the console' });

    const noNote = await request(stack.http).post(`/console/cases/${drift.id}/accept`).set('Cookie', cookie).type('form').send({ _csrf: csrf, note: '' });
    expect(noNote.status).toBe(400);
    expect(noNote.text).toContain('is required');
    const notAllowed = await request(stack.http).post(`/console/cases/${drift.id}/reopen`).set('Cookie', cookie).type('form').send({ _csrf: csrf });
    expect(notAllowed.status).toBe(409);
    const viaHeader = await request(stack.http).post(`/console/cases/${drift.id}/resolve`).set('Cookie', cookie).set('X-CSRF-Token', csrf).type('form').send({});
    expect(viaHeader.status).toBe(303);
  });

  it('serves the pages and the CSV downloads with a session', async () => {
    for (const path of ['/console/runs', '/console/cases?status=resolved', '/console/customers']) {
      const res = await request(stack.http).get(path).set('Cookie', cookie);
      expect({ path, status: res.status, html: /^text\/html/.test(res.headers['content-type']) }).toEqual({ path, status: 200, html: true });
    }
    const csv = await request(stack.http).get('/console/api/cases.csv?status=resolved').set('Cookie', cookie);
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.text.trim().split('\r\n')).toHaveLength(2);
    const bad = await request(stack.http).get('/console/cases?status=nope').set('Cookie', cookie);
    expect(bad.status).toBe(400);
    expect((await request(stack.http).get('/console/cases/not-a-case').set('Cookie', cookie)).status).toBe(404);
  });

  it('signs out (DELETE or POST): 303 to the sign-in page, cookie cleared, the old value opens nothing', async () => {
    const other = cookieOf(await signIn(TEST_ADMIN_KEY)).split(';')[0];
    const out = await request(stack.http).delete('/console/session').set('Cookie', cookie);
    expect(out.status).toBe(303);
    expect(out.headers.location).toBe('/console/sign-in');
    expect(cookieOf(out)).toMatch(/^console_session=;.*Max-Age=0/i);
    expect((await request(stack.http).get('/console').set('Cookie', cookie)).status).toBe(303);
    expect((await request(stack.http).get('/console/api/cases.csv').set('Cookie', cookie)).status).toBe(401);

    const out2 = await request(stack.http).post('/console/session/logout').set('Cookie', other);
    expect(out2.status).toBe(303);
    expect((await request(stack.http).get('/console').set('Cookie', other)).status).toBe(303);
  });
});
