import { CelarCustomer } from '@app/celar-client';
import { DocumentField, DOCUMENT_FIELDS, MirrorRecord } from '@app/customers';
import { NewFinding } from './reconciliation.types';

/** The fields CelarCustomer documents: its keys without the index signature that keeps unknown extras, so a typo fails the build. */
type CelarCustomerField = keyof { [K in keyof CelarCustomer as string extends K ? never : K]: CelarCustomer[K] };

type Normalize = (value: unknown) => string | null;
const text: Normalize = (v) => (v === undefined || v === null || v === '' ? null : String(v));
const lower: Normalize = (v) => text(v)?.toLowerCase() ?? null;

/**
 * Fields Celar holds a copy of, by their API name (Celar's too, and the name a finding reports),
 * with the mirror's property that holds ours, and how to compare them: emails and wallet
 * addresses ignore case.
 */
const DRIFT_FIELDS: { field: CelarCustomerField; ours: keyof MirrorRecord; normalize: Normalize; secret?: boolean }[] = [
  { field: 'name', ours: 'name', normalize: text },
  { field: 'email', ours: 'email', normalize: lower },
  { field: 'type', ours: 'type', normalize: text },
  { field: 'country', ours: 'country', normalize: text },
  { field: 'document_type', ours: 'documentType', normalize: text },
  { field: 'address', ours: 'address', normalize: text },
  { field: 'wallet_address', ours: 'walletAddress', normalize: lower },
  // Compared, but its values never go into a finding.
  { field: 'tax_id', ours: 'taxId', normalize: text, secret: true },
];

/** The mirror's property for each document field. */
const OUR_DOCUMENT: Record<DocumentField, 'verificationDocument' | 'incorporationCertificate'> = {
  verification_document: 'verificationDocument',
  incorporation_certificate: 'incorporationCertificate',
};

export interface RecordComparison {
  findings: NewFinding[];
  /** Document URLs to pull into the mirror (only Celar's Dashboard sets them). */
  documents: Partial<Record<DocumentField, string | null>>;
  /** Celar deactivated the customer: apply it locally. */
  deactivate: boolean;
}

/**
 * Compares one customer of ours with Celar's copy. What only Celar sets (documents, remote
 * deactivation) is pulled in; other differences are reported as drift, and only when no
 * change of ours is still waiting to sync (then the difference is expected).
 */
export function compareRecord(ours: MirrorRecord, upstream: CelarCustomer): RecordComparison {
  const result: RecordComparison = { findings: [], documents: {}, deactivate: false };
  const base = { customerId: ours.id, celarId: upstream.id };

  for (const field of DOCUMENT_FIELDS) {
    const theirs = text(upstream[field]);
    const mine = ours[OUR_DOCUMENT[field]];
    if (theirs === text(mine)) continue;
    result.documents[field] = theirs;
    if (theirs !== null) {
      result.findings.push({
        ...base,
        kind: 'document_attached',
        field,
        expected: text(mine),
        actual: theirs,
        message: `${field} was ${mine ? 'replaced' : 'attached'} in Celar's dashboard; pulled into the mirror`,
      });
    }
  }

  // Reported by every run, not only the one that pulls it in: its case stays open until an operator closes it.
  if (upstream.is_active === false && (ours.isActive || !ours.deactivatedByUs)) {
    result.deactivate = ours.isActive;
    result.findings.push({
      ...base,
      kind: 'deactivated_upstream',
      field: 'is_active',
      expected: 'true',
      actual: 'false',
      message: ours.isActive
        ? `${upstream.id} was deactivated in Celar but not by us; deactivated in the mirror too`
        : `${upstream.id} was deactivated in Celar but not by us`,
    });
  }

  if (ours.pending) return result;

  if (upstream.is_active === true && !ours.isActive) {
    result.findings.push({
      ...base,
      kind: 'field_drift',
      field: 'is_active',
      expected: 'false',
      actual: 'true',
      message: `deactivated here, still active in Celar`,
    });
  }
  for (const { field, ours: property, normalize, secret } of DRIFT_FIELDS) {
    if (!(field in upstream)) continue;
    if (normalize(ours[property]) === normalize(upstream[field])) continue;
    result.findings.push({
      ...base,
      kind: 'field_drift',
      field,
      expected: secret ? null : text(ours[property]),
      actual: secret ? null : text(upstream[field]),
      message: secret ? `${field} differs in Celar (values withheld)` : `${field} differs in Celar`,
    });
  }
  return result;
}

/** An upstream customer we do not know: a duplicate of one of ours (same email and tax id), or unknown. */
export function classifyUnknown(upstream: CelarCustomer, sameEmail: Pick<MirrorRecord, 'id' | 'celarId' | 'taxId'>[]): NewFinding {
  const taxId = text(upstream.tax_id);
  const match = sameEmail.filter((c) => text(c.taxId) === taxId);
  const linked = match.find((c) => c.celarId !== null && c.celarId !== upstream.id);
  if (linked) {
    return {
      kind: 'duplicate_upstream',
      customerId: linked.id,
      celarId: upstream.id,
      field: 'celar_id',
      expected: linked.celarId,
      actual: upstream.id,
      message: `Celar holds ${upstream.id} besides ${linked.celarId}, with the same email and tax id as our customer`,
    };
  }
  const unlinked = match.find((c) => c.celarId === null);
  const state = upstream.is_active === false ? 'deactivated ' : '';
  return {
    kind: 'unknown_upstream',
    customerId: unlinked?.id ?? null,
    celarId: upstream.id,
    field: null,
    expected: null,
    actual: text(upstream.email),
    message: unlinked
      ? `Celar holds ${state}${upstream.id} with the email and tax id of our customer ${unlinked.id}, whose create Celar has not confirmed yet`
      : `Celar holds ${state}${upstream.id}, created ${text(upstream.created_at) ?? 'at an unknown time'}, which we do not know`,
  };
}
