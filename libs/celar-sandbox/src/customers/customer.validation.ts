import { getAlpha3Codes } from 'i18n-iso-countries';
import { SandboxErrorDetail } from '../common/sandbox.error';
import { isValidEvmAddress } from './eip55';

export const CUSTOMER_TYPES = ['individual', 'business'] as const;
export type CustomerType = (typeof CUSTOMER_TYPES)[number];

export const DOCUMENT_TYPES: Record<CustomerType, readonly string[]> = {
  individual: ['id_card', 'passport', 'driver_license'],
  business: ['incorporation_certificate'],
};

const CREATE_FIELDS = ['type', 'name', 'email', 'country', 'document_type', 'address', 'tax_id', 'wallet_address'];
const REQUIRED_FIELDS = ['type', 'name', 'email', 'country', 'document_type'];
/** Fields of the customer object an API client may never send on create. */
const SERVER_FIELDS: Record<string, string> = {
  id: 'is assigned by Celar',
  psp_id: 'is assigned by Celar',
  is_active: 'cannot be set on create',
  created_at: 'is assigned by Celar',
  updated_at: 'is assigned by Celar',
  verification_document: 'is set only by an upload in the Celar Dashboard',
  incorporation_certificate: 'is set only by an upload in the Celar Dashboard',
};
export const PATCH_FIELDS = [
  'name',
  'email',
  'address',
  'wallet_address',
  'document_type',
  'verification_document',
  'incorporation_certificate',
];

const EMAIL =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;
const ALPHA3 = new Set(Object.keys(getAlpha3Codes()));

export const LIMITS = { name: 255, email: 254, address: 500, tax_id: 64, url: 2048 };

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

class Problems {
  readonly list: SandboxErrorDetail[] = [];
  constructor(private readonly index?: number) {}

  add(field: string | undefined, message: string): void {
    this.list.push({ ...(this.index === undefined ? {} : { index: this.index }), ...(field ? { field } : {}), message });
  }
}

function checkString(p: Problems, body: Record<string, unknown>, field: string, max: number, nullable: boolean): void {
  const value = body[field];
  // A null where none is allowed is reported by the caller ('is required' / 'must not be null').
  if (value === undefined || value === null) return;
  if (typeof value !== 'string') return p.add(field, 'must be a string');
  if (!nullable && value.trim() === '') return p.add(field, 'must not be empty');
  if (value.length > max) p.add(field, `must be at most ${max} characters`);
}

function checkEmail(p: Problems, body: Record<string, unknown>): void {
  const value = body.email;
  if (typeof value === 'string' && (value.length > LIMITS.email || !EMAIL.test(value))) p.add('email', 'must be a valid email address');
}

function checkWallet(p: Problems, body: Record<string, unknown>): void {
  const value = body.wallet_address;
  if (typeof value !== 'string') return;
  if (!/^0x[0-9a-fA-F]{40}$/.test(value)) p.add('wallet_address', 'must be an EVM address: 0x followed by 40 hex digits');
  else if (!isValidEvmAddress(value)) p.add('wallet_address', 'has an invalid EIP-55 checksum');
}

function checkDocumentType(p: Problems, type: unknown, documentType: unknown): void {
  if (typeof documentType !== 'string' || typeof type !== 'string') return;
  const allowed = DOCUMENT_TYPES[type as CustomerType];
  if (allowed && !allowed.includes(documentType)) {
    p.add('document_type', `must be one of ${allowed.join(', ')} for a ${type} customer`);
  }
}

function checkUrl(p: Problems, body: Record<string, unknown>, field: string): void {
  const value = body[field];
  if (value === undefined || value === null) return;
  if (typeof value !== 'string' || value.length > LIMITS.url) return p.add(field, 'must be a URL or null');
  try {
    const url = new URL(value);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') p.add(field, 'must be an http(s) URL');
  } catch {
    p.add(field, 'must be a URL or null');
  }
}

/** Problems with one create item, as Celar would report them; `index` is set for bulk items. */
export function validateCreateItem(item: unknown, index?: number): SandboxErrorDetail[] {
  const p = new Problems(index);
  if (!isPlainObject(item)) {
    p.add(undefined, 'must be a customer object');
    return p.list;
  }
  for (const field of Object.keys(item)) {
    if (SERVER_FIELDS[field]) p.add(field, SERVER_FIELDS[field]);
    else if (!CREATE_FIELDS.includes(field)) p.add(field, 'is not a known field');
  }
  for (const field of REQUIRED_FIELDS) {
    if (item[field] === undefined || item[field] === null) p.add(field, 'is required');
  }
  if (item.type !== undefined && item.type !== null && !CUSTOMER_TYPES.includes(item.type as CustomerType)) {
    p.add('type', `must be one of ${CUSTOMER_TYPES.join(', ')}`);
  }
  checkString(p, item, 'name', LIMITS.name, false);
  checkString(p, item, 'email', LIMITS.email, false);
  checkEmail(p, item);
  if (item.country !== undefined && item.country !== null) {
    if (typeof item.country !== 'string' || !ALPHA3.has(item.country)) {
      p.add('country', 'must be an ISO 3166-1 alpha-3 code in upper case, e.g. KEN');
    }
  }
  if (item.document_type !== undefined && item.document_type !== null && typeof item.document_type !== 'string') {
    p.add('document_type', 'must be a string');
  }
  checkDocumentType(p, item.type, item.document_type);
  checkString(p, item, 'address', LIMITS.address, true);
  checkString(p, item, 'tax_id', LIMITS.tax_id, true);
  if (item.wallet_address !== undefined && item.wallet_address !== null && typeof item.wallet_address !== 'string') {
    p.add('wallet_address', 'must be a string or null');
  }
  checkWallet(p, item);
  return p.list;
}

/** Problems with a PATCH body for a customer of the given type. */
export function validatePatch(body: unknown, customerType: string): SandboxErrorDetail[] {
  const p = new Problems();
  if (!isPlainObject(body)) {
    p.add(undefined, 'the body must be a JSON object');
    return p.list;
  }
  const fields = Object.keys(body);
  if (fields.length === 0) p.add(undefined, `nothing to update: send at least one of ${PATCH_FIELDS.join(', ')}`);
  for (const field of fields) {
    if (!PATCH_FIELDS.includes(field)) p.add(field, `cannot be updated (only ${PATCH_FIELDS.join(', ')})`);
  }
  for (const field of ['name', 'email', 'document_type']) {
    if (body[field] === null) p.add(field, 'must not be null');
  }
  checkString(p, body, 'name', LIMITS.name, false);
  checkString(p, body, 'email', LIMITS.email, false);
  checkEmail(p, body);
  checkString(p, body, 'address', LIMITS.address, true);
  if (body.wallet_address !== undefined && body.wallet_address !== null && typeof body.wallet_address !== 'string') {
    p.add('wallet_address', 'must be a string or null');
  }
  checkWallet(p, body);
  if (body.document_type !== undefined) {
    if (typeof body.document_type !== 'string') p.add('document_type', 'must be a string');
    else checkDocumentType(p, customerType, body.document_type);
  }
  checkUrl(p, body, 'verification_document');
  checkUrl(p, body, 'incorporation_certificate');
  return p.list;
}
