// Record runs over a Celar list that is oldest first, 7 customers a page with no total: a scan
// that stopped at the first short page, or trusted a total, would miss the customers at the end.
import request from 'supertest';
import { APP_AUTH } from '@app/testing';
import { Stack, startStack } from '../support/stack';
import { allFindings, seedCustomers, startRun, waitForRun } from './reconciliation-kit';

describe('record runs over lists Celar pages differently', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ workerRuns: 'reconciliation' });
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('reads every page to the empty one: sees the customer created upstream last, confirms none of ours missing', async () => {
    const ours = await seedCustomers(stack, 40);
    const stranger = await stack.sandbox.control.createBehindOurBack();
    await stack.sandbox.control.setSettings({ listOrder: 'oldest', pageCap: 7, listTotal: false });

    const run = await waitForRun(stack, (await startRun(stack, 'records')).id);
    const findings = await allFindings(stack, run.id);

    expect(run.status).toBe('completed');
    expect(run.counts.customers_checked).toBe(41);
    expect(findings.filter((f) => f.kind === 'unknown_upstream').map((f) => f.celar_id)).toEqual([stranger.id]);
    expect(findings.filter((f) => f.kind === 'missing_upstream')).toEqual([]);
    // Every page was read, one after the other, up to the empty one: ceil(41 / 7) + 1.
    const pages = await stack.sandbox.control.requestLog({ method: 'GET', path: '/api/v1/customers' });
    expect(pages.length).toBeGreaterThanOrEqual(7);
    expect(ours).toHaveLength(40);
  });

  it('does not end completed when the list cannot be read to its end, and reports none of ours missing', async () => {
    await stack.sandbox.control.addFault({ kind: 'error', status: 503, method: 'GET', path: '/customers' });
    const ended = await waitForRun(stack, (await startRun(stack, 'records')).id);
    const findings = await allFindings(stack, ended.id);

    expect(['partial', 'failed']).toContain(ended.status);
    expect(findings.filter((f) => f.kind === 'missing_upstream' || f.kind === 'unknown_upstream')).toEqual([]);
    await stack.sandbox.control.clearFaults();
  });

  it("stores the kyc_status Celar reports for each customer it reads, and the API shows it", async () => {
    await stack.sandbox.control.clearFaults();
    await stack.sandbox.control.setSettings({ listOrder: 'newest', pageCap: null, listTotal: true, kycStatus: true });
    const [approved] = await seedCustomers(stack, 1);
    await stack.sandbox.control.setKycStatus(approved.celarId, 'approved');

    const run = await waitForRun(stack, (await startRun(stack, 'records')).id);
    expect(run.status).toBe('completed');
    const res = await request(stack.http).get(`/api/v1/customers/${approved.id}`).set(APP_AUTH).expect(200);
    expect(res.body.kyc_status).toBe('approved');
  });
});
