import { AppError } from '@app/common';
import { parseEndpointInput } from './webhook-endpoint.input';

function problems(body: unknown, mode: 'create' | 'update' = 'create'): string[] {
  try {
    parseEndpointInput(body, mode);
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return ((error as AppError).details ?? []).map((d) => `${d.field}`);
  }
}

describe('parseEndpointInput', () => {
  it('accepts http and https URLs, loopback and private addresses included; types null or absent mean every type', () => {
    expect(parseEndpointInput({ url: 'http://127.0.0.1:9000/hooks' }, 'create')).toEqual({ url: 'http://127.0.0.1:9000/hooks' });
    expect(parseEndpointInput({ url: 'https://10.0.0.5/x', types: null }, 'create')).toEqual({ url: 'https://10.0.0.5/x', types: null });
    expect(parseEndpointInput({ url: 'https://a.example/x', types: ['customer.updated', 'customer.synced', 'customer.synced'] }, 'create').types).toEqual([
      'customer.synced',
      'customer.updated',
    ]);
  });

  it('refuses a missing URL, a non-http URL, an unknown type, an unknown field', () => {
    expect(problems({})).toEqual(['url']);
    expect(problems({ url: 'ftp://example.com/x' })).toEqual(['url']);
    expect(problems({ url: 'not a url' })).toEqual(['url']);
    expect(problems({ url: 'https://a.example', types: ['customer.exploded'] })).toEqual(['types']);
    expect(problems({ url: 'https://a.example', types: [] })).toEqual(['types']);
    expect(problems({ url: 'https://a.example', enabled: false })).toEqual(['enabled']);
    expect(problems({ url: 'https://a.example', description: 'a\u0000b' })).toEqual(['description']);
  });

  it('a PATCH takes any of url, types, description, enabled, and at least one', () => {
    expect(parseEndpointInput({ enabled: false }, 'update')).toEqual({ enabled: false });
    expect(problems({}, 'update')).toEqual(['url']);
    expect(problems({ enabled: 'no' }, 'update')).toEqual(['enabled']);
  });
});
