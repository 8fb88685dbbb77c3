// Record reconciliation against the sandbox: what only Celar sets is pulled in, drift is found.
import { randomUUID } from 'node:crypto';
import { Stack, startStack } from '../support/stack';
import { allFindings, FindingBody, insertMirror, RunBody, Seeded, seedCustomers, startRun, waitForRun } from './reconciliation-kit';
import { waitUntil } from '@app/testing';

const CHECKSUMMED = '0x8ba1f109551bD432803012645Ac136ddd64DBA72';

describe('record reconciliation (e2e)', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ workerRuns: 'reconciliation' });
  });

  afterAll(async () => {
    await stack?.close();
  });

  describe('a run over customers changed behind our back', () => {
    let customers: Seeded[];
    let run: RunBody;
    let findings: FindingBody[];
    let behind: { id: string; email: string }[];
    const ghost = { id: randomUUID(), celarId: 'cr_00000000beef', email: `ghost.${randomUUID()}@example.com` };
    const of = (kind: string, customerId?: string) =>
      findings.filter((f) => f.kind === kind && (customerId === undefined || f.customer_id === customerId));

    beforeAll(async () => {
      // More than one page of Celar's list (100 per page).
      customers = await seedCustomers(stack, 130, (i) => ({ tax_id: `TAX${i}`, wallet_address: CHECKSUMMED }));
      const [documented, deactivated, drifted, pending, duplicated, walletCase] = customers;
      await stack.sandbox.control.attachDocument(documented.celarId, { verification_document: 'https://docs.example.com/passport-1.pdf' });
      await stack.sandbox.control.deactivateBehindOurBack(deactivated.celarId);
      await stack.sandbox.control.updateBehindOurBack(drifted.celarId, { name: 'Renamed In Dashboard', tax_id: 'OTHER-TAX' });
      // A change of ours still waiting to sync: Celar's older name is expected, not drift.
      await stack.db.query(
        `INSERT INTO customer_operations (customer_id, seq, kind, payload, idempotency_key, status)
         VALUES ($1, 1, 'update', '{"name":"Our New Name"}', $2, 'pending')`,
        [pending.id, randomUUID()],
      );
      await stack.db.query(`UPDATE customers SET name = 'Our New Name', last_op_seq = 1 WHERE id = $1`, [pending.id]);
      await stack.sandbox.control.attachDocument(pending.celarId, { verification_document: 'https://docs.example.com/pending.pdf' });
      // Same address, other case: not drift.
      await stack.db.query(`UPDATE customers SET wallet_address = lower(wallet_address) WHERE id = $1`, [walletCase.id]);
      // Two customers created upstream behind our back, and one duplicating one of ours.
      behind = [await stack.sandbox.control.createBehindOurBack(), await stack.sandbox.control.createBehindOurBack()];
      const duplicate = await stack.sandbox.control.createBehindOurBack({ email: duplicated.email.toUpperCase(), tax_id: 'TAX4' });
      behind.push(duplicate);
      await insertMirror(stack.db, [ghost]);

      run = await waitForRun(stack, (await startRun(stack, 'records')).id);
      findings = await allFindings(stack, run.id);
    });

    it('completes, having checked every upstream customer and confirmed ours that the scan did not see', () => {
      expect(run).toMatchObject({ kind: 'records', trigger: 'manual', status: 'completed', error: null });
      // 130 seeded + 3 behind our back in the list, + the ghost confirmed by GET.
      expect(run.counts.customers_checked).toBe(134);
      expect(run.progress).toEqual({ done: 134, total: 134 });
      expect(run.counts.errors).toBe(0);
      expect(run.counts.balances_changed).toBe(0);
      expect(run.counts.findings).toBe(findings.length);
    });

    it('pulls document URLs set in the dashboard, and says so', async () => {
      const [documented] = customers;
      expect(of('document_attached', documented.id)).toEqual([
        expect.objectContaining({
          celar_id: documented.celarId,
          field: 'verification_document',
          expected: null,
          actual: 'https://docs.example.com/passport-1.pdf',
        }),
      ]);
      const { rows } = await stack.db.query(`SELECT verification_document FROM customers WHERE id = $1`, [documented.id]);
      expect(rows[0].verification_document).toBe('https://docs.example.com/passport-1.pdf');
    });

    it('applies a remote deactivation and flags it', async () => {
      const deactivated = customers[1];
      expect(of('deactivated_upstream', deactivated.id)).toEqual([
        expect.objectContaining({ celar_id: deactivated.celarId, field: 'is_active', expected: 'true', actual: 'false' }),
      ]);
      const { rows } = await stack.db.query(`SELECT is_active, deactivated_at FROM customers WHERE id = $1`, [deactivated.id]);
      expect(rows[0].is_active).toBe(false);
      expect(rows[0].deactivated_at).not.toBeNull();
    });

    it('reports field drift per field, withholding tax ids', () => {
      const drifted = customers[2];
      const drift = of('field_drift', drifted.id);
      expect(drift.map((f) => f.field).sort()).toEqual(['name', 'tax_id']);
      expect(drift.find((f) => f.field === 'name')).toMatchObject({ expected: 'Customer 2', actual: 'Renamed In Dashboard' });
      const tax = drift.find((f) => f.field === 'tax_id')!;
      expect([tax.expected, tax.actual]).toEqual([null, null]);
      expect(JSON.stringify(findings)).not.toContain('OTHER-TAX');
    });

    it('never overwrites or flags fields of a customer whose changes still wait to sync, but still pulls its documents', async () => {
      const pending = customers[3];
      expect(of('field_drift', pending.id)).toEqual([]);
      expect(of('document_attached', pending.id)).toHaveLength(1);
      const { rows } = await stack.db.query(`SELECT name, verification_document FROM customers WHERE id = $1`, [pending.id]);
      expect(rows[0]).toEqual({ name: 'Our New Name', verification_document: 'https://docs.example.com/pending.pdf' });
    });

    it('compares wallet addresses without regard to case', () => {
      expect(of('field_drift', customers[5].id)).toEqual([]);
    });

    it('reports the two customers created upstream behind our back, and the duplicate of one of ours', () => {
      const unknown = of('unknown_upstream');
      expect(unknown.map((f) => f.celar_id).sort()).toEqual([behind[0].id, behind[1].id].sort());
      expect(unknown.map((f) => f.actual).sort()).toEqual([behind[0].email, behind[1].email].sort());
      expect(unknown.every((f) => f.customer_id === null)).toBe(true);
      const duplicated = customers[4];
      expect(of('duplicate_upstream')).toEqual([
        expect.objectContaining({ customer_id: duplicated.id, celar_id: behind[2].id, expected: duplicated.celarId, actual: behind[2].id }),
      ]);
    });

    it('declares missing upstream only a customer that GET /customers/:id confirms unknown', async () => {
      expect(of('missing_upstream')).toEqual([expect.objectContaining({ customer_id: ghost.id, celar_id: ghost.celarId })]);
      const gets = await stack.sandbox.control.requestLog({ method: 'GET', path: `/api/v1/customers/${ghost.celarId}` });
      expect(gets.map((e) => e.status)).toContain(404);
    });

    it('does not repeat on the next run what it has already pulled in, but reports the remote deactivation again', async () => {
      const next = await waitForRun(stack, (await startRun(stack, 'records')).id);
      const again = await allFindings(stack, next.id);
      expect(again.filter((f) => f.kind === 'document_attached')).toEqual([]);
      // Every record run reports it (docs/api.md, "Cases"), so its case stays open until an operator closes it.
      expect(again.filter((f) => f.kind === 'deactivated_upstream').map((f) => f.customer_id)).toEqual([customers[1].id]);
      expect(again.filter((f) => f.kind === 'unknown_upstream')).toHaveLength(2);
      expect(next.status).toBe('completed');
    });
  });

  it('never declares missing a customer that shifted out of the pages while customers were created during the scan', async () => {
    await seedCustomers(stack, 220);
    await stack.sandbox.control.addFault({ kind: 'latency', latencyMs: 250, method: 'GET', path: '/customers' });
    const since = await stack.sandbox.control.clearRequestLog();
    const started = await startRun(stack, 'records');
    // Once the scan has read a page, 60 customers appear at the head of the newest-first list.
    await waitUntil(async () => ((await stack.sandbox.control.requestLog({ since, method: 'GET', path: '/api/v1/customers' })).length > 1 ? true : undefined), 20_000, 'the scan to start');
    for (let i = 0; i < 60; i++) await stack.sandbox.control.createBehindOurBack();
    await stack.sandbox.control.clearFaults();
    const run = await waitForRun(stack, started.id);
    const findings = await allFindings(stack, run.id);
    expect(findings.filter((f) => f.kind === 'missing_upstream' && f.celar_id !== 'cr_00000000beef')).toEqual([]);
    expect(run.status).toBe('completed');
  });
});
