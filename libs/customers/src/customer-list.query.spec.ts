import { AppError } from '@app/common';
import { parseListQuery } from './customer-list.query';

describe('parseListQuery', () => {
  it('defaults to the first 20', () => {
    expect(parseListQuery({})).toEqual({ limit: 20, offset: 0 });
  });

  it('reads every filter', () => {
    expect(
      parseListQuery({ limit: '100', offset: '40', type: 'business', is_active: 'false', sync_status: 'failed', country: 'KEN', email: 'A@b.io' }),
    ).toEqual({ limit: 100, offset: 40, type: 'business', isActive: false, syncStatus: 'failed', country: 'KEN', email: 'A@b.io' });
  });

  it.each([
    { limit: '0' },
    { limit: '101' },
    { limit: '-1' },
    { limit: '1.5' },
    { limit: 'ten' },
    { offset: '-1' },
    { offset: '1e3' },
    { type: 'person' },
    { is_active: 'yes' },
    { sync_status: 'done' },
    { country: 'ken' },
    { email: 'nope' },
    { page: '2' },
    { limit: ['1', '2'] },
  ])('refuses %p', (query) => {
    expect(() => parseListQuery(query)).toThrow(AppError);
  });
});
