import { validateSync } from 'class-validator';
import { AppError, ErrorDetail, isStorableText } from '@app/common';
import { CREATE_FIELDS, CreateCustomerDto, DOCUMENT_FIELDS, UPDATE_FIELDS, UpdateCustomerDto } from './customer-input.dto';
import { CustomerType } from './customer.entity';

export const MAX_BULK = 1000;

/** A validated create item, normalized: optional fields absent or null are left out. */
export interface NewCustomerInput {
  type: CustomerType;
  name: string;
  email: string;
  country: string;
  document_type: string;
  address?: string;
  tax_id?: string;
  wallet_address?: string;
}

export type CustomerPatch = Partial<Pick<NewCustomerInput, (typeof UPDATE_FIELDS)[number]>>;

function createFieldProblem(field: string): string {
  if ((DOCUMENT_FIELDS as readonly string[]).includes(field)) return `${field} is set only by a document upload in Celar's Dashboard, never through the API`;
  if (field === 'id') return 'id is assigned by the service';
  if (field === 'is_active') return 'is_active cannot be set; DELETE deactivates a customer';
  return `${field} is not a field of a customer create`;
}

function updateFieldProblem(field: string): string {
  if ((DOCUMENT_FIELDS as readonly string[]).includes(field)) return `${field} is set only by a document upload in Celar's Dashboard, never through the API`;
  if (field === 'is_active') return 'is_active cannot be set; DELETE deactivates a customer';
  if (['type', 'country', 'tax_id', 'id'].includes(field)) return `${field} cannot be changed`;
  return `${field} is not a field that can be updated (only ${UPDATE_FIELDS.join(', ')})`;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

// Unstorable text (isStorableText) is checked on every string field before anything else, so such
// input is a 400 and never reaches the database.

/** Field errors of one object: unknown fields first, then unstorable text, then class-validator's first error per field. */
function fieldErrors<T extends object>(
  item: Record<string, unknown>,
  allowed: readonly string[],
  dto: new () => T,
  fieldProblem: (field: string) => string,
): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  const instance = new dto() as Record<string, unknown>;
  const unstorable = new Set<string>();
  for (const field of Object.keys(item)) {
    if (!allowed.includes(field)) details.push({ field, message: fieldProblem(field) });
    else if (typeof item[field] === 'string' && !isStorableText(item[field])) {
      unstorable.add(field);
      details.push({ field, message: `${field} must be valid text: no lone UTF-16 surrogate, no NUL character` });
    } else instance[field] = item[field];
  }
  for (const error of validateSync(instance, { stopAtFirstError: true, forbidUnknownValues: true })) {
    if (unstorable.has(error.property)) continue;
    const message = Object.values(error.constraints ?? {})[0] ?? `${error.property} is invalid`;
    details.push({ field: error.property, message });
  }
  return details;
}

/**
 * A create body: one customer object, or an array of 1..MAX_BULK. Throws one 400 naming
 * every bad item's index and field; two items with one email (case-insensitive) are bad too.
 */
export function validateCreateBody(body: unknown): { items: NewCustomerInput[]; bulk: boolean } {
  const bulk = Array.isArray(body);
  if (!bulk && !isPlainObject(body)) {
    throw new AppError('validation_failed', 'The body must be a customer object or an array of 1 to 1000 customer objects');
  }
  const raw: unknown[] = bulk ? body : [body];
  if (raw.length === 0) throw new AppError('validation_failed', 'A bulk create needs at least 1 customer');
  if (raw.length > MAX_BULK) {
    throw new AppError('validation_failed', `A bulk create takes at most ${MAX_BULK} customers (got ${raw.length})`);
  }

  const details: ErrorDetail[] = [];
  const items: NewCustomerInput[] = [];
  const emailIndex = new Map<string, number>();
  raw.forEach((item, index) => {
    const at = (detail: ErrorDetail): ErrorDetail => (bulk ? { index, ...detail } : detail);
    if (!isPlainObject(item)) {
      details.push(at({ message: 'must be a customer object' }));
      return;
    }
    const errors = fieldErrors(item, CREATE_FIELDS, CreateCustomerDto, createFieldProblem);
    details.push(...errors.map(at));
    if (errors.some((e) => e.field === 'email')) return;
    const email = (item.email as string).toLowerCase();
    const first = emailIndex.get(email);
    if (first !== undefined) details.push(at({ field: 'email', message: `email is the same as item ${first}'s` }));
    else emailIndex.set(email, index);
    if (errors.length === 0) items.push(normalizeCreate(item));
  });
  if (details.length > 0) {
    const bad = new Set(details.map((d) => d.index)).size;
    throw new AppError('validation_failed', bulk ? `${bad} of ${raw.length} customers are invalid; nothing was created` : 'The customer is invalid', details);
  }
  return { items, bulk };
}

function normalizeCreate(item: Record<string, unknown>): NewCustomerInput {
  const out: NewCustomerInput = {
    type: item.type as CustomerType,
    name: item.name as string,
    email: item.email as string,
    country: item.country as string,
    document_type: item.document_type as string,
  };
  for (const field of ['address', 'tax_id', 'wallet_address'] as const) {
    if (typeof item[field] === 'string') out[field] = item[field];
  }
  return out;
}

/** A PATCH body: a non-empty object of updatable fields. The document type's fit with the customer's type is the service's check. */
export function validatePatchBody(body: unknown): CustomerPatch {
  if (!isPlainObject(body)) throw new AppError('validation_failed', 'The body must be a JSON object of the fields to change');
  if (Object.keys(body).length === 0) {
    throw new AppError('validation_failed', `The body is empty: send at least one of ${UPDATE_FIELDS.join(', ')}`);
  }
  const details = fieldErrors(body, UPDATE_FIELDS, UpdateCustomerDto, updateFieldProblem);
  if (details.length > 0) throw new AppError('validation_failed', 'The update is invalid', details);
  const patch: CustomerPatch = {};
  for (const field of UPDATE_FIELDS) if (body[field] !== undefined) patch[field] = body[field] as never;
  return patch;
}
