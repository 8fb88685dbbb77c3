import { prefersCsv } from './reconciliations.controller';

describe('prefersCsv', () => {
  it.each([
    [undefined, false],
    ['*/*', false],
    ['application/json', false],
    ['text/csv', true],
    ['text/csv, application/json', true],
    ['application/json, text/csv', false],
    ['application/json;q=0.5, text/csv', true],
    ['text/csv;q=0.2, application/json', false],
    ['text/csv;q=0', false],
    ['text/html', false],
  ])('Accept %p -> %p', (accept, expected) => {
    expect(prefersCsv(accept)).toBe(expected);
  });
});
