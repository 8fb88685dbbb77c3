import { CelarCustomer } from '@app/celar-client';
import { MirrorRecord } from '@app/customers';
import { classifyUnknown, compareRecord } from './record-compare';

const ours = (over: Partial<MirrorRecord> = {}): MirrorRecord => ({
  id: 'our-1',
  celarId: 'cr_000000000001',
  type: 'individual',
  name: 'Alice Wanjiku',
  email: 'alice@example.com',
  country: 'KEN',
  documentType: 'passport',
  address: null,
  taxId: 'P87126345B',
  walletAddress: '0x8ba1f109551bd432803012645ac136ddd64dba72',
  verificationDocument: null,
  incorporationCertificate: null,
  isActive: true,
  pending: false,
  deactivatedByUs: false,
  ...over,
});

const theirs = (over: Partial<CelarCustomer> = {}): CelarCustomer => ({
  id: 'cr_000000000001',
  created_at: '2025-09-26T08:11:20.880Z',
  updated_at: '2025-09-26T08:11:20.880Z',
  country: 'KEN',
  email: 'Alice@Example.com',
  type: 'individual',
  wallet_address: '0x8ba1f109551bD432803012645Ac136ddd64DBA72',
  address: '',
  is_active: true,
  name: 'Alice Wanjiku',
  psp_id: 'psp_62ac45f3bc99',
  tax_id: 'P87126345B',
  document_type: 'passport',
  verification_document: null,
  incorporation_certificate: null,
  ...over,
});

describe('compareRecord', () => {
  it('finds nothing when only case (email, wallet) or empty-vs-null differ', () => {
    expect(compareRecord(ours(), theirs())).toEqual({ findings: [], documents: {}, deactivate: false });
  });

  it('pulls documents and remote deactivation, even with changes pending', () => {
    const result = compareRecord(ours({ pending: true }), theirs({ verification_document: 'https://d/x.pdf', is_active: false, name: 'Other' }));
    expect(result.documents).toEqual({ verification_document: 'https://d/x.pdf' });
    expect(result.deactivate).toBe(true);
    expect(result.findings.map((f) => f.kind)).toEqual(['document_attached', 'deactivated_upstream']);
  });

  it('reports drift per field, only without pending changes, and never shows tax ids', () => {
    const upstream = theirs({ name: 'Alicia', tax_id: 'SECRET', country: 'UGA' });
    expect(compareRecord(ours({ pending: true }), upstream).findings).toEqual([]);
    const findings = compareRecord(ours(), upstream).findings;
    expect(findings.map((f) => [f.field, f.expected, f.actual])).toEqual([
      ['name', 'Alice Wanjiku', 'Alicia'],
      ['country', 'KEN', 'UGA'],
      ['tax_id', null, null],
    ]);
    expect(JSON.stringify(findings)).not.toContain('SECRET');
  });

  it('flags a customer deactivated here but active upstream when nothing is pending', () => {
    expect(compareRecord(ours({ isActive: false }), theirs()).findings).toEqual([
      expect.objectContaining({ kind: 'field_drift', field: 'is_active', expected: 'false', actual: 'true' }),
    ]);
    expect(compareRecord(ours({ isActive: false, pending: true }), theirs()).findings).toEqual([]);
  });

  it('reports a deactivation Celar made without our request on every run, and never one we asked for', () => {
    const again = compareRecord(ours({ isActive: false }), theirs({ is_active: false }));
    expect(again.deactivate).toBe(false);
    expect(again.findings).toEqual([expect.objectContaining({ kind: 'deactivated_upstream', field: 'is_active' })]);
    expect(compareRecord(ours({ isActive: false, deactivatedByUs: true }), theirs({ is_active: false })).findings).toEqual([]);
  });
});

describe('classifyUnknown', () => {
  it('is a duplicate when one of ours, linked to another id, has the same email and tax id', () => {
    const f = classifyUnknown(theirs({ id: 'cr_00000000000f' }), [{ id: 'our-1', celarId: 'cr_000000000001', taxId: 'P87126345B' }]);
    expect(f).toMatchObject({ kind: 'duplicate_upstream', customerId: 'our-1', celarId: 'cr_00000000000f', expected: 'cr_000000000001' });
  });

  it('is unknown otherwise, naming ours when its create is unconfirmed', () => {
    expect(classifyUnknown(theirs({ id: 'cr_00000000000f' }), [{ id: 'our-1', celarId: 'cr_000000000001', taxId: 'OTHER' }])).toMatchObject({
      kind: 'unknown_upstream',
      customerId: null,
    });
    expect(classifyUnknown(theirs({ id: 'cr_00000000000f' }), [{ id: 'our-2', celarId: null, taxId: 'P87126345B' }])).toMatchObject({
      kind: 'unknown_upstream',
      customerId: 'our-2',
    });
  });
});
