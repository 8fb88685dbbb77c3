// The console in a real browser: Debian's Chromium driven by playwright-core, against the API,
// the real worker and the sandbox. Screenshots each main page (docs/console/ with CONSOLE_SCREENSHOTS=1).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrowserContext, chromium, Page } from 'playwright-core';
import request from 'supertest';
import { TEST_ADMIN_KEY, TEST_APP_KEY } from '@app/testing';
import { Stack, startStack } from '../support/stack';
import { APP, listCases, seedCustomers, Seeded, startRun, waitForRun, waitUntil } from '../cases/cases-kit';

const CHROMIUM = '/usr/bin/chromium';
// CONSOLE_SCREENSHOTS=1 refreshes the docs' screenshots; otherwise they go to a temporary folder.
const SHOTS = process.env.CONSOLE_SCREENSHOTS ? join(__dirname, '..', '..', 'docs', 'console') : mkdtempSync(join(tmpdir(), 'console-shots-'));

describe('the console in a browser (e2e)', () => {
  let stack: Stack;
  let base: string;
  let browser: BrowserContext;
  let page: Page;
  let profile: string;
  let customers: Seeded[];

  beforeAll(async () => {
    stack = await startStack();
    await stack.api.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(stack.api.getHttpServer().address() as AddressInfo).port}`;
    customers = await seedCustomers(stack, 4);
    for (const [i, c] of customers.entries()) await stack.sandbox.control.setBalance(c.celarId, `${100 * (i + 1)}.00`);
    await stack.sandbox.control.updateBehindOurBack(customers[0].celarId, { name: 'Renamed In Dashboard' });
    await stack.sandbox.control.updateBehindOurBack(customers[1].celarId, { address: '9 Drift Lane' });
    await waitForRun(stack, (await startRun(stack, 'balances')).id);
    await stack.sandbox.control.setBalance(customers[2].celarId, '450.25');
    await waitForRun(stack, (await startRun(stack, 'balances')).id);
    await waitForRun(stack, (await startRun(stack, 'records')).id);

    profile = mkdtempSync(join(tmpdir(), 'console-chromium-'));
    // A fresh profile (--user-data-dir, which playwright passes from here) for every run.
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
      viewport: { width: 1366, height: 900 },
      acceptDownloads: true,
    });
    page = browser.pages()[0] ?? (await browser.newPage());
  });

  afterAll(async () => {
    await browser?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await stack?.close();
  });

  const signIn = async (key: string) => {
    await page.goto(`${base}/console`);
    await page.getByLabel('Admin API key').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
  };

  it('refuses a wrong key and an app key, and sets no session', async () => {
    await signIn('not_a_real_key');
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('Unknown or missing key');
    await signIn(TEST_APP_KEY);
    expect(await page.getByRole('alert').textContent()).toContain('app key');
    expect(await page.context().cookies()).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'sign-in.png') });
  });

  it('signs in with the admin key and shows the summary with its charts', async () => {
    await signIn(TEST_ADMIN_KEY);
    await page.getByRole('heading', { name: 'Summary' }).waitFor();
    expect(page.url()).toBe(`${base}/console`);
    const [cookie] = await page.context().cookies();
    expect(cookie).toMatchObject({ name: 'console_session', httpOnly: true, sameSite: 'Strict' });
    // Chart.js has drawn on both canvases.
    // Runs in the page (a string: this file has no DOM types).
    await page.waitForFunction(`[...document.querySelectorAll('canvas')].length === 2 && [...document.querySelectorAll('canvas')].every((c) => window.Chart.getChart(c))`);
    expect(await page.locator('.card').filter({ hasText: 'open cases' }).locator('.n').textContent()).toBe('2');
    await page.screenshot({ path: join(SHOTS, 'summary.png'), fullPage: true });
  });

  it('opens a case from the inbox, acknowledges it and accepts it with a note', async () => {
    await page.getByRole('link', { name: 'Cases', exact: true }).click();
    await page.getByRole('heading', { name: 'Cases' }).waitFor();
    await page.screenshot({ path: join(SHOTS, 'cases.png'), fullPage: true });
    await page.getByRole('row').filter({ hasText: 'Renamed In Dashboard' }).getByRole('link', { name: 'field_drift' }).click();
    await page.getByLabel('Note (optional)').first().fill('checking with the PSP');
    await page.getByRole('button', { name: 'Acknowledge' }).click();
    await page.getByRole('status').filter({ hasText: 'Done: acknowledge' }).waitFor();
    expect(await page.locator('h1 .badge').textContent()).toBe('acknowledged');
    await page.getByLabel('Why it is accepted (required)').fill('Celar keeps the legal name');
    await page.getByRole('button', { name: 'Accept as it is' }).click();
    await page.getByRole('status').filter({ hasText: 'Done: accept' }).waitFor();
    expect(await page.locator('h1 .badge').textContent()).toBe('accepted');
    const timeline = await page.locator('table tbody tr').allTextContents();
    expect(timeline.map((row) => row.match(/opened|acknowledged|accepted/)?.[0])).toEqual(['opened', 'acknowledged', 'accepted']);
    expect(timeline.join(' ')).toContain('Celar keeps the legal name');
    await page.screenshot({ path: join(SHOTS, 'case.png'), fullPage: true });
  });

  it("repushes a drift and watches the case resolve once Celar has the mirror's value", async () => {
    const [drift] = await listCases(stack, `?customer_id=${customers[1].id}&kind=field_drift`);
    await page.goto(`${base}/console/cases/${drift.id}`);
    await page.getByRole('button', { name: "Repush the mirror's value to Celar" }).click();
    await page.getByText('Repush queued').waitFor();
    // The page polls and reloads itself when the status changes.
    await page.locator('h1 .badge', { hasText: 'resolved' }).waitFor({ timeout: 60_000 });
    expect(await page.locator('dl.fields').textContent()).toContain('repushed');
    expect((await stack.sandbox.control.customer(customers[1].celarId))?.customer.address ?? null).toBeNull();
  });

  it('shows a run with its findings and downloads them as CSV', async () => {
    await page.getByRole('link', { name: 'Runs', exact: true }).click();
    await page.getByRole('row').filter({ hasText: 'balances' }).first().getByRole('link').click();
    await page.getByRole('heading', { name: /balances run/ }).waitFor();
    expect(await page.locator('#progress-text').textContent()).toBe('4 of 4 customers');
    await page.screenshot({ path: join(SHOTS, 'run.png'), fullPage: true });
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download all findings (CSV)' }).click()]);
    const csv = readFileSync((await download.path())!, 'utf8');
    expect(csv.split('\r\n')[0]).toBe('id,run_id,kind,customer_id,celar_id,field,expected,actual,delta,message,created_at');
    expect(csv).toContain('balance_changed');
  });

  it('shows the live progress bar of a running run', async () => {
    await stack.sandbox.control.addFault({ kind: 'latency', latencyMs: 400, path: '/customers/*/balance' });
    await page.goto(`${base}/console/runs`);
    await page.getByLabel('Start a run now').selectOption('balances');
    await page.getByRole('button', { name: 'Start' }).click();
    await page.locator('#run-progress[hx-trigger]').waitFor();
    await page.screenshot({ path: join(SHOTS, 'run-progress.png') });
    // Ends by itself: the poller reloads the page once the run is over.
    await page.locator('#run-progress .badge', { hasText: 'completed' }).waitFor({ timeout: 60_000 });
    await stack.sandbox.control.clearFaults();
  });

  it('re-syncs a failed customer', async () => {
    await stack.sandbox.control.addFault({ kind: 'reject', method: 'POST', email: 'refused.once@example.com', message: 'document rejected' });
    const created = await request(stack.http).post('/api/v1/customers').set(APP).send({
      type: 'individual', name: 'Refused Once', email: 'refused.once@example.com', country: 'KEN', document_type: 'passport',
    });
    const id = created.body.customers[0].id as string;
    await waitUntil(async () => ((await request(stack.http).get(`/api/v1/customers/${id}`).set(APP)).body.sync_status === 'failed' ? true : undefined), 60_000, 'the create to fail');
    await stack.sandbox.control.clearFaults();

    await page.getByRole('link', { name: 'Failed customers' }).click();
    await page.getByRole('row').filter({ hasText: 'Refused Once' }).waitFor();
    await page.screenshot({ path: join(SHOTS, 'failed-customers.png'), fullPage: true });
    await page.getByRole('button', { name: 'Re-sync Refused Once' }).click();
    await page.getByRole('status').filter({ hasText: 'Re-sync queued for Refused Once' }).waitFor();
    await waitUntil(async () => ((await request(stack.http).get(`/api/v1/customers/${id}`).set(APP)).body.sync_status === 'synced' ? true : undefined), 60_000, 'the re-sync to reach Celar');
  });

  it("shows a customer's page: fields, sync history and balance history chart", async () => {
    await page.goto(`${base}/console/customers/${customers[2].id}`);
    await page.getByRole('heading', { name: 'Balance history' }).waitFor();
    await page.waitForFunction(`document.querySelectorAll('canvas').length === 1 && window.Chart.getChart(document.querySelector('canvas'))`);
    expect(await page.locator('dl.fields').textContent()).toContain(customers[2].celarId);
    expect(await page.locator('table').last().textContent()).toBeDefined();
    await page.screenshot({ path: join(SHOTS, 'customer.png'), fullPage: true });
  });

  it('signs out, and the console asks for the key again', async () => {
    await page.goto(`${base}/console`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Admin API key').waitFor();
    await page.goto(`${base}/console/cases`);
    expect(page.url()).toBe(`${base}/console/sign-in`);
  });
});
