import { AppError } from './app-error';
import { QueryReader } from './query-reader';

function problems(read: () => void): { field?: string; message: string }[] {
  try {
    read();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return (error as AppError).details ?? [];
  }
  return [];
}

describe('QueryReader', () => {
  it('reads a page with its defaults, and never clamps', () => {
    const q = new QueryReader({}, ['limit', 'offset']);
    expect(q.page()).toEqual({ limit: 20, offset: 0 });
    expect(problems(() => q.done())).toEqual([]);
    const bad = new QueryReader({ limit: '101', offset: '-1' }, ['limit', 'offset']);
    bad.page();
    expect(problems(() => bad.done())).toEqual([
      { field: 'limit', message: 'must be an integer from 1 to 100' },
      { field: 'offset', message: 'must be an integer from 0 to 1000000000' },
    ]);
  });

  it('names every problem at once: unknown, repeated, not allowed', () => {
    const q = new QueryReader({ colour: 'red', format: ['csv', 'json'], kind: 'nope' }, ['format', 'kind']);
    q.oneOf('format', ['json', 'csv'] as const);
    q.list('kind', ['a', 'b'] as const);
    expect(problems(() => q.done()).map((d) => d.field)).toEqual(['colour', 'format', 'kind']);
  });

  it('takes a list repeated or comma-separated', () => {
    const q = new QueryReader({ status: ['open', 'resolved,open'] }, ['status']);
    expect(q.list('status', ['open', 'resolved', 'accepted'] as const)).toEqual(['open', 'resolved']);
  });
});
