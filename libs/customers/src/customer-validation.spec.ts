import { AppError, ErrorDetail } from '@app/common';
import { validateCreateBody, validatePatchBody } from './customer-validation';

const alice = {
  country: 'KEN',
  email: 'alice99@example.com',
  type: 'individual',
  wallet_address: '0x8ba1f109551bD432803012645Ac136ddd64DBA72',
  address: '45 Koinange Street, Nairobi',
  name: 'Alice Wanjiku',
  tax_id: 'P87126345B',
  document_type: 'passport',
};

function errorOf(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected a validation error');
}

const fields = (details: ErrorDetail[] | undefined) => (details ?? []).map((d) => d.field);

describe('validateCreateBody', () => {
  it("accepts Celar's own individual example", () => {
    const { items, bulk } = validateCreateBody(alice);
    expect(bulk).toBe(false);
    expect(items).toEqual([alice]);
  });

  it('leaves out optional fields that are null or absent', () => {
    const { items } = validateCreateBody({ ...alice, address: null, tax_id: undefined, wallet_address: null });
    expect(items[0]).toEqual({ type: 'individual', name: 'Alice Wanjiku', email: 'alice99@example.com', country: 'KEN', document_type: 'passport' });
  });

  it('accepts a business with an incorporation certificate', () => {
    const { items } = validateCreateBody({ ...alice, type: 'business', document_type: 'incorporation_certificate' });
    expect(items[0].type).toBe('business');
  });

  it.each([
    ['individual', 'incorporation_certificate'],
    ['business', 'passport'],
    ['business', 'id_card'],
    ['individual', 'selfie'],
  ])('refuses a %s with document_type %s', (type, documentType) => {
    const error = errorOf(() => validateCreateBody({ ...alice, type, document_type: documentType }));
    expect(error.code).toBe('validation_failed');
    expect(fields(error.details)).toEqual(['document_type']);
  });

  it.each(['type', 'name', 'email', 'country', 'document_type'])('requires %s', (field) => {
    const error = errorOf(() => validateCreateBody({ ...alice, [field]: undefined }));
    expect(error.details).toEqual([{ field, message: `${field} is required` }]);
  });

  it.each(['verification_document', 'incorporation_certificate', 'id', 'is_active', 'nickname', '__proto__'])('refuses the field %s', (field) => {
    const body = JSON.parse(JSON.stringify(alice)) as Record<string, unknown>;
    Object.defineProperty(body, field, { value: 'x', enumerable: true });
    const error = errorOf(() => validateCreateBody(body));
    expect(fields(error.details)).toEqual([field]);
  });

  it('refuses the failing checksum of a Celar docs sample, and names why', () => {
    const error = errorOf(() => validateCreateBody({ ...alice, wallet_address: '0x47c99e83Ff01123f4Bbd2A9e7aAF35A2F97B4761' }));
    expect(error.details).toEqual([{ field: 'wallet_address', message: expect.stringContaining('checksum') }]);
  });

  it('refuses a NUL character, which Postgres could not store', () => {
    const error = errorOf(() => validateCreateBody({ ...alice, name: 'Al\u0000ice' }));
    expect(fields(error.details)).toEqual(['name']);
  });

  it('reports every bad item of a bulk by index and field, and duplicate emails', () => {
    const body = [
      alice,
      { ...alice, email: 'b@example.com', country: 'ken' },
      { ...alice, email: 'ALICE99@example.com' },
      'not an object',
      { ...alice, email: 'c@example.com', name: '' },
    ];
    const error = errorOf(() => validateCreateBody(body));
    expect(error.code).toBe('validation_failed');
    expect(error.details).toEqual([
      { index: 1, field: 'country', message: expect.any(String) },
      { index: 2, field: 'email', message: "email is the same as item 0's" },
      { index: 3, message: 'must be a customer object' },
      { index: 4, field: 'name', message: expect.any(String) },
    ]);
  });

  it('takes 1 to 1000 items', () => {
    expect(errorOf(() => validateCreateBody([])).code).toBe('validation_failed');
    const many = Array.from({ length: 1001 }, (_, i) => ({ ...alice, email: `u${i}@example.com` }));
    expect(errorOf(() => validateCreateBody(many)).message).toContain('at most 1000');
    expect(validateCreateBody(many.slice(0, 1000)).items).toHaveLength(1000);
  });

  it.each([null, 'text', 42, true])('refuses the body %p', (body) => {
    expect(errorOf(() => validateCreateBody(body)).code).toBe('validation_failed');
  });
});

describe('validatePatchBody', () => {
  it('keeps the given updatable fields', () => {
    expect(validatePatchBody({ name: 'Alice N. Wanjiku', address: '101 Moi Avenue, Nairobi' })).toEqual({
      name: 'Alice N. Wanjiku',
      address: '101 Moi Avenue, Nairobi',
    });
  });

  it("refuses Celar's own PATCH example: its wallet address fails the checksum", () => {
    const error = errorOf(() =>
      validatePatchBody({ name: 'Alice N. Wanjiku', wallet_address: '0x5D3a536E4D6DbD6114cc1Ead35777bAB948E3643' }),
    );
    expect(fields(error.details)).toEqual(['wallet_address']);
  });

  it.each(['tax_id', 'country', 'type', 'verification_document', 'incorporation_certificate', 'is_active', 'id', 'colour'])(
    'refuses the field %s',
    (field) => {
      const error = errorOf(() => validatePatchBody({ name: 'B', [field]: 'x' }));
      expect(fields(error.details)).toEqual([field]);
    },
  );

  it.each([{}, [], null, 'x'])('refuses the body %p', (body) => {
    expect(errorOf(() => validatePatchBody(body)).code).toBe('validation_failed');
  });

  it.each(['name', 'email', 'address', 'wallet_address', 'document_type'])('refuses null for %s', (field) => {
    expect(fields(errorOf(() => validatePatchBody({ [field]: null })).details)).toEqual([field]);
  });
});
