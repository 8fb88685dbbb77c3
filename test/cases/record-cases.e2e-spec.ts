// Cases from record runs, the operators' actions and their rules, repush through the real sync
// worker to the sandbox, and the list's filters, pagination and CSV.
import request from 'supertest';
import { Stack, startStack } from '../support/stack';
import { ADMIN, ADMIN_ACTOR, APP, act, CaseBody, getCase, listCases, seedCustomers, Seeded, startRun, waitForRun, waitUntil } from './cases-kit';

describe('cases from record runs, and the operators’ actions (e2e)', () => {
  let stack: Stack;
  let customers: Seeded[];
  let firstRun: string;
  let drift: CaseBody;
  const behind: { id: string }[] = [];

  beforeAll(async () => {
    stack = await startStack();
    customers = await seedCustomers(stack, 5);
    await stack.sandbox.control.updateBehindOurBack(customers[0].celarId, { name: 'Renamed In Dashboard' });
    await stack.sandbox.control.updateBehindOurBack(customers[1].celarId, { address: '1 Elsewhere Road' });
    await stack.sandbox.control.deactivateBehindOurBack(customers[2].celarId);
    behind.push(await stack.sandbox.control.createBehindOurBack());
    firstRun = (await waitForRun(stack, (await startRun(stack, 'records')).id)).id;
    [drift] = await listCases(stack, `?customer_id=${customers[0].id}&kind=field_drift`);
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('opens one case per break: field drift per field, the remote deactivation, the unknown upstream customer by its celar_id', async () => {
    expect(drift).toMatchObject({ status: 'open', field: 'name', expected: 'Customer 0', actual: 'Renamed In Dashboard', first_run_id: firstRun });
    const all = await listCases(stack, '?limit=100');
    expect(all.map((c) => c.kind).sort()).toEqual(['deactivated_upstream', 'field_drift', 'field_drift', 'unknown_upstream']);
    expect(all.find((c) => c.kind === 'unknown_upstream')).toMatchObject({ customer_id: null, celar_id: behind[0].id });
  });

  it('answers 404 for an unknown or malformed case id, and refuses app keys and missing keys', async () => {
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      expect((await request(stack.http).get(`/api/v1/admin/cases/${id}`).set(ADMIN)).status).toBe(404);
      expect((await act(stack, id, 'acknowledge')).status).toBe(404);
    }
    expect((await request(stack.http).get('/api/v1/admin/cases').set(APP)).status).toBe(403);
    expect((await request(stack.http).post(`/api/v1/admin/cases/${drift.id}/acknowledge`).set(APP)).status).toBe(403);
    expect((await request(stack.http).get('/api/v1/admin/cases')).status).toBe(401);
    expect((await request(stack.http).get('/api/v1/admin/summary').set(APP)).status).toBe(403);
  });

  it('acknowledges once (a repeat answers 200 with no new event), with the actor taken from the key, never the body', async () => {
    const first = await act(stack, drift.id, 'acknowledge', { note: 'looking' });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ id: drift.id, status: 'acknowledged', note: 'looking' });
    const again = await act(stack, drift.id, 'acknowledge');
    expect(again.status).toBe(200);
    expect(again.body.events.map((e: { action: string }) => e.action)).toEqual(['opened', 'acknowledged']);
    expect(again.body.events[1]).toEqual({ at: expect.any(String), action: 'acknowledged', actor: ADMIN_ACTOR, note: 'looking', run_id: null });
    const spoofed = await act(stack, drift.id, 'resolve', { actor: 'alice' });
    expect(spoofed.status).toBe(400);
    expect(spoofed.body.error.details).toEqual([{ field: 'actor', message: 'is not a known field' }]);
  });

  it('refuses bad bodies with 400, never 500', async () => {
    for (const body of [{ note: '' }, { note: 42 }, { note: 'x'.repeat(2001) }, { note: 'a\u0000b' }, [1]]) {
      const res = await act(stack, drift.id, 'resolve', body);
      expect({ body, status: res.status, code: res.body.error?.code }).toEqual({ body, status: 400, code: 'validation_failed' });
    }
    const notJson = await request(stack.http).post(`/api/v1/admin/cases/${drift.id}/resolve`).set(ADMIN).set('Content-Type', 'application/json').send('{bad');
    expect(notJson.status).toBe(400);
  });

  it('resolves (fixed), refuses what the status does not allow with 409, reopens, and requires a note to accept', async () => {
    const resolved = await act(stack, drift.id, 'resolve', { note: 'told the PSP' });
    expect(resolved.body).toMatchObject({ status: 'resolved', resolution: 'fixed' });
    for (const action of ['resolve', 'acknowledge', 'repush']) {
      const res = await act(stack, drift.id, action, action === 'accept' ? { note: 'n' } : undefined);
      expect({ action, status: res.status, code: res.body.error.code }).toEqual({ action, status: 409, code: 'invalid_transition' });
    }
    expect((await act(stack, drift.id, 'accept', { note: 'n' })).status).toBe(409);
    const reopened = await act(stack, drift.id, 'reopen');
    expect(reopened.body).toMatchObject({ status: 'open', resolution: null });
    expect((await act(stack, drift.id, 'reopen')).status).toBe(409);
    const noNote = await act(stack, drift.id, 'accept', {});
    expect(noNote.status).toBe(400);
    expect(noNote.body.error.details).toEqual([{ field: 'note', message: 'is required: say why the break is accepted' }]);
    const accepted = await act(stack, drift.id, 'accept', { note: 'Celar shows the legal name' });
    expect(accepted.body).toMatchObject({ status: 'accepted', note: 'Celar shows the legal name' });
    expect(accepted.body.events.map((e: { action: string }) => e.action)).toEqual(['opened', 'acknowledged', 'resolved', 'reopened', 'accepted']);
  });

  it('a later run updates the accepted case and keeps it accepted; the remote deactivation is reported again and its case stays open', async () => {
    const run = (await waitForRun(stack, (await startRun(stack, 'records')).id)).id;
    expect(await getCase(stack, drift.id)).toMatchObject({ status: 'accepted', occurrence_count: 2, last_run_id: run });
    const [deactivated] = await listCases(stack, `?kind=deactivated_upstream`);
    expect(deactivated).toMatchObject({ status: 'open', occurrence_count: 2, last_run_id: run, customer_id: customers[2].id });
  });

  it('repush: only field drift that is open or acknowledged; queues the mirror’s value and resolves once Celar has it', async () => {
    const [unknown] = await listCases(stack, '?kind=unknown_upstream');
    expect((await act(stack, unknown.id, 'repush')).status).toBe(409);
    expect((await act(stack, drift.id, 'repush')).status).toBe(409); // accepted

    const [address] = await listCases(stack, `?customer_id=${customers[1].celarId}&kind=field_drift`);
    expect(address).toMatchObject({ field: 'address', expected: null, actual: '1 Elsewhere Road' });
    // A PSP change of that customer already waiting: the repush goes after it, in order.
    await request(stack.http).patch(`/api/v1/customers/${customers[1].id}`).set(APP).send({ name: 'New Name' }).expect(202);
    const queued = await act(stack, address.id, 'repush', { note: 'mirror is right' });
    expect(queued.status).toBe(202);
    expect(queued.body).toMatchObject({ status: 'open', resolution: null });
    expect(queued.body.events.at(-1)).toMatchObject({ action: 'repushed', actor: ADMIN_ACTOR, note: 'mirror is right' });
    const ops = await stack.db.query(`SELECT seq, kind, payload FROM customer_operations WHERE customer_id = $1 ORDER BY seq`, [customers[1].id]);
    expect(ops.rows.map((o) => [o.kind, o.payload])).toEqual([
      ['update', { name: 'New Name' }],
      ['update', { address: null }],
    ]);

    const done = await waitUntil(async () => {
      const c = await getCase(stack, address.id);
      return c.status === 'resolved' ? c : undefined;
    }, 60_000, 'the repushed case to resolve');
    expect(done).toMatchObject({ resolution: 'repushed' });
    expect(done.events!.at(-1)).toMatchObject({ action: 'resolved', actor: ADMIN_ACTOR });
    const upstream = await stack.sandbox.control.customer(customers[1].celarId);
    expect(upstream?.customer).toMatchObject({ name: 'New Name' });
    expect(upstream?.customer.address ?? null).toBeNull();
  });

  it('a completed record run resolves the drift it no longer sees (auto)', async () => {
    await stack.sandbox.control.updateBehindOurBack(customers[3].celarId, { name: 'Drifted' });
    await waitForRun(stack, (await startRun(stack, 'records')).id);
    const [open] = await listCases(stack, `?customer_id=${customers[3].id}`);
    expect(open.status).toBe('open');
    await stack.sandbox.control.updateBehindOurBack(customers[3].celarId, { name: 'Customer 3' });
    const run = (await waitForRun(stack, (await startRun(stack, 'records')).id)).id;
    const closed = await getCase(stack, open.id);
    expect(closed).toMatchObject({ status: 'resolved', resolution: 'auto' });
    expect(closed.events!.at(-1)).toMatchObject({ action: 'resolved', actor: `run:${run}`, run_id: run });
  });

  describe('the list', () => {
    it('filters by status (repeatable or comma-separated), kind, customer (either id) and age, oldest first', async () => {
      const all = await listCases(stack, '?limit=100');
      const sorted = [...all].sort((a, b) => a.first_seen_at.localeCompare(b.first_seen_at) || a.id.localeCompare(b.id));
      expect(all.map((c) => c.id)).toEqual(sorted.map((c) => c.id));
      const openOrAccepted = all.filter((c) => c.status === 'open' || c.status === 'accepted').map((c) => c.id).sort();
      expect((await listCases(stack, '?status=open,accepted&limit=100')).map((c) => c.id).sort()).toEqual(openOrAccepted);
      expect((await listCases(stack, '?status=open&status=accepted&limit=100')).map((c) => c.id).sort()).toEqual(openOrAccepted);
      expect((await listCases(stack, '?kind=unknown_upstream')).map((c) => c.kind)).toEqual(['unknown_upstream']);
      expect((await listCases(stack, `?customer_id=${customers[0].celarId}`)).map((c) => c.id)).toEqual([drift.id]);
      expect(await listCases(stack, '?min_age_hours=1')).toEqual([]);
      await stack.db.query(`UPDATE reconciliation_cases SET first_seen_at = now() - interval '30 hours' WHERE id = $1`, [drift.id]);
      expect((await listCases(stack, '?min_age_hours=24')).map((c) => c.id)).toEqual([drift.id]);
    });

    it('pages with {cases, total, limit, offset}, limit 1..100 (default 20), and refuses bad parameters with 400', async () => {
      const page = await request(stack.http).get('/api/v1/admin/cases?limit=2&offset=1').set(ADMIN);
      expect(page.status).toBe(200);
      expect(Object.keys(page.body).sort()).toEqual(['cases', 'limit', 'offset', 'total']);
      expect(page.body).toMatchObject({ limit: 2, offset: 1 });
      expect(page.body.cases).toHaveLength(Math.min(2, page.body.total - 1));
      expect((await request(stack.http).get('/api/v1/admin/cases').set(ADMIN)).body.limit).toBe(20);
      for (const q of ['limit=0', 'limit=101', 'offset=-1', 'status=closed', 'kind=balance_changed', 'customer_id=nobody', 'min_age_hours=-1', 'format=xml', 'sort=new']) {
        const res = await request(stack.http).get(`/api/v1/admin/cases?${q}`).set(ADMIN);
        expect({ q, status: res.status, code: res.body.error?.code }).toEqual({ q, status: 400, code: 'validation_failed' });
      }
    });

    it('exports every matching case as CSV (?format=csv or Accept: text/csv)', async () => {
      const all = await listCases(stack, '?limit=100');
      const csv = await request(stack.http).get('/api/v1/admin/cases?format=csv&limit=1').set(ADMIN);
      expect(csv.status).toBe(200);
      expect(csv.headers['content-type']).toMatch(/^text\/csv/);
      const lines = csv.text.trim().split('\r\n');
      expect(lines[0]).toBe('id,kind,status,customer_id,celar_id,field,expected,actual,delta,currency,first_seen_at,last_seen_at,occurrence_count,first_run_id,last_run_id,resolution,note,updated_at');
      expect(lines).toHaveLength(all.length + 1);
      const accepted = await request(stack.http).get('/api/v1/admin/cases?status=accepted').set(ADMIN).set('Accept', 'text/csv');
      expect(accepted.text.trim().split('\r\n')).toHaveLength(2);
      expect(accepted.text).toContain(drift.id);
    });
  });
});
